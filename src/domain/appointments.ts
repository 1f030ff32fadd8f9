import { fromLondonWallClock, londonWallClock } from './retention.js';

/**
 * A video appointment for later (issue 17 §4, policy 4.0 "a delayed service where possible"): the victim cannot talk
 * now, or an interpreter is needed, so the officer books a time. Pure rules: when the link may open, when the reminder
 * is due, when an appointment counts as missed, which other times the victim may ask for. Times are stored and
 * compared in UTC; they are read and shown in Europe/London.
 */

export interface AppointmentSettings {
  /** The reminder text (with the link) goes this many minutes before the slot. */
  reminderMinutes: number;
  /** The link opens this many minutes before the slot… */
  windowBeforeMinutes: number;
  /** …and closes this many minutes after it; nobody joined by then: missed. */
  windowAfterMinutes: number;
  /** The latest a slot may be booked, in days from now. */
  maxDaysAhead: number;
  /** How many times the victim may ask for another time for one appointment. */
  maxChangeRequests: number;
}

/** Why the appointment was booked rather than a call now (codes; shown as words on the staff pages). */
export const APPOINTMENT_REASONS = {
  cannot_talk_now: 'The victim cannot talk now',
  interpreter_needed: 'An interpreter is needed',
  victim_preference: 'The victim asked for another time',
} as const;
export type AppointmentReason = keyof typeof APPOINTMENT_REASONS;

export function isAppointmentReason(value: string): value is AppointmentReason {
  return Object.hasOwn(APPOINTMENT_REASONS, value);
}

/** booked → reminded (the link was texted) → joined; or missed (nobody joined in the window), cancelled (rebooked or ended). */
export type AppointmentStatus = 'booked' | 'reminded' | 'joined' | 'missed' | 'cancelled';

/** The victim's free choice when none of the offered times suits (no free text: nothing personal is kept). */
export const BEST_TIMES = {
  morning: 'Morning (9am to 12pm)',
  afternoon: 'Afternoon (12pm to 5pm)',
  evening: 'Evening (5pm to 8pm)',
} as const;
export type BestTime = keyof typeof BEST_TIMES;

const MINUTE = 60_000;

export function appointmentWindow(
  slot: Date,
  settings: Pick<AppointmentSettings, 'windowBeforeMinutes' | 'windowAfterMinutes'>,
): { opensAt: Date; closesAt: Date } {
  return {
    opensAt: new Date(slot.getTime() - settings.windowBeforeMinutes * MINUTE),
    closesAt: new Date(slot.getTime() + settings.windowAfterMinutes * MINUTE),
  };
}

/** Where `now` is against the link's window: before it (come back at opensAt), in it (the link opens), after it. */
export function windowPosition(
  slot: Date,
  now: Date,
  settings: Pick<AppointmentSettings, 'windowBeforeMinutes' | 'windowAfterMinutes'>,
): 'early' | 'open' | 'closed' {
  const { opensAt, closesAt } = appointmentWindow(slot, settings);
  if (now < opensAt) return 'early';
  if (now >= closesAt) return 'closed';
  return 'open';
}

export function reminderDueAt(slot: Date, settings: Pick<AppointmentSettings, 'reminderMinutes'>): Date {
  return new Date(slot.getTime() - settings.reminderMinutes * MINUTE);
}

/** The reminder goes once, from its due time until the window closes (a reminder for a closed window would mislead). */
export function isReminderDue(
  appointment: { slot: Date; status: AppointmentStatus },
  now: Date,
  settings: Pick<AppointmentSettings, 'reminderMinutes' | 'windowBeforeMinutes' | 'windowAfterMinutes'>,
): boolean {
  return appointment.status === 'booked' && now >= reminderDueAt(appointment.slot, settings) && windowPosition(appointment.slot, now, settings) !== 'closed';
}

/** Missed: the window has closed and the victim never joined (booked or reminded, not joined). */
export function isMissed(
  appointment: { slot: Date; status: AppointmentStatus },
  now: Date,
  settings: Pick<AppointmentSettings, 'windowBeforeMinutes' | 'windowAfterMinutes'>,
): boolean {
  return (appointment.status === 'booked' || appointment.status === 'reminded') && windowPosition(appointment.slot, now, settings) === 'closed';
}

export type BookingDecision = { allowed: true; slot: Date } | { allowed: false; field: 'date' | 'time' | 'reason'; message: string };

/** Reads the form's UK date and time (YYYY-MM-DD, HH:MM) and decides whether the slot can be booked. */
export function decideBooking(
  input: { date: string; time: string; reason: string },
  now: Date,
  settings: Pick<AppointmentSettings, 'maxDaysAhead'>,
): BookingDecision {
  if (!isAppointmentReason(input.reason)) return { allowed: false, field: 'reason', message: 'Select why the call is booked for later' };
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.date.trim());
  if (!date) return { allowed: false, field: 'date', message: 'Enter the date as YYYY-MM-DD, for example 2026-12-24' };
  const time = /^(\d{1,2}):(\d{2})$/.exec(input.time.trim());
  if (!time || Number(time[1]) > 23 || Number(time[2]) > 59)
    return { allowed: false, field: 'time', message: 'Enter the time as HH:MM (24-hour UK time), for example 14:30' };
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
    return { allowed: false, field: 'date', message: 'Enter a real date' };
  const slot = fromLondonWallClock({ year, month, day, hour: Number(time[1]), minute: Number(time[2]), second: 0, millisecond: 0 });
  if (slot.getTime() <= now.getTime()) return { allowed: false, field: 'time', message: 'The appointment must be in the future' };
  if (slot.getTime() > now.getTime() + settings.maxDaysAhead * 24 * 60 * MINUTE)
    return { allowed: false, field: 'date', message: `The appointment must be within ${settings.maxDaysAhead} days` };
  return { allowed: true, slot };
}

