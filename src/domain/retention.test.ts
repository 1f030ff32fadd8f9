import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  computeRetention,
  DEFAULT_RETENTION_SCHEDULE,
  HOLD_TYPES,
  isCaseOpen,
  londonWallClock,
  NRAC_QUESTIONS,
  nracDecision,
  type CaseStatus,
  type HoldType,
  type MopiGroup,
  type NracAnswers,
  type RetentionFacts,
  type RetentionOutcome,
} from './retention.js';
import { DAY, HOUR, instant, iso, londonDayNumber } from '../../test/support/london-time.js';

const S = DEFAULT_RETENTION_SCHEDULE;

const CAPTURED = iso('2026-03-10T14:00:00Z');
const NFA: CaseStatus = { kind: 'nfa', decidedAt: iso('2026-06-01T09:00:00Z') };
const base = (facts: Partial<RetentionFacts> = {}): RetentionFacts => ({
  evidential: true,
  capturedAt: CAPTURED,
  mopiGroup: 'group3',
  caseStatus: NFA,
  activeHolds: [],
  ...facts,
});
const run = (facts: Partial<RetentionFacts>, now = iso('2026-03-11T00:00:00Z')): RetentionOutcome => computeRetention(base(facts), S, now);
const basisDate = (o: RetentionOutcome, kind: string) => o.bases.find((b) => b.basis === kind)?.date?.toISOString() ?? null;
const blocks = (o: RetentionOutcome) => o.blockedBy.map((b) => [b.basis, b.ruleId, b.until?.toISOString() ?? null]);
const FAR_FUTURE = iso('2200-01-01T00:00:00Z');

describe('retention schedule and holds', () => {
  it('RET-08..RET-22: the default schedule has the rules.md values', () => {
    assert.deepEqual(
      { ...S, version: undefined },
      {
        version: undefined,
        group1: { retainUntilAgeYears: 100, reviewEveryYears: 10 },
        group2ClearYears: 10,
        group3ClearYears: 6,
        undetectedYears: 10,
        nonEvidentialDays: 31,
        cpiaMonthsAfterConviction: 6,
        civilMinYears: 7,
        reviewExtensionYears: 5,
      },
    );
    assert.equal(typeof S.version, 'string');
  });

  it('EVD-13/EVD-14: every hold type has a label and a rule', () => {
    const types: HoldType[] = ['COMPLAINT', 'CONDUCT', 'DSI', 'IPCO', 'LITIGATION', 'SAR_PENDING', 'APPEAL'];
    assert.deepEqual(
      HOLD_TYPES.map((h) => h.type),
      types,
    );
    for (const h of HOLD_TYPES) assert.ok(h.label.length > 3, h.type);
    assert.deepEqual(
      HOLD_TYPES.filter((h) => h.ruleId === 'EVD-13').map((h) => h.type),
      ['COMPLAINT', 'CONDUCT', 'DSI'],
    );
  });

  it('rejects a schedule with a negative or fractional period, and invalid dates', () => {
    assert.throws(() => computeRetention(base(), { ...S, group3ClearYears: -1 }, CAPTURED), RangeError);
    assert.throws(() => computeRetention(base(), { ...S, nonEvidentialDays: 1.5 }, CAPTURED), RangeError);
    assert.throws(() => computeRetention(base({ capturedAt: new Date(NaN) }), S, CAPTURED), RangeError);
    assert.throws(() => computeRetention(base(), S, new Date(NaN)), RangeError);
    assert.throws(() => computeRetention(base({ caseStatus: { kind: 'nfa', decidedAt: new Date('x') } }), S, CAPTURED), RangeError);
  });
});

