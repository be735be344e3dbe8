/** Types and helpers shared by the messaging bench's parent and its hub process. */

export const BENCH_PASSWORD = 'bench-password-123';

/** Parent → hub. `profile` with `file: null` starts the CPU profiler; with a path it stops and writes it. */
export type HubRequest =
  | { type: 'stats'; id: number; gc: boolean }
  | { type: 'profile'; id: number; file: string | null }
  | { type: 'stop' };

/** The hub's resource use at one moment. */
export interface HubStats {
  /** `process.cpuUsage()` user + system, microseconds since start. */
  cpuMicros: number;
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

/** Hub → parent. */
export type HubReport =
  | { type: 'ready'; url: string; database: string; logins: string[]; seedSeconds: number }
  | { type: 'stats'; id: number; stats: HubStats }
  | { type: 'profiled'; id: number }
  | { type: 'error'; message: string };

export const MB = 1024 * 1024;

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** A number for the table: 1 decimal under 100, integer above; `-` when unknown. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return v < 100 ? v.toFixed(1) : Math.round(v).toString();
}

/** A fixed-width text table (first column left-aligned, the rest right-aligned). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
