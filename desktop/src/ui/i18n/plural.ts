/**
 * Russian plural categories (CLDR): `one` (1, 21, 101 …), `few` (2–4, 22–24 …)
 * and `many` (0, 5–20, 25–30, 11–14 …). Pure: no DOM, no Intl.
 */
export type RuPluralForm = 'one' | 'few' | 'many';

export function ruPluralForm(n: number): RuPluralForm {
  const abs = Math.floor(Math.abs(n));
  const mod10 = abs % 10;
  const mod100 = abs % 100;
  if (mod10 === 1 && mod100 !== 11) return 'one';
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return 'few';
  return 'many';
}

/** Picks the Russian form for `n`: `ruPlural(5, ['сообщение', 'сообщения', 'сообщений'])`. */
export function ruPlural(
  n: number,
  forms: readonly [one: string, few: string, many: string],
): string {
  const form = ruPluralForm(n);
  return form === 'one' ? forms[0] : form === 'few' ? forms[1] : forms[2];
}

/** English: `one` for exactly 1, else `other`. */
export function enPlural(n: number, forms: readonly [one: string, other: string]): string {
  return Math.abs(n) === 1 ? forms[0] : forms[1];
}
