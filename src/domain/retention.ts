/**
 * Retention, review and disposal of RVR evidence (rules.md X-03, RET-07..RET-13, RET-17, RET-18, RET-21, RET-22, EVD-13, EVD-14).
 * Pure: the facts about one evidence item, the force's retention schedule and the time in; every basis, every block and the
 * disposal date out. No I/O and no clock: callers pass `now`.
 *
 * disposal is the latest of every basis date (MOPI, CPIA, civil minimum, NRAC retain decision, non-evidential window),
 * and any one basis can block it. A basis that cannot be dated yet (an open case, a missing date of birth, a review not yet
 * held) blocks with `until: null`, and then no disposal date is given at all. Any hold blocks whatever the dates say.
 *
 * Dates are calendar dates in Europe/London (rules.md "Time calculations"): see addCalendarYears/Months/Days below.
 */

// ---------------------------------------------------------------------------------------------------------------------
// Europe/London calendar arithmetic
// ---------------------------------------------------------------------------------------------------------------------

/** A wall-clock reading in Europe/London. month is 1–12. */
export interface LondonWallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const LONDON = 'Europe/London';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const londonFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: LONDON,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
  era: 'short',
});

function assertValidDate(date: Date, what = 'date'): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RangeError(`The ${what} is not a valid date`);
}

