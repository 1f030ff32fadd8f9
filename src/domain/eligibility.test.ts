import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGE_BANDS,
  CONFIGURABLE_EXCLUSION_FLAGS,
  decideEligibility,
  DEFAULT_ELIGIBILITY_SETTINGS,
  EXCLUSION_FLAGS,
  RELATIONSHIPS,
  withinOperatingHours,
  type Decision,
  type EligibilitySettings,
  type ExclusionFlag,
  type TriageAnswers,
} from './eligibility.js';

const ELIGIBLE: TriageAnswers = {
  grade: 2,
  relationship: 'ex_partner',
  ageBand: '18_plus',
  suspectAgeBand: '18_plus',
  flags: [],
  consentToVideo: true,
  consentToRecording: true,
  prefersPhone: false,
  languageNeed: null,
  bslNeeded: false,
  hearingNeed: false,
};
const ALWAYS_OPEN: EligibilitySettings = { ...DEFAULT_ELIGIBILITY_SETTINGS, operatingHours: null };
// 12:00 in London in winter (GMT = UTC): inside the default hours.
const NOON_WINTER = new Date('2026-01-15T12:00:00Z');

const decide = (answers: Partial<TriageAnswers>, settings = ALWAYS_OPEN, at = NOON_WINTER): Decision =>
  decideEligibility({ ...ELIGIBLE, ...answers }, settings, at);
const codes = (answers: Partial<TriageAnswers>, settings = ALWAYS_OPEN, at = NOON_WINTER): string[] => decide(answers, settings, at).reasons.map((r) => r.code);
/** Asserts the decision is ineligible, and narrows it to that shape. */
const ineligible = (decision: Decision): Extract<Decision, { outcome: 'ineligible' }> => {
  assert.equal(decision.outcome, 'ineligible');
  return decision;
};

// Written out independently of the implementation: the reasons that can never be overridden.
const HARD_CODES = new Set([
  'grade_1',
  'not_domestic_abuse',
  'under_16',
  'suspect_under_16',
  // RVR-02 / RVR-05 (policy 2.3, 2.4): the conditions of eligibility.
  'offender_present',
  'offender_expected_soon',
  'victim_not_safe',
  'cannot_talk_freely',
  'no_video_consent',
  'no_recording_consent',
  'prefers_phone',
]);
const RVR02_CONDITIONS: ExclusionFlag[] = ['offender_present', 'offender_expected_soon', 'victim_not_safe', 'cannot_talk_freely'];
const SUPERVISOR_CODES = new Set(['aged_16_17', 'age_unknown', 'suspect_age_unknown']);

describe('eligibility: who is in scope (RVR-01..RVR-03, DA-01, DA-02)', () => {
  it('RVR-03: a grade 2, 3 or 4 call with both consents, from an adult partner, with nothing ticked, is eligible', () => {
    for (const grade of [2, 3, 4] as const) {
      assert.deepEqual(decide({ grade }), { outcome: 'eligible', interpreterRequired: false, reasons: [], supervisorDecisionRequired: false });
    }
  });

  it('DA-02: every personally connected relationship is domestic abuse and qualifies', () => {
    for (const relationship of RELATIONSHIPS.filter((r) => r !== 'not_personally_connected')) {
      assert.equal(decide({ relationship }).outcome, 'eligible', relationship);
    }
  });

  it('DA-01: a victim 18 or over with a suspect 16 or over passes the age gate', () => {
    for (const suspectAgeBand of ['16_17', '18_plus'] as const)
      assert.equal(decide({ ageBand: '18_plus', suspectAgeBand }).outcome, 'eligible', suspectAgeBand);
  });
});

