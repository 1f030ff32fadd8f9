import type { ObjectDecision, StaffMember } from './ownership.js';

/**
 * Policy 3.4: covert surveillance without lawful authorisation is reported to the Covert Authorities Bureau by the
 * officer who took the call or by a supervisor (need to know: not another officer). The report places an IPCO hold.
 */
export function mayReportCovertSurveillance(member: StaffMember, assignedOfficerId: string | null): ObjectDecision {
  if (member.roles.includes('supervisor')) return { allowed: true };
  if (assignedOfficerId !== null && member.userId === assignedOfficerId && member.roles.includes('rvr_officer')) return { allowed: true };
  return {
    allowed: false,
    refusal: 'not_assigned_officer',
    message: 'Only the officer who took this consultation or a supervisor can report covert surveillance on it.',
  };
}

/** The hold's rationale, naming the policy, so whoever later sees the hold knows why it stands. */
export function covertHoldRationale(reportId: string): string {
  return `Policy 3.4: covert surveillance without authority reported to the Covert Authorities Bureau (report ${reportId}); material kept for the Investigatory Powers Commissioner`;
}
