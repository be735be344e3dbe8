import { foldText, searchWords } from '@konsilium/shared';
import type { SearchField, StaffSearchTokenRow } from './directory.entity.js';

/** The searchable text of one staff member. */
export interface SearchableStaff {
  lastName: string;
  firstName: string;
  middleName: string | null;
  login: string;
  position: string | null;
  specialty: string | null;
}

/** Folded "last first middle": list order and search tie-breaker. */
export function sortKeyOf(s: {
  lastName: string;
  firstName: string;
  middleName: string | null;
}): string {
  return foldText([s.lastName, s.firstName, s.middleName ?? ''].join(' ').trim()).slice(0, 300);
}

/**
 * The index tokens of a staff member: every folded word of every searchable
 * field (names, login, position, specialty, unit names), one per (token, field).
 */
export function staffTokens(
  userId: string,
  s: SearchableStaff,
  unitNames: readonly string[],
): StaffSearchTokenRow[] {
  const seen = new Set<string>();
  const rows: StaffSearchTokenRow[] = [];
  const add = (field: SearchField, text: string | null) => {
    for (const token of searchWords(text)) {
      const t = token.slice(0, 200);
      const key = `${field}\u0000${t}`;
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push({ token: t, userId, field });
    }
  };
  add('last', s.lastName);
  add('first', s.firstName);
  add('middle', s.middleName);
  add('login', s.login);
  add('position', s.position);
  add('specialty', s.specialty);
  for (const name of unitNames) add('unit', name);
  return rows;
}

/**
 * The smallest string greater than every string starting with `prefix`
 * (last code point + 1), so `token >= prefix AND token < upper` is a prefix
 * match that an ordinary B-tree index answers with a range scan.
 */
export function prefixUpperBound(prefix: string): string {
  const points = Array.from(prefix);
  const last = points.pop();
  if (last === undefined) return '\u{10FFFF}';
  return points.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
}

/** True when every word of `query` is a prefix of some word in `words`. */
export function everyWordPrefixes(
  queryWords: readonly string[],
  words: readonly string[],
): boolean {
  return queryWords.every((q) => words.some((w) => w.startsWith(q)));
}

/**
 * Rank of a match (lower is better): 0 when a query word is a whole word of
 * the surname, 1 when it is a prefix of one, 2 when the match is elsewhere.
 */
export function surnameRank(
  queryWords: readonly string[],
  surnameWords: readonly string[],
): 0 | 1 | 2 {
  if (queryWords.some((q) => surnameWords.includes(q))) return 0;
  if (queryWords.some((q) => surnameWords.some((w) => w.startsWith(q)))) return 1;
  return 2;
}

/** Distinct folded words of a search query, longest first (the most selective leads). */
export function queryWords(q: string | undefined): string[] {
  return [...new Set(searchWords(q ?? ''))].sort((a, b) => b.length - a.length);
}
