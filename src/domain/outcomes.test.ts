import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_CRIME_REFERENCE_PATTERN } from '../config.js';
import { OUTCOME_KINDS, outcomeForCad, REFERRAL_TYPES, validateOutcome } from './outcomes.js';

const rules = { crimeReferencePattern: new RegExp(DEFAULT_CRIME_REFERENCE_PATTERN) };
const kent = { crimeReferencePattern: /^\d{2}\/\d{6}\/\d{2}$/ };

it('crime recorded: the reference must match the configured pattern in full, with a message that helps', () => {
  const ok = validateOutcome({ kind: 'crime_recorded', crimeReference: ' 46/123456/26 ' }, kent);
  assert.deepEqual(ok, { ok: true, kind: 'crime_recorded', details: { crimeReference: '46/123456/26' } });
  const bad = validateOutcome({ kind: 'crime_recorded', crimeReference: '46/12345/26' }, kent);
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.match(bad.fields.crimeReference!, /is not a crime reference in this force’s format/);
    assert.match(bad.fields.crimeReference!, /\\d\{2\}/, 'names the expected format');
  }
  // A pattern without anchors still has to match the whole reference.
  assert.equal(validateOutcome({ kind: 'crime_recorded', crimeReference: 'xx 46/123456/26 yy' }, { crimeReferencePattern: /\d{2}\/\d{6}\/\d{2}/g }).ok, false);
  assert.equal(validateOutcome({ kind: 'crime_recorded', crimeReference: '' }, kent).ok, false);
  assert.equal(validateOutcome({ kind: 'crime_recorded' }, rules).ok, false);
  assert.equal(validateOutcome({ kind: 'crime_recorded', crimeReference: 'CR/2026/0001' }, rules).ok, true);
  assert.equal(validateOutcome({ kind: 'crime_recorded', crimeReference: 'ab' }, rules).ok, false);
});

it('arrest requested and patrol tasked need both suspect details and last known location', () => {
  for (const kind of ['arrest_requested', 'patrol_tasked']) {
    assert.deepEqual(validateOutcome({ kind, suspectDetails: ' J Smith ', lastKnownLocation: ' 1 High St ' }, rules), {
      ok: true,
      kind,
      details: { suspectDetails: 'J Smith', lastKnownLocation: '1 High St' },
    });
    const noLocation = validateOutcome({ kind, suspectDetails: 'J Smith' }, rules);
    assert.ok(!noLocation.ok && noLocation.fields.lastKnownLocation && !noLocation.fields.suspectDetails);
    const noSuspect = validateOutcome({ kind, lastKnownLocation: '1 High St', suspectDetails: '  ' }, rules);
    assert.ok(!noSuspect.ok && noSuspect.fields.suspectDetails);
    const neither = validateOutcome({ kind }, rules);
    assert.ok(!neither.ok && Object.keys(neither.fields).length === 2);
  }
});

it('referrals need a known type, and words for "other"; no further action needs a reason; escalation takes an optional reason', () => {
  for (const type of REFERRAL_TYPES.filter((t) => t !== 'other'))
    assert.deepEqual(validateOutcome({ kind: 'referral_made', referralType: type }, rules), {
      ok: true,
      kind: 'referral_made',
      details: { referralType: type },
    });
  assert.equal(validateOutcome({ kind: 'referral_made', referralType: 'other' }, rules).ok, false);
  assert.deepEqual(validateOutcome({ kind: 'referral_made', referralType: 'other', referralOther: 'Housing' }, rules), {
    ok: true,
    kind: 'referral_made',
    details: { referralType: 'other', referralOther: 'Housing' },
  });
  assert.equal(validateOutcome({ kind: 'referral_made', referralType: 'friend' }, rules).ok, false);
  assert.equal(validateOutcome({ kind: 'no_further_action' }, rules).ok, false);
  assert.equal(validateOutcome({ kind: 'no_further_action', reason: '   ' }, rules).ok, false);
  assert.deepEqual(validateOutcome({ kind: 'no_further_action', reason: 'Victim declined' }, rules), {
    ok: true,
    kind: 'no_further_action',
    details: { reason: 'Victim declined' },
  });
  assert.deepEqual(validateOutcome({ kind: 'attendance_escalated' }, rules), { ok: true, kind: 'attendance_escalated', details: { emergency: false } });
  assert.equal(validateOutcome({ kind: 'no_further_action', reason: 'x'.repeat(2001) }, rules).ok, false);
  assert.equal(validateOutcome({ kind: 'arrested_by_magic' }, rules).ok, false);
});

it('every kind validates without throwing on any input', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...OUTCOME_KINDS, 'x'),
      fc.dictionary(fc.constantFrom('crimeReference', 'suspectDetails', 'lastKnownLocation', 'referralType', 'referralOther', 'reason'), fc.string()),
      (kind, fields) => {
        const result = validateOutcome({ kind, ...fields }, rules);
        assert.equal(typeof result.ok, 'boolean');
      },
    ),
  );
});

it('the CAD view carries kind, time, crime reference and referral type only, never suspect details or locations', () => {
  const at = new Date('2026-12-03T07:00:00Z');
  assert.deepEqual(outcomeForCad({ kind: 'crime_recorded', details: { crimeReference: '46/123456/26' }, recordedAt: at }), {
    kind: 'crime_recorded',
    recordedAt: at.toISOString(),
    crimeReference: '46/123456/26',
    referralType: null,
  });
  const arrest = outcomeForCad({ kind: 'arrest_requested', details: { suspectDetails: 'J Smith', lastKnownLocation: '1 High St' }, recordedAt: at });
  assert.doesNotMatch(JSON.stringify(arrest), /Smith|High St/);
  assert.equal(outcomeForCad({ kind: 'referral_made', details: { referralType: 'other', referralOther: 'Housing' }, recordedAt: at }).referralType, 'other');
  assert.doesNotMatch(
    JSON.stringify(outcomeForCad({ kind: 'referral_made', details: { referralType: 'other', referralOther: 'Housing' }, recordedAt: at })),
    /Housing/,
  );
});
