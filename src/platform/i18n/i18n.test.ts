import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { catalogKeys, LANGUAGES, readCatalog, translator, welshReviewStatus, welshReviewWarning, type Catalog } from './i18n.js';

// Issue 17 §2 (Welsh Language Standards): the victim's pages exist in English and Welsh, from one pair of catalogs.

const srcDir = path.resolve(import.meta.dirname, '../..');

/** Every file under src/ with one of these endings. */
function filesUnder(dir: string, endings: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full, endings);
    return endings.some((ending) => entry.name.endsWith(ending)) ? [full] : [];
  });
}

/** `{{name}}` placeholders of a catalog string, and `{link}` (the texts' own placeholder). */
function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}|\{(link)\}/g)].map((m) => m[1] ?? m[2]!).sort();
}

function leaf(catalog: Catalog, key: string): string | undefined {
  let node: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

describe('message catalogs (issue 17 §2)', () => {
  const catalogs = Object.fromEntries(LANGUAGES.map((language) => [language, readCatalog(language)])) as Record<string, Catalog>;

  it('has every key in both English and Welsh: a key in one language only fails here', () => {
    const en = new Set(catalogKeys(catalogs.en!));
    const cy = new Set(catalogKeys(catalogs.cy!));
    assert.deepEqual(
      [...en].filter((key) => !cy.has(key)),
      [],
      'keys in English only: add their Welsh to src/platform/i18n/locales/cy.json',
    );
    assert.deepEqual(
      [...cy].filter((key) => !en.has(key)),
      [],
      'keys in Welsh only: add their English to src/platform/i18n/locales/en.json',
    );
  });

  it('has no empty string, and the same placeholders in both languages', () => {
    for (const key of catalogKeys(catalogs.en!)) {
      const en = leaf(catalogs.en!, key)!;
      const cy = leaf(catalogs.cy!, key)!;
      assert.ok(en.trim() && cy.trim(), `${key} is empty in a language`);
      assert.deepEqual(placeholders(cy), placeholders(en), `${key}: the Welsh has other placeholders than the English`);
    }
  });

  it('gives Welsh for a Welsh key and fills in placeholders', () => {
    assert.equal(translator('cy')('consent.title', { forceName: 'Heddlu Dyfed-Powys' }), 'Galwad fideo gyda swyddog o Heddlu Dyfed-Powys');
    assert.equal(translator('en')('consent.title', { forceName: 'Kent Police' }), 'Video call with an officer from Kent Police');
    assert.match(translator('cy')('sms.invite'), /\{link\}/);
  });

  it('has every key that a template or page module asks for with t("…"), s("…") or translator(…)("…")', () => {
    const english = new Set(catalogKeys(catalogs.en!));
    const asked: { file: string; key: string }[] = [];
    for (const file of filesUnder(srcDir, ['.njk'])) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*["']([\w.]+)["']/g)) asked.push({ file, key: m[1]! });
    }
    for (const file of filesUnder(srcDir, ['.ts']).filter((f) => !f.endsWith('.test.ts'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/translator\([^)]*\)\(\s*'([\w.]+)'/g)) asked.push({ file, key: m[1]! });
      // Issue 17 §2: the server's words to a victim, named on the refusal (AppError.forVictim) or a parse failure.
      for (const m of text.matchAll(/\.forVictim\(\s*'([\w.]+)'|victimKey: '(server\.[\w.]+)'/g)) asked.push({ file, key: (m[1] ?? m[2])! });
      // The page scripts read the "browser" branch.
      if (file.includes(`${path.sep}browser${path.sep}`)) for (const m of text.matchAll(/\bs\(\s*'([\w.]+)'/g)) asked.push({ file, key: `browser.${m[1]!}` });
    }
    assert.ok(asked.length > 100, `found the keys in use (${asked.length})`);
    const missing = asked.filter(({ key }) => !english.has(key)).map(({ file, key }) => `${path.relative(srcDir, file)}: ${key}`);
    assert.deepEqual(missing, [], 'keys used but not in the catalogs');
  });

  it('says whether the Welsh has been reviewed by a fluent speaker (pending until it is)', () => {
    const review = catalogs.cy!._review;
    assert.ok(typeof review === 'object' && typeof review.status === 'string', 'cy.json has a _review block with a status');
    assert.equal(welshReviewStatus({ _review: { status: 'reviewed' } }).reviewed, true);
    assert.equal(welshReviewStatus({}).reviewed, false, 'no review block counts as not reviewed');
  });

  it('warns at a production start while the Welsh is not reviewed, and only then', () => {
    assert.match(welshReviewWarning('production', { _review: { status: 'pending' } }) ?? '', /not yet reviewed by a fluent Welsh speaker/);
    assert.equal(welshReviewWarning('production', { _review: { status: 'reviewed' } }), undefined);
    assert.equal(welshReviewWarning('development', { _review: { status: 'pending' } }), undefined);
  });
});