function assertInteger(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a whole number; ${n} is not`);
}

/** The Europe/London wall-clock reading of an instant (Intl applies the zone's GMT/BST rules). */
export function londonWallClock(date: Date): LondonWallClock {
  assertValidDate(date);
  const t = date.getTime();
  const parts = londonFormatter.formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const era = parts.find((p) => p.type === 'era')?.value ?? 'AD';
  const year = era.startsWith('B') ? 1 - part('year') : part('year');
  return {
    year,
    month: part('month'),
    day: part('day'),
    // Some engines render midnight as 24 even with h23; treat it as 0.
    hour: part('hour') % 24,
    minute: part('minute'),
    second: part('second'),
    millisecond: ((t % 1000) + 1000) % 1000,
  };
}

/** The wall-clock reading as if it were UTC, in milliseconds (proleptic Gregorian; years 0–99 are not shifted to 19xx). */
function wallAsUtc(w: LondonWallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, w.millisecond);
  return d.getTime();
}

/** London's offset from UTC at an instant, in milliseconds (0 in GMT, +3,600,000 in BST). */
function londonOffsetAt(t: number): number {
  return wallAsUtc(londonWallClock(new Date(t))) - t;
}

/**
 * The instant at which London's clocks show this wall-clock reading.
 * - Ambiguous readings (autumn fall-back, e.g. 01:30 on 25 Oct 2026 happens twice) resolve to the EARLIER instant (the BST one),
 *   so a computed retention date is never later than the reading implies by an hour.
 * - Nonexistent readings (spring-forward gap, e.g. 01:30 on 29 Mar 2026) move FORWARD an hour (01:30 → 02:30 BST), i.e. to the
 *   same elapsed time after the last valid reading before the gap.
 * Out-of-range fields are normalised first (day 32 of January is 1 February).
 */
export function fromLondonWallClock(wall: LondonWallClock): Date {
  let local = wallAsUtc(wall);
  if (Number.isNaN(local)) throw new RangeError('The wall-clock reading is not a valid date');
  // London changes its offset at most once a day, so the offsets a day either side cover every candidate.
  for (let attempt = 0; attempt < 4; attempt++) {
    const offsets = new Set([londonOffsetAt(local - DAY_MS), londonOffsetAt(local), londonOffsetAt(local + DAY_MS)]);
    const valid = [...offsets].map((offset) => local - offset).filter((t) => londonOffsetAt(t) === local - t);
    if (valid.length > 0) return new Date(Math.min(...valid));
    local += HOUR_MS; // in the gap: move forward an hour and try again
  }
  throw new RangeError('Could not resolve the Europe/London wall-clock reading');
}

function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month = last day of this month
  return d.getUTCDate();
}

/**
 * Adds whole London calendar days, keeping the London wall-clock time (00:30 stays 00:30 across a GMT/BST change), so the
 * result can be 23 or 25 hours per day away in elapsed time. See fromLondonWallClock for gap and overlap handling.
 */
export function addCalendarDays(date: Date, days: number): Date {
  assertInteger(days, 'Days');
  const w = londonWallClock(date);
  return fromLondonWallClock({ ...w, day: w.day + days });
}

/**
 * Adds whole London calendar months, keeping the London wall-clock time. A day that does not exist in the target month is
 * clamped to that month's last day (31 Jan + 1 month = 28 or 29 Feb): the result never overflows into the following month.
 */
export function addCalendarMonths(date: Date, months: number): Date {
  assertInteger(months, 'Months');
  const w = londonWallClock(date);
  const index = w.year * 12 + (w.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return fromLondonWallClock({ ...w, year, month, day: Math.min(w.day, daysInMonth(year, month)) });
}

/**
 * Adds whole London calendar years (= 12 × years calendar months). 29 February plus a year is 28 February: a period that
 * starts on a leap day ends on the last day of February, never on 1 March, matching the month-end clamp. [D] choice; the
 * alternative (1 March) would retain for a day longer than a year in non-leap years.
 */
export function addCalendarYears(date: Date, years: number): Date {
  assertInteger(years, 'Years');
  return addCalendarMonths(date, years * 12);
}

// ---------------------------------------------------------------------------------------------------------------------
// Retention model
// ---------------------------------------------------------------------------------------------------------------------

/** RET-08..RET-11 MOPI review groups ([K]: confirm the 2023 APP labels with the force records manager). */
export type MopiGroup = 'group1' | 'group2' | 'group3' | 'undetected';

/** RET-17 / RET-18: case status driving the automatic CPIA hold. */
export type CaseStatus =
  | { kind: 'under_investigation' }
  | { kind: 'nfa'; decidedAt: Date }
  | { kind: 'charged' }
  | { kind: 'acquitted'; at: Date }
  | { kind: 'convicted'; at: Date; custodial: boolean; releaseDate?: Date }
  | { kind: 'appeal_pending' };

/** EVD-13 / EVD-14 hold types. Every hold blocks disposal, has no expiry of its own and is released explicitly. */
export type HoldType = 'COMPLAINT' | 'CONDUCT' | 'DSI' | 'IPCO' | 'LITIGATION' | 'SAR_PENDING' | 'APPEAL';

export const HOLD_TYPES: ReadonlyArray<{ type: HoldType; label: string; ruleId: 'EVD-13' | 'EVD-14' }> = [
  { type: 'COMPLAINT', label: 'Complaint (Police Reform Act 2002 Sch 3)', ruleId: 'EVD-13' },
  { type: 'CONDUCT', label: 'Conduct matter', ruleId: 'EVD-13' },
  { type: 'DSI', label: 'Death or serious injury matter', ruleId: 'EVD-13' },
  { type: 'IPCO', label: 'Investigatory Powers Commissioner inspection', ruleId: 'EVD-14' },
  { type: 'LITIGATION', label: 'Litigation or civil claim', ruleId: 'EVD-14' },
  { type: 'SAR_PENDING', label: 'Subject access request pending', ruleId: 'EVD-14' },
  { type: 'APPEAL', label: 'Appeal or CCRC application', ruleId: 'EVD-14' },
];

export interface RetentionSchedule {
  /** The schedule version, stored with every retention decision. */
  version: string;
  /** RET-08: retain until the subject is deemed to be this age; review at this interval. */
  group1: { retainUntilAgeYears: number; reviewEveryYears: number };
  /** RET-09: initial clear period, then NRAC review. */
  group2ClearYears: number;
  /** RET-10: initial clear period, then time-based disposal. */
  group3ClearYears: number;
  /** RET-11: CONFIG per force; then review of investigative need. */
  undetectedYears: number;
  /** RET-21: non-evidential recordings. */
  nonEvidentialDays: number;
  /** RET-17(c): minimum after conviction. */
  cpiaMonthsAfterConviction: number;
  /** RET-22: minimum for records tied to complaints or claims. */
  civilMinYears: number;
  /** RET-13: the default new review date offered after an NRAC "retain" decision. */
  reviewExtensionYears: number;
}

/**
 * Defaults. Values marked [K] must be confirmed with the force (rules.md section 8 item 1); [V]/CONFIG values are proposed defaults.
 * - group1 100 years / review every 10 [K] (RET-08); group2 10 years [K] (RET-09); group3 6 years [K] (RET-10)
 * - undetected 10 years: CONFIG, no published default (RET-11, NPCC Strand 2) — [K] confirm
 * - non-evidential 31 days: CONFIG (RET-21); CPIA 6 months [K] (RET-17); civil 7 years: CONFIG, MPS practice (RET-22)
 * - NRAC review extension 5 years: [D] design default, no source — confirm with the force records manager
 */
export const DEFAULT_RETENTION_SCHEDULE: RetentionSchedule = {
  version: 'default-1',
  group1: { retainUntilAgeYears: 100, reviewEveryYears: 10 },
  group2ClearYears: 10,
  group3ClearYears: 6,
  undetectedYears: 10,
  nonEvidentialDays: 31,
  cpiaMonthsAfterConviction: 6,
  civilMinYears: 7,
  reviewExtensionYears: 5,
};

export interface RetentionFacts {
  /** RET-21: false = non-evidential (short window); true = retained under MOPI/CPIA. */
  evidential: boolean;
  capturedAt: Date;
  /** RET-07: the group of the most serious information held on the nominal. Missing = manual review. */
  mopiGroup?: MopiGroup;
  /** RET-12: the latest police information about the nominal (the clear-period clock). capturedAt is used if later or missing. */
  clearPeriodStart?: Date;
  /** RET-08 group 1 (retain to age 100) and RET-22 (civil minimum from 18): entered by records staff. */
  subjectDateOfBirth?: Date;
  /** RET-06: the record is of a child under 10 (victim, witness, informant or suspect): forces a manual review. */
  childUnder10?: boolean;
  /** RET-12: new information about the nominal asked for a review at this time (cleared by the next review). */
  reviewRequestedAt?: Date;
  caseStatus: CaseStatus;
  /** RET-22: the record is tied to a complaint or civil claim. */
  complaintOrClaim?: boolean;
  activeHolds: HoldType[];
  /** RET-13: the next review date set by the latest NRAC "retain" decision. */
  lastReviewRetainUntil?: Date;
  /**
   * RET-09 / RET-13: when an NRAC review decided "dispose". Needed where disposal is by review (group 2, undetected, or any
   * record already retained after a review); honoured only if made on or after the review due date, so a decision made
   * before a later retain decision or before the clear period ran out is stale. (Addition to the original brief.)
   */
  nracDisposeDecidedAt?: Date;
}

export type RetentionBasisKind = 'mopi' | 'cpia' | 'non_evidential' | 'civil' | 'review' | 'hold';

export interface RetentionBasis {
  basis: RetentionBasisKind;
  ruleId: string;
  /** The earliest disposal date this basis allows; null = not datable yet (it then blocks, see blockedBy). */
  date: Date | null;
  explanation: string;
}

export interface RetentionBlock {
  basis: RetentionBasisKind;
  ruleId: string;
  /** When this block lifts by itself; null = only an event lifts it (a decision, a release, a missing fact supplied). */
  until: Date | null;
  reason: string;
}

export interface RetentionOutcome {
  /** the latest of all basis dates; null = cannot be computed yet, or indefinitely blocked. */
  disposalEligibleAt: Date | null;
  /** When a review is next due (RET-08 periodic, RET-09 clear-period end, RET-13 new review date); null = none scheduled. */
  reviewDueAt: Date | null;
  /** Everything that stops disposal at `now`. Empty exactly when disposableNow. */
  blockedBy: RetentionBlock[];
  /** Every basis considered, with its date. */
  bases: RetentionBasis[];
  disposableNow: boolean;
}

const fmt = (d: Date): string => {
  const w = londonWallClock(d);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
};

const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

function assertValidSchedule(s: RetentionSchedule): void {
  const values: [string, number][] = [
    ['group1.retainUntilAgeYears', s.group1.retainUntilAgeYears],
    ['group1.reviewEveryYears', s.group1.reviewEveryYears],
    ['group2ClearYears', s.group2ClearYears],
    ['group3ClearYears', s.group3ClearYears],
    ['undetectedYears', s.undetectedYears],
    ['nonEvidentialDays', s.nonEvidentialDays],
    ['cpiaMonthsAfterConviction', s.cpiaMonthsAfterConviction],
    ['civilMinYears', s.civilMinYears],
    ['reviewExtensionYears', s.reviewExtensionYears],
  ];
  for (const [name, value] of values) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Retention schedule ${name} must be a whole number of 0 or more; ${value} is not`);
  }
}

