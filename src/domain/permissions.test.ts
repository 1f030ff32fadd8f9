import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayReadInvestigation } from './permissions.js';
import { ROLES, type Role } from './roles.js';

describe('mayReadInvestigation (DP-01, need to know)', () => {
  const me = 'user-1';
  for (const role of ROLES) {
    it(`${role}: ${['supervisor', 'investigator'].includes(role) ? 'any consultation' : role === 'rvr_officer' ? 'only their own' : 'never'}`, () => {
      const roles: Role[] = [role];
      const any = role === 'supervisor' || role === 'investigator';
      assert.equal(mayReadInvestigation(roles, me, 'someone-else'), any);
      assert.equal(mayReadInvestigation(roles, me, null), any);
      assert.equal(mayReadInvestigation(roles, me, me), any || role === 'rvr_officer');
    });
  }
  it('an officer who is also a supervisor reads any consultation', () => {
    assert.equal(mayReadInvestigation(['rvr_officer', 'supervisor'], me, 'someone-else'), true);
  });
});
