import type { DpiaState } from './dpia.js';

/**
 * SC-10, X-02: the Surveillance Camera Code's 12 guiding principles answered from the live configuration and records,
 * for the Commissioner's self-assessment tool. Every answer is computed from the facts below (a few of them are
 * properties of the code itself, such as consent before recording): change a setting or a record and the answer, its
 * evidence and its gaps change with it.
 */
export interface ScCodeFacts {
  assessedAt: Date;
  production: boolean;
  /** SC-1: the purpose codes configured (PURPOSE_CODES), each consultation carrying one (ADR 0023). */
  purposeCodes?: readonly string[];
  /** SC-1, RVR-04: nothing is recorded before the victim's consents (enforced by the call services). */
  consentBeforeRecording: boolean;
  dpia: DpiaState & { reference?: string; approvedBy?: string | null; reviewDue?: string };
  /** SC-3: what the victim's page names. */
  transparency: { forceName: string; privacyContact: string };
  /** SC-4: the system owner who accepted the appointment (ADR 0023). */
  systemOwner?: string;
  /** SC-5: the current policy version and who has acknowledged it. */
  policy: { version?: number; acknowledged: number; activeUsers: number };
  /** SC-6: retention. */
  retention: { scheduleVersion: string; nonEvidentialDays: number; disposalCron: string; purgeExported: boolean };
  /** SC-7: roles that may open and disclose evidence, and whether every opening needs a reason (DP-01). */
  access: { evidenceView: readonly string[]; evidenceDisclose: readonly string[]; reasonOnEveryView: boolean };
  /** SC-9: security settings. */
  security: { mfaRequired: boolean; https: boolean; sessionIdleMinutes: number; sessionAbsoluteHours: number; auditKeyFromEnvironment: boolean };
  /** SC-10: the audit chain's last verification and the review sampling. */
  audit: { lastVerification?: { at: Date; ok: boolean }; checkpointMinutes: number; reviewSamplePercent: number };
  /** SC-11: integrity, time and export. */
  evidence: { integrityFailures: number; integrityCron: string; clockNtpServer?: string; exportSink: string };
  /** SC-8: standards claimed: the policy is the training record (SC-5); an open list for the force to complete. */
  standardsClaimed: readonly string[];
  /** SC-12: biometric or facial matching in use (none in RVR). */
  referenceMatching: boolean;
}

export type ScAnswerStatus = 'met' | 'partly' | 'not_met';

export interface ScAnswer {
  principle: number;
  ruleId: string;
  title: string;
  status: ScAnswerStatus;
  evidence: string[];
  gaps: string[];
}

export const SC_PRINCIPLES: readonly string[] = [
  'Use for a specified purpose in pursuit of a legitimate aim and necessary to meet a pressing need',
  'Take account of the effect on individuals and their privacy, with regular reviews',
  'Be as transparent as possible, with a published contact point for access to information and complaints',
  'Clear responsibility and accountability for all activities and information',
  'Clear rules, policies and procedures in place before use, communicated to all who must comply',
  'Store no more than strictly required, and delete once the purpose is discharged',
  'Restrict access to retained images, with clearly defined rules on who may access and why',
  'Consider approved operational, technical and competency standards',
  'Appropriate security measures against unauthorised access and use',
  'Effective review and audit mechanisms, and regular published reports',
  'Use in the most effective way to support public safety and law enforcement, processing images of evidential value',
  'Any reference database used for matching must be accurate and up to date',
];

const DAY = 86_400_000;
/** SC-10: a chain last verified longer ago than this is a gap (a monthly check). */
export const AUDIT_VERIFY_MAX_AGE_DAYS = 31;

function answer(principle: number, evidence: string[], gaps: string[], notMet = false): ScAnswer {
  return {
    principle,
    ruleId: `SC-${principle}`,
    title: SC_PRINCIPLES[principle - 1]!,
    status: notMet ? 'not_met' : gaps.length === 0 ? 'met' : 'partly',
    evidence,
    gaps,
  };
}