function assertValidFacts(f: RetentionFacts): void {
  assertValidDate(f.capturedAt, 'capture date');
  if (f.clearPeriodStart) assertValidDate(f.clearPeriodStart, 'clear-period start');
  if (f.subjectDateOfBirth) assertValidDate(f.subjectDateOfBirth, 'date of birth');
  if (f.lastReviewRetainUntil) assertValidDate(f.lastReviewRetainUntil, 'review retain-until date');
  if (f.nracDisposeDecidedAt) assertValidDate(f.nracDisposeDecidedAt, 'NRAC dispose decision date');
  if (f.reviewRequestedAt) assertValidDate(f.reviewRequestedAt, 'review request date');
  const cs = f.caseStatus;
  if (cs.kind === 'nfa') assertValidDate(cs.decidedAt, 'NFA decision date');
  if (cs.kind === 'acquitted' || cs.kind === 'convicted') assertValidDate(cs.at, `${cs.kind} date`);
  if (cs.kind === 'convicted' && cs.releaseDate) assertValidDate(cs.releaseDate, 'release date');
}

/**
 * RET-17 / RET-18: whether the case is still open for CPIA (no decision to proceed yet, proceedings or an appeal under way,
 * or a custodial sentence with no release date): material of an open case must not be treated as non-evidential.
 */