describe('retention: non-evidential material (RET-21)', () => {
  it('RET-21: non-evidential is disposable 31 calendar days after capture, and not a moment before', () => {
    const facts = { evidential: false, caseStatus: NFA, mopiGroup: undefined };
    const due = '2026-04-10T13:00:00.000Z'; // 14:00 GMT on 10 March → 14:00 BST on 10 April
    const early = run(facts, iso('2026-04-10T12:59:59Z'));
    assert.equal(early.disposalEligibleAt?.toISOString(), due);
    assert.equal(early.disposableNow, false);
    assert.deepEqual(blocks(early), [['non_evidential', 'RET-21', due]]);
    const onTime = run(facts, iso(due));
    assert.equal(onTime.disposableNow, true);
    assert.deepEqual(onTime.blockedBy, []);
    assert.equal(onTime.reviewDueAt, null);
  });

  it('RET-21: MOPI and CPIA dates do not apply to non-evidential material of a closed case', () => {
    const o = run({ evidential: false, caseStatus: { kind: 'acquitted', at: iso('2026-09-01T09:00:00Z') } }, iso('2026-05-01T00:00:00Z'));
    assert.deepEqual(
      o.bases.map((b) => b.basis),
      ['non_evidential'],
    );
    assert.equal(o.disposableNow, true);
  });

  it('RET-17/RET-18 (issue 16 §4): non-evidential material of an open case is never disposed of after 31 days; CPIA blocks it', () => {
    for (const caseStatus of [{ kind: 'under_investigation' }, { kind: 'charged' }, { kind: 'appeal_pending' }] as const) {
      const o = run({ evidential: false, caseStatus }, FAR_FUTURE);
      assert.equal(o.disposableNow, false, caseStatus.kind);
      assert.equal(o.disposalEligibleAt, null);
      assert.deepEqual(blocks(o), [['cpia', 'RET-17', null]]);
      assert.equal(isCaseOpen(caseStatus), true);
    }
    assert.equal(isCaseOpen({ kind: 'convicted', at: CAPTURED, custodial: true }), true, 'custodial with no release date');
    assert.equal(isCaseOpen(NFA), false);
    assert.equal(isCaseOpen({ kind: 'convicted', at: CAPTURED, custodial: false }), false);
  });
});

describe('retention: inputs records staff enter (RET-06, RET-08, RET-12)', () => {
  it('RET-08: group 1 with a date of birth is dated to age 100; without one it needs manual review', () => {
    const dated = run({ mopiGroup: 'group1', subjectDateOfBirth: iso('1990-05-01T12:00:00Z') });
    assert.equal(basisDate(dated, 'mopi'), '2090-05-01T12:00:00.000Z');
    assert.equal(basisDate(run({ mopiGroup: 'group1' }), 'mopi'), null);
  });

  it('RET-06: a child under 10 is blocked for a manual review, due at once; a review decision lifts the block', () => {
    const o = run({ childUnder10: true }, FAR_FUTURE);
    assert.equal(o.disposableNow, false);
    assert.deepEqual(
      o.blockedBy.filter((b) => b.ruleId === 'RET-06').map((b) => b.until),
      [null],
    );
    assert.equal(o.reviewDueAt?.toISOString(), CAPTURED.toISOString());
    const reviewed = run({ childUnder10: true, nracDisposeDecidedAt: iso('2033-01-01T00:00:00Z') }, FAR_FUTURE);
    assert.ok(!reviewed.blockedBy.some((b) => b.ruleId === 'RET-06'));
    assert.equal(run({ childUnder10: false }, FAR_FUTURE).disposableNow, true);
  });

  it('RET-12: new information restarts the clear period and brings the review forward', () => {
    const later = iso('2028-01-15T12:00:00Z');
    const o = run({ mopiGroup: 'group3', clearPeriodStart: later, reviewRequestedAt: later });
    assert.equal(basisDate(o, 'mopi'), '2034-01-15T12:00:00.000Z');
    assert.equal(o.reviewDueAt?.toISOString(), later.toISOString());
  });

  it('RET-21, X-03: a hold blocks non-evidential material indefinitely', () => {
    const o = run({ evidential: false, activeHolds: ['SAR_PENDING'] }, FAR_FUTURE);
    assert.equal(o.disposalEligibleAt, null);
    assert.equal(o.disposableNow, false);
    assert.deepEqual(blocks(o), [['hold', 'EVD-14', null]]);
  });

  it('RET-21, RET-22: non-evidential material tied to a complaint keeps the civil minimum', () => {
    const o = run({ evidential: false, complaintOrClaim: true });
    assert.equal(o.disposalEligibleAt?.toISOString(), '2033-03-10T14:00:00.000Z');
  });
});

