import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { ENQUIRY_LINE_IDS, ENQUIRY_LINES, ENQUIRY_STATUSES, enquiryProgress, validateEnquiryLine } from './enquiry-lines.js';

const uuid = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

it('RVR-08: the catalogue covers what an in-person first response covers, each line once', () => {
  for (const id of [
    'victim_account',
    'injuries',
    'children',
    'suspect',
    'witnesses',
    'scene_evidence',
    'safeguarding_advice',
    'referral_idva',
    'referral_childrens_services',
    'referral_marac',
    'clares_law',
    'crime_recorded',
  ])
    assert.ok(ENQUIRY_LINE_IDS.includes(id as never), id);
  assert.equal(new Set(ENQUIRY_LINE_IDS).size, ENQUIRY_LINES.length);
  assert.ok(ENQUIRY_LINES.find((l) => l.id === 'injuries')!.evidenceLinkable, 'injuries can be linked to photos');
});

it('RVR-08: every status of every line is accepted; a reason is optional except for not possible', () => {
  for (const line of ENQUIRY_LINE_IDS) {
    for (const status of ENQUIRY_STATUSES) {
      const withReason = validateEnquiryLine({ line, status, reason: '  could not see  ' });
      assert.ok(withReason.ok, `${line} ${status} with a reason`);
      if (withReason.ok) assert.equal(withReason.update.reason, 'could not see');
      const without = validateEnquiryLine({ line, status });
      assert.equal(without.ok, status !== 'not_possible', `${line} ${status} without a reason`);
      if (!without.ok) assert.match(without.fields.reason!, /Say why/);
    }
  }
  const blank = validateEnquiryLine({ line: 'injuries', status: 'not_possible', reason: '   ' });
  assert.equal(blank.ok, false, 'a reason of spaces is no reason');
  const ok = validateEnquiryLine({ line: 'witnesses', status: 'not_applicable', reason: '' });
  assert.ok(ok.ok && ok.update.reason === null);
});

it('refuses unknown lines and statuses, over-long reasons, and photos on lines that take none', () => {
  assert.deepEqual(Object.keys((validateEnquiryLine({ line: 'nope', status: 'done' }) as { fields: object }).fields), ['line']);
  assert.deepEqual(Object.keys((validateEnquiryLine({ line: 'injuries', status: 'maybe' }) as { fields: object }).fields), ['status']);
  assert.equal(validateEnquiryLine({ line: 'injuries', status: 'done', reason: 'x'.repeat(1000) }).ok, true);
  assert.equal(validateEnquiryLine({ line: 'injuries', status: 'done', reason: 'x'.repeat(1001) }).ok, false);
  assert.equal(validateEnquiryLine({ line: 'suspect', status: 'done', evidenceItemIds: [uuid] }).ok, false);
  const linked = validateEnquiryLine({ line: 'injuries', status: 'done', evidenceItemIds: [uuid, uuid] });
  assert.ok(linked.ok && linked.update.evidenceItemIds.length === 1, 'duplicates collapse');
  const many = Array.from({ length: 51 }, (_, i) => `${uuid.slice(0, -2)}${String(i).padStart(2, '0')}`);
  assert.equal(validateEnquiryLine({ line: 'injuries', status: 'done', evidenceItemIds: many }).ok, false);
  assert.equal(validateEnquiryLine({ line: 'injuries', status: 'done', evidenceItemIds: many.slice(0, 50) }).ok, true);
});

it('never throws on any input', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.option(fc.string()), fc.array(fc.string(), { maxLength: 60 }), (line, status, reason, ids) => {
      const result = validateEnquiryLine({ line, status, reason: reason ?? undefined, evidenceItemIds: ids });
      assert.equal(typeof result.ok, 'boolean');
    }),
  );
});

it('progress counts each status and is complete only when every line is marked', () => {
  assert.deepEqual(enquiryProgress([]), { done: 0, notApplicable: 0, notPossible: 0, outstanding: [...ENQUIRY_LINE_IDS], complete: false });
  const all = ENQUIRY_LINE_IDS.map((line, i) => ({ line, status: ENQUIRY_STATUSES[i % 3]! }));
  const progress = enquiryProgress([...all, { line: 'unknown', status: 'done' }]);
  assert.equal(progress.done + progress.notApplicable + progress.notPossible, ENQUIRY_LINE_IDS.length);
  assert.equal(progress.complete, true);
  const missingOne = enquiryProgress(all.slice(1));
  assert.deepEqual(missingOne.outstanding, [ENQUIRY_LINE_IDS[0]]);
  assert.equal(missingOne.complete, false);
  assert.equal(enquiryProgress([{ line: 'injuries', status: 'bogus' }]).outstanding.includes('injuries'), true);
});
