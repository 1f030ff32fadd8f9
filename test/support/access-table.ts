import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../src/domain/roles.js';
import type { ApiScope } from '../../src/platform/http/principals.js';

/**
 * SEC-11: who may use each route, written out here independently of src/domain/permissions.ts and of each route's
 * `config.access`, so that widening access anywhere must be done twice, on purpose. A route missing from this table
 * fails both matrices: src/app.access-matrix.test.ts (every route × every identity, fake services, no database) and
 * test/integration/access-matrix.test.ts (real sign-in on a real database).
 */
export const ANYONE = 'anyone';
/** A staff session past the password step, even with its second factor still due. */
export const FIRST_FACTOR = 'first factor';
/** CAD API routes take an API key with the named scope, never a staff session or a call link. */
export const API_KEY_INCIDENTS_WRITE = 'api key with incidents:write';
export const API_KEY_CONSULTATIONS_READ = 'api key with consultations:read';
/** Victims' and interpreters' pages take a call session from a texted link, never a staff session; after both consents. */
export const LINK = 'call link';
/** The same call session before the link-holder has consented (the consent step and "Exit this page"). */
export const LINK_BEFORE_CONSENT = 'call link, before consent';
const EVERY_ROLE: readonly Role[] = ROLES;
const STAFF: Role[] = ['call_handler', 'rvr_officer', 'supervisor'];

export type AccessRule =
  | typeof ANYONE
  | typeof FIRST_FACTOR
  | typeof API_KEY_INCIDENTS_WRITE
  | typeof API_KEY_CONSULTATIONS_READ
  | typeof LINK
  | typeof LINK_BEFORE_CONSENT
  | readonly Role[];