describe('eligibility: hard blocks can never be overridden', () => {
  // [what, answers, code, the rule its text must cite, what its text must say]
  const HARD: [string, Partial<TriageAnswers>, string, string, RegExp][] = [
    ['RVR-03: grade 1 emergency', { grade: 1 }, 'grade_1', 'RVR-03', /grade 1 emergency/],
    ['DA-02: not personally connected', { relationship: 'not_personally_connected' }, 'not_domestic_abuse', 'DA-02', /not domestic abuse/],
    ['DA-01: victim under 16', { ageBand: 'under_16' }, 'under_16', 'DA-01', /under 16.*safeguarding/],
    ['DA-01: suspect under 16', { suspectAgeBand: 'under_16' }, 'suspect_under_16', 'DA-01', /suspect is under 16.*both people aged 16 or over/],
    ['RVR-02: the suspect is present', { flags: ['offender_present'] }, 'offender_present', 'RVR-02', /suspect is present/],
    ['RVR-02: the suspect is expected back soon', { flags: ['offender_expected_soon'] }, 'offender_expected_soon', 'RVR-02', /expected back soon/],
    ['RVR-02: the victim is not safe', { flags: ['victim_not_safe'] }, 'victim_not_safe', 'RVR-02', /victim is not safe/],
    ['RVR-02: the victim cannot talk freely', { flags: ['cannot_talk_freely'] }, 'cannot_talk_freely', 'RVR-02', /cannot talk freely/],
    ['RVR-04: no consent to video', { consentToVideo: false }, 'no_video_consent', 'RVR-04', /not agreed to a video call/],
    ['RVR-04: no consent to recording', { consentToRecording: false }, 'no_recording_consent', 'RVR-04', /not agreed to the video call being recorded/],
    ['RVR-04: the victim chose a phone call', { prefersPhone: true }, 'prefers_phone', 'RVR-04', /victim chose a phone call/],
  ];
  for (const [what, answers, code, rule, says] of HARD) {
    it(`${what}: ineligible, one hard reason, not overridable`, () => {
      const decision = ineligible(decide(answers));
      assert.deepEqual(
        decision.reasons.map((r) => [r.code, r.hard]),
        [[code, true]],
      );
      assert.equal(decision.overridable, false);
      assert.equal(decision.supervisorDecisionRequired, false);
      assert.ok(decision.reasons[0]!.text.includes(rule), `the reason cites ${rule}`);
      assert.match(decision.reasons[0]!.text, says);
      assert.match(decision.reasons[0]!.text, /: (send|offer|arrange|deal)/, 'the reason says what to do instead');
    });

    it(`${what}: stays hard whatever the force configures (no excluding flags, round the clock)`, () => {
      const lenient: EligibilitySettings = { version: 9, excludingFlags: [], operatingHours: null };
      const decision = ineligible(decide(answers, lenient));
      assert.deepEqual(
        decision.reasons.map((r) => r.code),
        [code],
      );
      assert.equal(decision.overridable, false);
    });
  }

  it('a hard block makes the whole decision not overridable, even alongside soft reasons', () => {
    const decision = ineligible(decide({ grade: 1, flags: ['no_smartphone_or_signal'], consentToRecording: false }));
    assert.deepEqual(
      decision.reasons.map((r) => [r.code, r.hard]),
      [
        ['grade_1', true],
        ['no_smartphone_or_signal', false],
        ['no_recording_consent', true],
      ],
    );
    assert.equal(decision.overridable, false);
  });
});

describe('eligibility: victims aged 16 or 17 need a supervisor decision (DA-01, RVR-05)', () => {
  it('16–17 alone: ineligible pending a supervisor, soft and overridable', () => {
    const decision = ineligible(decide({ ageBand: '16_17' }));
    assert.deepEqual(
      decision.reasons.map((r) => [r.code, r.hard]),
      [['aged_16_17', false]],
    );
    assert.equal(decision.supervisorDecisionRequired, true);
    assert.equal(decision.overridable, true);
    assert.match(decision.reasons[0]!.text, /supervisor must decide/);
  });

  it('16–17 with a soft exclusion: still the supervisor’s decision, and overridable', () => {
    const decision = ineligible(decide({ ageBand: '16_17', flags: ['no_smartphone_or_signal'] }));
    assert.deepEqual(
      decision.reasons.map((r) => r.code),
      ['aged_16_17', 'no_smartphone_or_signal'],
    );
    assert.equal(decision.supervisorDecisionRequired, true);
    assert.equal(decision.overridable, true);
  });

  it('16–17 with a hard block: flagged for the supervisor, but not overridable', () => {
    const decision = ineligible(decide({ ageBand: '16_17', consentToVideo: false }));
    assert.deepEqual(
      decision.reasons.map((r) => r.code),
      ['aged_16_17', 'no_video_consent'],
    );
    assert.equal(decision.supervisorDecisionRequired, true);
    assert.equal(decision.overridable, false);
  });

  it('no other known age band asks for a supervisor decision', () => {
    for (const ageBand of ['under_16', '18_plus'] as const) {
      const decision = decide({ ageBand, flags: ['victim_unwilling'] });
      assert.equal(decision.supervisorDecisionRequired, false, ageBand);
    }
  });
});

