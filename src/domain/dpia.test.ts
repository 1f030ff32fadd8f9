import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DPIA_WARN_DAYS, dpiaState, validateDpia, type DpiaRecord } from './dpia.js';

const now = new Date('2026-12-05T10:00:00Z');
const approved = (reviewDue: string): DpiaRecord => ({ reference: 'DPIA-RVR-1', approvedBy: 'A. Chief, SIRO', approvedOn: '2026-01-10', reviewDue });

describe('the DPIA go-live gate (DP-13, SC-2)', () => {
  it('DP-13: no DPIA, or one not approved, refuses live calls', () => {
    assert.equal(dpiaState(undefined, now).allowsLiveCalls, false);
    assert.match(dpiaState(undefined, now).warning!, /No data protection impact assessment/);
    const unapproved = dpiaState({ reference: 'D-1', approvedBy: null, approvedOn: null, reviewDue: '2027-06-01' }, now);
    assert.equal(unapproved.status, 'unapproved');
    assert.equal(unapproved.allowsLiveCalls, false);
  });
  it('SC-2: an approved DPIA in date allows live calls with no warning', () => {
    const state = dpiaState(approved('2027-01-05'), now);
    assert.equal(state.status, 'in_date');
    assert.equal(state.allowsLiveCalls, true);
    assert.equal(state.warning, undefined);
  });
  it('SC-2: warns from 30 days before the review, refuses after the review date', () => {
    assert.equal(dpiaState(approved('2027-01-05'), now).daysToReview, 31);
    const soon = dpiaState(approved('2027-01-04'), now);
    assert.equal(soon.status, 'review_due_soon');
    assert.equal(soon.allowsLiveCalls, true);
    assert.match(soon.warning!, /due on 2027-01-04 \(in 30 days\)/);
    assert.equal(dpiaState(approved('2026-12-05'), now).status, 'review_due_soon');
    const overdue = dpiaState(approved('2026-12-04'), now);
    assert.equal(overdue.status, 'review_overdue');
    assert.equal(overdue.allowsLiveCalls, false);
  });
  it('SC-2 (property): live calls are allowed exactly while approved and the review date is today or later; warned within 30 days', () => {
    fc.assert(
      fc.property(fc.integer({ min: -400, max: 400 }), (offset) => {
        const due = new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
        const state = dpiaState(approved(due), now);
        assert.equal(state.allowsLiveCalls, offset >= 0);
        assert.equal(state.warning !== undefined, offset <= DPIA_WARN_DAYS);
      }),
    );
  });
  it('validates what the admin enters, with messages a person can act on', () => {
    const ok = validateDpia({ reference: 'DPIA-RVR-2', approvedBy: 'A. Chief, SIRO', approvedOn: '2026-12-01', reviewDue: '2027-12-01' }, now);
    assert.deepEqual(ok, { record: { reference: 'DPIA-RVR-2', approvedBy: 'A. Chief, SIRO', approvedOn: '2026-12-01', reviewDue: '2027-12-01' } });
    const errorsOf = (input: Parameters<typeof validateDpia>[0]) =>
      'errors' in validateDpia(input, now) ? (validateDpia(input, now) as { errors: Record<string, string> }).errors : {};
    assert.match(errorsOf({ reference: '', reviewDue: '2027-01-01' }).reference!, /reference/);
    assert.match(errorsOf({ reference: 'D-1', reviewDue: '2027-02-30' }).reviewDue!, /YYYY-MM-DD/);
    assert.match(errorsOf({ reference: 'D-1', approvedBy: 'X', approvedOn: '2026-12-06', reviewDue: '2027-06-01' }).approvedOn!, /future/);
    assert.match(errorsOf({ reference: 'D-1', approvedBy: 'X', reviewDue: '2027-06-01' }).approvedOn!, /date it was approved/);
    assert.match(errorsOf({ reference: 'D-1', approvedOn: '2026-12-01', reviewDue: '2027-06-01' }).approvedBy!, /who approved/);
    assert.match(errorsOf({ reference: 'D-1', approvedBy: 'X', approvedOn: '2026-12-01', reviewDue: '2028-01-01' }).reviewDue!, /within a year/);
    assert.match(errorsOf({ reference: 'D-1', approvedBy: 'X', approvedOn: '2026-12-01', reviewDue: '2026-11-01' }).reviewDue!, /after the approval/);
  });
});
