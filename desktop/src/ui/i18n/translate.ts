/**
 * The UI's message layer: one catalogue per language (`ru.ts`, `en.ts`),
 * `{name}` parameters and plural entries. Pure (no DOM): the components
 * re-render on the `ks-locale-change` event the app dispatches.
 */
import { enPlural, ruPlural } from './plural.js';
import { ru, type CatalogueKey } from './ru.js';

export const LOCALES = ['ru', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

type Plural<L extends Locale> = L extends 'ru'
  ? { one: string; few: string; many: string }
  : { one: string; other: string };

/** A catalogue for a language: every key of the Russian one, plural where it is plural. */
export type Catalogue<L extends Locale> = {
  [K in CatalogueKey]: (typeof ru)[K] extends string ? string : Plural<L>;
};

const catalogues: { ru: Catalogue<'ru'>; en?: Catalogue<'en'> } = { ru };
let current: Locale = 'ru';

export function registerCatalogue(en: Catalogue<'en'>): void {
  catalogues.en = en;
}

export function getLocale(): Locale {
  return current;
}

export function setLocale(locale: Locale): void {
  current = locale;
}

export function isLocale(value: unknown): value is Locale {
  return value === 'ru' || value === 'en';
}

function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * The string for `key` in the current language with `params` filled in; a
 * plural entry picks its form by `params.n`.
 */
export function msg(key: CatalogueKey, params: Record<string, string | number> = {}): string {
  const locale = current;
  const entry:
    string | { one: string; few: string; many: string } | { one: string; other: string } =
    locale === 'en' && catalogues.en ? catalogues.en[key] : ru[key];
  if (typeof entry === 'string') return fill(entry, params);
  const n = Number(params.n ?? 0);
  const text =
    'few' in entry
      ? ruPlural(n, [entry.one, entry.few, entry.many])
      : enPlural(n, [entry.one, (entry as { other: string }).other]);
  return fill(text, params);
}

/** A file size for people: `12 КБ`, `3,4 МБ`. */
export function formatSize(bytes: number): string {
  const fmt = (n: number) => (current === 'ru' ? String(n).replace('.', ',') : String(n));
  if (bytes < 1024 * 1024) return msg('size.kb', { n: fmt(Math.max(1, Math.round(bytes / 1024))) });
  return msg('size.mb', { n: fmt(Math.round((bytes / 1024 / 1024) * 10) / 10) });
}
