import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { ENQUIRY_LINE_IDS } from '../../src/domain/enquiry-lines.js';
import { DASH2009 } from '../../src/domain/risk-forms/dash-2009.js';
import { questionsOf } from '../../src/domain/risk-forms/risk-form.js';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { NRAC_QUESTIONS } from '../../src/domain/retention.js';
import { REVIEW_CHECKLIST } from '../../src/features/supervisor/review-checklist.js';
import type { RequestContext } from '../../src/platform/context.js';
import { describeOnEachDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

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
type Relation = 'own' | 'others' | 'unassigned';
type Outcome = '✓' | '·' | '!';
type Need = 'consultation' | 'call' | 'alert' | 'answeredRisk' | 'completedRisk' | 'statement' | 'review' | 'ineligible' | 'observed';
const RELATIONS: readonly Relation[] = ['own', 'others', 'unassigned'];

interface Fixture {
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
}
interface Identity {
  role: Role;
  user: Awaited<ReturnType<typeof createUser>>;
  browser: Browser;
}
interface Row {
  route: string;
  needs: Need;
  relations?: readonly Relation[];
  /** A ✓ changes the object in a way that would change the next cell's answer: each ✓ cell gets its own. */
  mutates?: boolean;
  request: (f: Fixture, who: Identity) => Promise<{ url: string; body?: unknown }> | { url: string; body?: unknown };
  expect: Partial<Record<Relation, Partial<Record<Outcome, readonly Role[]>>>>;
}

const PNG = `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(24, 7)]).toString('base64')}`;
const ALL_ANSWERS = Object.fromEntries(questionsOf(DASH2009).map((q) => [q.id, { answer: 'no' }]));
const REVIEW_FORM = { ...Object.fromEntries(REVIEW_CHECKLIST.map((item) => [`score_${item.id}`, 'met'])), feedback: 'Thorough and kind.' };
const EVIDENCE_LIST: Role[] = ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'];
const EVIDENCE_VIEW: Role[] = ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'];
const READERS = {
  own: { '✓': ['rvr_officer', 'supervisor', 'investigator'] },
  others: { '✓': ['supervisor', 'investigator'] },
  unassigned: { '✓': ['supervisor', 'investigator'] },
} as const;
const OFFICER_OWN = { own: { '✓': ['rvr_officer'] } } as const;
const same = (cell: Partial<Record<Outcome, readonly Role[]>>) => ({ own: cell, others: cell, unassigned: cell });

const ROWS: Row[] = [
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
    request: (f) => ({ url: `/consultations/${f.consultationId}/reassign`, body: { officerId: SPARE.id, reason: 'Officer needed elsewhere' } }),
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
  // The investigation record and the officer's investigation in the call
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
    request: async (f, who) => ({ url: `/evidence/items/${f.itemId}/media?grant=${encodeURIComponent(await grantFor(who, f.itemId!))}` }),
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
  // Routes that take a consultation id but no staff session object rule: the API (a CAD key only) and the trial's allocation (never changed).
  { route: 'GET /api/v1/consultations/:id', needs: 'consultation', request: (f) => ({ url: `/api/v1/consultations/${f.consultationId}` }), expect: same({}) },
  {
    route: 'POST /admin/evaluation/allocations/:consultationId',
    needs: 'consultation',
    request: (f) => ({ url: `/admin/evaluation/allocations/${f.consultationId}`, body: { reason: 'Wrong arm' } }),
    expect: same({ '!': ['admin'] }),
  },
];

let SPARE: Awaited<ReturnType<typeof createUser>>;
let grantFor: (who: Identity, itemId: string) => Promise<string>;

await describeOnEachDatabase('object-level access matrix: every role × own / another officer’s / unassigned (SEC-11, issue 12)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let owner: Awaited<ReturnType<typeof createUser>>;
  const identities: Identity[] = [];
  let address: string | undefined;
  const system: RequestContext = { actor: { type: 'system', name: 'matrix' }, correlationId: 'matrix' };

  before(async () => {
    t = await buildTestApp(kind, { env: { REVIEW_SAMPLE_PERCENT: '100' } });
    handler = await createUser(t.services, 'om-handler', ['call_handler']);
    owner = await createUser(t.services, 'om-owner', ['rvr_officer']);
    SPARE = await createUser(t.services, 'om-spare', ['rvr_officer']);
    await allowRoundTheClock(t.services);
    for (const role of ROLES) {
      const user = await createUser(t.services, `om-${role}`, [role]);
      const browser = new Browser(t.app);
      await browser.signIn(`om-${role}`);
      await browser.get('/');
      identities.push({ role, user, browser });
    }
    grantFor = async (who, itemId) => {
      if (!EVIDENCE_VIEW.includes(who.role)) return '1.forged';
      return (await t.services.evidence.access.open(contextFor(who.user), itemId, 'Opened for the access matrix')).grant;
    };
  });
  after(() => t.close());

  /** The victim opens the link and consents (through the service: the victim's pages have their own tests). */
  const link = async (f: { callId: string }, officer: Awaited<ReturnType<typeof createUser>>) => {
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), f.callId, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]+)/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const { participant } = await t.services.calls.links.redeemLink(token, '192.0.2.10', 'matrix');
    const session = { participant, call: (await t.services.data.repos.calls.findById(f.callId))!, consented: true };
    await t.services.calls.consent.giveConsent(t.services.calls.links.linkContext(session, 'matrix'), session, { video: true, recording: true });
    return session;
  };

  /** A fresh object of the kind the route takes, whose consultation is held by `who` (own), another officer, or nobody. */
  const fixture = async (need: Need, relation: Relation, who: Identity): Promise<Fixture> => {
    if (need === 'ineligible') {
      const { consultation } = await newCall(t.services, handler, { flags: ['no_smartphone_or_signal'] });
      return { consultationId: consultation.id };
    }
    const { consultation } = await newCall(t.services, handler);
    const f: Fixture = { consultationId: consultation.id };
    const simple = need === 'consultation' || need === 'answeredRisk' || need === 'completedRisk' || need === 'statement';
    if (relation === 'unassigned' && simple) return f;
    // The officer who takes it and prepares it: the person asking when they are an officer and it is theirs.
    const officer = relation === 'own' && who.role === 'rvr_officer' ? who.user : owner;
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    f.held = true;
    const as = contextFor(officer);
    if (need === 'answeredRisk' || need === 'completedRisk') {
      const saved = await t.services.riskAssessments.saveDraft(as, consultation.id, {
        revision: 0,
        answers: ALL_ANSWERS,
        facts: { victimAgeBand: '18_plus', priorIncidents12Months: 0 },
      } as never);
      if (!saved.saved) throw new Error('the draft was not saved');
      f.riskRevision = saved.assessment.revision;
      if (need === 'completedRisk') {
        const done = await t.services.riskAssessments.complete(as, consultation.id, f.riskRevision);
        if (!done.saved) throw new Error('the assessment was not completed');
        f.assessmentId = done.assessment.id;
      }
    }
    if (need === 'statement') f.statementRevision = (await t.services.victimStatements.save(as, consultation.id, { text: 'My account', revision: 0 })).revision;
    if (need === 'call' || need === 'alert' || need === 'observed') {
      const call = await t.services.calls.lifecycle.openCall(as, consultation.id);
      f.callId = call.id;
      await t.services.calls.chat.saveNotes(as, call.id, 'Matrix notes');
      await t.services.calls.snapshots.saveSnapshot(as, call.id, Buffer.from(PNG.slice(PNG.indexOf(',') + 1), 'base64'));
      f.itemId = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'snapshot')!.id;
      if (relation === 'unassigned') {
        // Handed back to the queue: the call ends with it and nobody holds it.
        await t.services.consultations.transition(as, consultation.id, 'queued', 'Called away');
        return { ...f, held: false };
      }
      const session = await link({ callId: call.id }, officer);
      await t.services.calls.chat.postChat(t.services.calls.links.linkContext(session, 'matrix'), session.participant, 'Hello');
      if (need === 'alert') f.alertId = (await t.services.safetyAlerts.raise(t.services.calls.links.linkContext(session, 'matrix'), session)).id;
      if (need === 'observed' && who.role === 'supervisor')
        await t.services.observations.start(contextFor(who.user), call.id, 'Observing for the access matrix');
    }
    if (need === 'review') {
      await t.services.consultations.transition(as, consultation.id, 'invited');
      await t.services.consultations.transition(system, consultation.id, 'victim_joined');
      await t.services.consultations.transition(system, consultation.id, 'connected');
      await t.services.consultations.transition(as, consultation.id, 'completed');
      f.reviewId = (await t.services.data.repos.supervision.findReviewByConsultation(consultation.id))!.id;
    }
    // "Own" for a role that cannot accept: the record names them as its officer (or its review's, or as the assessment's author).
    if (relation === 'own' && officer !== who.user) {
      await queryRows(t.db.database, sql`update consultations set officer_id = ${who.user.id} where id = ${consultation.id}`);
      if (f.reviewId) await queryRows(t.db.database, sql`update quality_reviews set officer_id = ${who.user.id} where id = ${f.reviewId}`);
      if (f.assessmentId) await queryRows(t.db.database, sql`update risk_assessments set completed_by = ${who.user.id} where id = ${f.assessmentId}`);
    }
    return f;
  };

  const listening = async () => (address ??= await t.app.listen({ host: '127.0.0.1', port: 0 }));

  const socketOutcome = async (url: string, who: Identity): Promise<string> => {
    const socket = new WebSocket(`${(await listening()).replace('http', 'ws')}${url}`, { headers: { cookie: who.browser.cookieHeader } });
    return new Promise<string>((resolve) => {
      const done = (outcome: string) => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        resolve(outcome);
      };
      const timer = setTimeout(() => done('?timeout'), 5000);
      socket.on('unexpected-response', (_request, response) =>
        done(response.statusCode === 401 || response.statusCode === 403 ? '·' : `?${response.statusCode}`),
      );
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as { type: string };
        if (message.type === 'hello') done('✓');
      });
      socket.on('close', (code) => done(code === 4003 ? '·' : `?close ${code}`));
      socket.on('error', () => done('?error'));
    });
  };

  const outcome = async (row: Row, f: Fixture, who: Identity): Promise<string> => {
    const [method, pattern] = row.route.split(' ') as ['GET' | 'POST' | 'PUT', string];
    const { url, body } = await row.request(f, who);
    if (pattern.endsWith('/socket')) return socketOutcome(url, who);
    if (row.route === 'POST /consultations/:id/reassign') await t.services.data.repos.availability.set(SPARE.id, 'available', new Date());
    const response = await t.app.inject({
      method,
      url,
      headers: {
        cookie: who.browser.cookieHeader,
        accept: 'application/json',
        'x-csrf-token': who.browser.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    const status = response.statusCode;
    if (status >= 200 && status < 400) return '✓';
    if (status === 401 || status === 403) return '·';
    if (status === 409) return '!';
    return `?${status} ${response.body.slice(0, 120)}`;
  };

  const expected = (row: Row, relation: Relation, role: Role): Outcome => {
    const cell = row.expect[relation] ?? {};
    for (const result of ['✓', '!'] as const) if (cell[result]?.includes(role)) return result;
    return '·';
  };

  it('enforces the expected outcome for every route, role and relation, and prints the matrix', async () => {
    const shared = new Map<string, Promise<Fixture>>();
    const sharedFixture = (need: Need, relation: Relation, who: Identity) => {
      // Another officer's and unassigned objects are the same for everyone; "own" is per person, and so is an observation.
      const key = `${need}:${relation}:${relation === 'own' || need === 'observed' ? who.role : ''}`;
      if (!shared.has(key)) shared.set(key, fixture(need, relation, who));
      return shared.get(key)!;
    };
    const mismatches: string[] = [];
    const lines: string[] = [];
    for (const row of ROWS) {
      const applies = row.relations ?? RELATIONS;
      const cells: string[] = [];
      for (const who of identities) {
        let group = '';
        for (const relation of RELATIONS) {
          if (!applies.includes(relation)) {
            group += ' ';
            continue;
          }
          const want = expected(row, relation, who.role);
          const f = row.mutates && want === '✓' ? await fixture(row.needs, relation, who) : await sharedFixture(row.needs, relation, who);
          const got = await outcome(row, f, who);
          group += got.startsWith('?') ? '?' : got;
          if (got !== want) mismatches.push(`${row.route} as ${who.role}, ${relation}: expected ${want}, got ${got}`);
        }
        cells.push(group);
      }
      lines.push(`${row.route.padEnd(50)} ${cells.join(' | ')}`);
    }
    console.log(
      `\nObject access matrix (✓ allowed, · refused, ! refused by the object's state, blank: no such object); ` +
        `each column own/others/unassigned; columns: ${identities.map((i) => i.role).join(' | ')}\n${lines.join('\n')}`,
    );
    assert.deepEqual(mismatches, []);
  });

  it('every object-level refusal above is on record as access.refused, with who, what and why', async () => {
    const refusals = await queryRows<{ who: string; details: { action?: string; refusal?: string } }>(
      t.db.database,
      sql`select who, details from audit_events where what = 'access.refused'`,
    );
    assert.ok(refusals.length > 20, `only ${refusals.length} refusals logged`);
    const officer = identities.find((i) => i.role === 'rvr_officer')!;
    const byOfficer = refusals.filter((r) => r.who === `user:${officer.user.id}`);
    for (const action of [
      'transition:accepted->queued',
      'caller_details.view',
      'call.open',
      'investigation.view',
      'risk_assessment.view',
      'call.record_view',
      'call.invite',
      'call.end',
      'call.join',
      'safety_alert.respond',
    ])
      assert.ok(
        byOfficer.some((r) => r.details.action === action && r.details.refusal),
        `the officer's refused ${action} is logged (have ${[...new Set(byOfficer.map((r) => r.details.action))].join(', ')})`,
      );
    const supervisor = identities.find((i) => i.role === 'supervisor')!;
    assert.ok(refusals.some((r) => r.who === `user:${supervisor.user.id}` && r.details.refusal === 'own_review'));
  });
});
