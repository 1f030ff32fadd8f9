import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { breachClock, decisionRefusal, hoursAndMinutes, icoDeadline, notificationIsLate, subjectsMustBeTold } from './breach-clock.js';

const HOUR = 3_600_000;
const aware = new Date('2026-12-01T09:00:00Z');

describe('the 72-hour ICO breach clock (DP-15)', () => {
  it('DP-15: the deadline is 72 hours after awareness', () => {
    assert.equal(icoDeadline(aware).toISOString(), '2026-12-04T09:00:00.000Z');
  });
  it('DP-15: counts down while running, in hours and minutes', () => {
    const clock = breachClock({ awareAt: aware }, new Date(aware.getTime() + 30 * HOUR + 48 * 60_000));
    assert.equal(clock.status, 'running');
    assert.equal(clock.summary, '41 h 12 min left to notify the ICO');
  });
  it('DP-15: exactly at 72 hours it is still running; one minute later it is overdue and asks for the reasons for delay', () => {
    assert.equal(breachClock({ awareAt: aware }, icoDeadline(aware)).status, 'running');
    const late = breachClock({ awareAt: aware }, new Date(icoDeadline(aware).getTime() + 65 * 60_000));
    assert.equal(late.status, 'overdue');
    assert.match(late.summary, /Overdue by 1 h 5 min: .*reasons for the delay/);
  });
  it('DP-15: a notification stops the clock, in time or late', () => {
    assert.equal(
      breachClock({ awareAt: aware, icoNotifiedAt: new Date(aware.getTime() + 20 * HOUR) }, new Date(aware.getTime() + 100 * HOUR)).status,
      'notified_in_time',
    );
    const late = breachClock({ awareAt: aware, icoNotifiedAt: new Date(aware.getTime() + 73 * HOUR) }, new Date(aware.getTime() + 100 * HOUR));
    assert.equal(late.status, 'notified_late');
    assert.match(late.summary, /73 h 0 min after awareness \(late\)/);
  });
  it('DP-15: a decision not to notify stops the clock', () => {
    assert.equal(breachClock({ awareAt: aware, risk: 'unlikely', decision: 'not_notify' }, new Date(aware.getTime() + 100 * HOUR)).status, 'not_required');
  });
  it('DP-15 (property): with no notification and no decision, running exactly until 72 hours, overdue after', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 60 }), (minutes) => {
        const now = new Date(aware.getTime() + minutes * 60_000);
        const clock = breachClock({ awareAt: aware }, now);
        assert.equal(clock.status, minutes <= 72 * 60 ? 'running' : 'overdue');
        assert.equal(clock.remainingMs, 72 * HOUR - minutes * 60_000);
        assert.equal(notificationIsLate(aware, now), minutes > 72 * 60);
      }),
    );
  });
  it('formats durations in whole minutes', () => {
    assert.equal(hoursAndMinutes(59_999), '0 min');
    assert.equal(hoursAndMinutes(-(2 * HOUR + 60_000)), '2 h 1 min');
  });
  it('DP-15: the decision fits the assessment: assessed first; a risk is notified; not notifying needs a reason', () => {
    assert.match(decisionRefusal(undefined, 'notify', undefined)!, /Assess the risk/);
    assert.match(decisionRefusal('risk', 'not_notify', 'a long enough reason')!, /must be notified/);
    assert.match(decisionRefusal('high_risk', 'not_notify', 'a long enough reason')!, /must be notified/);
    assert.match(decisionRefusal('unlikely', 'not_notify', 'short')!, /reason/);
    assert.equal(decisionRefusal('unlikely', 'not_notify', 'Encrypted laptop, key not lost'), undefined);
    assert.equal(decisionRefusal('risk', 'notify', undefined), undefined);
  });
  it('DPA 2018 s.68: only a high risk must be told to the data subjects', () => {
    assert.deepEqual((['unlikely', 'risk', 'high_risk'] as const).map(subjectsMustBeTold), [false, false, true]);
  });
});
