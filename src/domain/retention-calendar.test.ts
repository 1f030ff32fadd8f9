import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addCalendarDays, addCalendarMonths, addCalendarYears, fromLondonWallClock, londonWallClock } from './retention.js';
import {
  HOUR,
  daysIn,
  instant,
  instantOrClockChangeDay,
  isSpringForwardDay,
  iso,
  londonDate,
  londonDayNumber,
  londonTime,
  oracleInstant,
  oracleOffset,
  oracleWall,
} from '../../test/support/london-time.js';

describe('London calendar: wall clock (rules.md "Time calculations", EVD-05)', () => {
  it('EVD-05: reads GMT in winter and BST in summer', () => {
    assert.deepEqual(londonWallClock(iso('2026-01-15T12:00:00.123Z')), { year: 2026, month: 1, day: 15, hour: 12, minute: 0, second: 0, millisecond: 123 });
    assert.deepEqual(londonWallClock(iso('2026-07-01T23:30:00Z')), { year: 2026, month: 7, day: 2, hour: 0, minute: 30, second: 0, millisecond: 0 });
  });

  it('EVD-05: 2026-03-29 spring forward at 01:00 UTC; 2026-10-25 fall back at 01:00 UTC', () => {
    assert.equal(londonTime(iso('2026-03-29T00:59:00Z')), '00:59');
    assert.equal(londonTime(iso('2026-03-29T01:00:00Z')), '02:00');
    assert.equal(londonTime(iso('2026-10-25T00:59:00Z')), '01:59');
    assert.equal(londonTime(iso('2026-10-25T01:00:00Z')), '01:00');
  });

  it('property: londonWallClock agrees with the independent BST rule', () => {
    fc.assert(
      fc.property(instantOrClockChangeDay, (d) => assert.deepEqual(londonWallClock(d), oracleWall(d.getTime()))),
      { numRuns: 500 },
    );
  });

  it('fromLondonWallClock: 01:30 on 2026-03-29 does not exist and moves forward an hour to 02:30 BST', () => {
    const t = fromLondonWallClock({ year: 2026, month: 3, day: 29, hour: 1, minute: 30, second: 0, millisecond: 0 });
    assert.equal(t.toISOString(), '2026-03-29T01:30:00.000Z');
    assert.equal(londonTime(t), '02:30');
  });

  it('fromLondonWallClock: 01:30 on 2026-10-25 happens twice and resolves to the earlier (BST) instant', () => {
    const t = fromLondonWallClock({ year: 2026, month: 10, day: 25, hour: 1, minute: 30, second: 0, millisecond: 0 });
    assert.equal(t.toISOString(), '2026-10-25T00:30:00.000Z');
  });

  it('fromLondonWallClock normalises overflowing fields (32 January is 1 February)', () => {
    const t = fromLondonWallClock({ year: 2026, month: 1, day: 32, hour: 9, minute: 0, second: 0, millisecond: 0 });
    assert.equal(t.toISOString(), '2026-02-01T09:00:00.000Z');
  });

  it('property: fromLondonWallClock inverts londonWallClock, except the repeated hour, which maps to its first occurrence', () => {
    fc.assert(
      fc.property(instantOrClockChangeDay, (d) => {
        const back = fromLondonWallClock(londonWallClock(d)).getTime();
        const secondOccurrence = oracleOffset(d.getTime()) === 0 && oracleOffset(d.getTime() - HOUR) === HOUR;
        assert.equal(back, secondOccurrence ? d.getTime() - HOUR : d.getTime());
      }),
      { numRuns: 500 },
    );
  });

  it('rejects an invalid date', () => {
    assert.throws(() => londonWallClock(new Date(NaN)), RangeError);
    assert.throws(() => addCalendarDays(new Date(NaN), 1), RangeError);
  });
});

