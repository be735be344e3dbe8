/**
 * Search folding shared by the hub's indexes and the UI's highlighting:
 * lower case for Cyrillic and Latin, `ё` folded to `е`, Unicode NFKC.
 */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/ё/g, 'е');
}

const WORD = /[\p{L}\p{N}]+/gu;

/** The folded words of `text`: letters and digits, split on anything else (`Римский-Корсаков` → 2 words). */
export function searchWords(text: string | null | undefined): string[] {
  if (!text) return [];
  return foldText(text).match(WORD) ?? [];
}

/** "Иванов Иван Иванович" from name parts, skipping empty ones. */
export function fullName(last: string, first: string, middle?: string | null): string {
  return [last, first, middle].filter((p) => p && p.trim()).join(' ');
}

/** "Иванов И. И." — the short form used in lists and notifications. */
export function shortName(last: string, first: string, middle?: string | null): string {
  const initials = [first, middle]
    .filter((p): p is string => !!p && p.trim().length > 0)
    .map((p) => `${p.trim()[0]!.toUpperCase()}.`)
    .join(' ');
  return initials ? `${last} ${initials}` : last;
}
