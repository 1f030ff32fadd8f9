import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROLES } from './roles.js';
import { covertHoldRationale, mayReportCovertSurveillance } from './covert-surveillance.js';

describe('who may report covert surveillance without authority (policy 3.4)', () => {
  it('policy 3.4: the officer who took the consultation and any supervisor; nobody else', () => {
    for (const role of ROLES) {
      const own = mayReportCovertSurveillance({ userId: 'u1', roles: [role] }, 'u1').allowed;
      const others = mayReportCovertSurveillance({ userId: 'u1', roles: [role] }, 'u2').allowed;
      const nobody = mayReportCovertSurveillance({ userId: 'u1', roles: [role] }, null).allowed;
      assert.equal(own, role === 'rvr_officer' || role === 'supervisor', `${role} own`);
      assert.equal(others, role === 'supervisor', `${role} others`);
      assert.equal(nobody, role === 'supervisor', `${role} unassigned`);
    }
  });
  it('policy 3.4: the hold names the policy and the report', () => {
    assert.match(covertHoldRationale('r-1'), /Policy 3\.4.*report r-1.*Investigatory Powers Commissioner/);
  });
});
