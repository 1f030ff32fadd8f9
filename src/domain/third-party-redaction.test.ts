import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseThirdPartyTerms, REDACTION_MARK, redactDeep, redactText } from './third-party-redaction.js';

describe('DP-08 third parties redacted from a subject access disclosure (s.45(4)(d))', () => {
  it('DP-08: parses the DPO’s list and redacts every occurrence, in any case and spacing', () => {
    const terms = parseThirdPartyTerms('John Smith\n Ellie ,x');
    assert.deepEqual(terms, ['john smith', 'ellie']);
    const r = redactText('JOHN  SMITH hit her; john smith left with Ellie.', terms);
    assert.equal(r.text, `${REDACTION_MARK} hit her; ${REDACTION_MARK} left with ${REDACTION_MARK}.`);
    assert.equal(r.count, 3);
    assert.deepEqual(redactText('nothing here', []), { text: 'nothing here', count: 0 });
  });

  it('DP-08: redacts inside nested JSON and leaves other values as they are', () => {
    const { value, count } = redactDeep({ a: ['Ellie is 6', 3, null], b: { c: 'ellie' }, d: true, at: new Date('2026-01-01T00:00:00Z') }, ['ellie']);
    assert.deepEqual(value, { a: [`${REDACTION_MARK} is 6`, 3, null], b: { c: REDACTION_MARK }, d: true, at: '2026-01-01T00:00:00.000Z' });
    assert.equal(count, 2);
  });

  it('DP-08: property: no term survives redaction, whatever surrounds it', () => {
    const word = fc.stringMatching(/^[A-Za-z][A-Za-z.()*+?]{1,11}$/);
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }), (names, fillers) => {
        const terms = parseThirdPartyTerms(names.join('\n'));
        const text = names.map((n, i) => `${fillers[i] ?? ''}${i % 2 ? n.toUpperCase() : n}`).join(' ');
        const out = redactText(text, terms).text.toLowerCase();
        for (const t of terms) assert.ok(!out.split(REDACTION_MARK).join('\u0000').includes(t), `${t} survived in ${out}`);
      }),
    );
  });
});