export function assessScCode(f: ScCodeFacts): ScAnswer[] {
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const answers: ScAnswer[] = [];

  // 1. Purpose
  {
    const evidence = ['Calls are taken only for eligible domestic abuse consultations accepted by an RVR officer (RVR-01, RVR-02)'];
    const gaps: string[] = [];
    if (f.consentBeforeRecording) evidence.push('Nothing is recorded before the victim’s consents to the call and its recording are stored (RVR-04)');
    else gaps.push('Recording is not tied to the victim’s stored consent');
    if (f.purposeCodes && f.purposeCodes.length > 0) evidence.push(`Purpose codes in use: ${f.purposeCodes.join(', ')}`);
    else gaps.push('No purpose code is recorded on each session (SC-1)');
    answers.push(answer(1, evidence, gaps, !f.consentBeforeRecording));
  }
  // 2. Privacy impact: the DPIA
  {
    const evidence: string[] = [];
    const gaps: string[] = [];
    if (f.dpia.reference)
      evidence.push(`DPIA ${f.dpia.reference}${f.dpia.approvedBy ? `, approved by ${f.dpia.approvedBy}` : ''}, annual review due ${f.dpia.reviewDue}`);
    if (f.dpia.warning) gaps.push(f.dpia.warning);
    evidence.push(`Live calls ${f.dpia.allowsLiveCalls ? 'are allowed' : 'are refused'} by the DPIA state (${f.dpia.status.replaceAll('_', ' ')})`);
    answers.push(answer(2, evidence, gaps, !f.dpia.allowsLiveCalls));
  }
  // 3. Transparency
  {
    const evidence = [`The victim’s page says the call is recorded, names ${f.transparency.forceName || '(no force name)'} and shows a privacy notice (SC-3)`];
    const gaps: string[] = [];
    if (f.transparency.privacyContact.trim()) evidence.push(`Contact point for information and complaints: ${f.transparency.privacyContact}`);
    else gaps.push('No contact point for access requests and complaints is configured');
    answers.push(answer(3, evidence, gaps));
  }
  // 4. Accountability
  {
    const evidence = ['Each consultation has its assigned officer; reassignment is recorded with its reason; every change is in the s.62 audit log'];
    const gaps: string[] = [];
    if (f.systemOwner) evidence.push(`System owner: ${f.systemOwner}`);
    else gaps.push('No system owner is recorded (SC-4)');
    answers.push(answer(4, evidence, gaps));
  }
  // 5. Policies communicated
  {
    const evidence: string[] = [];
    const gaps: string[] = [];
    if (f.policy.version === undefined) gaps.push('No RVR policy is published for users to acknowledge (SC-5)');
    else {
      evidence.push(`Policy version ${f.policy.version} acknowledged by ${f.policy.acknowledged} of ${f.policy.activeUsers} active users`);
      if (f.policy.acknowledged < f.policy.activeUsers)
        gaps.push(`${f.policy.activeUsers - f.policy.acknowledged} active users have not acknowledged the current policy`);
    }
    answers.push(answer(5, evidence, gaps, f.policy.version === undefined));
  }
  // 6. Retention
  {
    const evidence = [
      `Retention schedule ${f.retention.scheduleVersion}: non-evidential recordings kept ${f.retention.nonEvidentialDays} days (RET-21)`,
      `Disposal job runs on “${f.retention.disposalCron}” with a dry run and a certificate`,
    ];
    const gaps: string[] = [];
    if (f.retention.nonEvidentialDays > 31)
      gaps.push(`Non-evidential recordings are kept ${f.retention.nonEvidentialDays} days, longer than the 31 days most forces use`);
    if (!f.retention.purgeExported) gaps.push('Exported evidence is not purged here once the receiver holds it: two copies are kept');
    answers.push(answer(6, evidence, gaps));
  }
  // 7. Access
  {
    const evidence = [`Evidence may be opened by: ${f.access.evidenceView.join(', ')}; disclosed by: ${f.access.evidenceDisclose.join(', ')}`];
    const gaps: string[] = [];
    if (f.access.reasonOnEveryView) evidence.push('Every opening and disclosure needs a reason, recorded in the audit log (DP-01)');
    else gaps.push('Evidence can be opened without a recorded reason');
    if (f.access.evidenceView.includes('admin')) gaps.push('Administrators can open evidence (SEC-11)');
    answers.push(answer(7, evidence, gaps));
  }
  // 8. Standards
  {
    const evidence = f.standardsClaimed.map((s) => `Standard claimed: ${s}`);
    const gaps: string[] = [];
    if (f.policy.version !== undefined)
      evidence.push(`Training record: acknowledgements of policy version ${f.policy.version} (${f.policy.acknowledged}/${f.policy.activeUsers})`);
    if (f.standardsClaimed.length === 0) gaps.push('No operational or technical standard is recorded as claimed');
    answers.push(answer(8, evidence, gaps));
  }
  // 9. Security
  {
    const s = f.security;
    const evidence = [`Sessions end after ${s.sessionIdleMinutes} min idle and ${s.sessionAbsoluteHours} h in all (SEC-07)`];
    const gaps: string[] = [];
    if (s.mfaRequired) evidence.push('A second factor is required for every account (SEC-08)');
    else gaps.push('A second factor is not required for every account (MFA_REQUIRED)');
    if (s.https) evidence.push('Served over https:// only, with Secure __Host- cookies');
    else gaps.push('The service address is not https://');
    if (s.auditKeyFromEnvironment) evidence.push('The audit chain key is configured outside the database');
    else gaps.push('The audit chain uses the development key');
    if (s.sessionIdleMinutes > 30) gaps.push(`Idle sessions last ${s.sessionIdleMinutes} min, above 30 min (SEC-07)`);
    answers.push(answer(9, evidence, gaps, !s.mfaRequired && f.production));
  }
  // 10. Review and audit
  {
    const a = f.audit;
    const evidence = [
      `Signed audit checkpoints every ${a.checkpointMinutes} min`,
      `${a.reviewSamplePercent} % of ended consultations (and every High-risk one) sampled for supervisor review (EVD-15)`,
    ];
    const gaps: string[] = [];
    if (!a.lastVerification) gaps.push('The audit chain has never been verified');
    else {
      const age = Math.floor((f.assessedAt.getTime() - a.lastVerification.at.getTime()) / DAY);
      evidence.push(`Audit chain last verified ${day(a.lastVerification.at)}: ${a.lastVerification.ok ? 'intact' : 'BROKEN'}`);
      if (!a.lastVerification.ok) gaps.push('The last verification of the audit chain failed');
      else if (age > AUDIT_VERIFY_MAX_AGE_DAYS) gaps.push(`The audit chain was last verified ${age} days ago (more than ${AUDIT_VERIFY_MAX_AGE_DAYS})`);
    }
    if (a.reviewSamplePercent <= 0) gaps.push('No consultations are sampled for quality review (REVIEW_SAMPLE_PERCENT is 0)');
    answers.push(answer(10, evidence, gaps, a.lastVerification?.ok === false));
  }
  // 11. Evidential value
  {
    const e = f.evidence;
    const evidence = [
      `Every master is hashed (SHA-256) and re-hashed on “${e.integrityCron}”`,
      `Exports go to: ${e.exportSink}`,
      'Court working copies in MP4 with UTC time burnt in',
    ];
    const gaps: string[] = [];
    if (e.integrityFailures > 0) gaps.push(`${e.integrityFailures} evidence items failed their last integrity check`);
    if (e.clockNtpServer) evidence.push(`Clock checked against ${e.clockNtpServer}`);
    else gaps.push('The clock is checked against the database only (no CLOCK_NTP_SERVER)');
    answers.push(answer(11, evidence, gaps, e.integrityFailures > 0));
  }
  // 12. Reference databases
  answers.push(
    f.referenceMatching
      ? answer(12, [], ['Biometric or facial matching is in use: it needs its own DPIA'], true)
      : answer(12, ['No biometric or facial matching against any reference database'], []),
  );
  return answers;
}

/** CSV columns for the Commissioner's self-assessment tool. */
export function scAnswerRows(answers: readonly ScAnswer[]): string[][] {
  return [
    ['principle', 'rule', 'title', 'status', 'evidence', 'gaps'],
    ...answers.map((a) => [String(a.principle), a.ruleId, a.title, a.status, a.evidence.join(' | '), a.gaps.join(' | ')]),
  ];
}
