import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n } from 'i18next';

/**
 * The victim's pages, texts and survey in English and Welsh (Welsh Language Standards, issue 17 §2). The words live in
 * message catalogs (locales/en.json, locales/cy.json) read through i18next; nothing a victim sees is written in a
 * template or a page script. Adding a key: README "Languages".
 */
export const LANGUAGES = ['en', 'cy'] as const;
export type Language = (typeof LANGUAGES)[number];

/** How each language names itself (the GOV.UK language toggle shows each in its own language). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', cy: 'Cymraeg' };

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export type Catalog = { [key: string]: string | Catalog };
export type Translate = (key: string, values?: Record<string, string | number>) => string;

const localesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'locales');

/** The catalog of one language as stored (with its `_review` block, for the Welsh). */
export function readCatalog(language: Language): Catalog {
  return JSON.parse(readFileSync(path.join(localesDir, `${language}.json`), 'utf8')) as Catalog;
}

let instance: i18n | undefined;

function translations(): i18n {
  if (instance) return instance;
  const created = i18next.createInstance();
  void created.init({
    initAsync: false,
    lng: 'en',
    // A key missing from Welsh would show English; the catalog test fails on that before it can ship.
    fallbackLng: 'en',
    supportedLngs: [...LANGUAGES],
    resources: Object.fromEntries(LANGUAGES.map((language) => [language, { translation: readCatalog(language) }])),
    // Nunjucks escapes what it prints; escaping here too would show "&amp;".
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  instance = created;
  return created;
}

/** A translator fixed to one language; unknown keys come back as the key itself (the catalog tests catch them). */
export function translator(language: Language): Translate {
  const t = translations().getFixedT(language);
  return (key, values) => String(t(key, values ?? {}));
}

/** Every leaf key of a catalog, dotted ("consent.title"), without the `_review` block. */
export function catalogKeys(catalog: Catalog, prefix = ''): string[] {
  return Object.entries(catalog).flatMap(([key, value]) => {
    if (key.startsWith('_')) return [];
    const dotted = prefix ? `${prefix}.${key}` : key;
    return typeof value === 'string' ? [dotted] : catalogKeys(value, dotted);
  });
}

const branches = new Map<string, Record<string, string>>();

/**
 * The strings under one branch of a catalog ("browser"), for a page script to read as JSON. Asked on every page, so
 * worked out once per language and branch (the catalogs do not change while the server runs).
 */
export function catalogBranch(language: Language, branch: string): Record<string, string> {
  const cacheKey = `${language}:${branch}`;
  const cached = branches.get(cacheKey);
  if (cached) return cached;
  const t = translator(language);
  const keys = catalogKeys(readCatalog('en')).filter((key) => key.startsWith(`${branch}.`));
  const strings = Object.fromEntries(keys.map((key) => [key.slice(branch.length + 1), t(key)]));
  branches.set(cacheKey, Object.freeze(strings));
  return strings;
}

/**
 * Whether a fluent speaker has checked the Welsh catalog (its `_review.status` is "reviewed"). Until then production
 * says so at start and in /health/ready, so the Welsh is not taken live unchecked.
 */
export function welshReviewStatus(catalog: Catalog = readCatalog('cy')): { reviewed: boolean; status: string } {
  const review = catalog._review;
  const status = typeof review === 'object' && typeof review.status === 'string' ? review.status : 'pending';
  return { reviewed: status === 'reviewed', status };
}

/** The start-up warning of a production server whose Welsh has not been reviewed yet (undefined when none is due). */
export function welshReviewWarning(nodeEnv: string, catalog: Catalog = readCatalog('cy')): string | undefined {
  const { reviewed, status } = welshReviewStatus(catalog);
  if (nodeEnv !== 'production' || reviewed) return undefined;
  return (
    `the Welsh message catalog (src/platform/i18n/locales/cy.json) is "${status}", not yet reviewed by a fluent Welsh speaker: ` +
    'victims who choose Welsh see unchecked text until it is marked "reviewed" (README "Languages")'
  );
}
