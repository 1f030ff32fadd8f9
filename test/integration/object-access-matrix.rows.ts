import type { Browser, createUser } from '../support/test-app.js';
import { ENQUIRY_LINE_IDS } from '../../src/domain/enquiry-lines.js';
import { DASH2009 } from '../../src/domain/risk-forms/dash-2009.js';
import { questionsOf } from '../../src/domain/risk-forms/risk-form.js';
import type { Role } from '../../src/domain/roles.js';
import { londonWallClock, NRAC_QUESTIONS } from '../../src/domain/retention.js';
import { REVIEW_CHECKLIST } from '../../src/features/supervisor/review-checklist.js';

// The rows of the object-level access matrix (object-access-matrix.test.ts runs them).

/**
 * SEC-11 one level down (issue 12): for every route that takes a consultation, call, investigation item (risk
 * assessment, safety alert), evidence item or review id, every role × whose the object is:
 *   own         the consultation's officer (or the review's / the assessment's) is the person asking;
 *   others      another officer's;
 *   unassigned  no officer holds it (a queued consultation, or the ended call of one handed back to the queue).
 * Expected outcomes are written out here, independently of src/domain/ownership.ts:
 *   ✓ allowed (2xx/3xx, or a socket that says hello), · refused (401/403, or a socket closed 4003),
 *   ! refused by the object's state (409: e.g. the call has ended, or the state machine has no such step).
 * A cell whose relation cannot exist for that route is blank. Roles not listed for a cell are expected ·.
 * Each request is a valid one, so a refusal is never an input error in disguise; a cell expected ✓ that changes the
 * object gets a fresh one, so no cell's outcome depends on another's.
 */
export type Relation = 'own' | 'others' | 'unassigned';
export type Outcome = '✓' | '·' | '!';
export type Need =
  | 'consultation'
  | 'call'
  | 'alert'
  | 'answeredRisk'
  | 'completedRisk'
  | 'statement'
  | 'review'
  | 'ineligible'
  | 'observed'
  | 'redaction'
  | 'missedAppointment'
  | 'triageAppointment';
export const RELATIONS: readonly Relation[] = ['own', 'others', 'unassigned'];

export interface Fixture {
  consultationId: string;
  /** An officer holds it (it was accepted and is not back in the queue). */
  held?: boolean;
  callId?: string;
  itemId?: string;
  alertId?: string;
  assessmentId?: string;
  riskRevision?: number;
  statementRevision?: number;
  reviewId?: string;
  /** A redacted copy waiting for a second person's approval, asked for by the consultation's officer (issue 15 §2). */
  redactionId?: string;
  /** A missed video appointment waiting for a supervisor's follow-up, or one booked at triage (issue 17 §4). */
  appointmentId?: string;
}
export interface Identity {
  role: Role;
  user: Awaited<ReturnType<typeof createUser>>;
  browser: Browser;
}
/** What a row's request may need from the running matrix: a spare officer to reassign to, a playback grant. */
export interface MatrixContext {
  spareOfficerId: string;
  grantFor: (who: Identity, itemId: string) => Promise<string>;
}
export interface Row {
  route: string;
  needs: Need;
  relations?: readonly Relation[];
  /** A ✓ changes the object in a way that would change the next cell's answer: each ✓ cell gets its own. */
  mutates?: boolean;
  request: (f: Fixture, who: Identity, the: MatrixContext) => Promise<{ url: string; body?: unknown }> | { url: string; body?: unknown };
  expect: Partial<Record<Relation, Partial<Record<Outcome, readonly Role[]>>>>;
}