describe('eligibility: an unknown age takes the under-18 path (issue 16 §4, DA-01, RVR-05)', () => {
  it('DA-01: a victim of unknown age is not eligible without a supervisor decision', () => {
    const decision = ineligible(decide({ ageBand: 'unknown' }));
    assert.deepEqual(
      decision.reasons.map((r) => [r.code, r.hard]),
      [['age_unknown', false]],
    );
    assert.equal(decision.supervisorDecisionRequired, true);
    assert.equal(decision.overridable, true);
    assert.match(decision.reasons[0]!.text, /not known.*supervisor must decide/);
  });

  it('DA-01: a suspect of unknown age is the supervisor’s decision too; both unknown gives both reasons', () => {
    const suspect = ineligible(decide({ suspectAgeBand: 'unknown' }));
    assert.deepEqual(
      suspect.reasons.map((r) => r.code),
      ['suspect_age_unknown'],
    );
    assert.equal(suspect.supervisorDecisionRequired, true);
    assert.equal(suspect.overridable, true);
    const both = ineligible(decide({ ageBand: 'unknown', suspectAgeBand: 'unknown' }));
    assert.deepEqual(
      both.reasons.map((r) => r.code),
      ['age_unknown', 'suspect_age_unknown'],
    );
  });

  it('DA-01: a suspect of 16 or 17 is within the Act and needs no decision', () => {
    assert.equal(decide({ suspectAgeBand: '16_17' }).outcome, 'eligible');
  });
});

describe('eligibility: the RVR-02 conditions are never configuration (policy 2.3, 2.4, RVR-05)', () => {
  for (const flag of RVR02_CONDITIONS) {
    it(`RVR-02: "${flag}" excludes, hard, even when a (pre-issue-16) settings row leaves it out`, () => {
      const oldRow: EligibilitySettings = { version: 3, excludingFlags: [], operatingHours: null };
      const decision = ineligible(decide({ flags: [flag] }, oldRow));
      assert.deepEqual(
        decision.reasons.map((r) => [r.code, r.hard]),
        [[flag, true]],
      );
      assert.equal(decision.overridable, false);
    });
  }

  it('RVR-05: the configurable flags are exactly the others', () => {
    assert.deepEqual([...CONFIGURABLE_EXCLUSION_FLAGS].sort(), EXCLUSION_FLAGS.filter((f) => !RVR02_CONDITIONS.includes(f)).sort());
  });
});