export function isCaseOpen(status: CaseStatus): boolean {
  return cpiaBasis(status, DEFAULT_RETENTION_SCHEDULE).date === null;
}

/** RET-17 / RET-18: the CPIA minimum as a basis; null date = the case is not final and blocks indefinitely. */
function cpiaBasis(status: CaseStatus, schedule: RetentionSchedule): RetentionBasis {
  switch (status.kind) {
    case 'under_investigation':
      return { basis: 'cpia', ruleId: 'RET-17', date: null, explanation: 'RET-17(a): retain until a decision is taken whether to institute proceedings' };
    case 'charged':
      return {
        basis: 'cpia',
        ruleId: 'RET-17',
        date: null,
        explanation: 'RET-17(b): proceedings started; retain until acquittal, conviction or discontinuance',
      };
    case 'appeal_pending':
      return { basis: 'cpia', ruleId: 'RET-17', date: null, explanation: 'RET-17(d): an appeal or CCRC application is pending; retain until it is determined' };
    case 'nfa':
      return { basis: 'cpia', ruleId: 'RET-17', date: status.decidedAt, explanation: `RET-17(a)/(b): decision not to proceed on ${fmt(status.decidedAt)}` };
    case 'acquitted':
      return { basis: 'cpia', ruleId: 'RET-17', date: status.at, explanation: `RET-17(b): acquitted on ${fmt(status.at)}` };
    case 'convicted': {
      const minimum = addCalendarMonths(status.at, schedule.cpiaMonthsAfterConviction);
      const months = `${schedule.cpiaMonthsAfterConviction} months after conviction on ${fmt(status.at)}`;
      if (!status.custodial) return { basis: 'cpia', ruleId: 'RET-17', date: minimum, explanation: `RET-17(c): non-custodial sentence; ${months}` };
      if (!status.releaseDate) {
        return {
          basis: 'cpia',
          ruleId: 'RET-17',
          date: null,
          explanation: 'RET-17(c): custodial sentence with no release date recorded; retain until release',
        };
      }
      return {
        basis: 'cpia',
        ruleId: 'RET-17',
        date: later(minimum, status.releaseDate),
        explanation: `RET-17(c): custodial sentence; the later of release on ${fmt(status.releaseDate)} and ${months}`,
      };
    }
  }
}

