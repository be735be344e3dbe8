import {
  AppError,
  searchWords,
  type PageOf,
  type SearchUsersQuery,
  type UserView,
} from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import type { Log } from './directory.log.js';
import type { CredentialStore } from './directory.ports.js';
import { OrgUnitEntity } from './directory.entity.js';
import { loadViews } from './directory.store.js';
import { queryWords } from './directory.text.js';
import type { MemoryIndex } from './directory-search.index.js';
import type { SqlSearch } from './directory-search.sql.js';
import type { SearchEngine, SearchPlan } from './directory-search.types.js';
import { subtreeIds } from './directory-units.service.js';

export type EngineName = 'memory' | 'sql';

/**
 * Staff search (DIR-2): every query word must be a prefix of a word of the
 * surname, first name, middle name, login, position, specialty or unit names
 * (folded: case, ё = е). Exact surname first, then surname prefix, then the
 * rest; ties in sort-key order. The in-process index serves by default; the
 * SQL engine when `directorySearch` is `sql` or while the index is not
 * loaded (ADR 0005; several hub nodes keep their indexes coherent, ADR 0025).
 */
export class SearchService {
  constructor(
    private readonly db: Database,
    private readonly credentials: CredentialStore,
    private readonly memory: MemoryIndex,
    private readonly sql: SqlSearch,
    private readonly log: Log,
    /** Serve from the in-process index (config `directorySearch: memory`). */
    private readonly useMemory: boolean,
  ) {}

  /** The engine serving searches on this database right now. */
  defaultEngine(): EngineName {
    return this.useMemory && this.memory.isReady ? 'memory' : 'sql';
  }

  async search(
    query: SearchUsersQuery,
    options: { engine?: EngineName } = {},
  ): Promise<PageOf<UserView>> {
    const engineName = options.engine ?? this.defaultEngine();
    if (engineName === 'memory' && !this.memory.isReady) await this.memory.load();
    if (this.useMemory && !this.memory.isReady && !options.engine) {
      this.memory
        .load()
        .catch((err: unknown) => this.log.error({ err }, 'directory search index failed to load'));
    }
    const engine: SearchEngine = engineName === 'memory' ? this.memory : this.sql;
    const plan = await this.plan(query, engineName);
    const hits = await engine.search(plan);
    const cached = engineName === 'memory' ? await this.memory.records(hits.ids) : null;
    const items = await loadViews(this.db.manager, this.credentials, hits.ids, cached);
    return { items, total: hits.total, limit: plan.limit, offset: plan.offset };
  }

  private async plan(q: SearchUsersQuery, engine: EngineName): Promise<SearchPlan> {
    let unitIds: Set<string> | null = null;
    if (q.unitId) {
      const rows =
        engine === 'memory'
          ? await this.memory.unitRows()
          : await this.db.manager.find(OrgUnitEntity);
      if (!rows.some((u) => u.id === q.unitId))
        throw new AppError('directory.unit_not_found', { field: 'unitId' });
      unitIds = subtreeIds(rows, q.unitId);
    }
    return {
      words: queryWords(q.q),
      positionWords: searchWords(q.position ?? ''),
      specialtyWords: searchWords(q.specialty ?? ''),
      category: q.category,
      unitIds,
      includeInactive: q.includeInactive ?? false,
      limit: q.limit,
      offset: q.offset,
    };
  }
}
