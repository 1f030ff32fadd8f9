import fc from 'fast-check';
import { londonWallClock, type LondonWallClock } from '../../src/domain/retention.js';

// Shared by the retention and London calendar tests (src/domain/retention*.test.ts).

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const iso = (s: string) => new Date(s);

// ---------------------------------------------------------------------------------------------------------------------
// An oracle for London time written independently of the implementation (no Intl): since 1996 BST runs from 01:00 UTC on
// the last Sunday of March to 01:00 UTC on the last Sunday of October. Valid for 1996–2099, which covers everything the properties reach.
// ---------------------------------------------------------------------------------------------------------------------

export const lastSundayUtc = (year: number, month: number): number => {
  const last = new Date(Date.UTC(year, month, 0)); // month is 1-based here: day 0 of the next month
  return Date.UTC(year, month - 1, last.getUTCDate() - last.getUTCDay(), 1);
};
export const oracleOffset = (t: number): number => {
  const year = new Date(t).getUTCFullYear();
  return t >= lastSundayUtc(year, 3) && t < lastSundayUtc(year, 10) ? HOUR : 0;
};
export const oracleWall = (t: number): LondonWallClock => {
  const d = new Date(t + oracleOffset(t));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
};
export const wallMs = (w: LondonWallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
/** True when 01:xx on this date does not exist in London (the spring-forward day). */
export const isSpringForwardDay = (year: number, month: number, day: number) => month === 3 && Date.UTC(year, 2, day, 1) === lastSundayUtc(year, 3);
/** The instant London shows this wall reading: gap → forward an hour, overlap → earlier instant. */
export const oracleInstant = (w: LondonWallClock): number => {
  const local = wallMs(w);
  const valid = [local - HOUR, local].filter((t) => oracleOffset(t) === local - t);
  return valid.length > 0 ? Math.min(...valid) : local; // in the gap: local - GMT offset = the wall reading + 1h in BST
};
export const londonDayNumber = (w: { year: number; month: number; day: number }) => Date.UTC(w.year, w.month - 1, w.day) / DAY;
export const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
export const londonDate = (d: Date) => {
  const w = londonWallClock(d);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
};
export const londonTime = (d: Date) => {
  const w = londonWallClock(d);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
};

// Instants (2010–2080) biased towards the awkward places: both clock changes (within a few hours), month ends, leap days; plus anything.
// 2010–2080, so that ±240 months or ±800 days stays inside the oracle's 1996–2099 range.
export const YEAR = fc.integer({ min: 2010, max: 2080 });
export const nearClockChange = fc
  .tuple(YEAR, fc.constantFrom(3, 10), fc.integer({ min: -3 * HOUR, max: 3 * HOUR }))
  .map(([year, month, delta]) => new Date(lastSundayUtc(year, month) + delta));
export const nearMonthEnd = fc
  .tuple(YEAR, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: DAY - 1 }))
  .map(([year, month, back, ms]) => new Date(Date.UTC(year, month, -back) + ms - HOUR));
export const leapDay = fc
  .tuple(fc.integer({ min: 503, max: 520 }), fc.integer({ min: 0, max: DAY - 1 }))
  .map(([q, ms]) => new Date(Date.UTC(q * 4, 1, 29) + ms));
export const anyInstant = fc.date({ min: iso('2010-01-01T00:00:00Z'), max: iso('2080-12-31T00:00:00Z'), noInvalidDate: true });
export const instant = fc.oneof(nearClockChange, nearMonthEnd, leapDay, anyInstant);
/** Wall readings at the awkward hours of the clock-change days (01:00–01:59 is the gap in March, the repeat in October). */
export const clockChangeWallTime = fc.tuple(YEAR, fc.constantFrom(3, 10), fc.integer({ min: 0, max: 3 * HOUR - 1 })).map(([year, month, ms]) => {
  const day = new Date(lastSundayUtc(year, month)).getUTCDate();
  return new Date(Date.UTC(year, month - 1, day - 1, 23) + ms); // 23:00 UTC the night before, then up to 3 hours on
});
export const instantOrClockChangeDay = fc.oneof(instant, clockChangeWallTime);