interface MopiResult {
  basis: RetentionBasis;
  /** When the scheduled review falls (before any NRAC retain decision). */
  scheduledReview: Date | null;
  /** Disposal needs an NRAC "dispose" decision rather than happening by time alone. */
  disposalByReview: boolean;
}

/** RET-07..RET-12: the MOPI records-management date for an evidential item. */
function mopiBasis(facts: RetentionFacts, schedule: RetentionSchedule): MopiResult {
  const clockStart = facts.clearPeriodStart ? later(facts.clearPeriodStart, facts.capturedAt) : facts.capturedAt;
  const from = `from ${fmt(clockStart)}, the latest police information about the nominal (RET-12)`;
  switch (facts.mopiGroup) {
    case undefined:
      return {
        basis: { basis: 'mopi', ruleId: 'RET-07', date: null, explanation: 'No MOPI group is recorded for the nominal: manual review needed (RET-07)' },
        scheduledReview: null,
        disposalByReview: true,
      };
    case 'group1': {
      const { retainUntilAgeYears, reviewEveryYears } = schedule.group1;
      const scheduledReview = addCalendarYears(clockStart, reviewEveryYears);
      if (!facts.subjectDateOfBirth) {
        return {
          basis: {
            basis: 'mopi',
            ruleId: 'RET-08',
            date: null,
            explanation: `Group 1: retain until the subject is ${retainUntilAgeYears}, but no date of birth is recorded: manual review needed`,
          },
          scheduledReview,
          disposalByReview: true,
        };
      }
      const date = addCalendarYears(facts.subjectDateOfBirth, retainUntilAgeYears);
      return {
        basis: {
          basis: 'mopi',
          ruleId: 'RET-08',
          date,
          explanation: `Group 1: retain until the subject is ${retainUntilAgeYears} on ${fmt(date)}; review every ${reviewEveryYears} years`,
        },
        scheduledReview,
        disposalByReview: false,
      };
    }
    case 'group2': {
      const date = addCalendarYears(clockStart, schedule.group2ClearYears);
      return {
        basis: {
          basis: 'mopi',
          ruleId: 'RET-09',
          date,
          explanation: `Group 2: ${schedule.group2ClearYears}-year clear period ${from} ends ${fmt(date)}; then NRAC review`,
        },
        scheduledReview: date,
        disposalByReview: true,
      };
    }
    case 'group3': {
      const date = addCalendarYears(clockStart, schedule.group3ClearYears);
      return {
        basis: {
          basis: 'mopi',
          ruleId: 'RET-10',
          date,
          explanation: `Group 3: ${schedule.group3ClearYears}-year clear period ${from} ends ${fmt(date)}; then time-based disposal`,
        },
        scheduledReview: null,
        disposalByReview: false,
      };
    }
    case 'undetected': {
      const date = addCalendarYears(clockStart, schedule.undetectedYears);
      return {
        basis: {
          basis: 'mopi',
          ruleId: 'RET-11',
          date,
          explanation: `Undetected: ${schedule.undetectedYears} years ${from} end ${fmt(date)}; then review of investigative need`,
        },
        scheduledReview: date,
        disposalByReview: true,
      };
    }
  }
}