describe('retention: MOPI groups (RET-07..RET-12)', () => {
  it('RET-10: group 3 is time-based disposal 6 years after the clear period starts', () => {
    const o = run({ mopiGroup: 'group3' }, iso('2032-03-10T14:00:00Z'));
    assert.equal(basisDate(o, 'mopi'), '2032-03-10T14:00:00.000Z');
    assert.equal(o.disposalEligibleAt?.toISOString(), '2032-03-10T14:00:00.000Z');
    assert.equal(o.reviewDueAt, null);
    assert.equal(o.disposableNow, true);
    assert.equal(run({ mopiGroup: 'group3' }, iso('2032-03-10T13:59:59Z')).disposableNow, false);
  });

  it('RET-12: new information about the nominal restarts the clear period', () => {
    const o = run({ mopiGroup: 'group3', clearPeriodStart: iso('2028-02-29T10:00:00Z') });
    assert.equal(basisDate(o, 'mopi'), '2034-02-28T10:00:00.000Z');
    assert.match(o.bases[0]!.explanation, /RET-12/);
  });

  it('RET-12: a clear-period start earlier than capture does not shorten retention (the capture is itself police information)', () => {
    const o = run({ mopiGroup: 'group3', clearPeriodStart: iso('2020-01-01T00:00:00Z') });
    assert.equal(basisDate(o, 'mopi'), '2032-03-10T14:00:00.000Z');
  });

  it('RET-09: group 2 needs an NRAC review at the end of the 10-year clear period, not automatic disposal', () => {
    const o = run({ mopiGroup: 'group2' }, FAR_FUTURE);
    assert.equal(basisDate(o, 'mopi'), '2036-03-10T14:00:00.000Z');
    assert.equal(o.reviewDueAt?.toISOString(), '2036-03-10T14:00:00.000Z');
    assert.equal(o.disposalEligibleAt, null);
    assert.equal(o.disposableNow, false);
    assert.deepEqual(blocks(o), [['review', 'RET-09', null]]);
  });

  it('RET-09, RET-13: a group 2 NRAC "dispose" decision on or after the review date allows disposal', () => {
    const decided = run({ mopiGroup: 'group2', nracDisposeDecidedAt: iso('2036-03-12T10:00:00Z') }, iso('2036-03-12T10:00:00Z'));
    assert.equal(decided.disposalEligibleAt?.toISOString(), '2036-03-10T14:00:00.000Z');
    assert.equal(decided.disposableNow, true);
    const tooEarly = run({ mopiGroup: 'group2', nracDisposeDecidedAt: iso('2030-01-01T10:00:00Z') }, FAR_FUTURE);
    assert.equal(tooEarly.disposableNow, false);
  });

  it('RET-13: a "retain" decision sets a later review date that disposal cannot precede, and needs a fresh review', () => {
    const retainUntil = iso('2041-03-10T14:00:00Z');
    const o = run({ mopiGroup: 'group2', lastReviewRetainUntil: retainUntil }, FAR_FUTURE);
    assert.equal(o.reviewDueAt?.toISOString(), retainUntil.toISOString());
    assert.equal(basisDate(o, 'review'), retainUntil.toISOString());
    assert.deepEqual(blocks(o), [['review', 'RET-13', null]]);
    // A dispose decision from the earlier review (before the retain decision's date) is stale.
    assert.equal(
      run({ mopiGroup: 'group2', lastReviewRetainUntil: retainUntil, nracDisposeDecidedAt: iso('2036-03-11T00:00:00Z') }, FAR_FUTURE).disposableNow,
      false,
    );
    const later = run({ mopiGroup: 'group2', lastReviewRetainUntil: retainUntil, nracDisposeDecidedAt: iso('2041-03-11T00:00:00Z') }, FAR_FUTURE);
    assert.equal(later.disposalEligibleAt?.toISOString(), retainUntil.toISOString());
    assert.equal(later.disposableNow, true);
  });

  it('RET-10, RET-13: a group 3 record retained after review is no longer time-based: the next review decides', () => {
    const o = run({ mopiGroup: 'group3', lastReviewRetainUntil: iso('2037-01-01T00:00:00Z') }, FAR_FUTURE);
    assert.equal(o.reviewDueAt?.toISOString(), '2037-01-01T00:00:00.000Z');
    assert.deepEqual(blocks(o), [['review', 'RET-13', null]]);
  });

  it('RET-08: group 1 is retained until the subject is 100, with a review every 10 years', () => {
    const dob = iso('1990-05-31T23:00:00Z'); // 1 June 1990, local midnight (BST)
    const o = run({ mopiGroup: 'group1', subjectDateOfBirth: dob }, iso('2090-05-31T23:00:00Z'));
    assert.equal(basisDate(o, 'mopi'), '2090-05-31T23:00:00.000Z');
    assert.equal(o.reviewDueAt?.toISOString(), '2036-03-10T14:00:00.000Z');
    assert.equal(o.disposalEligibleAt?.toISOString(), '2090-05-31T23:00:00.000Z');
    assert.equal(o.disposableNow, true);
    assert.equal(run({ mopiGroup: 'group1', subjectDateOfBirth: dob }, iso('2090-05-31T22:59:59Z')).disposableNow, false);
  });

  it('RET-08: group 1 born on 29 February reaches 100 on 28 February of a common year', () => {
    const o = run({ mopiGroup: 'group1', subjectDateOfBirth: iso('1988-02-29T00:00:00Z') });
    assert.equal(basisDate(o, 'mopi'), '2088-02-29T00:00:00.000Z'); // 2088 is a leap year
    const o2 = run({ mopiGroup: 'group1', subjectDateOfBirth: iso('1996-02-29T00:00:00Z') });
    assert.equal(basisDate(o2, 'mopi'), '2096-02-29T00:00:00.000Z');
    const o3 = run({ mopiGroup: 'group1', subjectDateOfBirth: iso('2000-02-29T00:00:00Z') });
    assert.equal(basisDate(o3, 'mopi'), '2100-02-28T00:00:00.000Z'); // 2100 is not a leap year
  });

  it('RET-08: group 1 without a date of birth cannot be dated: manual review, but the 10-year review is still scheduled', () => {
    const o = run({ mopiGroup: 'group1' }, FAR_FUTURE);
    assert.equal(o.disposalEligibleAt, null);
    assert.equal(o.reviewDueAt?.toISOString(), '2036-03-10T14:00:00.000Z');
    assert.deepEqual(blocks(o), [['mopi', 'RET-08', null]]);
    assert.match(o.blockedBy[0]!.reason, /date of birth/);
  });

  it('RET-08, RET-13: a group 1 retain decision beyond the 100th birthday extends retention', () => {
    const o = run({ mopiGroup: 'group1', subjectDateOfBirth: iso('1930-01-01T00:00:00Z'), lastReviewRetainUntil: iso('2032-01-01T00:00:00Z') }, FAR_FUTURE);
    assert.equal(o.disposalEligibleAt?.toISOString(), '2032-01-01T00:00:00.000Z');
    assert.equal(o.disposableNow, true);
  });

  it('RET-11: undetected is retained for the configured period, then reviewed', () => {
    const o = run({ mopiGroup: 'undetected' }, FAR_FUTURE);
    assert.equal(basisDate(o, 'mopi'), '2036-03-10T14:00:00.000Z');
    assert.equal(o.reviewDueAt?.toISOString(), '2036-03-10T14:00:00.000Z');
    assert.deepEqual(blocks(o), [['review', 'RET-11', null]]);
    const configured = computeRetention(base({ mopiGroup: 'undetected' }), { ...S, undetectedYears: 25 }, CAPTURED);
    assert.equal(basisDate(configured, 'mopi'), '2051-03-10T14:00:00.000Z');
  });

  it('RET-07: an evidential item with no MOPI group is not computable and needs manual review', () => {
    const o = run({ mopiGroup: undefined }, FAR_FUTURE);
    assert.equal(o.disposalEligibleAt, null);
    assert.deepEqual(blocks(o), [['mopi', 'RET-07', null]]);
  });
});

