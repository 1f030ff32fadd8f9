/**
 * The trial's outcome measures (policy 2.2, market.md §1; RVR-09: time from call to officer). Every figure is
 * derived here from per-consultation facts that the outcomes repository reads from the stored events: nothing
 * computed here is ever stored. Pure: no clock, no database.
 */

/** The reason the control room's "Route to attendance: no RVR officer available" button records (consultation-body.njk). */
export const NO_OFFICER_AVAILABLE_REASON = 'No RVR officer available';

/** Consultation states from which an escalation to attendance counts as one made after an officer took the call. */
export const ESCALATION_AFTER_ACCEPTANCE_FROM = ['accepted', 'appointment_booked', 'invited', 'victim_joined', 'connected', 'call_interrupted'] as const;

/** What the repository reads for one consultation. Durations are in seconds; null when the steps were not both reached. */
export interface ConsultationFacts {
  consultationId: string;
  triagedAt: Date;
  /** Entered triaged_eligible at some point (at triage, or by a supervisor's override). */
  eligible: boolean;
  /** The triage records both consents (to the video call and to recording: RVR-04). */
  consented: boolean;
  /** consultations.connected_at is set: the officer and the victim had media both ways. */
  connected: boolean;
  /** incidents.received_at → consultations.connected_at. */
  secondsToOfficer: number | null;
  /** consultations.queued_at → consultations.accepted_at. */
  secondsQueued: number | null;
  /** consultations.accepted_at → consultations.ended_at. */
  officerSeconds: number | null;
  /** Sum over the consultation's calls of calls.connected_at → calls.ended_at, when at least one call connected and ended. */
  videoSeconds: number | null;
  noOfficerAvailable: boolean;
  escalated: boolean;
  arrestRequested: boolean;
  maracReferral: boolean;
  quickExit: boolean;
  surveySent: boolean;
  /** 1–5, when the survey was answered. */
  rating: number | null;
  /** Policy 2.2: the victim's sex as asked at triage (female, male, prefer_not_to_say), or null when not asked. */
  victimSex?: string | null;
  /** DA-02: the relationship recorded at triage. */
  relationship?: string | null;
  /** The evaluation trial's arm, or null when not randomised. */
  arm?: string | null;
}

/** Policy 2.2: the trial's results were for female victims of intimate-partner abuse, so the measures are broken down. */
export const INTIMATE_PARTNER_RELATIONSHIPS = ['partner', 'ex_partner', 'married_or_civil_partners', 'engaged'];

export type BreakdownDimension = 'sex' | 'relationship' | 'arm';

/** The group a consultation falls in, for each dimension; 'not_recorded' when the fact is missing. */
export function groupOf(facts: ConsultationFacts, dimension: BreakdownDimension): string {
  switch (dimension) {
    case 'sex':
      return facts.victimSex ?? 'not_recorded';
    case 'relationship':
      if (!facts.relationship) return 'not_recorded';
      if (INTIMATE_PARTNER_RELATIONSHIPS.includes(facts.relationship)) return 'intimate_partner';
      return facts.relationship === 'not_personally_connected' ? 'not_personally_connected' : 'family';
    case 'arm':
      return facts.arm ?? 'not_randomised';
  }
}

const GROUP_ORDER: Record<BreakdownDimension, string[]> = {
  sex: ['female', 'male', 'prefer_not_to_say', 'not_recorded'],
  relationship: ['intimate_partner', 'family', 'not_personally_connected', 'not_recorded'],
  arm: ['rvr', 'standard', 'not_randomised'],
};

/**
 * Policy 2.2: the outcome measures for each group of one dimension (sex, relationship, trial arm), every group shown
 * even when empty, so each group's figures sum to the total's counts.
 */
export function measuresBy(dimension: BreakdownDimension, facts: readonly ConsultationFacts[]): { group: string; measures: OutcomeMeasures }[] {
  return GROUP_ORDER[dimension].map((group) => ({ group, measures: computeOutcomeMeasures(facts.filter((f) => groupOf(f, dimension) === group)) }));
}