/**
 * every retention basis for one evidence item, the blocks on disposal at `now`, and the disposal date.
 *
 * - Non-evidential (RET-21): capturedAt + nonEvidentialDays; MOPI and CPIA do not apply (it was categorised as not relevant).
 * - Evidential: the MOPI group date (RET-08..RET-11), the CPIA minimum from the case status (RET-17/RET-18), and a later NRAC
 *   retain decision's review date (RET-13).
 * - Either kind: the civil-claim minimum when tied to a complaint or claim (RET-22; run from the subject's 18th birthday if they
 *   were a minor when captured), and every active hold (EVD-13/EVD-14), which blocks with no end date.
 * - Group 2 and undetected, and anything already retained after an NRAC review, are disposed of by review: they are blocked
 *   until an NRAC "dispose" decision made on or after the review due date (RET-09, RET-13). Group 1 goes at the age limit
 *   (RET-08) and group 3 by time (RET-10).
 */
export function computeRetention(facts: RetentionFacts, schedule: RetentionSchedule, now: Date): RetentionOutcome {
  assertValidDate(now, 'current time');
  assertValidFacts(facts);
  assertValidSchedule(schedule);

  const bases: RetentionBasis[] = [];
  const indefinite: RetentionBlock[] = [];
  let reviewDueAt: Date | null = null;

  if (!facts.evidential) {
    const date = addCalendarDays(facts.capturedAt, schedule.nonEvidentialDays);
    bases.push({
      basis: 'non_evidential',
      ruleId: 'RET-21',
      date,
      explanation: `Non-evidential: ${schedule.nonEvidentialDays} days from capture, to ${fmt(date)}`,
    });
    // RET-17/RET-18 (issue 16 §4): marking material non-evidential never bypasses CPIA while the case is open; the
    // service refuses the marking, and this keeps a row marked before that rule from being disposed of.
    const cpia = cpiaBasis(facts.caseStatus, schedule);
    if (cpia.date === null) {
      bases.push(cpia);
      indefinite.push({
        basis: 'cpia',
        ruleId: cpia.ruleId,
        until: null,
        reason: `The case is still open, so non-evidential marking does not apply yet: ${cpia.explanation}`,
      });
    }
  } else {
    const mopi = mopiBasis(facts, schedule);
    bases.push(mopi.basis);
    if (mopi.basis.date === null) indefinite.push({ basis: 'mopi', ruleId: mopi.basis.ruleId, until: null, reason: mopi.basis.explanation });

    const cpia = cpiaBasis(facts.caseStatus, schedule);
    bases.push(cpia);
    if (cpia.date === null) indefinite.push({ basis: 'cpia', ruleId: cpia.ruleId, until: null, reason: cpia.explanation });

    let disposalByReview = mopi.disposalByReview;
    reviewDueAt = mopi.scheduledReview;
    if (facts.lastReviewRetainUntil) {
      const date = facts.lastReviewRetainUntil;
      bases.push({ basis: 'review', ruleId: 'RET-13', date, explanation: `An NRAC review decided to retain, with a new review date of ${fmt(date)}` });
      reviewDueAt = reviewDueAt ? later(reviewDueAt, date) : date;
      // A reviewer has judged a risk: the next review, not the clock, decides (except group 1's age limit).
      if (facts.mopiGroup !== 'group1') disposalByReview = true;
    }
    const reviewDue = reviewDueAt ?? mopi.basis.date;
    const disposeDecision = facts.nracDisposeDecidedAt;
    const decided = disposeDecision !== undefined && reviewDue !== null && disposeDecision.getTime() >= reviewDue.getTime();
    if (disposalByReview && mopi.basis.date !== null && !decided) {
      indefinite.push({
        basis: 'review',
        ruleId: facts.lastReviewRetainUntil ? 'RET-13' : mopi.basis.ruleId,
        until: null,
        reason: `Disposal needs an NRAC review deciding "dispose" on or after ${reviewDue ? fmt(reviewDue) : 'the review date'} (RET-13)`,
      });
    }
  }

  // RET-06: a child under 10 is never disposed of (or kept) by the clock alone: a person reviews it first, and it is due now.
  if (facts.childUnder10 && !facts.nracDisposeDecidedAt && !facts.lastReviewRetainUntil) {
    indefinite.push({
      basis: 'review',
      ruleId: 'RET-06',
      until: null,
      reason: 'The record is of a child under 10: a manual review must decide whether a policing purpose justifies keeping it (RET-06, Children Act 2004 s.11)',
    });
    reviewDueAt = reviewDueAt && reviewDueAt.getTime() < facts.capturedAt.getTime() ? reviewDueAt : facts.capturedAt;
  }
  // RET-12: new information about the nominal triggers a review (the clear-period clock itself restarts through clearPeriodStart).
  if (facts.reviewRequestedAt && (!reviewDueAt || facts.reviewRequestedAt.getTime() < reviewDueAt.getTime())) reviewDueAt = facts.reviewRequestedAt;

  if (facts.complaintOrClaim) {
    const dob = facts.subjectDateOfBirth;
    const adulthood = dob ? addCalendarYears(dob, 18) : null;
    const runsFrom = adulthood && adulthood.getTime() > facts.capturedAt.getTime() ? adulthood : facts.capturedAt;
    const date = addCalendarYears(runsFrom, schedule.civilMinYears);
    const from = runsFrom === facts.capturedAt ? 'capture' : "the subject's 18th birthday";
    bases.push({
      basis: 'civil',
      ruleId: 'RET-22',
      date,
      explanation: `Tied to a complaint or claim: ${schedule.civilMinYears} years from ${from}, to ${fmt(date)}`,
    });
  }

  for (const type of [...new Set(facts.activeHolds)]) {
    const hold = HOLD_TYPES.find((h) => h.type === type);
    const ruleId = hold?.ruleId ?? 'EVD-14';
    const explanation = `${hold?.label ?? type} hold is active: it overrides every disposal date until released (X-03, ${ruleId})`;
    bases.push({ basis: 'hold', ruleId, date: null, explanation });
    indefinite.push({ basis: 'hold', ruleId, until: null, reason: explanation });
  }

  const dated = bases.filter((b): b is RetentionBasis & { date: Date } => b.date !== null);
  const pending = dated
    .filter((b) => b.date.getTime() > now.getTime())
    .map((b): RetentionBlock => ({ basis: b.basis, ruleId: b.ruleId, until: b.date, reason: b.explanation }));
  const blockedBy = [...indefinite, ...pending];
  const disposalEligibleAt = indefinite.length > 0 || dated.length === 0 ? null : new Date(Math.max(...dated.map((b) => b.date.getTime())));

  return { disposalEligibleAt, reviewDueAt, blockedBy, bases, disposableNow: blockedBy.length === 0 && disposalEligibleAt !== null };
}

