import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGE_BANDS,
  decideEligibility,
  DEFAULT_ELIGIBILITY_SETTINGS,
  EXCLUSION_FLAGS,
  RELATIONSHIPS,
  withinOperatingHours,
  type EligibilitySettings,
  type TriageAnswers,
} from './eligibility.js';

const ELIGIBLE: TriageAnswers = {
  grade: 2,
  relationship: 'ex_partner',
  ageBand: '18_plus',
  flags: [],
  consentToVideo: true,
  consentToRecording: true,
  prefersPhone: false,
  languageNeed: null,
  bslNeeded: false,
  hearingNeed: false,
};
const ALWAYS_OPEN: EligibilitySettings = { ...DEFAULT_ELIGIBILITY_SETTINGS, operatingHours: null };
// 12:00 in London in winter (GMT) and summer (BST).
const NOON_WINTER = new Date('2026-01-15T12:00:00Z');

const codes = (answers: Partial<TriageAnswers>, settings = ALWAYS_OPEN, at = NOON_WINTER) => {
  const decision = decideEligibility({ ...ELIGIBLE, ...answers }, settings, at);
  return decision.outcome === 'eligible' ? [] : decision.reasons.map((r) => r.code);
};

describe('eligibility triage (RVR-01..RVR-06, DA-01, DA-02)', () => {
  it('a grade 2 or 3 call with consent, from an adult partner, with nothing ticked, is eligible', () => {
    for (const grade of [2, 3, 4] as const) assert.deepEqual(decideEligibility({ ...ELIGIBLE, grade }, ALWAYS_OPEN, NOON_WINTER).outcome, 'eligible');
  });

  it('RVR-03: grade 1 is never RVR and cannot be overridden', () => {
    const decision = decideEligibility({ ...ELIGIBLE, grade: 1 }, ALWAYS_OPEN, NOON_WINTER);
    assert.equal(decision.outcome, 'ineligible');
    assert.equal(decision.outcome === 'ineligible' && decision.overridable, false);
    assert.deepEqual(codes({ grade: 1 }), ['grade_1']);
  });

  it('DA-02: every personally connected relationship qualifies; not connected is a hard exclusion', () => {
    for (const relationship of RELATIONSHIPS) {
      assert.deepEqual(codes({ relationship }), relationship === 'not_personally_connected' ? ['not_domestic_abuse'] : [], relationship);
    }
  });

  it('DA-01: under 16 is outside the Act (hard); 16–17 needs a supervisor (soft); 18+ and unknown pass', () => {
    const expected: Record<string, string[]> = { under_16: ['under_16'], '16_17': ['aged_16_17'], '18_plus': [], unknown: [] };
    for (const ageBand of AGE_BANDS) assert.deepEqual(codes({ ageBand }), expected[ageBand], ageBand);
    const teen = decideEligibility({ ...ELIGIBLE, ageBand: '16_17' }, ALWAYS_OPEN, NOON_WINTER);
    assert.ok(teen.outcome === 'ineligible' && teen.supervisorDecisionRequired && teen.overridable);
  });

  for (const flag of EXCLUSION_FLAGS) {
    it(`RVR-05: "${flag}" excludes (overridable) when configured, and is ignored when not`, () => {
      const decision = decideEligibility({ ...ELIGIBLE, flags: [flag] }, ALWAYS_OPEN, NOON_WINTER);
      assert.ok(decision.outcome === 'ineligible' && decision.overridable);
      assert.deepEqual(codes({ flags: [flag] }), [flag]);
      const notConfigured = { ...ALWAYS_OPEN, excludingFlags: EXCLUSION_FLAGS.filter((f) => f !== flag) };
      assert.deepEqual(codes({ flags: [flag] }, notConfigured), []);
    });
  }

  it('RVR-04: both consents are required, each reported, and neither can be overridden', () => {
    const matrix: [boolean, boolean, string[]][] = [
      [true, true, []],
      [false, true, ['no_video_consent']],
      [true, false, ['no_recording_consent']],
      [false, false, ['no_video_consent', 'no_recording_consent']],
    ];
    for (const [consentToVideo, consentToRecording, expected] of matrix) {
      assert.deepEqual(codes({ consentToVideo, consentToRecording }), expected);
      const decision = decideEligibility({ ...ELIGIBLE, consentToVideo, consentToRecording }, ALWAYS_OPEN, NOON_WINTER);
      if (expected.length) assert.ok(decision.outcome === 'ineligible' && !decision.overridable);
    }
  });

  it('the caller choosing a phone call is recorded as the reason, and is not overridable', () => {
    assert.deepEqual(codes({ prefersPhone: true }), ['prefers_phone']);
  });

  it('language, BSL and hearing needs mark an interpreter and never exclude', () => {
    for (const need of [{ languageNeed: 'Polish' }, { bslNeeded: true }, { hearingNeed: true }]) {
      const decision = decideEligibility({ ...ELIGIBLE, ...need }, ALWAYS_OPEN, NOON_WINTER);
      assert.equal(decision.outcome, 'eligible');
      assert.equal(decision.interpreterRequired, true);
    }
    assert.equal(decideEligibility(ELIGIBLE, ALWAYS_OPEN, NOON_WINTER).interpreterRequired, false);
  });

  it('reports every reason at once, and is overridable only when all are soft', () => {
    const all = decideEligibility(
      { ...ELIGIBLE, flags: [...EXCLUSION_FLAGS], ageBand: '16_17' },
      DEFAULT_ELIGIBILITY_SETTINGS,
      new Date('2026-01-15T23:30:00Z'),
    );
    assert.ok(all.outcome === 'ineligible');
    assert.equal(all.reasons.length, EXCLUSION_FLAGS.length + 2, 'every flag, the age and the hour');
    assert.equal(all.overridable, true);
    const mixed = decideEligibility({ ...ELIGIBLE, grade: 1, flags: ['offender_present'], consentToRecording: false }, ALWAYS_OPEN, NOON_WINTER);
    assert.ok(mixed.outcome === 'ineligible');
    assert.deepEqual(
      mixed.reasons.map((r) => [r.code, r.hard]),
      [
        ['grade_1', true],
        ['offender_present', false],
        ['no_recording_consent', true],
      ],
    );
    assert.equal(mixed.overridable, false);
    for (const reason of mixed.reasons) assert.ok(reason.text.length > 15, 'each reason is a sentence');
  });
});