describe('eligibility: checklist flags are force configuration (RVR-02, RVR-05)', () => {
  for (const flag of CONFIGURABLE_EXCLUSION_FLAGS) {
    it(`RVR-05: "${flag}" alone excludes (soft, overridable) when configured`, () => {
      const decision = ineligible(decide({ flags: [flag] }));
      assert.deepEqual(
        decision.reasons.map((r) => [r.code, r.hard]),
        [[flag, false]],
      );
      assert.equal(decision.overridable, true);
      assert.equal(decision.supervisorDecisionRequired, false);
      assert.match(decision.reasons[0]!.text, /\((RVR-0\d)(, RVR-0\d)*\): (send|offer|call)/, 'cites the rule and says what to do');
    });

    it(`RVR-05: "${flag}" alone is ignored when the force has not configured it`, () => {
      const notConfigured: EligibilitySettings = { ...ALWAYS_OPEN, excludingFlags: EXCLUSION_FLAGS.filter((f) => f !== flag) };
      assert.deepEqual(decide({ flags: [flag] }, notConfigured).outcome, 'eligible');
    });
  }

  it('every subset of ticked flags against several configurations reports exactly the ticked, configured flags, in checklist order', () => {
    const configurations: ExclusionFlag[][] = [
      [...EXCLUSION_FLAGS],
      [],
      EXCLUSION_FLAGS.filter((_, i) => i % 2 === 0),
      EXCLUSION_FLAGS.filter((_, i) => i % 2 === 1),
      [...EXCLUSION_FLAGS].reverse(),
    ];
    for (const excludingFlags of configurations) {
      for (let mask = 0; mask < 1 << EXCLUSION_FLAGS.length; mask++) {
        const ticked = EXCLUSION_FLAGS.filter((_, i) => mask & (1 << i));
        const expected = ticked.filter((f) => RVR02_CONDITIONS.includes(f) || excludingFlags.includes(f));
        // Ticked in reverse order: the reasons still follow the checklist.
        const decision = decide({ flags: [...ticked].reverse() }, { ...ALWAYS_OPEN, excludingFlags });
        assert.deepEqual(
          decision.reasons.map((r) => r.code),
          expected,
        );
        assert.equal(decision.outcome, expected.length ? 'ineligible' : 'eligible');
        if (decision.outcome === 'ineligible') assert.equal(decision.overridable, !expected.some((f) => RVR02_CONDITIONS.includes(f)));
      }
    }
  });

  it('a flag ticked twice is reported once', () => {
    assert.deepEqual(codes({ flags: ['offender_present', 'offender_present', 'victim_not_safe'] }), ['offender_present', 'victim_not_safe']);
  });

  it('each flag has its own reason text', () => {
    const texts = EXCLUSION_FLAGS.map((flag) => decide({ flags: [flag] }).reasons[0]!.text);
    assert.equal(new Set(texts).size, EXCLUSION_FLAGS.length);
  });
});

describe('eligibility: consent (RVR-04)', () => {
  // [video, recording, phone preferred, expected codes]
  const MATRIX: [boolean, boolean, boolean, string[]][] = [
    [true, true, false, []],
    [false, true, false, ['no_video_consent']],
    [true, false, false, ['no_recording_consent']],
    [false, false, false, ['no_video_consent', 'no_recording_consent']],
    [true, true, true, ['prefers_phone']],
    [false, true, true, ['no_video_consent', 'prefers_phone']],
    [true, false, true, ['no_recording_consent', 'prefers_phone']],
    [false, false, true, ['no_video_consent', 'no_recording_consent', 'prefers_phone']],
  ];
  for (const [consentToVideo, consentToRecording, prefersPhone, expected] of MATRIX) {
    it(`RVR-04: video ${consentToVideo ? 'yes' : 'no'}, recording ${consentToRecording ? 'yes' : 'no'}, phone preferred ${prefersPhone ? 'yes' : 'no'} → ${expected.join(', ') || 'eligible'}`, () => {
      const decision = decide({ consentToVideo, consentToRecording, prefersPhone });
      assert.deepEqual(
        decision.reasons.map((r) => r.code),
        expected,
      );
      if (expected.length === 0) assert.equal(decision.outcome, 'eligible');
      else {
        assert.equal(ineligible(decision).overridable, false, 'consent cannot be overridden');
        assert.ok(decision.reasons.every((r) => r.hard));
      }
    });
  }
});

describe('eligibility: interpreter needs never exclude (RVR-05)', () => {
  const LANGUAGES: [string | null, boolean][] = [
    [null, false],
    ['', false],
    ['   ', false],
    ['Polish', true],
  ];
  for (const [languageNeed, languageCounts] of LANGUAGES) {
    for (const bslNeeded of [false, true]) {
      for (const hearingNeed of [false, true]) {
        const expected = languageCounts || bslNeeded || hearingNeed;
        it(`language ${JSON.stringify(languageNeed)}, BSL ${bslNeeded}, hearing ${hearingNeed} → interpreter ${expected ? 'required' : 'not required'}, still eligible`, () => {
          const decision = decide({ languageNeed, bslNeeded, hearingNeed });
          assert.equal(decision.outcome, 'eligible');
          assert.equal(decision.interpreterRequired, expected);
        });
      }
    }
  }

  it('an ineligible decision still says an interpreter is needed (for the in-person response)', () => {
    const decision = ineligible(decide({ grade: 1, bslNeeded: true }));
    assert.equal(decision.interpreterRequired, true);
    assert.deepEqual(
      decision.reasons.map((r) => r.code),
      ['grade_1'],
    );
  });
});

