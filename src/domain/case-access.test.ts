import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideCaseAssignment, mayOpenCase } from './ownership.js';
import { ROLES, type Role } from './roles.js';

const NOW = new Date('2026-12-05T08:00:00Z');
const none = { assigned: false, breakGlassUntil: null };

describe('mayOpenCase (issue 16 §3, SEC-11): an investigator opens only assigned cases or under live break-glass', () => {
  it('refuses an investigator with no assignment and no break-glass, and logs it as case_not_assigned', () => {
    const decision = mayOpenCase({ userId: 'i', roles: ['investigator'] }, none, NOW);
    assert.equal(decision.allowed, false);
    assert.equal(!decision.allowed && decision.refusal, 'case_not_assigned');
  });

  it('allows an assigned investigator, and one whose break-glass has not expired (and not one whose has)', () => {
    const investigator = { userId: 'i', roles: ['investigator'] as Role[] };
    assert.equal(mayOpenCase(investigator, { assigned: true, breakGlassUntil: null }, NOW).allowed, true);
    assert.equal(mayOpenCase(investigator, { assigned: false, breakGlassUntil: new Date(NOW.getTime() + 1) }, NOW).allowed, true);
    assert.equal(mayOpenCase(investigator, { assigned: false, breakGlassUntil: NOW }, NOW).allowed, false);
  });

  it('narrows investigators only: any role set without investigator, or with a case-wide role, is unaffected (property)', () => {
    fc.assert(
      fc.property(fc.subarray([...ROLES]), (roles) => {
        const decision = mayOpenCase({ userId: 'u', roles }, none, NOW);
        const caseWide = roles.some((r) => ['supervisor', 'evidence_manager', 'dpo', 'professional_standards'].includes(r));
        assert.equal(decision.allowed, !roles.includes('investigator') || caseWide);
      }),
    );
  });

  it('an investigator who is the consultation’s own officer keeps their officer’s reach', () => {
    assert.equal(mayOpenCase({ userId: 'o', roles: ['rvr_officer', 'investigator'] }, none, NOW, 'o').allowed, true);
  });
});

describe('decideCaseAssignment: a supervisor, a reason, an active investigator', () => {
  const supervisor = { userId: 's', roles: ['supervisor'] as Role[] };
  const investigator = { roles: ['investigator'] as Role[], disabled: false };
  it('allows exactly that', () => {
    assert.equal(decideCaseAssignment({ member: supervisor, investigator, reason: 'New case' }).allowed, true);
    assert.equal(decideCaseAssignment({ member: { userId: 'x', roles: ['investigator'] }, investigator, reason: 'Mine' }).allowed, false);
    assert.equal(decideCaseAssignment({ member: supervisor, investigator, reason: '  ' }).allowed, false);
    assert.equal(decideCaseAssignment({ member: supervisor, investigator: { roles: ['rvr_officer'], disabled: false }, reason: 'x' }).allowed, false);
    assert.equal(decideCaseAssignment({ member: supervisor, investigator: { ...investigator, disabled: true }, reason: 'x' }).allowed, false);
    assert.equal(decideCaseAssignment({ member: supervisor, investigator: undefined, reason: 'x' }).allowed, false);
  });
});
