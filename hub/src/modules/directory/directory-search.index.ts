import { In } from 'typeorm';
import { searchWords, type StaffCategory } from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import {
  OrgUnitEntity,
  StaffEntity,
  StaffExternalIdEntity,
  StaffUnitEntity,
  type OrgUnitRow,
  type StaffExternalIdRow,
  type StaffRow,
} from './directory.entity.js';
import { chunks, type StaffRecord } from './directory.store.js';
import { everyWordPrefixes, prefixUpperBound, staffTokens, surnameRank } from './directory.text.js';
import type { SearchEngine, SearchHits, SearchPlan } from './directory-search.types.js';

interface Entry {
  id: string;
  /** The stored row and links, so result pages need no further reads (only roles). */
  record: StaffRecord;
  sortKey: string;
  active: boolean;
  category: StaffCategory;
  surname: string[];
  position: string[];
  specialty: string[];
  unitIds: string[];
  /** Every distinct token of every field. */
  tokens: string[];
  /** Position in `order` (valid when `order` is clean). */
  ord: number;
}

const byKey = (a: Entry, b: Entry) =>
  a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** First index in sorted `list` whose item is >= `value`. */
function lowerBound<T>(list: readonly T[], value: T, less: (a: T, b: T) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(list[mid]!, value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const strLess = (a: string, b: string) => a < b;
const byName = (a: { id: string; name: string }, b: { id: string; name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1;

/**
 * The in-process search index (the default engine): a sorted vocabulary of
 * distinct tokens with posting sets, and the staff in sort-key order. Built
 * from the database at start; after every committed write through the
 * directory the changed users are re-read from the database ({@link refresh}),
 * so it never serves stale data written by this process. With several hub
 * nodes the others' writes arrive the same way, by user id over Redis, and a
 * node that may have missed some rebuilds everything ({@link reload}; ADR
 * 0025). Writes by processes that are not hub nodes (SQL by hand) stay unseen
 * until a restart.
 */
export class MemoryIndex implements SearchEngine {
  private entries = new Map<string, Entry>();
  private postings = new Map<string, Set<Entry>>();
  private vocab: string[] = [];
  private units: OrgUnitRow[] = [];
  private order: Entry[] = [];
  private orderDirty = true;
  private chain: Promise<void> = Promise.resolve();
  private state: 'empty' | 'loading' | 'ready' = 'empty';
  private queuedReload: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  /** False before the first load and after a failed refresh (callers then use SQL and reload). */
  get isReady(): boolean {
    return this.state === 'ready';
  }

  /** (Re)builds everything from the database. */
  load(): Promise<void> {
    if (this.state === 'empty') this.state = 'loading';
    return this.enqueue(() => this.rebuild());
  }

  /**
   * Rebuilds everything if the index is in use (another hub node changed
   * staff and it is not known whom). Calls while one waits to start share it.
   */
  reload(): Promise<void> {
    if (this.state === 'empty') return Promise.resolve();
    this.queuedReload ??= this.enqueue(async () => {
      this.queuedReload = null;
      await this.rebuild();
    });
    return this.queuedReload;
  }

  private async rebuild(): Promise<void> {
    const units = await this.db.manager.find(OrgUnitEntity);
    const staff = await this.db.manager.find(StaffEntity);
    const links = await this.db.manager.find(StaffUnitEntity);
    const ext = await this.db.manager.find(StaffExternalIdEntity);
    this.entries.clear();
    this.postings.clear();
    this.vocab = [];
    this.order = [];
    this.orderDirty = true;
    this.units = units;
    this.put(staff, links, ext, true);
    this.state = 'ready';
  }

  /** Re-reads the given users (and the unit list when `units` is set) after a commit. */
  refresh(userIds: readonly string[], units = false): Promise<void> {
    if (this.state === 'empty') return Promise.resolve();
    if (userIds.length > 2000) return this.load();
    return this.enqueue(async () => {
      if (units) this.units = await this.db.manager.find(OrgUnitEntity);
      for (const part of chunks([...new Set(userIds)])) {
        const staff = await this.db.manager.findBy(StaffEntity, { id: In(part) });
        const links = await this.db.manager.findBy(StaffUnitEntity, { userId: In(part) });
        const ext = await this.db.manager.findBy(StaffExternalIdEntity, { userId: In(part) });
        for (const id of part) this.remove(id);
        this.put(staff, links, ext, false);
      }
    });
  }

  /** The unit rows as last loaded (for subtree filters). */
  async unitRows(): Promise<OrgUnitRow[]> {
    await this.chain;
    return this.units;
  }

  async search(plan: SearchPlan): Promise<SearchHits> {
    await this.chain;
    if (this.orderDirty) this.rebuildOrder();
    const keep = (e: Entry) =>
      (plan.includeInactive || e.active) &&
      (!plan.category || e.category === plan.category) &&
      (!plan.unitIds || e.unitIds.some((u) => plan.unitIds!.has(u))) &&
      everyWordPrefixes(plan.positionWords, e.position) &&
      everyWordPrefixes(plan.specialtyWords, e.specialty);
    if (plan.words.length === 0) {
      const ids: string[] = [];
      let total = 0;
      for (const e of this.order) {
        if (!keep(e)) continue;
        if (total >= plan.offset && ids.length < plan.limit) ids.push(e.id);
        total += 1;
      }
      return { ids, total };
    }
    // Lead with the word whose postings are smallest; check the others per candidate.
    let lead = plan.words[0]!;
    let leadRange: [number, number] = [0, 0];
    let leadSize = Infinity;
    for (const w of plan.words) {
      const from = lowerBound(this.vocab, w, strLess);
      const to = lowerBound(this.vocab, prefixUpperBound(w), strLess);
      let size = 0;
      for (let i = from; i < to && size < leadSize; i++)
        size += this.postings.get(this.vocab[i]!)!.size;
      if (size < leadSize) [lead, leadRange, leadSize] = [w, [from, to], size];
    }
    const rest = plan.words.filter((w) => w !== lead);
    let candidates: Iterable<Entry>;
    if (leadRange[1] - leadRange[0] === 1) {
      candidates = this.postings.get(this.vocab[leadRange[0]]!)!;
    } else {
      const set = new Set<Entry>();
      for (let i = leadRange[0]; i < leadRange[1]; i++) {
        for (const e of this.postings.get(this.vocab[i]!)!) set.add(e);
      }
      candidates = set;
    }
    const hits: { e: Entry; key: number }[] = [];
    for (const e of candidates) {
      if (!keep(e) || !everyWordPrefixes(rest, e.tokens)) continue;
      hits.push({ e, key: surnameRank(plan.words, e.surname) * 1e7 + e.ord });
    }
    hits.sort((a, b) => a.key - b.key);
    return {
      ids: hits.slice(plan.offset, plan.offset + plan.limit).map((h) => h.e.id),
      total: hits.length,
    };
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => {
      this.state = 'empty';
    });
    return run;
  }

  /** Cached records of `ids` (those known), or null when the index is not ready. */
  async records(ids: readonly string[]): Promise<Map<string, StaffRecord> | null> {
    await this.chain;
    if (this.state !== 'ready') return null;
    const out = new Map<string, StaffRecord>();
    for (const id of ids) {
      const e = this.entries.get(id);
      if (e) out.set(id, e.record);
    }
    return out;
  }

  private put(
    staff: readonly StaffRow[],
    links: readonly { userId: string; unitId: string }[],
    ext: readonly StaffExternalIdRow[],
    bulk: boolean,
  ): void {
    const unitsOf = new Map<string, string[]>();
    for (const l of links) unitsOf.set(l.userId, [...(unitsOf.get(l.userId) ?? []), l.unitId]);
    const extOf = new Map<string, { system: string; value: string }[]>();
    for (const x of ext)
      extOf.set(x.userId, [...(extOf.get(x.userId) ?? []), { system: x.system, value: x.value }]);
    const names = new Map(this.units.map((u) => [u.id, u.name]));
    for (const s of staff) {
      const unitIds = unitsOf.get(s.id) ?? [];
      const tokens = [
        ...new Set(
          staffTokens(
            s.id,
            s,
            unitIds.map((u) => names.get(u) ?? ''),
          ).map((t) => t.token),
        ),
      ];
      const record: StaffRecord = {
        staff: s,
        units: unitIds.map((id) => ({ id, name: names.get(id) ?? '' })).sort(byName),
        externalIds: (extOf.get(s.id) ?? []).sort((a, b) =>
          a.system + a.value < b.system + b.value ? -1 : 1,
        ),
      };
      const e: Entry = {
        id: s.id,
        record,
        sortKey: s.sortKey,
        active: !!s.active,
        category: s.category,
        surname: searchWords(s.lastName),
        position: searchWords(s.position),
        specialty: searchWords(s.specialty),
        unitIds,
        tokens,
        ord: 0,
      };
      this.entries.set(e.id, e);
      for (const t of tokens) {
        let set = this.postings.get(t);
        if (!set) {
          set = new Set();
          this.postings.set(t, set);
          if (bulk) this.vocab.push(t);
          else this.vocab.splice(lowerBound(this.vocab, t, strLess), 0, t);
        }
        set.add(e);
      }
      if (!this.orderDirty) {
        this.order.splice(
          lowerBound(this.order, e, (a, b) => byKey(a, b) < 0),
          0,
          e,
        );
      }
    }
    if (bulk) this.vocab.sort();
    if (!this.orderDirty) this.order.forEach((e, i) => (e.ord = i));
  }

  private remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    for (const t of e.tokens) {
      const set = this.postings.get(t);
      set?.delete(e);
      if (set && set.size === 0) {
        this.postings.delete(t);
        const at = lowerBound(this.vocab, t, strLess);
        if (this.vocab[at] === t) this.vocab.splice(at, 1);
      }
    }
    if (!this.orderDirty) {
      const at = this.order.indexOf(e);
      if (at >= 0) this.order.splice(at, 1);
    }
  }

  private rebuildOrder(): void {
    this.order = [...this.entries.values()].sort(byKey);
    this.order.forEach((e, i) => (e.ord = i));
    this.orderDirty = false;
  }
}