// ---------------------------------------------------------------------------------------------------------------------
// NRAC (RET-13)
// ---------------------------------------------------------------------------------------------------------------------

/** RET-13: the six National Retention Assessment Criteria questions ("NRAC" [V]; wording [K], confirm with the force). */
export const NRAC_QUESTIONS = [
  { id: 'serious_harm', text: 'Is there evidence of capacity to inflict serious harm?' },
  { id: 'children_or_vulnerable', text: 'Are there concerns about children or vulnerable adults?' },
  { id: 'breach_of_trust', text: 'Did the behaviour involve a breach of trust?' },
  { id: 'risky_links', text: 'Are there established links or associations that might increase risk of harm?' },
  { id: 'substance_misuse', text: 'Are there concerns about substance misuse?' },
  { id: 'mental_state', text: "Could the person's mental state exacerbate risk?" },
] as const;
export type NracQuestionId = (typeof NRAC_QUESTIONS)[number]['id'];
export type NracAnswers = Record<NracQuestionId, boolean>;

/** RET-13: any "yes" means retain (and set a new review date, e.g. reviewExtensionYears on); all "no" means dispose. */
export function nracDecision(answers: NracAnswers): 'retain' | 'dispose' {
  for (const q of NRAC_QUESTIONS) {
    const answer: unknown = answers[q.id];
    // A missing answer is not a "no": a review with a gap in it cannot authorise disposal.
    if (answer !== false) return 'retain';
  }
  return 'dispose';
}