describe('retention: CPIA minimum (RET-17, RET-18)', () => {
  const NOT_FINAL: [string, CaseStatus][] = [
    ['RET-17(a) under investigation', { kind: 'under_investigation' }],
    ['RET-17(b) charged', { kind: 'charged' }],
    ['RET-17(d) appeal pending', { kind: 'appeal_pending' }],
    ['RET-17(c) custodial with no release date', { kind: 'convicted', at: iso('2027-01-01T00:00:00Z'), custodial: true }],
  ];
  for (const [what, caseStatus] of NOT_FINAL) {
    it(`RET-18: ${what} blocks disposal with no end date`, () => {
      const o = run({ caseStatus }, FAR_FUTURE);
      assert.equal(o.disposalEligibleAt, null);
      assert.equal(o.disposableNow, false);
      assert.deepEqual(blocks(o), [['cpia', 'RET-17', null]]);
    });
  }

  it('RET-17(a): an NFA decision is the CPIA date', () => {
    assert.equal(basisDate(run({ caseStatus: NFA }), 'cpia'), '2026-06-01T09:00:00.000Z');
  });

  it('RET-17(b): acquittal is the CPIA date', () => {
    assert.equal(basisDate(run({ caseStatus: { kind: 'acquitted', at: iso('2027-02-02T10:00:00Z') } }), 'cpia'), '2027-02-02T10:00:00.000Z');
  });

  it('RET-17(c): non-custodial conviction: 6 calendar months after conviction (31 Aug → 28 Feb)', () => {
    const o = run({ caseStatus: { kind: 'convicted', at: iso('2026-08-31T10:00:00Z'), custodial: false } });
    assert.equal(basisDate(o, 'cpia'), '2027-02-28T11:00:00.000Z'); // 11:00 BST → 11:00 GMT
  });

  it('RET-17(c): custodial: the later of release and 6 months from conviction', () => {
    const at = iso('2027-01-10T10:00:00Z');
    const early = run({ caseStatus: { kind: 'convicted', at, custodial: true, releaseDate: iso('2027-03-01T00:00:00Z') } });
    assert.equal(basisDate(early, 'cpia'), '2027-07-10T09:00:00.000Z');
    const late = run({ caseStatus: { kind: 'convicted', at, custodial: true, releaseDate: iso('2031-05-05T00:00:00Z') } });
    assert.equal(basisDate(late, 'cpia'), '2031-05-05T00:00:00.000Z');
  });

  it('X-03: a CPIA date later than the MOPI date decides disposal', () => {
    const o = run({
      mopiGroup: 'group3',
      caseStatus: { kind: 'convicted', at: iso('2030-01-01T00:00:00Z'), custodial: true, releaseDate: iso('2040-01-01T00:00:00Z') },
    });
    assert.equal(o.disposalEligibleAt?.toISOString(), '2040-01-01T00:00:00.000Z');
  });
});

