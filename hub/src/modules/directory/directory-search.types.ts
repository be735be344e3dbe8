import type { StaffCategory } from '@konsilium/shared';

/** A parsed search, the same for every engine. */
export interface SearchPlan {
  /** Folded query words, distinct, longest first; each must prefix some token. */
  words: string[];
  /** Every word must prefix a word of the position (folded). */
  positionWords: string[];
  specialtyWords: string[];
  category: StaffCategory | undefined;
  /** The unit and its descendants; members of any of them match. */
  unitIds: Set<string> | null;
  includeInactive: boolean;
  limit: number;
  offset: number;
}

/** A page of matching ids in rank order, and the number of all matches. */
export interface SearchHits {
  ids: string[];
  total: number;
}

/** A search implementation; both engines return the same ids in the same order. */
export interface SearchEngine {
  search(plan: SearchPlan): Promise<SearchHits>;
}