export const PNG = `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 7)]).toString('base64')}`;
export const ALL_ANSWERS = Object.fromEntries(questionsOf(DASH2009).map((q) => [q.id, { answer: 'no' }]));
export const REVIEW_FORM = { ...Object.fromEntries(REVIEW_CHECKLIST.map((item) => [`score_${item.id}`, 'met'])), feedback: 'Thorough and kind.' };
export const EVIDENCE_LIST: Role[] = ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'];
export const EVIDENCE_VIEW: Role[] = ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'];
export const READERS = {
  own: { '✓': ['rvr_officer', 'supervisor', 'investigator'] },
  others: { '✓': ['supervisor', 'investigator'] },
  unassigned: { '✓': ['supervisor', 'investigator'] },
} as const;
export const OFFICER_OWN = { own: { '✓': ['rvr_officer'] } } as const;
/** The booking form's UK date and time, tomorrow at 10:00. */
export function tomorrowAtTen(): { date: string; time: string } {
  const w = londonWallClock(new Date(Date.now() + 24 * 3_600_000));
  return { date: `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`, time: '10:00' };
}
export const same = (cell: Partial<Record<Outcome, readonly Role[]>>) => ({ own: cell, others: cell, unassigned: cell });

export const ROWS: Row[] = [
  // The consultation
  {
    route: 'GET /consultations/:id',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}` }),
    expect: same({ '✓': ['call_handler', 'rvr_officer', 'supervisor'] }),
  },
  {
    route: 'GET /consultations/:id/live',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/live` }),
    expect: same({ '✓': ['call_handler', 'rvr_officer', 'supervisor'] }),
  },
  {
    route: 'POST /consultations/:id/transitions',
    needs: 'consultation',
    mutates: true,
    // Held (own, others): hand it back to the queue, the example. Unassigned (queued): route it to attendance.
    request: (f) => ({
      url: `/consultations/${f.consultationId}/transitions`,
      body: f.held ? { to: 'queued', reason: 'Handing it back' } : { to: 'escalated_to_attendance', reason: 'No RVR officer available' },
    }),
    expect: {
      own: { '✓': ['rvr_officer', 'supervisor'], '!': ['call_handler'] },
      others: { '✓': ['supervisor'], '!': ['call_handler'] },
      unassigned: { '✓': ['call_handler', 'supervisor'], '!': ['rvr_officer'] },
    },
  },
  {
    route: 'POST /consultations/:id/reassign',
    needs: 'consultation',
    mutates: true,
    request: (f, _who, the) => ({
      url: `/consultations/${f.consultationId}/reassign`,
      body: { officerId: the.spareOfficerId, reason: 'Officer needed elsewhere' },
    }),
    expect: { own: { '✓': ['supervisor'] }, others: { '✓': ['supervisor'] }, unassigned: { '!': ['supervisor'] } },
  },
  {
    route: 'POST /consultations/:id/override',
    needs: 'ineligible',
    relations: ['unassigned'],
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/override`, body: { rationale: 'Caller has borrowed a smartphone with signal' } }),
    expect: { unassigned: { '✓': ['supervisor'] } },
  },
  {
    route: 'GET /consultations/:id/caller',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/caller` }),
    expect: {
      own: { '✓': ['call_handler', 'rvr_officer', 'supervisor', 'investigator'] },
      others: { '✓': ['call_handler', 'supervisor', 'investigator'] },
      unassigned: { '✓': ['call_handler', 'supervisor', 'investigator'] },
    },
  },
  {
    route: 'POST /consultations/:id/caller',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/caller`, body: { justification: 'Safeguarding check before the call' } }),
    expect: {
      own: { '✓': ['call_handler', 'rvr_officer', 'supervisor', 'investigator'] },
      others: { '✓': ['call_handler', 'supervisor', 'investigator'] },
      unassigned: { '✓': ['call_handler', 'supervisor', 'investigator'] },
    },
  },
  { route: 'GET /consultations/:id/call', needs: 'consultation', request: (f) => ({ url: `/consultations/${f.consultationId}/call` }), expect: OFFICER_OWN },
  // Issue 17 §4: a video appointment for later, booked by the officer who holds the consultation.
  {
    route: 'GET /consultations/:id/appointment',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/appointment` }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/appointment',
    needs: 'consultation',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/appointment`, body: { ...tomorrowAtTen(), reason: 'interpreter_needed' } }),
    expect: OFFICER_OWN,
  },
  // Issue 17 §4: an appointment the call handler booked at triage: any RVR officer takes it while nobody holds it;
  // once another officer took it, it is theirs (only a supervisor's reassignment moves it).
  {
    route: 'POST /appointments/:id/take',
    needs: 'triageAppointment',
    relations: ['others', 'unassigned'],
    mutates: true,
    request: (f) => ({ url: `/appointments/${f.appointmentId}/take`, body: {} }),
    expect: { others: { '!': ['rvr_officer'] }, unassigned: { '✓': ['rvr_officer'] } },
  },
  // Issue 18: "Resume the call" (with no call lost it opens, or rejoins, the consultation's call).
  {
    route: 'POST /consultations/:id/call/resume',
    needs: 'consultation',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/call/resume`, body: {} }),
    expect: OFFICER_OWN,
  },
  // The investigation record and the officer's investigation in the call
  // Policy 3.4 (issue 16 §3): covert surveillance is reported by the consultation's officer or any supervisor.
  {
    route: 'GET /consultations/:id/covert-surveillance',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/covert-surveillance` }),
    expect: { own: { '✓': ['rvr_officer', 'supervisor'] }, others: { '✓': ['supervisor'] }, unassigned: { '✓': ['supervisor'] } },
  },
  {
    route: 'POST /consultations/:id/covert-surveillance',
    needs: 'consultation',
    request: (f) => ({
      url: `/consultations/${f.consultationId}/covert-surveillance`,
      body: { description: 'The camera was turned on a neighbour without any authority to watch them.' },
    }),
    expect: { own: { '✓': ['rvr_officer', 'supervisor'] }, others: { '✓': ['supervisor'] }, unassigned: { '✓': ['supervisor'] } },
  },
  {
    route: 'GET /consultations/:id/enquiries',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/enquiries` }),
    expect: READERS,
  },
  {
    route: 'GET /consultations/:id/risk-assessment',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/risk-assessment` }),
    expect: READERS,
  },
  {
    route: 'PUT /consultations/:id/risk-assessment',
    needs: 'consultation',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/risk-assessment`, body: { revision: 0, answers: { '1': { answer: 'yes' } } } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/risk-assessment/complete',
    needs: 'answeredRisk',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/risk-assessment/complete`, body: { revision: f.riskRevision ?? 0 } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/risk-assessment/amend',
    needs: 'completedRisk',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/risk-assessment/amend`, body: { amendmentReason: 'The victim remembered a threat' } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'GET /consultations/:id/enquiry-lines/panel',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/enquiry-lines/panel` }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/enquiry-lines',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/enquiry-lines`, body: { line: ENQUIRY_LINE_IDS[0], status: 'done' } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'GET /consultations/:id/statement/panel',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/statement/panel` }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/statement',
    needs: 'consultation',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/statement`, body: { text: 'He pushed me against the door.', revision: 0 } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/statement/share',
    needs: 'statement',
    mutates: true,
    request: (f) => ({ url: `/consultations/${f.consultationId}/statement/share`, body: { revision: f.statementRevision ?? 1 } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'GET /consultations/:id/outcomes/panel',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/outcomes/panel` }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /consultations/:id/outcomes',
    needs: 'consultation',
    request: (f) => ({
      url: `/consultations/${f.consultationId}/outcomes`,
      body: { kind: 'no_further_action', reason: 'Advice given; victim does not support action' },
    }),
    expect: OFFICER_OWN,
  },
  {
    route: 'GET /consultations/:id/safety-alerts/panel',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/safety-alerts/panel` }),
    expect: OFFICER_OWN,
  },
  {
    // Issue 17 §1: the victim's shared location, on the call page of the officer who took the consultation only.
    route: 'GET /consultations/:id/location/panel',
    needs: 'consultation',
    request: (f) => ({ url: `/consultations/${f.consultationId}/location/panel` }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /safety-alerts/:id/acknowledge',
    needs: 'alert',
    relations: ['own', 'others'],
    request: (f) => ({ url: `/safety-alerts/${f.alertId}/acknowledge`, body: {} }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /safety-alerts/:id/escalate',
    needs: 'alert',
    relations: ['own', 'others'],
    request: (f) => ({ url: `/safety-alerts/${f.alertId}/escalate`, body: {} }),
    expect: OFFICER_OWN,
  },
  {
    // DASH-01: a supervisor signs off another's completed assessment, never their own ("own" here: they completed it).
    route: 'POST /risk-assessments/:id/sign-off',
    needs: 'completedRisk',
    relations: ['own', 'others'],
    mutates: true,
    request: (f) => ({ url: `/risk-assessments/${f.assessmentId}/sign-off`, body: { note: 'Agreed' } }),
    expect: { others: { '✓': ['supervisor'] } },
  },
  // The call
  { route: 'GET /calls/:id', needs: 'call', request: (f) => ({ url: `/calls/${f.callId}` }), expect: READERS },
  {
    route: 'POST /calls/:id/record',
    needs: 'call',
    request: (f) => ({ url: `/calls/${f.callId}/record`, body: { justification: 'Writing up the case file' } }),
    expect: READERS,
  },
  {
    route: 'POST /calls/:id/invites',
    needs: 'call',
    request: (f) => ({ url: `/calls/${f.callId}/invites`, body: { role: 'interpreter', phone: '07700 900456', label: 'Welsh' } }),
    expect: { own: { '✓': ['rvr_officer'] }, unassigned: { '!': ['rvr_officer'] } },
  },
  {
    route: 'POST /calls/:id/invites/revoke',
    needs: 'call',
    request: (f) => ({ url: `/calls/${f.callId}/invites/revoke`, body: { role: 'interpreter' } }),
    expect: { own: { '✓': ['rvr_officer'] }, unassigned: { '!': ['rvr_officer'] } },
  },
  {
    route: 'POST /calls/:id/notes',
    needs: 'call',
    request: (f) => ({ url: `/calls/${f.callId}/notes`, body: { notes: 'Victim calm, bruise on left arm' } }),
    expect: { own: { '✓': ['rvr_officer'] }, unassigned: { '!': ['rvr_officer'] } },
  },
  { route: 'POST /calls/:id/snapshots', needs: 'call', request: (f) => ({ url: `/calls/${f.callId}/snapshots`, body: { image: PNG } }), expect: OFFICER_OWN },
  // RVR-13: whose the call is comes first (an unassigned call's officer is refused, not told it has ended).
  {
    route: 'POST /calls/:id/marks',
    needs: 'call',
    request: (f) => ({ url: `/calls/${f.callId}/marks`, body: { kind: 'child', on: true } }),
    expect: OFFICER_OWN,
  },
  {
    route: 'POST /calls/:id/end',
    needs: 'call',
    mutates: true,
    request: (f) => ({ url: `/calls/${f.callId}/end`, body: { reason: 'Finished' } }),
    expect: OFFICER_OWN,
  },
  { route: 'GET /calls/:id/socket', needs: 'call', request: (f) => ({ url: `/calls/${f.callId}/socket` }), expect: OFFICER_OWN },
  {
    route: 'GET /supervisor/calls/:id/observe',
    needs: 'call',
    request: (f) => ({ url: `/supervisor/calls/${f.callId}/observe` }),
    expect: same({ '✓': ['supervisor'] }),
  },
  {
    route: 'POST /supervisor/calls/:id/observe',
    needs: 'call',
    request: (f) => ({ url: `/supervisor/calls/${f.callId}/observe`, body: { justification: 'Quality assurance of a new officer' } }),
    expect: { own: { '✓': ['supervisor'] }, others: { '✓': ['supervisor'] }, unassigned: { '!': ['supervisor'] } },
  },
  {
    route: 'GET /supervisor/calls/:id/observer',
    needs: 'observed',
    request: (f) => ({ url: `/supervisor/calls/${f.callId}/observer` }),
    expect: { own: { '✓': ['supervisor'] }, others: { '✓': ['supervisor'] }, unassigned: { '!': ['supervisor'] } },
  },
  {
    route: 'GET /calls/:id/observe/socket',
    needs: 'observed',
    request: (f) => ({ url: `/calls/${f.callId}/observe/socket` }),
    expect: { own: { '✓': ['supervisor'] }, others: { '✓': ['supervisor'] } },
  },
  // Evidence: the items and the case. There is no case-assignment model yet, so an investigator's access is by role
  // (each opening justified and logged); ARCHITECTURE §5's "own cases" needs one (see the report).
  {
    route: 'GET /evidence/consultations/:id',
    needs: 'call',
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}` }),
    expect: same({ '✓': EVIDENCE_LIST }),
  },
  {
    route: 'POST /evidence/consultations/:id/play',
    needs: 'call',
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}/play`, body: { justification: 'Reviewing the call' } }),
    expect: same({ '!': EVIDENCE_VIEW }),
  },
  {
    route: 'POST /evidence/consultations/:id/holds',
    needs: 'call',
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}/holds`, body: { type: 'LITIGATION', rationale: 'Civil claim notified' } }),
    expect: same({ '✓': ['evidence_manager', 'dpo', 'professional_standards'] }),
  },
  {
    route: 'POST /evidence/consultations/:id/retention',
    needs: 'call',
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}/retention`, body: { evidential: 'yes', caseStatus: 'under_investigation' } }),
    expect: same({ '✓': ['evidence_manager'] }),
  },
  {
    route: 'POST /evidence/consultations/:id/reviews',
    needs: 'call',
    request: (f) => ({
      url: `/evidence/consultations/${f.consultationId}/reviews`,
      body: { ...Object.fromEntries(NRAC_QUESTIONS.map((q) => [q.id, 'no'])), rationale: 'No risk factors remain' },
    }),
    expect: same({ '✓': ['evidence_manager'] }),
  },
  {
    route: 'POST /evidence/consultations/:id/working-copies',
    needs: 'call',
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}/working-copies`, body: {} }),
    expect: same({ '!': ['investigator', 'evidence_manager'] }),
  },
  {
    route: 'POST /evidence/consultations/:id/exports',
    needs: 'call',
    mutates: true,
    request: (f) => ({ url: `/evidence/consultations/${f.consultationId}/exports`, body: {} }),
    expect: same({ '✓': ['evidence_manager'] }),
  },
  { route: 'GET /evidence/items/:id', needs: 'call', request: (f) => ({ url: `/evidence/items/${f.itemId}` }), expect: same({ '✓': EVIDENCE_LIST }) },
  {
    route: 'POST /evidence/items/:id/open',
    needs: 'call',
    request: (f) => ({ url: `/evidence/items/${f.itemId}/open`, body: { justification: 'Checking the injury photo' } }),
    expect: same({ '✓': EVIDENCE_VIEW }),
  },
  {
    route: 'GET /evidence/items/:id/media',
    needs: 'call',
    request: async (f, who, the) => ({ url: `/evidence/items/${f.itemId}/media?grant=${encodeURIComponent(await the.grantFor(who, f.itemId!))}` }),
    expect: same({ '✓': EVIDENCE_VIEW }),
  },
  {
    route: 'POST /evidence/items/:id/download',
    needs: 'call',
    request: (f) => ({ url: `/evidence/items/${f.itemId}/download`, body: { justification: 'Disclosure to CPS', recipient: 'CPS Kent, reviewing lawyer' } }),
    expect: same({ '✓': ['investigator', 'evidence_manager'] }),
  },
  {
    route: 'POST /evidence/items/:id/restriction',
    needs: 'call',
    mutates: true,
    request: (f) => ({ url: `/evidence/items/${f.itemId}/restriction`, body: { restricted: 'yes', reason: 'Accuracy disputed by the data subject' } }),
    expect: same({ '✓': ['evidence_manager', 'dpo'] }),
  },
  // Redacted copies (issue 15 §2, EVD-09): by role, like the rest of evidence. The fixture's snapshot is not a real
  // picture, so a permitted request reaches the media check and is refused by the object's state (409: cannot be read).
  {
    route: 'GET /evidence/items/:id/redactions',
    needs: 'call',
    request: (f) => ({ url: `/evidence/items/${f.itemId}/redactions` }),
    expect: same({ '✓': EVIDENCE_LIST }),
  },
  {
    route: 'GET /evidence/items/:id/redactions/new',
    needs: 'call',
    request: async (f, who, the) => ({ url: `/evidence/items/${f.itemId}/redactions/new?grant=${encodeURIComponent(await the.grantFor(who, f.itemId!))}` }),
    expect: same({ '!': ['investigator', 'evidence_manager'] }),
  },
  {
    route: 'GET /evidence/items/:id/redactions/still',
    needs: 'call',
    request: async (f, who, the) => ({
      url: `/evidence/items/${f.itemId}/redactions/still?t=0&grant=${encodeURIComponent(await the.grantFor(who, f.itemId!))}`,
    }),
    expect: same({ '!': ['investigator', 'evidence_manager'] }),
  },
  {
    route: 'POST /evidence/items/:id/redactions',
    needs: 'call',
    request: async (f, who, the) => ({
      url: `/evidence/items/${f.itemId}/redactions`,
      body: {
        grant: await the.grantFor(who, f.itemId!),
        action: 'request',
        purpose: 'Disclosure to the defence',
        r0_x: '0',
        r0_y: '0',
        r0_w: '4',
        r0_h: '4',
        r0_reason: 'Child in view',
      },
    }),
    expect: same({ '!': ['investigator', 'evidence_manager'] }),
  },
  {
    route: 'GET /evidence/redactions/:id',
    needs: 'redaction',
    request: (f) => ({ url: `/evidence/redactions/${f.redactionId}` }),
    expect: same({ '✓': EVIDENCE_LIST }),
  },
  {
    route: 'POST /evidence/redactions/:id/decision',
    needs: 'redaction',
    mutates: true,
    request: (f) => ({ url: `/evidence/redactions/${f.redactionId}/decision`, body: { decision: 'approve', reason: 'Checked every range of the copy' } }),
    expect: same({ '✓': ['investigator', 'evidence_manager'] }),
  },
  // Quality review (policy 4.0): "own" is a review of the supervisor's own response as an officer.
  {
    route: 'GET /supervisor/reviews/:id',
    needs: 'review',
    relations: ['own', 'others'],
    request: (f) => ({ url: `/supervisor/reviews/${f.reviewId}` }),
    expect: { others: { '✓': ['supervisor'] } },
  },
  {
    route: 'POST /supervisor/reviews/:id',
    needs: 'review',
    relations: ['own', 'others'],
    mutates: true,
    request: (f) => ({ url: `/supervisor/reviews/${f.reviewId}`, body: REVIEW_FORM }),
    expect: { others: { '✓': ['supervisor'] } },
  },
  // Issue 17 §4: a missed appointment's follow-up: any supervisor, whoever's consultation it is.
  {
    route: 'POST /supervisor/appointments/:id/follow-up',
    needs: 'missedAppointment',
    relations: ['others'],
    mutates: true,
    request: (f) => ({ url: `/supervisor/appointments/${f.appointmentId}/follow-up`, body: { note: 'Texted a new time' } }),
    expect: { others: { '✓': ['supervisor'] } },
  },
  // Routes that take a consultation id but no staff session object rule: the API (a CAD key only) and the trial's allocation (never changed).
  { route: 'GET /api/v1/consultations/:id', needs: 'consultation', request: (f) => ({ url: `/api/v1/consultations/${f.consultationId}` }), expect: same({}) },
  {
    route: 'POST /admin/evaluation/allocations/:consultationId',
    needs: 'consultation',
    request: (f) => ({ url: `/admin/evaluation/allocations/${f.consultationId}`, body: { reason: 'Wrong arm' } }),
    expect: same({ '!': ['admin'] }),
  },
];