/** Tomorrow at the same hour, UK time: the booking forms' starting values (the officer's and the intake form's). */
export function defaultBookingSlot(now: Date): { date: string; time: string } {
  const w = londonWallClock(new Date(now.getTime() + 24 * 60 * MINUTE));
  const pad = (n: number) => String(n).padStart(2, '0');
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:00` };
}

/**
 * The words of a time in one language (issue 17 §2): the locale for the day and month names, the "{{day}} at
 * {{clock}}" pattern and the am/pm marks. The catalogs hold them (appointment.slotAt, .am, .pm); English by default.
 */
export interface SlotWords {
  locale: string;
  at: string;
  am: string;
  pm: string;
}
export const ENGLISH_SLOT_WORDS: SlotWords = { locale: 'en-GB', at: '{{day}} at {{clock}}', am: 'am', pm: 'pm' };

/** "Saturday 5 December at 2:30pm" in UK time ("Dydd Sadwrn, 5 Rhagfyr am 2:30yp" in Welsh): the texts' and the victim's page's words. */
export function londonSlotText(slot: Date, words: SlotWords = ENGLISH_SLOT_WORDS): string {
  const day = new Intl.DateTimeFormat(words.locale, { timeZone: 'Europe/London', weekday: 'long', day: 'numeric', month: 'long' }).format(slot);
  return words.at.replace('{{day}}', day).replace('{{clock}}', londonClockText(slot, words));
}

/** "2:30pm" in UK time ("2:30yp" in Welsh). */
export function londonClockText(at: Date, words: Pick<SlotWords, 'am' | 'pm'> = ENGLISH_SLOT_WORDS): string {
  const wall = londonWallClock(at);
  const hour12 = wall.hour % 12 === 0 ? 12 : wall.hour % 12;
  return `${hour12}:${String(wall.minute).padStart(2, '0')}${wall.hour < 12 ? words.am : words.pm}`;
}

/**
 * A few other times the victim may pick without calling back: the same time tomorrow and the day after, and the
 * next morning, afternoon and evening (10:00, 14:00, 18:00 UK time) after the slot that are at least an hour away.
 * Sorted, distinct, all in the future and within the booking limit.
 */
export function offeredSlots(slot: Date, now: Date, settings: Pick<AppointmentSettings, 'maxDaysAhead'>): Date[] {
  const candidates: Date[] = [];
  const wall = londonWallClock(now > slot ? now : slot);
  for (let dayOffset = 0; dayOffset <= 2; dayOffset++) {
    for (const hour of [10, 14, 18]) {
      candidates.push(fromLondonWallClock({ ...wall, day: wall.day + dayOffset, hour, minute: 0, second: 0, millisecond: 0 }));
    }
  }
  const latest = now.getTime() + settings.maxDaysAhead * 24 * 60 * MINUTE;
  const earliest = Math.max(now.getTime(), slot.getTime()) + 60 * MINUTE;
  const seen = new Set<number>();
  return candidates
    .filter((c) => c.getTime() >= earliest && c.getTime() <= latest)
    .filter((c) => !seen.has(c.getTime()) && seen.add(c.getTime()))
    .sort((a, b) => a.getTime() - b.getTime())
    .slice(0, 4);
}

export type ChangeRequestDecision =
  | { allowed: true; request: { kind: 'slot'; slot: Date } | { kind: 'best_time'; bestTime: BestTime } }
  | { allowed: false; status: 400 | 409 | 429; message: string };

/**
 * The victim's "another time, please": one of the offered slots (as its ISO time) or a best time of day; refused
 * once the appointment is joined or cancelled, or after maxChangeRequests.
 */
export function decideChangeRequest(
  input: { choice: string },
  appointment: { status: AppointmentStatus; changeRequests: number },
  offered: readonly Date[],
  settings: Pick<AppointmentSettings, 'maxChangeRequests'>,
): ChangeRequestDecision {
  if (appointment.status === 'joined' || appointment.status === 'cancelled')
    return { allowed: false, status: 409, message: 'This appointment can no longer be changed here' };
  if (appointment.changeRequests >= settings.maxChangeRequests)
    return { allowed: false, status: 429, message: 'We already have your request. Someone will be in touch about a new time' };
  const choice = input.choice.trim();
  if (Object.hasOwn(BEST_TIMES, choice)) return { allowed: true, request: { kind: 'best_time', bestTime: choice as BestTime } };
  const picked = offered.find((slot) => slot.toISOString() === choice);
  if (picked) return { allowed: true, request: { kind: 'slot', slot: picked } };
  return { allowed: false, status: 400, message: 'Choose one of the times, or the time of day that suits you best' };
}