describe('operating hours in Europe/London, across the BST/GMT changes', () => {
  const hours = DEFAULT_ELIGIBILITY_SETTINGS.operatingHours; // 08:00–22:00
  const cases: [string, boolean][] = [
    // Winter (GMT = UTC)
    ['2026-01-15T07:59:00Z', false],
    ['2026-01-15T08:00:00Z', true],
    ['2026-01-15T21:59:00Z', true],
    ['2026-01-15T22:00:00Z', false],
    // Summer (BST = UTC+1): 08:00 local is 07:00 UTC
    ['2026-07-15T06:59:00Z', false],
    ['2026-07-15T07:00:00Z', true],
    ['2026-07-15T20:59:00Z', true],
    ['2026-07-15T21:00:00Z', false],
    // Clocks go forward 01:00 UTC on 29 March 2026: 07:30 UTC is 08:30 BST
    ['2026-03-29T06:59:00Z', false],
    ['2026-03-29T07:30:00Z', true],
    ['2026-03-28T07:30:00Z', false],
    // Clocks go back 01:00 UTC on 25 October 2026: 07:30 UTC is 07:30 GMT
    ['2026-10-25T07:30:00Z', false],
    ['2026-10-24T07:30:00Z', true],
    ['2026-10-25T21:30:00Z', true],
    ['2026-10-24T21:30:00Z', false],
  ];
  for (const [iso, open] of cases) {
    it(`${iso} is ${open ? 'within' : 'outside'} 08:00–22:00 UK time`, () => {
      assert.equal(withinOperatingHours(hours, new Date(iso)), open);
      assert.deepEqual(codes({}, DEFAULT_ELIGIBILITY_SETTINGS, new Date(iso)), open ? [] : ['outside_hours']);
    });
  }

  it('supports a window across midnight, and equal start and end as round the clock', () => {
    const night = { start: '22:00', end: '06:00', timeZone: 'Europe/London' };
    assert.equal(withinOperatingHours(night, new Date('2026-01-15T23:00:00Z')), true);
    assert.equal(withinOperatingHours(night, new Date('2026-01-15T05:59:00Z')), true);
    assert.equal(withinOperatingHours(night, new Date('2026-01-15T06:00:00Z')), false);
    assert.equal(withinOperatingHours(night, new Date('2026-01-15T12:00:00Z')), false);
    assert.equal(withinOperatingHours({ start: '00:00', end: '00:00', timeZone: 'Europe/London' }, new Date('2026-01-15T03:00:00Z')), true);
    assert.equal(withinOperatingHours(null, new Date('2026-01-15T03:00:00Z')), true);
  });
});