export const EXPECTED_ACCESS: Record<string, AccessRule> = {
  'GET /consultations/:id/call': ['rvr_officer'],
  'POST /consultations/:id/call/resume': ['rvr_officer'],
  // Issue 12: the call record follows the investigation record's rule (the officer's own, supervisors, investigators).
  'GET /calls/:id': ['rvr_officer', 'supervisor', 'investigator'],
  'POST /calls/:id/record': ['rvr_officer', 'supervisor', 'investigator'],
  'POST /calls/:id/invites': ['rvr_officer'],
  'POST /calls/:id/invites/revoke': ['rvr_officer'],
  'POST /calls/:id/notes': ['rvr_officer'],
  'POST /calls/:id/snapshots': ['rvr_officer'],
  'POST /calls/:id/marks': ['rvr_officer'],
  'POST /calls/:id/end': ['rvr_officer'],
  'GET /calls/:id/socket': ['rvr_officer'],
  // ADR 0013: a web node's proxied call socket on the owning media node; the signed grant, not a session, admits it.
  'GET /internal/call-socket': ANYONE,
  // ADR 0013: an alert (a photo sent, "Exit this page") passed from a web node to the call's owner, admitted by its grant.
  'POST /internal/call-alert': ANYONE,
  'GET /v/:token': ANYONE,
  // RVR-07: the Continue button of the page previewers get (a deliberate step), CSRF-protected.
  'POST /v/:token': ANYONE,
  'GET /v/ended': ANYONE,
  // RVR-04, SC-3: before both consents a link-holder may see the consent step, give consent and leave; nothing else.
  'GET /v/call': LINK_BEFORE_CONSENT,
  'POST /v/call/consent': LINK_BEFORE_CONSENT,
  'GET /v/socket': LINK,
  'POST /v/quick-exit': LINK_BEFORE_CONSENT,
  'POST /v/call/uploads': LINK,
  'GET /v/call/statement': LINK,
  'POST /v/call/statement/corrections': LINK,
  'POST /v/call/statement/confirm': LINK,
  'POST /v/call/not-safe': LINK,
  'GET /v/call/location': LINK,
  'POST /v/call/location': LINK,
  'POST /v/call/location/decision': LINK,
  'GET /consultations/:id/enquiries': ['rvr_officer', 'supervisor', 'investigator'],
  'GET /consultations/:id/enquiry-lines/panel': ['rvr_officer'],
  'POST /consultations/:id/enquiry-lines': ['rvr_officer'],
  'GET /consultations/:id/statement/panel': ['rvr_officer'],
  'POST /consultations/:id/statement': ['rvr_officer'],
  'POST /consultations/:id/statement/share': ['rvr_officer'],
  'GET /consultations/:id/outcomes/panel': ['rvr_officer'],
  'POST /consultations/:id/outcomes': ['rvr_officer'],
  'GET /consultations/:id/safety-alerts/panel': ['rvr_officer'],
  'GET /consultations/:id/location/panel': ['rvr_officer'],
  'POST /safety-alerts/:id/acknowledge': ['rvr_officer'],
  'POST /safety-alerts/:id/escalate': ['rvr_officer'],
  'GET /outcomes': ['supervisor', 'admin'],
  'GET /outcomes/export.csv': ['supervisor', 'admin'],
  'GET /s/:token': ANYONE,
  'POST /s/:token': ANYONE,
  // Issue 17 §4: the victim's appointment page, by the texted link (its token checked by the service).
  'GET /a/:token': ANYONE,
  'POST /a/:token/join': ANYONE,
  'POST /a/:token/another-time': ANYONE,
  'GET /consultations/:id/appointment': ['rvr_officer'],
  'POST /consultations/:id/appointment': ['rvr_officer'],
  // Issue 17 §4: an officer takes an appointment the call handler booked at triage.
  'POST /appointments/:id/take': ['rvr_officer'],
  'GET /supervisor/appointments': ['supervisor'],
  'POST /supervisor/appointments/:id/follow-up': ['supervisor'],
  'GET /dev/outbox': EVERY_ROLE,
  'GET /api/docs': ANYONE,
  'POST /api/v1/incidents': API_KEY_INCIDENTS_WRITE,
  'GET /api/v1/consultations/:id': API_KEY_CONSULTATIONS_READ,
  'GET /control-room/calls/new': ['call_handler', 'supervisor'],
  'POST /control-room/calls': ['call_handler', 'supervisor'],
  'GET /consultations/:id/live': STAFF,
  'POST /consultations/:id/override': ['supervisor'],
  'GET /officer/queue': ['rvr_officer'],
  'POST /officer/availability': ['rvr_officer'],
  'GET /live/events': STAFF,
  'GET /settings/triage': ['supervisor', 'admin'],
  'POST /settings/triage': ['supervisor', 'admin'],
  'GET /health/live': ANYONE,
  'GET /health/ready': ANYONE,
  'GET /metrics': ANYONE,
  'GET /sign-in': ANYONE,
  'POST /sign-in': ANYONE,
  'GET /sign-in/oidc': ANYONE,
  'GET /sign-in/oidc/callback': ANYONE,
  // SEC-07: an SSO user's step-up (sign in again at the provider).
  'GET /sign-in/oidc/step-up': EVERY_ROLE,
  'GET /sign-in/mfa': FIRST_FACTOR,
  'POST /sign-in/mfa': FIRST_FACTOR,
  'POST /sign-out': FIRST_FACTOR,
  'GET /account/mfa/setup': FIRST_FACTOR,
  'POST /account/mfa/setup': FIRST_FACTOR,
  'GET /': EVERY_ROLE,
  'GET /account': EVERY_ROLE,
  // SEC-07: the step-up page, for anyone signed in (before the policy too: it only confirms who they are).
  'GET /account/step-up': EVERY_ROLE,
  'POST /account/step-up': EVERY_ROLE,
  'POST /account/sessions/:id/end': EVERY_ROLE,
  // SC-4: the nominee answers a system-owner nomination (the service refuses anyone else, audited).
  'POST /account/system-owner/:id': EVERY_ROLE,
  'GET /policy': EVERY_ROLE,
  'POST /policy': EVERY_ROLE,
  'GET /control-room': ['call_handler'],
  'GET /officer': ['rvr_officer'],
  'GET /supervisor': ['supervisor'],
  'GET /supervisor/board': ['supervisor'],
  'GET /supervisor/board/live': ['supervisor'],
  'GET /supervisor/calls/:id/observe': ['supervisor'],
  'POST /supervisor/calls/:id/observe': ['supervisor'],
  'GET /supervisor/calls/:id/observer': ['supervisor'],
  'GET /calls/:id/observe/socket': ['supervisor'],
  'GET /supervisor/reviews': ['supervisor'],
  'GET /supervisor/reviews/:id': ['supervisor'],
  'POST /supervisor/reviews/:id': ['supervisor'],
  'GET /officer/feedback': ['rvr_officer'],
  'GET /investigations': ['investigator'],
  'GET /evidence': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'GET /evidence/items/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/items/:id/open': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'GET /evidence/items/:id/media': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'POST /evidence/items/:id/download': ['investigator', 'evidence_manager'],
  'POST /evidence/items/:id/restriction': ['evidence_manager', 'dpo'],
  'GET /evidence/consultations/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/consultations/:id/play': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'POST /evidence/consultations/:id/holds': ['evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/holds/:id/release': ['evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/consultations/:id/retention': ['evidence_manager'],
  'POST /evidence/consultations/:id/reviews': ['evidence_manager'],
  'POST /evidence/consultations/:id/working-copies': ['investigator', 'evidence_manager'],
  'POST /evidence/consultations/:id/exports': ['evidence_manager'],
  'GET /evidence/tasks/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  // Issue 15 §2, EVD-09: redacted copies; making and approving one is the evidence manager's and the disclosure officer's (investigator).
  'GET /evidence/items/:id/redactions': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'GET /evidence/items/:id/redactions/new': ['investigator', 'evidence_manager'],
  'GET /evidence/items/:id/redactions/still': ['investigator', 'evidence_manager'],
  'POST /evidence/items/:id/redactions': ['investigator', 'evidence_manager'],
  'GET /evidence/redactions/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/redactions/:id/decision': ['investigator', 'evidence_manager'],
  'POST /evidence/disposals': ['evidence_manager'],
  'GET /evidence/disposals/:id': ['evidence_manager'],
  'GET /evidence/disposals/:id/certificate': ['evidence_manager'],
  'POST /evidence/integrity-check': ['evidence_manager'],
  'GET /consultations/:id/risk-assessment': ['rvr_officer', 'supervisor', 'investigator'],
  'PUT /consultations/:id/risk-assessment': ['rvr_officer'],
  'POST /consultations/:id/risk-assessment/complete': ['rvr_officer'],
  'POST /consultations/:id/risk-assessment/amend': ['rvr_officer'],
  'GET /risk-assessments/sign-off': ['supervisor'],
  'POST /risk-assessments/:id/sign-off': ['supervisor'],
  'GET /consultations/:id': STAFF,
  'POST /consultations/:id/transitions': STAFF,
  'POST /consultations/:id/reassign': ['supervisor'],
  'GET /consultations/:id/caller': [...STAFF, 'investigator'],
  'POST /consultations/:id/caller': [...STAFF, 'investigator'],
  'GET /dpo': ['dpo'],
  'POST /dpo/audit/verify': ['dpo'],
  'POST /dpo/audit/export': ['dpo'],
  'GET /dpo/erasures': ['dpo'],
  'POST /dpo/erasures': ['dpo'],
  'GET /dpo/erasures/:id': ['dpo'],
  'GET /dpo/subjects': ['dpo'],
  // Issue 16 §3: the DPO's list of break-glass uses; supervisors assign cases; investigators break the glass.
  'GET /dpo/break-glass': ['dpo'],
  'POST /dpo/break-glass/:id/reviewed': ['dpo'],
  'GET /cases/:id/access': ['supervisor'],
  'POST /cases/:id/assignments': ['supervisor'],
  'POST /case-assignments/:id/end': ['supervisor'],
  'POST /investigations/break-glass': ['investigator'],
  'POST /dpo/subjects': ['dpo'],
  'GET /dpo/requests': ['dpo'],
  'POST /dpo/requests': ['dpo'],
  'GET /dpo/requests/:id': ['dpo'],
  'POST /dpo/requests/:id/identity': ['dpo'],
  'POST /dpo/requests/:id/extension': ['dpo'],
  'POST /dpo/requests/:id/clock': ['dpo'],
  'POST /dpo/requests/:id/access-restriction': ['dpo'],
  'POST /dpo/requests/:id/consultations': ['dpo'],
  'POST /dpo/requests/:id/rectifications': ['dpo'],
  'POST /dpo/requests/:id/processing-restriction': ['dpo'],
  'POST /dpo/requests/:id/processing-restriction-lift': ['dpo'],
  'POST /dpo/requests/:id/decision': ['dpo'],
  'POST /dpo/requests/:id/disclosure': ['dpo'],
  // Issue 16 §3: the breach register (DP-15), the SC Code self-assessment (SC-10), the DPIA (DP-13), covert surveillance (policy 3.4).
  'GET /dpo/breaches': ['dpo'],
  'POST /dpo/breaches': ['dpo'],
  'GET /dpo/breaches/:id': ['dpo'],
  'POST /dpo/breaches/:id/assessment': ['dpo'],
  'POST /dpo/breaches/:id/decision': ['dpo'],
  'POST /dpo/breaches/:id/ico-notification': ['dpo'],
  'POST /dpo/breaches/:id/subject-notifications': ['dpo'],
  'GET /dpo/sc-code': ['dpo', 'admin'],
  'GET /dpo/sc-code.json': ['dpo', 'admin'],
  'GET /dpo/sc-code.csv': ['dpo', 'admin'],
  'GET /admin/dpia': ['admin'],
  'POST /admin/dpia': ['admin'],
  'GET /consultations/:id/covert-surveillance': ['rvr_officer', 'supervisor'],
  'POST /consultations/:id/covert-surveillance': ['rvr_officer', 'supervisor'],
  'GET /covert-surveillance': ['supervisor', 'dpo', 'professional_standards'],
  'POST /covert-surveillance/:id/progress': ['supervisor', 'dpo', 'professional_standards'],
  'GET /admin': ['admin'],
  'GET /admin/users/new': ['admin'],
  'POST /admin/users/new': ['admin'],
  'GET /admin/users/:id': ['admin'],
  'POST /admin/users/:id/roles': ['admin'],
  'POST /admin/users/:id/disable': ['admin'],
  'POST /admin/users/:id/enable': ['admin'],
  'POST /admin/users/:id/reset-mfa': ['admin'],
  'POST /admin/users/:id/end-sessions': ['admin'],
  'POST /admin/role-requests/:id/approve': ['admin'],
  'POST /admin/role-requests/:id/refuse': ['admin'],
  'GET /admin/policy': ['admin'],
  'POST /admin/policy': ['admin'],
  'GET /admin/evaluation': ['admin'],
  'POST /admin/evaluation/trials': ['admin'],
  'POST /admin/evaluation/trials/:id/stop': ['admin'],
  'POST /admin/evaluation/allocations/:consultationId': ['admin'],
  // Issue 16 §3: system owner (SC-4), purposes and marking (SC-1, SEC-05), training records (SC-8).
  'GET /admin/governance': ['admin'],
  'POST /admin/governance/system-owner': ['admin'],
  'GET /admin/users/:id/training': ['admin'],
  'POST /admin/users/:id/training': ['admin'],
  'GET /evaluation/export': ['supervisor', 'admin'],
  'POST /evaluation/export': ['supervisor', 'admin'],
};

const API_RULES: Record<ApiScope, AccessRule> = { 'incidents:write': API_KEY_INCIDENTS_WRITE, 'consultations:read': API_KEY_CONSULTATIONS_READ };

/**
 * SEC-07: the sensitive routes, written out here independently of each route's `config.stepUp`: download and export
 * of evidence, releasing a hold, disposal, erasure, export of the audit log, and changing roles. Each must refuse a
 * session without a fresh step-up (src/app.access-matrix.test.ts).
 */
export const EXPECTED_STEP_UP: readonly string[] = [
  'POST /evidence/items/:id/download',
  'POST /evidence/consultations/:id/exports',
  'POST /evidence/holds/:id/release',
  'POST /evidence/disposals',
  'POST /dpo/erasures',
  'POST /dpo/audit/export',
  'POST /dpo/requests/:id/disclosure',
  'POST /admin/users/:id/roles',
  'POST /admin/role-requests/:id/approve',
];

/** Who is asking, as the matrices see it. */
export type MatrixIdentity = { name: string } & (
  | { kind: 'anonymous' }
  | { kind: 'staff'; roles: readonly Role[]; firstFactorOnly?: boolean }
  | { kind: 'link'; consented: boolean }
  | { kind: 'api'; scope: ApiScope }
);

export type Verdict = 'allowed' | 'denied';

export function expectedVerdict(route: string, identity: MatrixIdentity): Verdict {
  const rule = EXPECTED_ACCESS[route];
  if (rule === undefined) throw new Error(`${route} is not in the expected access table`);
  const allowed = (yes: boolean): Verdict => (yes ? 'allowed' : 'denied');
  if (rule === ANYONE) return 'allowed';
  if (rule === LINK) return allowed(identity.kind === 'link' && identity.consented);
  if (rule === LINK_BEFORE_CONSENT) return allowed(identity.kind === 'link');
  if (rule === API_KEY_INCIDENTS_WRITE || rule === API_KEY_CONSULTATIONS_READ) return allowed(identity.kind === 'api' && API_RULES[identity.scope] === rule);
  if (identity.kind !== 'staff') return 'denied';
  if (rule === FIRST_FACTOR) return 'allowed';
  if (identity.firstFactorOnly) return 'denied';
  return allowed(rule.some((role) => identity.roles.includes(role)));
}

/**
 * Whether the request guard refused (asked for JSON, it answers 401 or 403 and says why); anything else, even an
 * error from the route itself, got past it.
 */
export function refusedByGuard(status: number, body: string): boolean {
  if (status === 401) return /Sign in|Finish signing in|API key|call has ended or your link has expired/.test(body);
  if (status === 403) return /does not give you access|does not have the [a-z:]+ scope|"consentRequired":true/.test(body);
  return false;
}

/** Every route the app registered, as "METHOD /url", leaving out HEAD and static files. */
export function registeredRoutes(app: FastifyInstance): Set<string> {
  return new Set(
    app.routeCatalogue.filter((r) => r.method !== 'HEAD' && !/^\/(assets|stylesheets|javascripts|static)\//.test(r.url)).map((r) => `${r.method} ${r.url}`),
  );
}

/** Fails when a registered route has no row in the table, or a row names a route that is not registered. */
export function assertTableCoversEveryRoute(app: FastifyInstance): void {
  const registered = registeredRoutes(app);
  assert.deepEqual(
    [...registered].filter((r) => !(r in EXPECTED_ACCESS)),
    [],
    'routes without an expected access rule',
  );
  assert.deepEqual(
    Object.keys(EXPECTED_ACCESS).filter((r) => !registered.has(r)),
    [],
    'expected routes that are not registered',
  );
}
