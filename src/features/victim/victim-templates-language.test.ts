import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

// Issue 17 §2 (Welsh Language Standards): a victim's page holds no words of its own; every visible word comes from the
// message catalogs through t("…"), so the page exists in English and Welsh. A simple scan: text between tags, the
// attributes a person reads or hears (aria-label, title, alt, placeholder), and the words passed to GOV.UK macros.

const featuresDir = path.resolve(import.meta.dirname, '..');

/** Every template a victim (or another link-holder) sees, whole or included. */
const VICTIM_TEMPLATES = [
  ...readdirSync(path.join(featuresDir, 'victim'))
    .filter((name) => name.endsWith('.njk'))
    .map((name) => `victim/${name}`),
  'outcomes/survey.njk',
  'outcomes/survey-thanks.njk',
  'outcomes/survey-refused.njk',
  'investigation/statement/statement-victim.njk',
  'investigation/statement/statement-victim-fragment.njk',
  'investigation/safety/safety-victim.njk',
  'video/chat.njk',
  // Issue 17 §1 and §4: the location question in the call page, and the appointment page.
  'victim-location/location-victim.njk',
  'victim-location/location-victim-fragment.njk',
  'appointments/victim-appointment.njk',
];

/** Words (two letters or more) a person would see or hear that are written in the template itself. */
export function visibleWords(template: string): string[] {
  const found: string[] = [];
  const words = (text: string) => text.match(/[A-Za-z\u00C0-\u017F’']{2,}/g) ?? [];
  let rest = template.replace(/\{#[\s\S]*?#\}/g, '');
  // Words given to macros or set as page titles inside Nunjucks tags: "text: "…"", "titleText: "…"", set pageTitle = "…".
  for (const raw of rest.match(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g) ?? []) {
    // A catalog key, t("survey.title"), is not a word on the page.
    const tag = raw.replace(/\bt\(\s*(["'])[\w.]*\1/g, 't(');
    for (const m of tag.matchAll(/\b(?:text|html|titleText|ariaLabel|label|hint)\s*:\s*"([^"]*)"/g)) found.push(...words(m[1]!));
    for (const m of tag.matchAll(/\bset\s+(?:pageTitle|title)\s*=\s*([^%]*)/g))
      for (const literal of m[1]!.matchAll(/"([^"]*)"/g)) found.push(...words(literal[1]!));
  }
  rest = rest.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, ' ');
  rest = rest.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, ' ');
  for (const m of rest.matchAll(/\b(?:aria-label|title|alt|placeholder)="([^"]*)"/g)) found.push(...words(m[1]!));
  found.push(...words(rest.replace(/<[^>]*>/g, ' ')));
  return found;
}

describe('victim templates hold no English of their own (issue 17 §2)', () => {
  it('finds words written in a template (the scan itself can fail)', () => {
    assert.deepEqual(visibleWords('<p class="govuk-body">Hello there</p>'), ['Hello', 'there']);
    assert.deepEqual(visibleWords('<video aria-label="The officer"></video>'), ['The', 'officer']);
    assert.deepEqual(visibleWords('{{ govukButton({ text: "Send", classes: "x" }) }}'), ['Send']);
    assert.deepEqual(visibleWords('{% set pageTitle = "Thank you" %}'), ['Thank', 'you']);
    assert.deepEqual(visibleWords('<p class="govuk-body">{{ t("ended.help") }}</p>{# A comment #}<a href="{{ url }}">{{ t("x.y") }}</a>'), []);
  });

  for (const name of VICTIM_TEMPLATES) {
    it(`${name}: every visible word comes from the catalogs`, () => {
      const words = visibleWords(readFileSync(path.join(featuresDir, name), 'utf8'));
      assert.deepEqual(words, [], `${name} shows words outside the message catalogs: move them to src/platform/i18n/locales (README "Languages")`);
    });
  }
});
