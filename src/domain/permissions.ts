import type { Role } from './roles.js';

/**
 * The one permission table (SEC-11 least privilege). Routes declare a permission, never a role, so who may
 * do what is read and changed here alone. `admin` manages users and settings but holds no evidence or
 * victim-data permission unless also given a role that does.
 */
export const PERMISSIONS = {
  'area.control_room': ['call_handler'],
  'area.officer': ['rvr_officer'],
  'area.supervisor': ['supervisor'],
  'area.investigations': ['investigator'],
  'area.evidence': ['evidence_manager'],
  'triage.create': ['call_handler', 'supervisor'],
  'triage.override': ['supervisor'],
  'triage.settings': ['supervisor', 'admin'],
  'officer.availability': ['rvr_officer'],
  'consultation.view': ['call_handler', 'rvr_officer', 'supervisor'],
  'consultation.transition': ['call_handler', 'rvr_officer', 'supervisor'],
  /** Give a consultation an officer holds to another officer, with a recorded reason (issue 12). */
  'consultation.reassign': ['supervisor'],
  /** Caller/victim personal data; each view needs a recorded justification (DP-01). */
  /** Run the video call of a consultation the officer accepted (send links, snapshot, notes, end). */
  'call.conduct': ['rvr_officer'],
  'victim_data.view': ['call_handler', 'rvr_officer', 'supervisor', 'investigator'],
  /** The evidence list and each item's and case's metadata (no content): what records staff and the DPO work from. */
  'evidence.list': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  /** Open, play and see the continuity of evidence; each opening needs a recorded reason (DP-01, RET-04). */
  'evidence.view': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  /** A download is a disclosure, logged with its recipient (EVD-03). */
  'evidence.disclose': ['investigator', 'evidence_manager'],
  /** Retention facts, NRAC reviews, disposal runs and certificates (RET-03, DP-03). */
  'evidence.retention': ['evidence_manager'],
  /** Make a court working copy (MP4) from the masters (EVD-09). */
  'evidence.copy': ['investigator', 'evidence_manager'],
  /**
   * Make a redacted copy for disclosure, and approve or reject one someone else asked for (EVD-08, EVD-09, ADR 0015):
   * the evidence manager and the investigator acting as disclosure officer; the approver is always a second person.
   */
  'evidence.redact': ['investigator', 'evidence_manager'],
  /** Export a case's material to the force's evidence system (EVD-06). */
  'evidence.export': ['evidence_manager'],
  /** Legal holds (X-03, EVD-13/14): place, and release one someone else placed; restriction instead of erasure (DP-10). */
  'evidence.hold': ['evidence_manager', 'dpo', 'professional_standards'],
  /** EVD-13: only Professional Standards releases a COMPLAINT, CONDUCT or DSI hold (domain/hold-release.ts). */
  'evidence.release_conduct_hold': ['professional_standards'],
  'evidence.restrict': ['evidence_manager', 'dpo'],
  /** The officer's investigation in the call: DASH, lines of enquiry, the victim's account, outcomes (RVR-08). */
  'investigation.record': ['rvr_officer'],
  /** Read a consultation's investigation record (risk assessment, enquiries, statement, outcomes). */
  'investigation.view': ['rvr_officer', 'supervisor', 'investigator'],
  /** DASH-01: a supervisor reviews and signs off each risk assessment. */
  'risk.sign_off': ['supervisor'],
  /** The live board of calls, queue, officers and alerts. */
  'supervision.board': ['supervisor'],
  /** Watch a live call receive-only, with a recorded justification. */
  'call.observe': ['supervisor'],
  /** Quality review of an officer's response (policy 4.0, EVD-15). */
  'review.conduct': ['supervisor'],
  /** An officer reads the review feedback addressed to them. */
  'review.own_feedback': ['rvr_officer'],
  /** The trial's outcome measures, aggregated (no personal data), and their CSV. */
  'outcomes.view': ['supervisor', 'admin'],
  /** Switch the randomised evaluation on or off (policy 2.2). */
  'evaluation.manage': ['admin'],
  /** Per-call allocation, outcomes and timings for analysis (pseudonymous: references, no personal data). */
  'evaluation.export': ['supervisor', 'admin'],
  'audit.read': ['dpo'],
  'audit.export': ['dpo'],
  'audit.verify': ['dpo'],
  /** Erase a consultation's personal data on a data subject's request or the DPO's decision (DP-10, issue 16 §2). */
  'personal_data.erase': ['dpo'],
  /** Search everything held about a data subject (DP-06, issue 16 §1); every search is logged with its reason. */
  'personal_data.search': ['dpo'],
  /** The register of data subjects' requests: clock, rectification, restriction, decision and disclosure pack (DP-06..DP-11, issue 16 §1). */
  'subject_requests.manage': ['dpo'],
  /** DP-15: the personal-data breach register, its 72-hour ICO clock and notifications (issue 16 §3). */
  'breach.register': ['dpo'],
  /** DP-13, SC-2: record the DPIA (reference, approval, annual review) that live calls need. */
  'dpia.manage': ['admin'],
  /** Policy 3.4: report covert surveillance without authority from a consultation (its officer, or a supervisor). */
  'covert_surveillance.report': ['rvr_officer', 'supervisor'],
  /** Policy 3.4: the IPCO-facing register of those reports, with the CAB's reference and the report to IPCO. */
  'covert_surveillance.register': ['supervisor', 'dpo', 'professional_standards'],
  /** SC-10: the Surveillance Camera Code self-assessment and its export. */
  'compliance.self_assessment': ['dpo', 'admin'],
  /** Issue 16 §3: give an investigator a case, or take it away, with a reason (audited). */
  'case.assign': ['supervisor'],
  /** Issue 16 §3: an investigator opens a case not assigned to them in an emergency, with a reason, for a limited time. */
  'case.break_glass': ['investigator'],
  /** Issue 16 §3: the DPO's list of break-glass uses (each one a notification), marked reviewed. */
  'case.break_glass_review': ['dpo'],
  'users.manage': ['admin'],
  'sessions.manage_all': ['admin'],
  'policy.publish': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function hasPermission(roles: readonly Role[], permission: Permission): boolean {
  const allowed: readonly Role[] = PERMISSIONS[permission];
  return roles.some((role) => allowed.includes(role));
}

/**
 * Need to know (DP-01): supervisors and investigators read any consultation's investigation record (DASH answers,
 * the victim's account, suspect details); an RVR officer reads only that of a consultation they took.
 */
export function mayReadInvestigation(roles: readonly Role[], userId: string, assignedOfficerId: string | null): boolean {
  if (!hasPermission(roles, 'investigation.view')) return false;
  return roles.includes('supervisor') || roles.includes('investigator') || userId === assignedOfficerId;
}