describe('eligibility: every reason is reported at once', () => {
  it('everything wrong at once (under 16): every hard block, every flag and the hour, in a fixed order', () => {
    const decision = ineligible(
      decideEligibility(
        {
          grade: 1,
          relationship: 'not_personally_connected',
          ageBand: 'under_16',
          suspectAgeBand: 'under_16',
          flags: [...EXCLUSION_FLAGS],
          consentToVideo: false,
          consentToRecording: false,
          prefersPhone: true,
          languageNeed: 'Urdu',
          bslNeeded: true,
          hearingNeed: true,
        },
        DEFAULT_ELIGIBILITY_SETTINGS,
        new Date('2026-01-15T23:30:00Z'),
      ),
    );
    assert.deepEqual(
      decision.reasons.map((r) => r.code),
      [
        'grade_1',
        'not_domestic_abuse',
        'under_16',
        'suspect_under_16',
        ...EXCLUSION_FLAGS,
        'outside_hours',
        'no_video_consent',
        'no_recording_consent',
        'prefers_phone',
      ],
    );
    assert.equal(decision.overridable, false);
    assert.equal(decision.interpreterRequired, true);
    for (const reason of decision.reasons) {
      assert.equal(reason.hard, HARD_CODES.has(reason.code), reason.code);
      assert.ok(reason.text.length > 30 && /^[A-Z]/.test(reason.text), `"${reason.text}" is a sentence`);
    }
  });

  it('every soft reason at once (16–17, suspect age unknown, every configurable flag, out of hours) is overridable and needs a supervisor', () => {
    const decision = ineligible(
      decide(
        { ageBand: '16_17', suspectAgeBand: 'unknown', flags: [...CONFIGURABLE_EXCLUSION_FLAGS] },
        DEFAULT_ELIGIBILITY_SETTINGS,
        new Date('2026-01-15T23:30:00Z'),
      ),
    );
    assert.deepEqual(
      decision.reasons.map((r) => r.code),
      ['aged_16_17', 'suspect_age_unknown', ...CONFIGURABLE_EXCLUSION_FLAGS, 'outside_hours'],
    );
    assert.ok(decision.reasons.every((r) => !r.hard));
    assert.equal(decision.overridable, true);
    assert.equal(decision.supervisorDecisionRequired, true);
  });

  it('across every grade, relationship, age band, consent, phone choice and a spread of flags, the decision follows the rules', () => {
    const flagSets: ExclusionFlag[][] = [[], ['cannot_talk_freely'], [...EXCLUSION_FLAGS]];
    let checked = 0;
    for (const grade of [1, 2, 3, 4] as const)
      for (const relationship of RELATIONSHIPS)
        for (const ageBand of AGE_BANDS)
          for (const suspectAgeBand of AGE_BANDS)
            for (const consentToVideo of [true, false])
              for (const consentToRecording of [true, false])
                for (const prefersPhone of [false, true])
                  for (const flags of flagSets) {
                    const expected = [
                      ...(grade === 1 ? ['grade_1'] : []),
                      ...(relationship === 'not_personally_connected' ? ['not_domestic_abuse'] : []),
                      ...(ageBand === 'under_16' ? ['under_16'] : []),
                      ...(suspectAgeBand === 'under_16' ? ['suspect_under_16'] : []),
                      ...(ageBand === '16_17' ? ['aged_16_17'] : ageBand === 'unknown' ? ['age_unknown'] : []),
                      ...(suspectAgeBand === 'unknown' ? ['suspect_age_unknown'] : []),
                      ...flags,
                      ...(consentToVideo ? [] : ['no_video_consent']),
                      ...(consentToRecording ? [] : ['no_recording_consent']),
                      ...(prefersPhone ? ['prefers_phone'] : []),
                    ];
                    const answers = { grade, relationship, ageBand, suspectAgeBand, consentToVideo, consentToRecording, prefersPhone, flags };
                    const decision = decide(answers);
                    const label = JSON.stringify(answers);
                    assert.deepEqual(
                      decision.reasons.map((r) => r.code),
                      expected,
                      label,
                    );
                    assert.ok(
                      decision.reasons.every((r) => r.hard === HARD_CODES.has(r.code)),
                      label,
                    );
                    if (expected.length === 0) assert.equal(decision.outcome, 'eligible', label);
                    else {
                      const no = ineligible(decision);
                      assert.equal(no.overridable, !expected.some((c) => HARD_CODES.has(c)), label);
                      assert.equal(
                        no.supervisorDecisionRequired,
                        expected.some((c) => SUPERVISOR_CODES.has(c)),
                        label,
                      );
                    }
                    checked++;
                  }
    assert.equal(checked, 4 * RELATIONSHIPS.length * AGE_BANDS.length * AGE_BANDS.length * 2 * 2 * 2 * flagSets.length);
  });
});