describe('retention: civil claims (RET-22) and holds (X-03, EVD-13, EVD-14)', () => {
  it('RET-22: tied to a complaint or claim: at least 7 years from capture', () => {
    const o = run({ complaintOrClaim: true });
    assert.equal(basisDate(o, 'civil'), '2033-03-10T14:00:00.000Z');
    assert.equal(o.disposalEligibleAt?.toISOString(), '2033-03-10T14:00:00.000Z');
  });

  it('RET-22: for a subject who was a minor, the 7 years run from their 18th birthday', () => {
    const o = run({ complaintOrClaim: true, subjectDateOfBirth: iso('2015-07-01T00:00:00Z') });
    assert.equal(basisDate(o, 'civil'), '2040-07-01T00:00:00.000Z');
  });

  it('RET-22: no complaint or claim, no civil basis', () => {
    assert.equal(basisDate(run({}), 'civil'), null);
  });

  for (const { type, ruleId } of HOLD_TYPES) {
    it(`X-03, ${ruleId}: a ${type} hold blocks disposal whatever the dates say`, () => {
      const o = run({ activeHolds: [type] }, FAR_FUTURE);
      assert.equal(o.disposalEligibleAt, null);
      assert.equal(o.disposableNow, false);
      assert.deepEqual(blocks(o), [['hold', ruleId, null]]);
    });
  }

  it('X-03: duplicate holds of one type are reported once; several types each block', () => {
    const o = run({ activeHolds: ['COMPLAINT', 'COMPLAINT', 'LITIGATION'] }, FAR_FUTURE);
    assert.deepEqual(blocks(o), [
      ['hold', 'EVD-13', null],
      ['hold', 'EVD-14', null],
    ]);
  });

  it('X-03: every reason for not disposing is listed, indefinite ones first', () => {
    const o = run({ mopiGroup: 'group1', caseStatus: { kind: 'charged' }, activeHolds: ['DSI'], complaintOrClaim: true }, iso('2027-01-01T00:00:00Z'));
    assert.deepEqual(blocks(o), [
      ['mopi', 'RET-08', null],
      ['cpia', 'RET-17', null],
      ['hold', 'EVD-13', null],
      ['civil', 'RET-22', '2033-03-10T14:00:00.000Z'],
    ]);
  });

  it('X-03: disposal is the latest of MOPI, CPIA and civil dates; each pending one blocks until its date', () => {
    const o = run({ mopiGroup: 'group3', caseStatus: { kind: 'convicted', at: iso('2026-12-01T10:00:00Z'), custodial: false }, complaintOrClaim: true });
    assert.equal(o.disposalEligibleAt?.toISOString(), '2033-03-10T14:00:00.000Z');
    assert.deepEqual(blocks(o), [
      ['mopi', 'RET-10', '2032-03-10T14:00:00.000Z'],
      ['cpia', 'RET-17', '2027-06-01T09:00:00.000Z'],
      ['civil', 'RET-22', '2033-03-10T14:00:00.000Z'],
    ]);
  });
});