describe('London calendar: adding days', () => {
  it('00:30 local stays 00:30 local across the 2026-03-29 spring-forward (23 elapsed hours)', () => {
    const start = iso('2026-03-29T00:30:00Z'); // 00:30 GMT
    const next = addCalendarDays(start, 1);
    assert.equal(next.toISOString(), '2026-03-29T23:30:00.000Z'); // 00:30 BST on 30 March
    assert.equal(`${londonDate(next)} ${londonTime(next)}`, '2026-03-30 00:30');
    assert.equal(next.getTime() - start.getTime(), 23 * HOUR);
  });

  it('00:30 local stays 00:30 local across the 2026-10-25 fall-back (25 elapsed hours)', () => {
    const start = iso('2026-10-24T23:30:00Z'); // 00:30 BST on 25 October
    const next = addCalendarDays(start, 1);
    assert.equal(next.toISOString(), '2026-10-26T00:30:00.000Z');
    assert.equal(next.getTime() - start.getTime(), 25 * HOUR);
  });

  it('01:30 on 2026-03-28 plus a day lands in the gap and moves forward to 02:30 BST', () => {
    const next = addCalendarDays(iso('2026-03-28T01:30:00Z'), 1);
    assert.equal(`${londonDate(next)} ${londonTime(next)}`, '2026-03-29 02:30');
  });

  it('01:30 on 2026-10-24 plus a day is the first 01:30 of 2026-10-25', () => {
    assert.equal(addCalendarDays(iso('2026-10-24T00:30:00Z'), 1).toISOString(), '2026-10-25T00:30:00.000Z');
  });

  it('crosses month and year ends, and 2028-02-29', () => {
    assert.equal(addCalendarDays(iso('2028-02-28T10:00:00Z'), 1).toISOString(), '2028-02-29T10:00:00.000Z');
    assert.equal(addCalendarDays(iso('2028-02-29T10:00:00Z'), 1).toISOString(), '2028-03-01T10:00:00.000Z');
    assert.equal(addCalendarDays(iso('2026-12-31T10:00:00Z'), 1).toISOString(), '2027-01-01T10:00:00.000Z');
    assert.equal(addCalendarDays(iso('2026-03-01T10:00:00Z'), -1).toISOString(), '2026-02-28T10:00:00.000Z');
    assert.equal(addCalendarDays(iso('2026-05-05T10:00:00Z'), 0).toISOString(), '2026-05-05T10:00:00.000Z');
  });

  it('rejects a fractional number of days', () => {
    assert.throws(() => addCalendarDays(iso('2026-01-01T00:00:00Z'), 1.5), RangeError);
  });

  it('property: the London date moves n days; the wall-clock time is unchanged unless it falls in the spring-forward gap (then +1h)', () => {
    fc.assert(
      fc.property(instantOrClockChangeDay, fc.integer({ min: -800, max: 800 }), (d, n) => {
        const before = londonWallClock(d);
        const result = addCalendarDays(d, n);
        const after = londonWallClock(result);
        assert.equal(londonDayNumber(after), londonDayNumber(before) + n);
        const inGap = before.hour === 1 && isSpringForwardDay(after.year, after.month, after.day);
        assert.deepEqual(
          [after.hour, after.minute, after.second, after.millisecond],
          [inGap ? 2 : before.hour, before.minute, before.second, before.millisecond],
        );
        assert.equal(result.getTime(), oracleInstant({ ...before, year: after.year, month: after.month, day: after.day }));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('London calendar: adding months and years', () => {
  it('31 January plus a month is the last day of February (28 in 2027, 29 in 2028)', () => {
    assert.equal(londonDate(addCalendarMonths(iso('2027-01-31T12:00:00Z'), 1)), '2027-02-28');
    assert.equal(londonDate(addCalendarMonths(iso('2028-01-31T12:00:00Z'), 1)), '2028-02-29');
    assert.equal(londonDate(addCalendarMonths(iso('2026-08-31T12:00:00Z'), 1)), '2026-09-30');
    assert.equal(londonDate(addCalendarMonths(iso('2026-03-31T12:00:00Z'), -1)), '2026-02-28');
  });

  it('the clamp does not carry: 31 Jan + 1 month + 1 month is 28 March, but 31 Jan + 2 months is 31 March', () => {
    assert.equal(londonDate(addCalendarMonths(addCalendarMonths(iso('2027-01-31T12:00:00Z'), 1), 1)), '2027-03-28');
    assert.equal(londonDate(addCalendarMonths(iso('2027-01-31T12:00:00Z'), 2)), '2027-03-31');
  });

  it('RET-17: 6 months from a conviction at 00:30 local on 2026-04-29 (BST) is 00:30 local on 2026-10-29 (GMT)', () => {
    const result = addCalendarMonths(iso('2026-04-28T23:30:00Z'), 6);
    assert.equal(result.toISOString(), '2026-10-29T00:30:00.000Z');
  });

  it('months across the year end, and negative months', () => {
    assert.equal(londonDate(addCalendarMonths(iso('2026-11-15T12:00:00Z'), 3)), '2027-02-15');
    assert.equal(londonDate(addCalendarMonths(iso('2026-02-15T12:00:00Z'), -3)), '2025-11-15');
    assert.equal(londonDate(addCalendarMonths(iso('2026-02-15T12:00:00Z'), -14)), '2024-12-15');
  });

  it('29 February 2028 plus a year is 28 February 2029 (documented choice); plus 4 years is 29 February 2032', () => {
    const leap = iso('2028-02-29T09:15:00Z');
    assert.equal(addCalendarYears(leap, 1).toISOString(), '2029-02-28T09:15:00.000Z');
    assert.equal(addCalendarYears(leap, 4).toISOString(), '2032-02-29T09:15:00.000Z');
    assert.equal(londonDate(addCalendarYears(leap, -1)), '2027-02-28');
  });

  it('a local midnight in London (23:00 UTC in summer) stays local midnight after adding years', () => {
    // 1990-06-01 00:00 BST is 1990-05-31T23:00Z; the 100th birthday is 2090-06-01 00:00 BST.
    assert.equal(addCalendarYears(iso('1990-05-31T23:00:00Z'), 100).toISOString(), '2090-05-31T23:00:00.000Z');
  });

  it('rejects fractional months and years', () => {
    assert.throws(() => addCalendarMonths(iso('2026-01-01T00:00:00Z'), 0.5), RangeError);
    assert.throws(() => addCalendarYears(iso('2026-01-01T00:00:00Z'), 1.1), RangeError);
  });

  it('property: adding months lands in the right month, never overflows into the next, clamps only at the month end', () => {
    fc.assert(
      fc.property(instantOrClockChangeDay, fc.integer({ min: -240, max: 240 }), (d, n) => {
        const before = londonWallClock(d);
        const after = londonWallClock(addCalendarMonths(d, n));
        const index = before.year * 12 + before.month - 1 + n;
        assert.deepEqual([after.year, after.month], [Math.floor(index / 12), (index % 12) + 1]);
        assert.equal(after.day, Math.min(before.day, daysIn(after.year, after.month)));
        const inGap = before.hour === 1 && isSpringForwardDay(after.year, after.month, after.day);
        assert.deepEqual(
          [after.hour, after.minute, after.second, after.millisecond],
          [inGap ? 2 : before.hour, before.minute, before.second, before.millisecond],
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('property: adding years is adding 12 × months, and 29 February goes to 28 February in a common year', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -20, max: 20 }), (d, n) => {
        const result = addCalendarYears(d, n);
        assert.equal(result.getTime(), addCalendarMonths(d, 12 * n).getTime());
        const before = londonWallClock(d);
        const after = londonWallClock(result);
        assert.equal(after.year, before.year + n);
        if (before.month === 2 && before.day === 29) assert.equal(after.day, daysIn(after.year, 2));
        else assert.deepEqual([after.month, after.day], [before.month, before.day]);
      }),
      { numRuns: 500 },
    );
  });

  it('property: adding months is monotonic in the start date at the calendar-date level', () => {
    fc.assert(
      fc.property(instant, instant, fc.integer({ min: 0, max: 240 }), (a, b, n) => {
        const [early, late] = a.getTime() <= b.getTime() ? [a, b] : [b, a];
        const x = londonWallClock(addCalendarMonths(early, n));
        const y = londonWallClock(addCalendarMonths(late, n));
        assert.ok(londonDayNumber(x) <= londonDayNumber(y));
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------------------------------------