describe('operating hours (RVR-05), in local wall-clock time across the BST/GMT changes', () => {
  const DEFAULT_HOURS = DEFAULT_ELIGIBILITY_SETTINGS.operatingHours; // 08:00–22:00 Europe/London
  const london = (start: string, end: string) => ({ start, end, timeZone: 'Europe/London' });

  // [what, UTC instant, open?]. Start is inclusive, end exclusive.
  const DEFAULT_CASES: [string, string, boolean][] = [
    // January: GMT = UTC.
    ['GMT 07:59', '2026-01-15T07:59:00Z', false],
    ['GMT 08:00', '2026-01-15T08:00:00Z', true],
    ['GMT 21:59', '2026-01-15T21:59:00Z', true],
    ['GMT 22:00', '2026-01-15T22:00:00Z', false],
    // July: BST = UTC+1, so 08:00 local is 07:00 UTC.
    ['BST 07:59', '2026-07-15T06:59:00Z', false],
    ['BST 08:00', '2026-07-15T07:00:00Z', true],
    ['BST 21:59', '2026-07-15T20:59:00Z', true],
    ['BST 22:00', '2026-07-15T21:00:00Z', false],
    // Saturday 28 March, the last day of GMT.
    ['28 Mar GMT 07:59', '2026-03-28T07:59:00Z', false],
    ['28 Mar GMT 08:00', '2026-03-28T08:00:00Z', true],
    ['28 Mar GMT 21:59', '2026-03-28T21:59:00Z', true],
    ['28 Mar GMT 22:00', '2026-03-28T22:00:00Z', false],
    // Sunday 29 March: clocks go forward at 01:00 UTC, so the whole opening day is BST.
    ['29 Mar 00:59 UTC = 00:59 GMT', '2026-03-29T00:59:00Z', false],
    ['29 Mar 01:00 UTC = 02:00 BST', '2026-03-29T01:00:00Z', false],
    ['29 Mar BST 07:59', '2026-03-29T06:59:00Z', false],
    ['29 Mar BST 08:00', '2026-03-29T07:00:00Z', true],
    ['29 Mar BST 21:59', '2026-03-29T20:59:00Z', true],
    ['29 Mar BST 22:00', '2026-03-29T21:00:00Z', false],
    // Saturday 24 October, the last day of BST.
    ['24 Oct BST 07:59', '2026-10-24T06:59:00Z', false],
    ['24 Oct BST 08:00', '2026-10-24T07:00:00Z', true],
    ['24 Oct BST 21:59', '2026-10-24T20:59:00Z', true],
    ['24 Oct BST 22:00', '2026-10-24T21:00:00Z', false],
    // Sunday 25 October: clocks go back at 01:00 UTC, so the whole opening day is GMT.
    ['25 Oct 00:59 UTC = 01:59 BST', '2026-10-25T00:59:00Z', false],
    ['25 Oct 01:00 UTC = 01:00 GMT', '2026-10-25T01:00:00Z', false],
    ['25 Oct GMT 07:59', '2026-10-25T07:59:00Z', false],
    ['25 Oct GMT 08:00', '2026-10-25T08:00:00Z', true],
    ['25 Oct GMT 21:59', '2026-10-25T21:59:00Z', true],
    ['25 Oct GMT 22:00', '2026-10-25T22:00:00Z', false],
  ];
  for (const [what, iso, open] of DEFAULT_CASES) {
    it(`RVR-05: ${what} (${iso}) is ${open ? 'within' : 'outside'} the default 08:00–22:00`, () => {
      assert.equal(withinOperatingHours(DEFAULT_HOURS, new Date(iso)), open);
      const decision = decide({}, DEFAULT_ELIGIBILITY_SETTINGS, new Date(iso));
      if (open) assert.equal(decision.outcome, 'eligible');
      else {
        const no = ineligible(decision);
        assert.deepEqual(
          no.reasons.map((r) => [r.code, r.hard]),
          [['outside_hours', false]],
        );
        assert.equal(no.overridable, true, 'a supervisor may override the hours');
      }
    });
  }

  // Windows whose edges fall in the hour the clocks change, 01:00–02:00 UTC.
  const CHANGE_CASES: [string, { start: string; end: string; timeZone: string }, string, boolean][] = [
    // 29 March: local 01:00–01:59 does not exist (00:59 GMT is followed by 02:00 BST).
    ['spring: 02:00–03:00 is shut at 00:59 GMT', london('02:00', '03:00'), '2026-03-29T00:59:00Z', false],
    ['spring: 02:00–03:00 opens at 01:00 UTC, which is 02:00 BST', london('02:00', '03:00'), '2026-03-29T01:00:00Z', true],
    ['spring: 02:00–03:00 is open at 02:59 BST', london('02:00', '03:00'), '2026-03-29T01:59:00Z', true],
    ['spring: 02:00–03:00 shuts at 03:00 BST', london('02:00', '03:00'), '2026-03-29T02:00:00Z', false],
    ['spring: 01:00–02:00 (the skipped hour) is shut at 00:59 GMT', london('01:00', '02:00'), '2026-03-29T00:59:00Z', false],
    ['spring: 01:00–02:00 (the skipped hour) is shut at 02:00 BST', london('01:00', '02:00'), '2026-03-29T01:00:00Z', false],
    ['spring: 01:00–02:00 (the skipped hour) is shut at 02:30 BST', london('01:00', '02:00'), '2026-03-29T01:30:00Z', false],
    ['spring: 00:00–02:00 is open at 00:59 GMT', london('00:00', '02:00'), '2026-03-29T00:59:00Z', true],
    ['spring: 00:00–02:00 is shut an hour early, at 02:00 BST', london('00:00', '02:00'), '2026-03-29T01:00:00Z', false],
    // 25 October: local 01:00–01:59 happens twice (BST, then GMT).
    ['autumn: 01:00–02:00 is shut at 00:59 BST', london('01:00', '02:00'), '2026-10-24T23:59:00Z', false],
    ['autumn: 01:00–02:00 opens at 01:00 BST', london('01:00', '02:00'), '2026-10-25T00:00:00Z', true],
    ['autumn: 01:00–02:00 is open at 01:59 BST', london('01:00', '02:00'), '2026-10-25T00:59:00Z', true],
    ['autumn: 01:00–02:00 is open again at 01:00 GMT', london('01:00', '02:00'), '2026-10-25T01:00:00Z', true],
    ['autumn: 01:00–02:00 is open at 01:59 GMT', london('01:00', '02:00'), '2026-10-25T01:59:00Z', true],
    ['autumn: 01:00–02:00 shuts at 02:00 GMT', london('01:00', '02:00'), '2026-10-25T02:00:00Z', false],
    ['autumn: 02:00–03:00 is shut at 01:59 BST', london('02:00', '03:00'), '2026-10-25T00:59:00Z', false],
    ['autumn: 02:00–03:00 is shut at 01:00 GMT (not 02:00 BST)', london('02:00', '03:00'), '2026-10-25T01:00:00Z', false],
    ['autumn: 02:00–03:00 opens at 02:00 GMT', london('02:00', '03:00'), '2026-10-25T02:00:00Z', true],
  ];
  for (const [what, hours, iso, open] of CHANGE_CASES) {
    it(`RVR-05 clocks changing, ${what}`, () => assert.equal(withinOperatingHours(hours, new Date(iso)), open));
  }

  const NIGHT = london('22:00', '06:00');
  const NIGHT_CASES: [string, string, boolean][] = [
    ['GMT 21:59', '2026-01-15T21:59:00Z', false],
    ['GMT 22:00', '2026-01-15T22:00:00Z', true],
    ['GMT 23:59', '2026-01-15T23:59:00Z', true],
    ['GMT 00:00', '2026-01-16T00:00:00Z', true],
    ['GMT 05:59', '2026-01-16T05:59:00Z', true],
    ['GMT 06:00', '2026-01-16T06:00:00Z', false],
    ['GMT 12:00', '2026-01-16T12:00:00Z', false],
    ['BST 21:59', '2026-07-15T20:59:00Z', false],
    ['BST 22:00', '2026-07-15T21:00:00Z', true],
    ['BST 05:59', '2026-07-16T04:59:00Z', true],
    ['BST 06:00', '2026-07-16T05:00:00Z', false],
    ['spring night: 22:00 GMT on 28 March', '2026-03-28T22:00:00Z', true],
    ['spring night: 00:59 GMT', '2026-03-29T00:59:00Z', true],
    ['spring night: 02:00 BST, straight after the change', '2026-03-29T01:00:00Z', true],
    ['spring night: 05:59 BST', '2026-03-29T04:59:00Z', true],
    ['spring night: 06:00 BST', '2026-03-29T05:00:00Z', false],
    ['autumn night: 21:59 BST on 24 October', '2026-10-24T20:59:00Z', false],
    ['autumn night: 22:00 BST', '2026-10-24T21:00:00Z', true],
    ['autumn night: 01:59 BST', '2026-10-25T00:59:00Z', true],
    ['autumn night: 01:00 GMT, straight after the change', '2026-10-25T01:00:00Z', true],
    ['autumn night: 05:59 GMT', '2026-10-25T05:59:00Z', true],
    ['autumn night: 06:00 GMT', '2026-10-25T06:00:00Z', false],
  ];
  for (const [what, iso, open] of NIGHT_CASES) {
    it(`RVR-05 window across midnight 22:00–06:00: ${what} is ${open ? 'open' : 'shut'}`, () => {
      assert.equal(withinOperatingHours(NIGHT, new Date(iso)), open);
      assert.deepEqual(codes({}, { ...ALWAYS_OPEN, operatingHours: NIGHT }, new Date(iso)), open ? [] : ['outside_hours']);
    });
  }

  it('start equal to end is round the clock, and so is null', () => {
    for (const iso of ['2026-01-15T00:00:00Z', '2026-01-15T03:00:00Z', '2026-03-29T01:00:00Z', '2026-10-25T01:30:00Z', '2026-07-15T23:59:00Z']) {
      for (const hours of [london('00:00', '00:00'), london('09:30', '09:30'), null]) assert.equal(withinOperatingHours(hours, new Date(iso)), true);
    }
  });

  it('uses the configured time zone, not the server’s or UTC', () => {
    const utc = { start: '08:00', end: '22:00', timeZone: 'UTC' };
    assert.equal(withinOperatingHours(utc, new Date('2026-07-15T07:30:00Z')), false);
    assert.equal(withinOperatingHours(DEFAULT_HOURS, new Date('2026-07-15T07:30:00Z')), true);
    const newYork = { start: '08:00', end: '22:00', timeZone: 'America/New_York' };
    assert.equal(withinOperatingHours(newYork, new Date('2026-07-15T11:59:00Z')), false, '07:59 EDT');
    assert.equal(withinOperatingHours(newYork, new Date('2026-07-15T12:00:00Z')), true, '08:00 EDT');
  });

  it('the out-of-hours reason gives the local time and the hours, so the handler can tell the caller', () => {
    const [reason] = decide({}, DEFAULT_ELIGIBILITY_SETTINGS, new Date('2026-07-15T21:05:00Z')).reasons;
    assert.match(reason!.text, /It is 22:05 \(Europe\/London\), outside RVR operating hours of 08:00 to 22:00 \(RVR-05\)/);
  });

  it('a malformed time or time zone is a configuration error, not a silent decision', () => {
    for (const bad of ['8am', '24:00', '12:60', '', '1200']) {
      assert.throws(() => withinOperatingHours(london(bad, '22:00'), NOON_WINTER), RangeError, bad);
      assert.throws(() => withinOperatingHours(london('08:00', bad), NOON_WINTER), RangeError, bad);
    }
    assert.throws(() => withinOperatingHours({ start: '08:00', end: '22:00', timeZone: 'Europe/Nowhere' }, NOON_WINTER), RangeError);
    assert.equal(withinOperatingHours(london('8:00', '22:00'), new Date('2026-01-15T08:00:00Z')), true, 'H:MM is accepted');
  });
});