/** Policy 2.2: female victims of intimate-partner abuse, by arm: the comparison the trial reported. */
export function femaleIntimatePartnerByArm(facts: readonly ConsultationFacts[]): { group: string; measures: OutcomeMeasures }[] {
  return measuresBy(
    'arm',
    facts.filter((f) => groupOf(f, 'sex') === 'female' && groupOf(f, 'relationship') === 'intimate_partner'),
  );
}

export interface Ratio {
  count: number;
  of: number;
  /** Null when `of` is 0: shown as "–", never NaN. */
  percent: number | null;
}

export interface DurationSummary {
  /** How many consultations the summary is over. */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface OutcomeMeasures {
  callsTriaged: number;
  eligible: Ratio;
  consented: Ratio;
  connected: Ratio;
  timeToOfficer: DurationSummary;
  queueWait: DurationSummary;
  noOfficerAvailable: number;
  officerTime: DurationSummary & { totalSeconds: number };
  videoTime: DurationSummary;
  arrestsRequested: number;
  maracReferrals: number;
  escalations: number;
  quickExits: number;
  satisfaction: {
    sent: number;
    answered: number;
    responseRate: Ratio;
    meanRating: number | null;
    /** Answers with rating 1, 2, 3, 4, 5. */
    distribution: [number, number, number, number, number];
    /** Rated 4 or 5, of those who answered. */
    satisfied: Ratio;
  };
}

/** The middle value; for an even count, the mean of the two middle values. Null for no values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The p-th percentile by the nearest-rank method: the smallest value with at least p% of the values at or
 * below it, i.e. the value at rank ⌈p/100 × n⌉ of the sorted values (always one of the values, never interpolated).
 */
export function percentileNearestRank(values: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError('The percentile must be more than 0 and at most 100');
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}

export function ratio(count: number, of: number): Ratio {
  return { count, of, percent: of === 0 ? null : (count / of) * 100 };
}

export function summariseDurations(values: readonly (number | null)[]): DurationSummary {
  // A negative duration (a clock set wrong upstream, e.g. a CAD received-at in the future) is not a time: left out.
  const present = values.filter((v): v is number => v !== null && v >= 0);
  return { count: present.length, medianSeconds: median(present), p90Seconds: percentileNearestRank(present, 90) };
}

export function computeOutcomeMeasures(facts: readonly ConsultationFacts[]): OutcomeMeasures {
  const eligible = facts.filter((f) => f.eligible);
  const consented = eligible.filter((f) => f.consented);
  const connected = consented.filter((f) => f.connected);
  const officerTime = summariseDurations(facts.map((f) => f.officerSeconds));
  const sent = facts.filter((f) => f.surveySent);
  const ratings = sent.map((f) => f.rating).filter((r): r is number => r !== null && r >= 1 && r <= 5);
  const distribution = [1, 2, 3, 4, 5].map((score) => ratings.filter((r) => r === score).length) as OutcomeMeasures['satisfaction']['distribution'];
  const count = (flag: (f: ConsultationFacts) => boolean) => facts.filter(flag).length;
  return {
    callsTriaged: facts.length,
    eligible: ratio(eligible.length, facts.length),
    consented: ratio(consented.length, eligible.length),
    connected: ratio(connected.length, consented.length),
    timeToOfficer: summariseDurations(facts.filter((f) => f.connected).map((f) => f.secondsToOfficer)),
    queueWait: summariseDurations(facts.map((f) => f.secondsQueued)),
    noOfficerAvailable: count((f) => f.noOfficerAvailable),
    officerTime: {
      ...officerTime,
      totalSeconds: facts.reduce((sum, f) => sum + (f.officerSeconds !== null && f.officerSeconds >= 0 ? f.officerSeconds : 0), 0),
    },
    videoTime: summariseDurations(facts.map((f) => f.videoSeconds)),
    arrestsRequested: count((f) => f.arrestRequested),
    maracReferrals: count((f) => f.maracReferral),
    escalations: count((f) => f.escalated),
    quickExits: count((f) => f.quickExit),
    satisfaction: {
      sent: sent.length,
      answered: ratings.length,
      responseRate: ratio(ratings.length, sent.length),
      meanRating: mean(ratings),
      distribution,
      satisfied: ratio(ratings.filter((r) => r >= 4).length, ratings.length),
    },
  };
}

// ---- Europe/London calendar days ----

const LONDON = 'Europe/London';
const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: LONDON,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

// UK clocks change on the hour (01:00 UTC), so the offset is the same for a whole UTC hour: cached per hour,
// as asking Intl for every one of thousands of consultations is the slowest part of the dashboard.
const offsetByUtcHour = new Map<number, number>();
const OFFSET_CACHE_LIMIT = 200_000;

/** Minutes London is ahead of UTC at this instant (0 in GMT, 60 in BST). */
function londonOffsetMinutes(instant: Date): number {
  const hour = Math.floor(instant.getTime() / 3_600_000);
  let offset = offsetByUtcHour.get(hour);
  if (offset === undefined) {
    if (offsetByUtcHour.size >= OFFSET_CACHE_LIMIT) offsetByUtcHour.clear();
    offset = intlLondonOffsetMinutes(new Date(hour * 3_600_000));
    offsetByUtcHour.set(hour, offset);
  }
  return offset;
}

function intlLondonOffsetMinutes(instant: Date): number {
  const parts = Object.fromEntries(londonParts.formatToParts(instant).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/** The calendar day (YYYY-MM-DD) in London that this instant falls on. */
export function londonDay(instant: Date): string {
  return new Date(instant.getTime() + londonOffsetMinutes(instant) * 60_000).toISOString().slice(0, 10);
}

/**
 * The instant London's clocks read 00:00 on this day. The UK changes its clocks at 01:00 UTC, so at London
 * midnight the offset is the one in force at UTC midnight of the same date.
 */
export function londonMidnight(day: string): Date {
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  return new Date(utcMidnight.getTime() - londonOffsetMinutes(utcMidnight) * 60_000);
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

export function isRealDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T12:00:00Z`);
  // A real calendar day only: 2026-02-31 must not quietly become 3 March.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export const MAX_RANGE_DAYS = 1096;

export interface DayRange {
  from: string;
  to: string;
  /** London midnight at the start of `from`. */
  start: Date;
  /** London midnight at the end of `to` (exclusive). */
  end: Date;
}

export type DayRangeResult = { ok: true; range: DayRange } | { ok: false; errors: Partial<Record<'from' | 'to', string>> };

/**
 * The dashboard's date filter: two London calendar days, both included. Missing values default to the 30 days
 * ending `today`. Refusals say what to fix.
 */
export function parseDayRange(input: { from?: string; to?: string }, today: string): DayRangeResult {
  const from = input.from?.trim() || addDays(today, -29);
  const to = input.to?.trim() || today;
  const errors: Partial<Record<'from' | 'to', string>> = {};
  if (!isRealDay(from)) errors.from = 'Enter the start date as a real date, for example 2026-03-01';
  if (!isRealDay(to)) errors.to = 'Enter the end date as a real date, for example 2026-03-31';
  if (!errors.from && !errors.to) {
    if (from > to) errors.to = 'The end date must be the same as or after the start date';
    else if (daysBetween(from, to) + 1 > MAX_RANGE_DAYS) errors.to = `Choose a range of at most ${MAX_RANGE_DAYS} days`;
  }
  if (errors.from || errors.to) return { ok: false, errors };
  return { ok: true, range: { from, to, start: londonMidnight(from), end: londonMidnight(addDays(to, 1)) } };
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** Every day of the range, in order. */
export function daysOf(range: { from: string; to: string }): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The measures for each London day of the range (the day the call was triaged), including days with no calls. */
export function measuresByDay(range: { from: string; to: string }, facts: readonly ConsultationFacts[]): { day: string; measures: OutcomeMeasures }[] {
  const byDay = new Map<string, ConsultationFacts[]>();
  for (const f of facts) {
    const day = londonDay(f.triagedAt);
    const list = byDay.get(day);
    if (list) list.push(f);
    else byDay.set(day, [f]);
  }
  return daysOf(range).map((day) => ({ day, measures: computeOutcomeMeasures(byDay.get(day) ?? []) }));
}

// ---- Presentation helpers shared by the page and the CSV ----

/** "4 min 05 s", "1 h 02 min", "–" for none. Whole seconds, rounded. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

export function formatPercent(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)}%`;
}

const CSV_COLUMNS: { header: string; value: (m: OutcomeMeasures) => number | null }[] = [
  { header: 'calls_triaged', value: (m) => m.callsTriaged },
  { header: 'eligible', value: (m) => m.eligible.count },
  { header: 'eligible_percent_of_triaged', value: (m) => m.eligible.percent },
  { header: 'consented', value: (m) => m.consented.count },
  { header: 'consented_percent_of_eligible', value: (m) => m.consented.percent },
  { header: 'connected', value: (m) => m.connected.count },
  { header: 'connected_percent_of_consented', value: (m) => m.connected.percent },
  { header: 'time_to_officer_count', value: (m) => m.timeToOfficer.count },
  { header: 'time_to_officer_median_seconds', value: (m) => m.timeToOfficer.medianSeconds },
  { header: 'time_to_officer_p90_seconds', value: (m) => m.timeToOfficer.p90Seconds },
  { header: 'queue_wait_count', value: (m) => m.queueWait.count },
  { header: 'queue_wait_median_seconds', value: (m) => m.queueWait.medianSeconds },
  { header: 'queue_wait_p90_seconds', value: (m) => m.queueWait.p90Seconds },
  { header: 'no_officer_available', value: (m) => m.noOfficerAvailable },
  { header: 'officer_time_count', value: (m) => m.officerTime.count },
  { header: 'officer_time_median_seconds', value: (m) => m.officerTime.medianSeconds },
  { header: 'officer_time_p90_seconds', value: (m) => m.officerTime.p90Seconds },
  { header: 'officer_time_total_seconds', value: (m) => m.officerTime.totalSeconds },
  { header: 'video_time_count', value: (m) => m.videoTime.count },
  { header: 'video_time_median_seconds', value: (m) => m.videoTime.medianSeconds },
  { header: 'video_time_p90_seconds', value: (m) => m.videoTime.p90Seconds },
  { header: 'arrests_requested', value: (m) => m.arrestsRequested },
  { header: 'marac_referrals', value: (m) => m.maracReferrals },
  { header: 'escalations', value: (m) => m.escalations },
  { header: 'quick_exits', value: (m) => m.quickExits },
  { header: 'surveys_sent', value: (m) => m.satisfaction.sent },
  { header: 'surveys_answered', value: (m) => m.satisfaction.answered },
  { header: 'survey_response_rate_percent', value: (m) => m.satisfaction.responseRate.percent },
  { header: 'satisfaction_mean_rating', value: (m) => m.satisfaction.meanRating },
  { header: 'satisfied_4_or_5_percent', value: (m) => m.satisfaction.satisfied.percent },
  ...[1, 2, 3, 4, 5].map((score) => ({ header: `rating_${score}`, value: (m: OutcomeMeasures) => m.satisfaction.distribution[score - 1]! })),
];

function csvNumber(value: number | null): string {
  if (value === null) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * One row for the whole range (period "from..to"), then one per London day. Only numbers and dates: nothing a
 * spreadsheet could run as a formula, and no personal data.
 */
export function outcomeMeasuresCsv(range: { from: string; to: string }, total: OutcomeMeasures, days: { day: string; measures: OutcomeMeasures }[]): string {
  const line = (period: string, m: OutcomeMeasures) => [period, ...CSV_COLUMNS.map((c) => csvNumber(c.value(m)))].join(',');
  return (
    [['period', ...CSV_COLUMNS.map((c) => c.header)].join(','), line(`${range.from}..${range.to}`, total), ...days.map((d) => line(d.day, d.measures))].join(
      '\r\n',
    ) + '\r\n'
  );
}

/** What each measure means, shown on the dashboard beside the figures (and the basis of the CSV's columns). */
export const MEASURE_DEFINITIONS: { id: string; label: string; definition: string }[] = [
  {
    id: 'calls-triaged',
    label: 'Calls triaged',
    definition:
      'Consultations whose triage was recorded (consultations.triaged_at) on a day in the range. Days are London calendar days (GMT or BST as in force). Every other figure is over these calls.',
  },
  {
    id: 'eligible',
    label: 'Eligible',
    definition: 'Calls that were ever triaged eligible for RVR (at triage, or by a supervisor’s override); percentage of calls triaged.',
  },
  {
    id: 'consented',
    label: 'Consented',
    definition: 'Eligible calls whose triage records both consents, to the video call and to recording (RVR-04); percentage of eligible calls.',
  },
  {
    id: 'connected',
    label: 'Connected',
    definition:
      'Consented calls where the officer and the victim were connected on video (the consultation reached “connected”); percentage of consented calls.',
  },
  {
    id: 'time-to-officer',
    label: 'Time from call received to officer on video',
    definition:
      'For connected calls only: from the time the control room received the call (incident received at) to the first time the officer and victim were connected on video (RVR-09). Median, and 90th percentile by the nearest-rank method (the value at rank ⌈0.9 × n⌉ of the sorted times). Calls that never connected are left out.',
  },
  {
    id: 'queue-wait',
    label: 'Waiting time in the queue',
    definition:
      'From the call entering the RVR queue (first queued) to an officer accepting it (first accepted), for calls that were accepted. Median and 90th percentile (nearest rank).',
  },
  {
    id: 'no-officer',
    label: 'No officer available',
    definition: `Calls the control room routed from the queue to attendance with the reason “${NO_OFFICER_AVAILABLE_REASON}” (the “Route to attendance: no RVR officer available” button).`,
  },
  {
    id: 'officer-time',
    label: 'Officer time',
    definition:
      'From the officer accepting the call to the consultation ending (completed, abandoned or escalated): the time the officer is on the call and unavailable to others. Median, 90th percentile (nearest rank) and total.',
  },
  {
    id: 'video-time',
    label: 'Video call duration',
    definition: 'For calls that connected and ended: the time on video, from each video call connecting to it ending, added up over the consultation’s calls.',
  },
  { id: 'arrests', label: 'Arrests requested', definition: 'Calls with at least one “arrest requested” outcome recorded by the officer.' },
  {
    id: 'marac',
    label: 'MARAC referrals',
    definition:
      'Calls whose latest final risk assessment (the highest version completed, signed off or since amended; a draft is not final) has the MARAC referral flag set (DASH-03).',
  },
  {
    id: 'escalations',
    label: 'Escalations to attendance',
    definition:
      'Calls escalated to physical attendance after an officer accepted them: the consultation moved to “escalated to attendance” from accepted, invited, victim joined or connected, or the officer recorded an “attendance escalated” outcome. Calls routed to attendance before an officer accepted them are not counted here (see “No officer available”).',
  },
  { id: 'quick-exits', label: 'Quick exits', definition: 'Calls in which the victim used the quick-exit control at least once (RVR-11).' },
  {
    id: 'satisfaction',
    label: 'Victim satisfaction',
    definition:
      'From the survey texted after calls in which the victim joined the video call (not after a quick exit or an “I’m not safe” alert: RVR-11): texts sent, answers (response rate = answers ÷ texts sent), mean rating (1 = very dissatisfied, 5 = very satisfied), the share rating 4 or 5, and how many gave each rating.',
  },
];
