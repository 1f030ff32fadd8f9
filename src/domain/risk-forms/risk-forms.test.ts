import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AGE_BANDS, type AgeBand } from '../eligibility.js';
import { DASH2009, DASH2009_VERSION } from './dash-2009.js';
import { CURRENT_RISK_FORM, riskFormFor, riskFormVersions } from './registry.js';
import {
  actuarialGrade,
  answerIds,
  answerProblems,
  assessmentProblems,
  compareGrades,
  factProblems,
  GRADES,
  judgementProblems,
  missingQuestions,
  NO_JUDGEMENT,
  questionsOf,
  withinTwelveMonths,
  type AnswerValue,
  type Answers,
  type Grade,
  type Judgement,
  type RiskFacts,
  type ScoringSettings,
} from './risk-form.js';

const SETTINGS: ScoringSettings = { dashMediumFrom: 10, dashHighFrom: 14, maracEscalationIncidents: 3 };
const INCIDENT_AT = new Date('2026-06-15T10:00:00Z');
const FACTS: RiskFacts = { incidentAt: INCIDENT_AT, victimAgeBand: '18_plus', priorIncidents12Months: 0, lastMaracReferralAt: null };
const IDS = questionsOf(DASH2009).map((q) => q.id);

/** Every main question answered: the first `yes` of them Yes, the rest No (follow-ups answered when asked). */
function answersWithYes(yes: number, rest: AnswerValue = 'no'): Record<string, { answer: AnswerValue; comment?: string }> {
  const answers: Record<string, { answer: AnswerValue }> = {};
  IDS.forEach((id, index) => (answers[id] = { answer: index < yes ? 'yes' : rest }));
  if (answers['4']!.answer === 'yes') answers['4a'] = { answer: 'no' };
  if (answers['8']!.answer === 'yes') answers['8a'] = { answer: 'no' };
  return answers;
}

const score = (answers: Answers, facts: Partial<RiskFacts> = {}, settings: ScoringSettings = SETTINGS, judgement: Judgement = NO_JUDGEMENT) =>
  DASH2009.score(answers, { ...FACTS, ...facts }, settings, judgement);