describe('NRAC (RET-13)', () => {
  const allNo = Object.fromEntries(NRAC_QUESTIONS.map((q) => [q.id, false])) as NracAnswers;

  it('RET-13: there are six questions with distinct ids and the rules.md wording', () => {
    assert.equal(NRAC_QUESTIONS.length, 6);
    assert.equal(new Set(NRAC_QUESTIONS.map((q) => q.id)).size, 6);
    assert.match(NRAC_QUESTIONS[0].text, /capacity to inflict serious harm/);
    assert.match(NRAC_QUESTIONS[5].text, /mental state/);
  });

  it('RET-13: all "no" → dispose', () => assert.equal(nracDecision(allNo), 'dispose'));

  for (const q of NRAC_QUESTIONS) {
    it(`RET-13: "yes" to ${q.id} alone → retain`, () => assert.equal(nracDecision({ ...allNo, [q.id]: true }), 'retain'));
  }

  it('RET-13: a missing answer is not a "no" (retain)', () => {
    const partial = { ...allNo } as Partial<NracAnswers>;
    delete partial.mental_state;
    assert.equal(nracDecision(partial as NracAnswers), 'retain');
  });

  it('property RET-13: dispose exactly when every answer is no', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), (values) => {
        const answers = Object.fromEntries(NRAC_QUESTIONS.map((q, i) => [q.id, values[i]])) as NracAnswers;
        assert.equal(nracDecision(answers), values.some(Boolean) ? 'retain' : 'dispose');
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Properties of computeRetention
// ---------------------------------------------------------------------------------------------------------------------

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const caseStatusArb: fc.Arbitrary<CaseStatus> = fc.oneof(
  fc.constant({ kind: 'under_investigation' } as const),
  fc.constant({ kind: 'charged' } as const),
  fc.constant({ kind: 'appeal_pending' } as const),
  instant.map((decidedAt) => ({ kind: 'nfa', decidedAt }) as const),
  instant.map((at) => ({ kind: 'acquitted', at }) as const),
  fc.record(
    { kind: fc.constant('convicted' as const), at: instant, custodial: fc.boolean(), releaseDate: optional(instant) },
    { requiredKeys: ['kind', 'at', 'custodial'] },
  ),
);
const factsArb: fc.Arbitrary<RetentionFacts> = fc.record(
  {
    evidential: fc.boolean(),
    capturedAt: instant,
    mopiGroup: optional(fc.constantFrom<MopiGroup>('group1', 'group2', 'group3', 'undetected')),
    clearPeriodStart: optional(instant),
    subjectDateOfBirth: optional(instant.map((d) => new Date(d.getTime() - 40 * 365 * DAY))),
    caseStatus: caseStatusArb,
    complaintOrClaim: optional(fc.boolean()),
    activeHolds: fc.array(fc.constantFrom<HoldType>(...HOLD_TYPES.map((h) => h.type)), { maxLength: 3 }),
    lastReviewRetainUntil: optional(instant),
    nracDisposeDecidedAt: optional(instant),
    childUnder10: optional(fc.boolean()),
    reviewRequestedAt: optional(instant),
  },
  { requiredKeys: ['evidential', 'capturedAt', 'caseStatus', 'activeHolds'] },
);
const nowArb = fc.oneof(instant, fc.constant(FAR_FUTURE));

describe('retention properties (X-03)', () => {
  it('property X-03: the disposal date is never earlier than any basis date', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        const o = computeRetention(facts, S, now);
        if (o.disposalEligibleAt === null) return;
        for (const b of o.bases) if (b.date) assert.ok(o.disposalEligibleAt.getTime() >= b.date.getTime(), b.basis);
        assert.ok(
          o.bases.some((b) => b.date?.getTime() === o.disposalEligibleAt?.getTime()),
          'the disposal date is one of the basis dates',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('property X-03: any hold ⇒ not disposable and no disposal date', () => {
    fc.assert(
      fc.property(factsArb, fc.constantFrom<HoldType>(...HOLD_TYPES.map((h) => h.type)), nowArb, (facts, hold, now) => {
        const o = computeRetention({ ...facts, activeHolds: [...facts.activeHolds, hold] }, S, now);
        assert.equal(o.disposableNow, false);
        assert.equal(o.disposalEligibleAt, null);
        assert.ok(o.blockedBy.some((b) => b.basis === 'hold' && b.until === null));
      }),
      { numRuns: 300 },
    );
  });

  it('property RET-17/RET-18 (issue 16 §4): material of an open case is never disposable, evidential or not', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        const o = computeRetention(facts, S, now);
        if (isCaseOpen(facts.caseStatus)) {
          assert.equal(o.disposableNow, false);
          assert.equal(o.disposalEligibleAt, null);
          assert.ok(o.blockedBy.some((b) => b.basis === 'cpia' && b.until === null));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property RET-06: a child under 10 with no review decision is never disposable', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        const o = computeRetention({ ...facts, childUnder10: true, nracDisposeDecidedAt: undefined, lastReviewRetainUntil: undefined }, S, now);
        assert.equal(o.disposableNow, false);
        assert.ok(o.reviewDueAt !== null && o.reviewDueAt.getTime() <= facts.capturedAt.getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('property RET-18: an evidential item whose case is not final is never disposable', () => {
    const notFinal = fc.constantFrom<CaseStatus>(
      { kind: 'under_investigation' },
      { kind: 'charged' },
      { kind: 'appeal_pending' },
      { kind: 'convicted', at: CAPTURED, custodial: true },
    );
    fc.assert(
      fc.property(factsArb, notFinal, nowArb, (facts, caseStatus, now) => {
        const o = computeRetention({ ...facts, evidential: true, caseStatus }, S, now);
        assert.equal(o.disposableNow, false);
        assert.equal(o.disposalEligibleAt, null);
        assert.ok(o.blockedBy.some((b) => b.basis === 'cpia' && b.until === null));
      }),
      { numRuns: 300 },
    );
  });

  it('property X-03: disposable now ⇔ nothing blocks ⇔ a disposal date that has passed', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        const o = computeRetention(facts, S, now);
        assert.equal(o.disposableNow, o.blockedBy.length === 0);
        assert.equal(o.disposableNow, o.disposalEligibleAt !== null && o.disposalEligibleAt.getTime() <= now.getTime());
        assert.equal(
          o.disposalEligibleAt === null,
          o.blockedBy.some((b) => b.until === null),
        );
        for (const b of o.blockedBy) if (b.until) assert.ok(b.until.getTime() > now.getTime());
      }),
      { numRuns: 500 },
    );
  });

  it('property: once disposable, still disposable later (time only lifts dated blocks)', () => {
    fc.assert(
      fc.property(factsArb, instant, fc.integer({ min: 0, max: 100 * 365 }), (facts, now, days) => {
        if (!computeRetention(facts, S, now).disposableNow) return;
        assert.equal(computeRetention(facts, S, new Date(now.getTime() + days * DAY)).disposableNow, true);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a later capture never gives an earlier disposal (to the London calendar day; within the 1h spring-forward shift)', () => {
    fc.assert(
      fc.property(factsArb, instant, fc.integer({ min: 0, max: 3 * 365 * DAY }), (facts, now, delta) => {
        const a = computeRetention(facts, S, now);
        const b = computeRetention({ ...facts, capturedAt: new Date(facts.capturedAt.getTime() + delta) }, S, now);
        if (a.disposalEligibleAt === null || b.disposalEligibleAt === null) {
          // A later capture can only take away a date (a dispose decision made before the later review date is stale), never add one.
          assert.ok(!(a.disposalEligibleAt === null && b.disposalEligibleAt !== null));
          return;
        }
        assert.ok(londonDayNumber(londonWallClock(b.disposalEligibleAt)) >= londonDayNumber(londonWallClock(a.disposalEligibleAt)));
        assert.ok(b.disposalEligibleAt.getTime() >= a.disposalEligibleAt.getTime() - HOUR);
      }),
      { numRuns: 500 },
    );
  });

  it('property RET-21: non-evidential with no hold and no complaint is disposable exactly nonEvidentialDays London days after capture', () => {
    fc.assert(
      fc.property(factsArb, fc.integer({ min: 0, max: 400 }), (facts, days) => {
        const schedule = { ...S, nonEvidentialDays: days };
        const f = { ...facts, evidential: false, activeHolds: [], complaintOrClaim: false, childUnder10: false, caseStatus: NFA };
        const o = computeRetention(f, schedule, f.capturedAt);
        const due = o.disposalEligibleAt!;
        assert.equal(londonDayNumber(londonWallClock(due)), londonDayNumber(londonWallClock(f.capturedAt)) + days);
        assert.equal(computeRetention(f, schedule, due).disposableNow, true);
        assert.equal(computeRetention(f, schedule, new Date(due.getTime() - 1)).disposableNow, false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: computeRetention is pure (same input, same output; inputs are not modified)', () => {
    fc.assert(
      fc.property(factsArb, nowArb, (facts, now) => {
        const snapshot = JSON.stringify(facts);
        assert.deepEqual(computeRetention(facts, S, now), computeRetention(facts, S, now));
        assert.equal(JSON.stringify(facts), snapshot);
      }),
      { numRuns: 200 },
    );
  });
});
