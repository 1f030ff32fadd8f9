import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  addCalendarMonths,
  addDays,
  clockStartsOn,
  clockStatus,
  daysBetween,
  extensionProblem,
  isCalendarDate,
  type CalendarDate,
  type ClockStart,
} from './subject-request-clock.js';

const day = fc
  .integer({ min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2099, 11, 31) / 86_400_000 })
  .map((n) => new Date(n * 86_400_000).toISOString().slice(0, 10));
const start = fc.constantFrom<ClockStart>('receipt_day', 'day_after_receipt');

describe('DP-07 the one-month clock of a data subject’s request (s.54)', () => {
  it('DP-07: a calendar month is the same day next month, or that month’s last day', () => {
    assert.equal(addCalendarMonths('2026-03-03', 1), '2026-04-03');
    assert.equal(addCalendarMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addCalendarMonths('2028-01-31', 1), '2028-02-29');
    assert.equal(addCalendarMonths('2026-12-15', 1), '2027-01-15');
    assert.equal(addCalendarMonths('2026-08-31', 3), '2026-11-30');
  });

  it('DP-07: the start convention is the day of receipt or the day after (CONFIG)', () => {
    assert.equal(clockStatus({ receivedOn: '2026-03-03' }, 'receipt_day', '2026-03-03').dueOn, '2026-04-03');
    assert.equal(clockStatus({ receivedOn: '2026-03-03' }, 'day_after_receipt', '2026-03-03').dueOn, '2026-04-04');
  });

  it('DP-07: property: one month is 28 to 31 days; the day after never gives an earlier date', () => {
    fc.assert(
      fc.property(day, start, (received, s) => {
        const from = clockStartsOn({ receivedOn: received }, s)!;
        const due = clockStatus({ receivedOn: received }, s, received).dueOn!;
        const length = daysBetween(from, due);
        assert.ok(length >= 28 && length <= 31, `${received} → ${due}`);
        assert.ok(
          daysBetween(
            clockStatus({ receivedOn: received }, 'receipt_day', received).dueOn!,
            clockStatus({ receivedOn: received }, 'day_after_receipt', received).dueOn!,
          ) >= 0,
        );
      }),
    );
  });

  it('DP-07: property: a later receipt never gives an earlier due date (monotonic)', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 400 }), start, (a, gap, s) => {
        const b = addDays(a, gap);
        assert.ok(daysBetween(clockStatus({ receivedOn: a }, s, a).dueOn!, clockStatus({ receivedOn: b }, s, b).dueOn!) >= 0);
      }),
    );
  });

  it('DP-07: property: the clock runs from the latest of receipt, identity and fee; it waits while identity is awaited', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), start, (received, idGap, feeGap, s) => {
        const identityReceivedOn = addDays(received, idGap);
        const feePaidOn = addDays(received, feeGap);
        const from = clockStartsOn({ receivedOn: received, identityRequested: true, identityReceivedOn, feePaidOn }, s)!;
        const latest = addDays(received, Math.max(idGap, feeGap));
        assert.equal(from, s === 'receipt_day' ? latest : addDays(latest, 1));
        const waiting = clockStatus({ receivedOn: received, identityRequested: true }, s, addDays(received, 200));
        assert.equal(waiting.state, 'awaiting_identity');
        assert.equal(waiting.overdue, false);
      }),
    );
  });

  it('DP-07: property: days left fall by one a day; overdue exactly when today is after the due date', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 120 }), start, fc.integer({ min: 0, max: 2 }), (received, elapsed, s, ext) => {
        const facts = { receivedOn: received, extensionMonths: ext };
        const today = addDays(received, elapsed);
        const now = clockStatus(facts, s, today);
        const next = clockStatus(facts, s, addDays(today, 1));
        assert.equal(next.daysLeft, now.daysLeft! - 1);
        assert.equal(now.overdue, daysBetween(now.dueOn!, today) > 0);
      }),
    );
  });

  it('DP-07: property: an extension of n months moves the due date to n + 1 months from the start; paused days are added', () => {
    fc.assert(
      fc.property(day, start, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 40 }), (received, s, n, paused) => {
        const from = clockStartsOn({ receivedOn: received }, s)!;
        const status = clockStatus({ receivedOn: received, extensionMonths: n, pausedDays: paused }, s, received);
        assert.equal(status.dueOn, addDays(addCalendarMonths(from, 1 + n), paused));
        assert.equal(status.firstMonthEndsOn, addDays(addCalendarMonths(from, 1), paused));
      }),
    );
  });

  it('DP-07: property: an open pause holds the days left still', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 60 }), start, (received, before, waited, s) => {
        const pausedSince = addDays(received, before);
        const a = clockStatus({ receivedOn: received, pausedSince }, s, pausedSince);
        const b = clockStatus({ receivedOn: received, pausedSince }, s, addDays(pausedSince, waited));
        assert.equal(b.state, 'paused');
        assert.equal(b.daysLeft, a.daysLeft);
      }),
    );
  });

  it('DP-07: an extension needs notice before the first month ends, is one or two months, and is given once', () => {
    const facts = { receivedOn: '2026-03-03' };
    assert.equal(extensionProblem(facts, 'receipt_day', 2, '2026-04-03'), undefined);
    assert.match(extensionProblem(facts, 'receipt_day', 2, '2026-04-04')!, /before the first month ends \(2026-04-03\)/);
    assert.match(extensionProblem(facts, 'receipt_day', 3, '2026-03-10')!, /one or two/);
    assert.match(extensionProblem({ ...facts, extensionMonths: 1 }, 'receipt_day', 1, '2026-03-10')!, /already/);
    assert.match(extensionProblem({ ...facts, identityRequested: true }, 'receipt_day', 1, '2026-03-10')!, /not started/);
    assert.match(extensionProblem(facts, 'receipt_day', 1, '2026-03-01')!, /before the request was received/);
  });

  it('DP-07: a response after the due date is recorded as late', () => {
    const late = clockStatus({ receivedOn: '2026-03-03', respondedOn: '2026-04-04' }, 'receipt_day', '2026-05-01');
    assert.deepEqual([late.state, late.respondedLate, late.overdue], ['responded', true, false]);
    assert.equal(clockStatus({ receivedOn: '2026-03-03', respondedOn: '2026-04-03' }, 'receipt_day', '2026-05-01').respondedLate, false);
  });

  it('calendar dates are validated', () => {
    const valid: CalendarDate[] = ['2026-02-28', '2028-02-29'];
    for (const v of valid) assert.ok(isCalendarDate(v));
    for (const v of ['2026-02-29', '2026-13-01', '26-01-01', '2026-1-1', '']) assert.equal(isCalendarDate(v), false, v);
    assert.throws(() => addDays('2026-02-30', 1), RangeError);
  });
});