describe('DASH 2009 form definition (DASH-02, DASH-08)', () => {
  it('DASH-02: has the 27 police questions, numbered 1–27 in four sections, and stores its version', () => {
    assert.equal(DASH2009.version, 'DASH2009');
    assert.deepEqual(
      questionsOf(DASH2009).map((q) => q.number),
      Array.from({ length: 27 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      DASH2009.sections.map((s) => s.title),
      ['Current situation', 'Children and dependants', 'Domestic abuse history', 'Abuser'],
    );
    assert.match(questionsOf(DASH2009)[17]!.text, /strangle, choke, suffocate or drown/);
    assert.equal(score({}).total, 27);
  });

  it('Q4 prompts honour-based abuse / forced marriage and Q8 prompts the S-DASH stalking questions', () => {
    const q4 = questionsOf(DASH2009).find((q) => q.id === '4')!;
    const q8 = questionsOf(DASH2009).find((q) => q.id === '8')!;
    assert.match(q4.followUp!.text, /honour-based abuse or forced marriage/);
    assert.match(q8.followUp!.help, /S-DASH/);
    assert.deepEqual(answerIds(DASH2009).length, 29);
  });

  it('DASH-08: the registry serves DASH2009 now and invents no DARA form', () => {
    assert.equal(CURRENT_RISK_FORM, DASH2009);
    assert.equal(riskFormFor(DASH2009_VERSION), DASH2009);
    assert.deepEqual(riskFormVersions(), ['DASH2009']);
    assert.equal(riskFormFor('DARA'), undefined);
  });
});

describe('completeness (DASH-01)', () => {
  it('lists every unanswered question in form order, and is complete only when all 27 are answered', () => {
    assert.deepEqual(missingQuestions(DASH2009, {}), IDS);
    const all = answersWithYes(0);
    assert.deepEqual(missingQuestions(DASH2009, all), []);
    for (const id of IDS) {
      const { [id]: _removed, ...partial } = all;
      assert.deepEqual(missingQuestions(DASH2009, partial), [id], `without question ${id}`);
    }
  });

  it('a comment without an answer does not count as answered; Not known does', () => {
    const all = answersWithYes(0);
    assert.deepEqual(missingQuestions(DASH2009, { ...all, 5: { comment: 'asked, she did not say' } }), ['5']);
    assert.deepEqual(missingQuestions(DASH2009, { ...all, 5: { answer: 'not_known' } }), []);
  });

  it('a triggered follow-up must be answered too (Q4 Yes → 4a, Q8 Yes → 8a)', () => {
    const all = answersWithYes(0);
    assert.deepEqual(missingQuestions(DASH2009, { ...all, 4: { answer: 'yes' } }), ['4a']);
    assert.deepEqual(missingQuestions(DASH2009, { ...all, 8: { answer: 'yes' } }), ['8a']);
    assert.deepEqual(missingQuestions(DASH2009, { ...all, 8: { answer: 'yes' }, '8a': { answer: 'not_known' } }), []);
  });

  it('completion is refused with a message per unanswered question; a draft with gaps saves', () => {
    const partial = { 1: { answer: 'yes' as const }, 2: { answer: 'no' as const } };
    assert.deepEqual(assessmentProblems(DASH2009, { answers: partial, facts: FACTS, judgement: NO_JUDGEMENT }, SETTINGS, 'draft'), {});
    const problems = assessmentProblems(DASH2009, { answers: partial, facts: FACTS, judgement: NO_JUDGEMENT }, SETTINGS, 'complete');
    assert.equal(Object.keys(problems).length, 25);
    assert.equal(problems['3'], 'Answer question 3 (Yes, No or Not known)');
  });
});

describe('actuarial grade from the configured bands (DASH-05)', () => {
  it('default bands 10/14: 0–9 Standard, 10–13 Medium, 14+ High at every edge', () => {
    const expected: [number, Grade][] = [
      [0, 'standard'],
      [1, 'standard'],
      [9, 'standard'],
      [10, 'medium'],
      [13, 'medium'],
      [14, 'high'],
      [27, 'high'],
    ];
    for (const [yes, grade] of expected) {
      assert.equal(actuarialGrade(yes, SETTINGS), grade, `${yes} yes`);
      assert.equal(score(answersWithYes(yes)).actuarialGrade, grade, `${yes} yes through the form`);
      assert.equal(score(answersWithYes(yes)).yesCount, yes);
    }
  });

  it('other bands (Medium from 5, High from 8) move every edge with them', () => {
    const bands = { ...SETTINGS, dashMediumFrom: 5, dashHighFrom: 8 };
    const expected: [number, Grade][] = [
      [4, 'standard'],
      [5, 'medium'],
      [7, 'medium'],
      [8, 'high'],
    ];
    for (const [yes, grade] of expected) assert.equal(score(answersWithYes(yes), {}, bands).actuarialGrade, grade, `${yes} yes`);
    assert.deepEqual(score(answersWithYes(8), {}, bands).settings, { ...bands, visibleHighRiskFrom: 14 });
  });

  it('Not known and No both count as not-yes; follow-ups never add to the count (DASH-02)', () => {
    assert.equal(score(answersWithYes(3, 'not_known')).yesCount, 3);
    const withFollowUp = { ...answersWithYes(0), 4: { answer: 'yes' as const }, '4a': { answer: 'yes' as const } };
    assert.equal(score(withFollowUp).yesCount, 1);
  });
});

describe('professional judgement (DASH-04)', () => {
  const judge = (grade: Grade | null, reason: string | null = 'concerns written down here', referral = false): Judgement => ({ grade, reason, referral });

  it('may raise Standard or Medium, with the concerns written down', () => {
    const s = score(answersWithYes(2), {}, SETTINGS, judge('high'));
    assert.equal(s.actuarialGrade, 'standard');
    assert.equal(s.grade, 'high');
    assert.equal(s.gradeSource, 'raised');
    assert.deepEqual(judgementProblems('standard', 2, judge('high'), '18_plus'), {});
    assert.match(judgementProblems('standard', 2, judge('medium', ''), '18_plus').judgementReason!, /Write down why/);
  });

  it('DASH-04: refuses to lower an actuarial High, and the High stands', () => {
    for (const lower of ['standard', 'medium'] as const) {
      const problems = judgementProblems('high', 14, judge(lower), '18_plus');
      assert.match(problems.grade!, /cannot lower an actuarial High \(14 “yes” answers\).*DASH-04/);
      const s = score(answersWithYes(14), {}, SETTINGS, judge(lower));
      assert.equal(s.grade, 'high');
    }
    const refused = assessmentProblems(DASH2009, { answers: answersWithYes(14), facts: FACTS, judgement: judge('medium') }, SETTINGS, 'complete');
    assert.ok(refused.grade);
  });

  it('DASH-04: 14 or more "yes" is High whatever DASH_HIGH_FROM says (from 15 to 27), and judgement cannot lower it', () => {
    for (let dashHighFrom = 15; dashHighFrom <= 27; dashHighFrom++) {
      const bands = { ...SETTINGS, dashHighFrom };
      for (let yes = 14; yes <= 27; yes++) {
        const actuarial = actuarialGrade(yes, bands);
        assert.equal(actuarial, 'high', `${yes} yes, High from ${dashHighFrom}`);
        for (const lower of ['medium', 'standard'] as const) {
          assert.match(judgementProblems(actuarial, yes, judge(lower), '18_plus').grade!, /DASH-04/);
          assert.equal(score(answersWithYes(yes), {}, bands, { grade: lower, referral: false, reason: 'a reason long enough' }).grade, 'high');
        }
      }
    }
  });

  it('DASH-04 follows the configured High band: 13 yes with High from 13 cannot be lowered; with High from 14 it can be, with a reason', () => {
    assert.ok(judgementProblems(actuarialGrade(13, { ...SETTINGS, dashHighFrom: 13 }), 13, judge('medium'), '18_plus').grade);
    assert.deepEqual(judgementProblems(actuarialGrade(13, SETTINGS), 13, judge('standard'), '18_plus'), {});
  });

  it('lowering Medium to Standard needs a written reason', () => {
    assert.match(judgementProblems('medium', 10, judge('standard', null), '18_plus').judgementReason!, /Write down why you grade this Standard/);
    assert.match(judgementProblems('medium', 10, judge('standard', 'too short'), '18_plus').judgementReason!, /at least 10/);
    const s = score(answersWithYes(10), {}, SETTINGS, judge('standard'));
    assert.equal(s.grade, 'standard');
    assert.equal(s.gradeSource, 'lowered');
  });

  it('choosing the actuarial grade itself needs no reason', () => {
    assert.deepEqual(judgementProblems('medium', 11, judge('medium', null), '18_plus'), {});
  });

  it('a reason longer than 2,000 characters is refused', () => {
    assert.match(judgementProblems('standard', 0, judge('high', 'x'.repeat(2001)), '18_plus').judgementReason!, /2,000/);
  });
});

describe('MARAC referral criteria (DASH-03)', () => {
  const codes = (s: ReturnType<typeof score>) => s.marac.reasons.map((r) => r.code);

  it('(a) visible high risk: 13 yes is not a referral, 14 is', () => {
    assert.deepEqual(codes(score(answersWithYes(13))), []);
    assert.equal(score(answersWithYes(13)).marac.referral, false);
    assert.deepEqual(codes(score(answersWithYes(14))), ['visible_high_risk']);
    assert.equal(score(answersWithYes(14)).marac.referral, true);
  });

  it('(a) stays at 14 whatever the local grading bands', () => {
    const lowBands = { ...SETTINGS, dashMediumFrom: 4, dashHighFrom: 8 };
    assert.equal(score(answersWithYes(10), {}, lowBands).actuarialGrade, 'high');
    assert.equal(score(answersWithYes(10), {}, lowBands).marac.referral, false);
    const highBands = { ...SETTINGS, dashMediumFrom: 15, dashHighFrom: 20 };
    // DASH-04: 14 "yes" is an actuarial High even when the force's High band starts later.
    assert.equal(score(answersWithYes(14), {}, highBands).actuarialGrade, 'high');
    assert.equal(score(answersWithYes(13), {}, highBands).actuarialGrade, 'standard');
    assert.equal(score(answersWithYes(14), {}, highBands).marac.referral, true);
  });

  it('(b) professional judgement alone refers, and needs the concerns written down', () => {
    const referral: Judgement = { grade: null, referral: true, reason: 'she fears he will come back tonight' };
    assert.deepEqual(codes(score(answersWithYes(0), {}, SETTINGS, referral)), ['professional_judgement']);
    assert.match(judgementProblems('standard', 0, { ...referral, reason: null }, '18_plus').judgementReason!, /concerns behind a MARAC referral/);
    assert.match(judgementProblems('standard', 0, { ...referral, reason: '   ' }, '18_plus').judgementReason!, /DASH-03/);
  });

  it('(c) escalation: threshold-1 prior incidents is not a referral, the threshold is (default 3 and configured 5)', () => {
    assert.deepEqual(codes(score(answersWithYes(0), { priorIncidents12Months: 2 })), []);
    assert.deepEqual(codes(score(answersWithYes(0), { priorIncidents12Months: 3 })), ['escalation']);
    const five = { ...SETTINGS, maracEscalationIncidents: 5 };
    assert.deepEqual(codes(score(answersWithYes(0), { priorIncidents12Months: 4 }, five)), []);
    assert.deepEqual(codes(score(answersWithYes(0), { priorIncidents12Months: 5 }, five)), ['escalation']);
    assert.deepEqual(codes(score(answersWithYes(0), { priorIncidents12Months: null })), [], 'not yet recorded');
  });

  it('(d) repeat: within 12 months of the last referral by London calendar day, the anniversary included, the day after not', () => {
    const incident = new Date('2026-06-15T10:00:00Z');
    assert.deepEqual(codes(score(answersWithYes(0), { incidentAt: incident, lastMaracReferralAt: new Date('2025-06-15T09:00:00Z') })), ['repeat']);
    assert.deepEqual(codes(score(answersWithYes(0), { incidentAt: incident, lastMaracReferralAt: new Date('2025-06-14T09:00:00Z') })), []);
    assert.deepEqual(codes(score(answersWithYes(0), { incidentAt: incident, lastMaracReferralAt: new Date('2026-06-15T09:00:00Z') })), ['repeat']);
  });

  it('(d) the 12-month edge does not move across a GMT/BST change', () => {
    // Referral 00:30 BST on 26 Oct 2025 (23:30 UTC on the 25th), just before the clocks went back.
    const referral = new Date('2025-10-25T23:30:00Z');
    // The anniversary, 26 Oct 2026, is GMT (the clocks went back on the 25th): the whole London day counts, the next does not.
    assert.equal(withinTwelveMonths(referral, new Date('2026-10-26T23:59:00Z')), true);
    assert.equal(withinTwelveMonths(referral, new Date('2026-10-27T00:00:00Z')), false);
    // Spring: referral 00:30 GMT on 29 Mar 2025, clocks forward 30 Mar 2025; anniversary 29 Mar 2026 is BST from 01:00.
    const spring = new Date('2025-03-29T00:30:00Z');
    assert.equal(withinTwelveMonths(spring, new Date('2026-03-29T22:59:00Z')), true, '23:59 BST on the anniversary');
    assert.equal(withinTwelveMonths(spring, new Date('2026-03-29T23:00:00Z')), false, '00:00 BST the next day');
    // A referral after the incident is not "within 12 months" of it.
    assert.equal(withinTwelveMonths(new Date('2026-07-01T00:00:00Z'), INCIDENT_AT), false);
    assert.equal(withinTwelveMonths(new Date('nonsense'), INCIDENT_AT), false, 'an unreadable date meets no criterion');
  });

  it('every criterion is listed when several apply', () => {
    const s = score(answersWithYes(15), { priorIncidents12Months: 4, lastMaracReferralAt: new Date('2026-01-01T00:00:00Z') }, SETTINGS, {
      grade: null,
      referral: true,
      reason: 'concerns written down here',
    });
    assert.deepEqual(codes(s), ['visible_high_risk', 'professional_judgement', 'escalation', 'repeat']);
    assert.deepEqual(
      s.marac.reasons.map((r) => r.rule),
      ['DASH-03(a)', 'DASH-03(b)', 'DASH-03(c)', 'DASH-03(d)'],
    );
  });
});

describe('high-risk (homicide) flags (DASH-06)', () => {
  const flagged = (answers: Answers) => score({ ...answersWithYes(0), ...answers }).highRiskFlags.map((f) => f.code);
  it('each item raises its own flag, and only on Yes', () => {
    const cases: [Answers, string][] = [
      [{ 18: { answer: 'yes' } }, 'strangulation'],
      [{ 17: { answer: 'yes' } }, 'threats_to_kill'],
      [{ 8: { answer: 'yes' }, '8a': { answer: 'no' } }, 'stalking'],
      [{ 6: { answer: 'yes' } }, 'separation'],
      [{ 15: { answer: 'yes' } }, 'coercive_control'],
      [{ 13: { answer: 'yes' } }, 'escalation'],
      [{ 14: { answer: 'yes' } }, 'escalation'],
      [{ 4: { answer: 'yes' }, '4a': { answer: 'yes' } }, 'hba_forced_marriage'],
      [{ 2: { answer: 'yes' } }, 'victim_perception'],
      [{ 3: { answer: 'yes' } }, 'victim_perception'],
    ];
    for (const [answers, code] of cases) assert.deepEqual(flagged(answers), [code], JSON.stringify(answers));
    assert.deepEqual(flagged({ 4: { answer: 'yes' }, '4a': { answer: 'no' } }), [], 'isolation without HBA is not the HBA flag');
    assert.deepEqual(flagged({ 18: { answer: 'not_known' } }), []);
    assert.deepEqual(score({ ...answersWithYes(0), 13: { answer: 'yes' }, 14: { answer: 'yes' } }).highRiskFlags[0]!.questions, ['13', '14']);
  });
});

describe('routing by age (DASH-07, DA-01)', () => {
  it('under 16: child safeguarding, never MARAC, even when the criteria are met', () => {
    const s = score(answersWithYes(20), { victimAgeBand: 'under_16' });
    assert.equal(s.routing.route, 'child_safeguarding');
    assert.equal(s.marac.referral, false);
    assert.deepEqual(
      s.marac.reasons.map((r) => r.code),
      ['visible_high_risk'],
    );
    assert.match(s.routing.advice.join(' '), /child safeguarding.*16 or over/);
    assert.match(s.routing.advice.join(' '), /criteria are met: pass them to child safeguarding/);
  });

  it('under 16 with a MARAC referral on judgement is refused', () => {
    const problems = judgementProblems('standard', 0, { grade: null, referral: true, reason: 'written concerns here' }, 'under_16');
    assert.match(problems.judgementReferral!, /aged 16 or over.*child safeguarding.*DASH-07/);
  });

  it('16–17: MARAC when the criteria are met, plus children’s social care and the young people’s checklist', () => {
    const s = score(answersWithYes(14), { victimAgeBand: '16_17' });
    assert.equal(s.routing.route, 'young_person');
    assert.equal(s.marac.referral, true);
    assert.match(s.routing.advice.join(' '), /children’s social care/);
    assert.match(s.routing.advice.join(' '), /young people’s checklist/);
  });

  it('18+: adult route; unknown: flagged, and completion needs the band', () => {
    assert.deepEqual(score(answersWithYes(14), { victimAgeBand: '18_plus' }).routing, { route: 'adult', maracEligible: true, advice: [] });
    assert.equal(score(answersWithYes(0), { victimAgeBand: 'unknown' }).routing.route, 'unknown');
    assert.equal(score(answersWithYes(0), { victimAgeBand: null }).routing.route, 'unknown');
    assert.ok(factProblems({ ...FACTS, victimAgeBand: 'unknown' }, 'complete').victimAgeBand);
    assert.equal(factProblems({ ...FACTS, victimAgeBand: 'unknown' }, 'draft').victimAgeBand, undefined);
  });
});

describe('refused input, with a message per question', () => {
  it('unknown question ids, answers outside Yes/No/Not known, non-text or over-long comments, extra fields', () => {
    const problems = answerProblems(DASH2009, {
      28: { answer: 'yes' },
      __proto__x: { answer: 'yes' },
      1: { answer: 'maybe' },
      2: { answer: true },
      3: { comment: 42 },
      5: { comment: 'x'.repeat(2001) },
      6: 'yes',
      7: { answer: 'yes', grade: 'high' },
      9: null,
    });
    assert.match(problems['28']!, /no “28” on the DASH 2009/);
    assert.ok(problems.__proto__x);
    assert.equal(problems['1'], 'Question 1: answer Yes, No or Not known');
    assert.equal(problems['2'], 'Question 2: answer Yes, No or Not known');
    assert.equal(problems['3'], 'Question 3: the comment must be text');
    assert.match(problems['5']!, /Question 5: keep the comment to 2,000 characters/);
    assert.match(problems['6']!, /send an answer/);
    assert.match(problems['7']!, /only an answer and a comment/);
    assert.match(problems['9']!, /send an answer/);
    assert.deepEqual(answerProblems(DASH2009, { 5: { comment: 'x'.repeat(2000) } }), {});
    assert.ok(answerProblems(DASH2009, []).answers);
    assert.ok(answerProblems(DASH2009, null).answers);
  });

  it('a follow-up answered when its question does not ask it is a conflict', () => {
    assert.match(answerProblems(DASH2009, { 4: { answer: 'no' }, '4a': { answer: 'yes' } })['4a']!, /only asked when question 4 is Yes/);
    assert.ok(answerProblems(DASH2009, { '8a': { answer: 'no' } })['8a']);
    assert.deepEqual(answerProblems(DASH2009, { '8a': { comment: 'notes before asking' } }), {}, 'a comment alone is not an answer');
  });

  it('facts: prior incidents a whole number 0–1000, referral not after the incident, required at completion', () => {
    assert.ok(factProblems({ ...FACTS, priorIncidents12Months: -1 }, 'draft').priorIncidents12Months);
    assert.ok(factProblems({ ...FACTS, priorIncidents12Months: 1.5 }, 'draft').priorIncidents12Months);
    assert.ok(factProblems({ ...FACTS, priorIncidents12Months: 1001 }, 'draft').priorIncidents12Months);
    assert.deepEqual(factProblems({ ...FACTS, priorIncidents12Months: null }, 'draft'), {});
    assert.match(factProblems({ ...FACTS, priorIncidents12Months: null }, 'complete').priorIncidents12Months!, /intelligence searches/);
    assert.ok(factProblems({ ...FACTS, lastMaracReferralAt: new Date('2026-06-16T00:00:00Z') }, 'draft').lastMaracReferralAt);
    assert.ok(factProblems({ ...FACTS, lastMaracReferralAt: new Date('nonsense') }, 'draft').lastMaracReferralAt);
  });
});

describe('properties (fast-check)', () => {
  const answerArb = fc.dictionary(fc.constantFrom(...IDS), fc.record({ answer: fc.constantFrom<AnswerValue>('yes', 'no', 'not_known') }));
  const gradeArb = fc.constantFrom<Grade>(...GRADES);
  const bandsArb = fc
    .tuple(fc.integer({ min: 1, max: 26 }), fc.integer({ min: 1, max: 26 }), fc.integer({ min: 1, max: 10 }))
    .filter(([a, b]) => a !== b)
    .map(([a, b, m]) => ({ dashMediumFrom: Math.min(a, b), dashHighFrom: Math.max(a, b), maracEscalationIncidents: m }));
  const ageArb = fc.constantFrom<AgeBand>(...AGE_BANDS);

  it('the yes-count is the number of Yes answers among the 27, and the grade never falls below an actuarial High (DASH-04)', () => {
    fc.assert(
      fc.property(answerArb, bandsArb, fc.option(gradeArb, { nil: null }), (answers, bands, chosen) => {
        const s = score(answers, {}, bands, { grade: chosen, referral: false, reason: 'a reason long enough' });
        assert.equal(s.yesCount, Object.values(answers).filter((a) => a.answer === 'yes').length);
        if (s.actuarialGrade === 'high') assert.equal(s.grade, 'high');
        // DASH-04: 14 or more "yes" is always High, whatever DASH_HIGH_FROM says, and judgement cannot lower it.
        if (s.yesCount >= 14) {
          assert.equal(s.actuarialGrade, 'high');
          assert.equal(s.grade, 'high');
        }
        assert.equal(s.complete, Object.keys(answers).length === 27 && missingQuestions(DASH2009, answers).length === 0);
      }),
    );
  });

  it('raising never lowers: a judgement at or above the actuarial grade gives exactly that grade', () => {
    fc.assert(
      fc.property(answerArb, bandsArb, gradeArb, (answers, bands, chosen) => {
        const s = score(answers, {}, bands, { grade: chosen, referral: false, reason: 'a reason long enough' });
        if (compareGrades(chosen, s.actuarialGrade) >= 0) assert.equal(s.grade, chosen);
        assert.ok(compareGrades(s.grade, s.actuarialGrade) >= 0 || s.actuarialGrade === 'medium');
      }),
    );
  });

  it('one more Yes never lowers the actuarial grade nor removes a MARAC reason', () => {
    fc.assert(
      fc.property(answerArb, bandsArb, fc.constantFrom(...IDS), (answers, bands, id) => {
        const before = score(answers, {}, bands);
        const after = score({ ...answers, [id]: { answer: 'yes' } }, {}, bands);
        assert.ok(compareGrades(after.actuarialGrade, before.actuarialGrade) >= 0);
        assert.ok(after.marac.reasons.length >= before.marac.reasons.length);
      }),
    );
  });

  it('under-16s are never referred to MARAC; every other band is referred whenever a criterion is met', () => {
    fc.assert(
      fc.property(answerArb, ageArb, fc.integer({ min: 0, max: 10 }), (answers, age, prior) => {
        const s = score(answers, { victimAgeBand: age, priorIncidents12Months: prior });
        assert.equal(s.marac.referral, age !== 'under_16' && s.marac.reasons.length > 0);
      }),
    );
  });

  it('a refused downgrade is always reported by the completion checks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 14, max: 27 }), fc.constantFrom<Grade>('standard', 'medium'), (yes, lower) => {
        const problems = assessmentProblems(
          DASH2009,
          { answers: answersWithYes(yes), facts: FACTS, judgement: { grade: lower, referral: false, reason: 'a reason long enough' } },
          SETTINGS,
          'complete',
        );
        assert.ok(problems.grade);
      }),
    );
  });
});
