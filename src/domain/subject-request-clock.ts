/**
 * The statutory clock of a data subject's request (DP-07: DPA 2018 s.54 as amended by the Data (Use and Access) Act
 * 2025). Pure rules over calendar dates (`YYYY-MM-DD`, the day as the force's office sees it): no clock, no zone.
 *
 * - The period is one calendar month from the latest of: receipt of the request, receipt of the identity information
 *   the controller needs, and payment of any fee.
 * - `start` is CONFIG (SAR_CLOCK_START): `receipt_day` counts the month from the day itself (3 March → 3 April); the
 *   ICO's Part 3 guidance counted from the day after (`day_after_receipt`: 3 March → 4 April).
 * - A month later is the same day of the month; where that month has no such day, its last day (31 January → 28 or 29
 *   February).
 * - It may be extended by up to two further months for complexity or the number of requests; the notice of the
 *   extension, with reasons, must be given before the first month ends.
 * - The clock pauses while the controller waits for clarification it reasonably needs: the paused days are added.
 */

export type ClockStart = 'receipt_day' | 'day_after_receipt';
export const CLOCK_STARTS: readonly ClockStart[] = ['receipt_day', 'day_after_receipt'];

/** A calendar date, `YYYY-MM-DD`. */
export type CalendarDate = string;

export interface ClockFacts {
  receivedOn: CalendarDate;
  /** The identity information needed was asked for and has not come yet: the clock has not started. */
  identityRequested?: boolean;
  /** When the identity information arrived (if it was needed). */
  identityReceivedOn?: CalendarDate;
  /** When a fee was paid (if one was due). */
  feePaidOn?: CalendarDate;
  /** Further months (1 or 2) granted by a recorded extension. */
  extensionMonths?: number;
  /** Days the clock stood still while waiting for clarification (each closed pause, counted in whole days). */
  pausedDays?: number;
  /** A pause is open now (asked for clarification, no answer yet). */
  pausedSince?: CalendarDate;
  /** The response was sent (the notice of decision): the clock stops. */
  respondedOn?: CalendarDate;
}

export type ClockState = 'awaiting_identity' | 'running' | 'paused' | 'responded';

export interface ClockStatus {
  state: ClockState;
  /** The day the month runs from (after the start convention), undefined while awaiting identity. */
  startsOn?: CalendarDate;
  /** The last day to respond without the extension. */
  firstMonthEndsOn?: CalendarDate;
  /** The last day to respond, with the extension and the paused days. */
  dueOn?: CalendarDate;
  /** Whole days from `today` to `dueOn` (0 on the day itself, negative once overdue). */
  daysLeft?: number;
  overdue: boolean;
  /** Responded after `dueOn`. */
  respondedLate?: boolean;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function toDays(date: CalendarDate): number {
  if (!isCalendarDate(date)) throw new RangeError(`Not a calendar date: ${JSON.stringify(date)}`);
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function fromDays(days: number): CalendarDate {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: CalendarDate, days: number): CalendarDate {
  return fromDays(toDays(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return toDays(to) - toDays(from);
}

/** The same day of the month `months` later, or that month's last day where it has no such day. */
export function addCalendarMonths(date: CalendarDate, months: number): CalendarDate {
  toDays(date);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return fromDays(Date.UTC(year, month, Math.min(d, last)) / DAY_MS);
}

function latest(dates: (CalendarDate | undefined)[]): CalendarDate {
  return dates.filter((d): d is CalendarDate => !!d).reduce((a, b) => (toDays(b) > toDays(a) ? b : a));
}

/** The day the month runs from, or undefined while identity information is awaited. */
export function clockStartsOn(facts: ClockFacts, start: ClockStart): CalendarDate | undefined {
  if (facts.identityRequested && !facts.identityReceivedOn) return undefined;
  const from = latest([facts.receivedOn, facts.identityReceivedOn, facts.feePaidOn]);
  return start === 'day_after_receipt' ? addDays(from, 1) : from;
}

/** The last day of the first month: the day the notice of an extension must be given by. */
export function firstMonthEndsOn(facts: ClockFacts, start: ClockStart): CalendarDate | undefined {
  const from = clockStartsOn(facts, start);
  return from === undefined ? undefined : addDays(addCalendarMonths(from, 1), facts.pausedDays ?? 0);
}

/** DP-07: why an extension cannot be recorded (undefined: it can). */
export function extensionProblem(facts: ClockFacts, start: ClockStart, months: number, noticedOn: CalendarDate): string | undefined {
  if (!Number.isInteger(months) || months < 1 || months > 2) return 'An extension is one or two further months';
  if ((facts.extensionMonths ?? 0) > 0) return 'The request has already been extended';
  const end = firstMonthEndsOn(facts, start);
  if (end === undefined) return 'The clock has not started (identity information is awaited)';
  if (daysBetween(end, noticedOn) > 0) return `The notice of an extension must be given before the first month ends (${end})`;
  if (daysBetween(facts.receivedOn, noticedOn) < 0) return 'The notice cannot be before the request was received';
  return undefined;
}

export function clockStatus(facts: ClockFacts, start: ClockStart, today: CalendarDate): ClockStatus {
  const startsOn = clockStartsOn(facts, start);
  if (startsOn === undefined) return { state: 'awaiting_identity', overdue: false };
  const first = addCalendarMonths(startsOn, 1);
  const openPause = facts.pausedSince && !facts.respondedOn ? Math.max(0, daysBetween(facts.pausedSince, today)) : 0;
  const paused = (facts.pausedDays ?? 0) + openPause;
  const dueOn = addDays(addCalendarMonths(startsOn, 1 + (facts.extensionMonths ?? 0)), paused);
  const firstMonth = addDays(first, facts.pausedDays ?? 0);
  if (facts.respondedOn) {
    return { state: 'responded', startsOn, firstMonthEndsOn: firstMonth, dueOn, overdue: false, respondedLate: daysBetween(dueOn, facts.respondedOn) > 0 };
  }
  const daysLeft = daysBetween(today, dueOn);
  return { state: facts.pausedSince ? 'paused' : 'running', startsOn, firstMonthEndsOn: firstMonth, dueOn, daysLeft, overdue: daysLeft < 0 };
}
