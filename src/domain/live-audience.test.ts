import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LIVE_EVENT_TYPES, mayReceiveLiveEvent, type LiveEventType } from './live-audience.js';
import { ROLES, type Role } from './roles.js';

describe('mayReceiveLiveEvent (DP-01, need to know on the live stream)', () => {
  const me = 'user-1';
  const queueRoles: Role[] = ['call_handler', 'rvr_officer', 'supervisor'];
  for (const role of ROLES) {
    for (const type of LIVE_EVENT_TYPES) {
      const aboutOne = type === 'call' || type === 'safety_alert' || type === 'statement' || type === 'victim_location';
      it(`${role} × ${type}`, () => {
        const roles: Role[] = [role];
        if (!aboutOne) {
          for (const assigned of [me, 'someone-else', null]) assert.equal(mayReceiveLiveEvent({ id: me, roles }, type, assigned), queueRoles.includes(role));
          return;
        }
        assert.equal(mayReceiveLiveEvent({ id: me, roles }, type, 'someone-else'), role === 'supervisor', 'someone else’s consultation');
        assert.equal(mayReceiveLiveEvent({ id: me, roles }, type, null), role === 'supervisor', 'an unassigned consultation');
        assert.equal(mayReceiveLiveEvent({ id: me, roles }, type, me), role === 'supervisor' || role === 'rvr_officer', 'their own consultation');
      });
    }
  }
  it('a call handler never hears of a safety alert, a call, a statement or the victim’s location, even one they triaged', () => {
    for (const type of ['call', 'safety_alert', 'statement', 'victim_location'] as const)
      assert.equal(mayReceiveLiveEvent({ id: me, roles: ['call_handler'] }, type, me), false);
  });
  it('an event type without a rule reaches nobody', () => {
    assert.equal(mayReceiveLiveEvent({ id: me, roles: ['supervisor'] }, 'unknown' as LiveEventType, me), false);
  });
});
