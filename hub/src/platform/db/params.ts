/**
 * Placeholders for one hand-written multi-row statement (SQLite `?n`,
 * PostgreSQL `$n`). Binding each value costs CPU on the main thread, so a
 * batch binds less: NULL and safe integers made by the hub go into the text
 * as literals, and a string repeated in the same column (a batch's shared
 * time, event type, audit action) is bound once and referred to again. Other
 * values are always bound, never spliced into the text.
 */
export class Params {
  readonly values: unknown[] = [];
  /** Per column: short strings bound already → their placeholder. */
  private readonly seen: Map<string, string>[] = [];

  constructor(private readonly pg: boolean) {}

  /** The placeholder (or literal) for `value` in column `column` of the statement. */
  ref(value: unknown, column: number): string {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    // Only short strings repeat (times, types, actions, ids): longer ones
    // (JSON, hashes, text) are bound as they come, without a lookup.
    if (typeof value !== 'string' || value.length > 40) return this.bind(value);
    // Per column: PostgreSQL types a parameter by its first use.
    const seen = (this.seen[column] ??= new Map());
    let ref = seen.get(value);
    if (ref === undefined) {
      ref = this.bind(value);
      seen.set(value, ref);
    }
    return ref;
  }

  /** A tuple `(…)` of `row`'s values, column by column. */
  tuple(row: readonly unknown[]): string {
    let out = '(';
    for (let i = 0; i < row.length; i++) out += (i ? ', ' : '') + this.ref(row[i], i);
    return `${out})`;
  }

  private bind(value: unknown): string {
    this.values.push(value);
    return this.pg ? `$${this.values.length}` : `?${this.values.length}`;
  }
}
