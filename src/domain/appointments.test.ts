import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  appointmentWindow,
  decideBooking,
  decideChangeRequest,
  isMissed,
  isReminderDue,
  londonClockText,
  londonSlotText,
  offeredSlots,
  reminderDueAt,
  windowPosition,
  type AppointmentStatus,
} from './appointments.js';

const SETTINGS = { reminderMinutes: 10, windowBeforeMinutes: 15, windowAfterMinutes: 30, maxDaysAhead: 14, maxChangeRequests: 3 };
const MINUTE = 60_000;
const STATUSES: AppointmentStatus[] = ['booked', 'reminded', 'joined', 'missed', 'cancelled'];
const instant = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2030, 0, 1) }).map((t) => new Date(t));
const settings = fc.record({
  reminderMinutes: fc.integer({ min: 0, max: 120 }),
  windowBeforeMinutes: fc.integer({ min: 0, max: 120 }),
  windowAfterMinutes: fc.integer({ min: 1, max: 120 }),
  maxDaysAhead: fc.integer({ min: 1, max: 90 }),
  maxChangeRequests: fc.integer({ min: 1, max: 5 }),
});

// Issue 17 §4 (policy 4.0): the rules of a video appointment for later.
describe('video appointment rules (issue 17 §4, policy 4.0)', () => {
  it('the link window runs from windowBefore minutes before the slot to windowAfter minutes after; early, open, closed in that order', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -600, max: 600 }), settings, (slot, minutes, s) => {
        const now = new Date(slot.getTime() + minutes * MINUTE);
        const { opensAt, closesAt } = appointmentWindow(slot, s);
        const position = windowPosition(slot, now, s);
        assert.equal(position, now < opensAt ? 'early' : now >= closesAt ? 'closed' : 'open');
        assert.ok(opensAt <= slot && slot < closesAt);
      }),
    );
  });

  it('the reminder is due once booked, from reminderMinutes before the slot until the window closes; never for another status', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -600, max: 600 }), settings, fc.constantFrom(...STATUSES), (slot, minutes, s, status) => {
        const now = new Date(slot.getTime() + minutes * MINUTE);
        const due = isReminderDue({ slot, status }, now, s);
        assert.equal(due, status === 'booked' && now >= reminderDueAt(slot, s) && windowPosition(slot, now, s) !== 'closed');
      }),
    );
  });

  it('missed only when the window has closed and nobody joined (booked or reminded); a missed appointment was never due a reminder after', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -600, max: 600 }), settings, fc.constantFrom(...STATUSES), (slot, minutes, s, status) => {
        const now = new Date(slot.getTime() + minutes * MINUTE);
        const missed = isMissed({ slot, status }, now, s);
        assert.equal(missed, (status === 'booked' || status === 'reminded') && windowPosition(slot, now, s) === 'closed');
        if (missed) assert.equal(isReminderDue({ slot, status }, now, s), false);
      }),
    );
  });

  it('books a UK date and time in the future and within the limit; reads it in Europe/London (GMT and BST)', () => {
    const now = new Date('2026-06-01T08:00:00Z');
    const summer = decideBooking({ date: '2026-06-01', time: '14:30', reason: 'cannot_talk_now' }, now, SETTINGS);
    assert.deepEqual(summer, { allowed: true, slot: new Date('2026-06-01T13:30:00Z') }, 'BST is UTC+1');
    const winter = decideBooking({ date: '2026-12-01', time: '14:30', reason: 'interpreter_needed' }, new Date('2026-11-30T08:00:00Z'), SETTINGS);
    assert.deepEqual(winter, { allowed: true, slot: new Date('2026-12-01T14:30:00Z') }, 'GMT is UTC');
    const refusals: [Parameters<typeof decideBooking>[0], RegExp][] = [
      [{ date: '2026-06-01', time: '09:00', reason: 'cannot_talk_now' }, /in the future/],
      [{ date: '2026-06-01', time: '24:00', reason: 'cannot_talk_now' }, /HH:MM/],
      [{ date: '2026-06-31', time: '10:00', reason: 'cannot_talk_now' }, /real date/],
      [{ date: '01/06/2026', time: '10:00', reason: 'cannot_talk_now' }, /YYYY-MM-DD/],
      [{ date: '2026-06-20', time: '10:00', reason: 'cannot_talk_now' }, /within 14 days/],
      [{ date: '2026-06-02', time: '10:00', reason: 'because' }, /Select why/],
    ];
    for (const [input, message] of refusals) {
      const decision = decideBooking(input, now, SETTINGS);
      assert.equal(decision.allowed, false, JSON.stringify(input));
      if (!decision.allowed) assert.match(decision.message, message);
    }
  });

  it('an accepted booking is always in the future and within maxDaysAhead', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -2 * 24 * 60, max: 100 * 24 * 60 }), settings, (now, minutes, s) => {
        const wall = new Date(now.getTime() + minutes * MINUTE);
        const parts = new Intl.DateTimeFormat('en-CA', {
          timeZone: 'Europe/London',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          hourCycle: 'h23',
        }).formatToParts(wall);
        const p = (type: string) => parts.find((x) => x.type === type)!.value;
        const decision = decideBooking(
          { date: `${p('year')}-${p('month')}-${p('day')}`, time: `${p('hour')}:${p('minute')}`, reason: 'cannot_talk_now' },
          now,
          s,
        );
        if (decision.allowed) {
          assert.ok(decision.slot > now);
          assert.ok(decision.slot.getTime() <= now.getTime() + s.maxDaysAhead * 24 * 60 * MINUTE);
        }
      }),
    );
  });

  it('offers up to four other times, each in the future, at least an hour after the slot, within the limit, distinct and sorted', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 13 * 24 * 60 }), settings, (now, minutes, s) => {
        const slot = new Date(now.getTime() + minutes * MINUTE);
        const offered = offeredSlots(slot, now, s);
        assert.ok(offered.length <= 4);
        for (const [i, o] of offered.entries()) {
          assert.ok(o.getTime() >= Math.max(now.getTime(), slot.getTime()) + 60 * MINUTE);
          assert.ok(o.getTime() <= now.getTime() + s.maxDaysAhead * 24 * 60 * MINUTE);
          if (i > 0) assert.ok(o > offered[i - 1]!);
        }
      }),
    );
  });

  it('the victim picks an offered time or a time of day, at most maxChangeRequests times, not after joining', () => {
    const offered = [new Date('2026-06-02T09:00:00Z')];
    const open = { status: 'booked' as const, changeRequests: 0 };
    assert.deepEqual(decideChangeRequest({ choice: '2026-06-02T09:00:00.000Z' }, open, offered, SETTINGS), {
      allowed: true,
      request: { kind: 'slot', slot: offered[0] },
    });
    assert.deepEqual(decideChangeRequest({ choice: 'evening' }, open, offered, SETTINGS), {
      allowed: true,
      request: { kind: 'best_time', bestTime: 'evening' },
    });
    assert.equal(decideChangeRequest({ choice: '2026-06-03T09:00:00.000Z' }, open, offered, SETTINGS).allowed, false, 'not an offered time');
    assert.equal(decideChangeRequest({ choice: 'toString' }, open, offered, SETTINGS).allowed, false, 'no prototype keys');
    assert.deepEqual(decideChangeRequest({ choice: 'evening' }, { status: 'missed', changeRequests: 3 }, offered, SETTINGS), {
      allowed: false,
      status: 429,
      message: 'We already have your request. Someone will be in touch about a new time',
    });
    assert.equal(decideChangeRequest({ choice: 'evening' }, { status: 'joined', changeRequests: 0 }, offered, SETTINGS).allowed, false);
  });

  it('says the time in UK words', () => {
    assert.equal(londonSlotText(new Date('2026-12-05T14:30:00Z')), 'Saturday 5 December at 2:30pm');
    assert.equal(londonClockText(new Date('2026-06-05T11:05:00Z')), '12:05pm');
    assert.equal(londonClockText(new Date('2026-06-04T23:15:00Z')), '12:15am');
    // Issue 17 §2: the same time in Welsh words (the catalogs give these; here as the service builds them).
    const welsh = { locale: 'cy-GB', at: '{{day}} am {{clock}}', am: 'yb', pm: 'yp' };
    assert.equal(londonSlotText(new Date('2026-12-05T14:30:00Z'), welsh), 'Dydd Sadwrn, 5 Rhagfyr am 2:30yp');
    assert.equal(londonClockText(new Date('2026-06-04T23:15:00Z'), welsh), '12:15yb');
  });
});
