import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leavesNoAdministrator, needsSecondAdministrator, planRoleChange, roleGrantApprovalRefusal } from './role-grants.js';
import { ROLES } from './roles.js';

describe('role grants and the two-person rule (SEC-11)', () => {
  it('admin, DPO, evidence manager and Professional Standards need a second administrator; the other roles do not', () => {
    assert.deepEqual(ROLES.filter(needsSecondAdministrator).sort(), ['admin', 'dpo', 'evidence_manager', 'professional_standards']);
  });

  it('an administrator’s change: removals and ordinary roles at once, privileged additions wait', () => {
    assert.deepEqual(planRoleChange(['admin', 'call_handler'], ['admin', 'dpo', 'supervisor'], true), {
      roles: ['admin', 'supervisor'],
      added: ['supervisor'],
      removed: ['call_handler'],
      pending: ['dpo'],
    });
  });

  it('a role already held is kept, not asked for again', () => {
    assert.deepEqual(planRoleChange(['dpo'], ['dpo', 'admin'], true), { roles: ['dpo'], added: [], removed: [], pending: ['admin'] });
  });

  it('the operator (no two-person rule) changes everything at once', () => {
    assert.deepEqual(planRoleChange(['call_handler'], ['admin', 'evidence_manager'], false), {
      roles: ['admin', 'evidence_manager'],
      added: ['admin', 'evidence_manager'],
      removed: ['call_handler'],
      pending: [],
    });
  });

  it('approval: never by the requester, never by the recipient, otherwise yes', () => {
    const request = { requestedBy: 'a', userId: 'b' };
    assert.match(roleGrantApprovalRefusal(request, 'a') ?? '', /You asked for this role/);
    assert.match(roleGrantApprovalRefusal(request, 'b') ?? '', /would be given to you/);
    assert.match(roleGrantApprovalRefusal({ requestedBy: 'a', userId: 'a' }, 'a') ?? '', /You asked/);
    assert.equal(roleGrantApprovalRefusal(request, 'c'), undefined);
  });

  it('the last active administrator cannot be taken away', () => {
    assert.equal(leavesNoAdministrator(1, true), true);
    assert.equal(leavesNoAdministrator(0, true), true);
    assert.equal(leavesNoAdministrator(2, true), false);
    assert.equal(leavesNoAdministrator(1, false), false);
  });
});
