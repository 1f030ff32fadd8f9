import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { ROLES, type Role } from '../../src/domain/roles.js';
import type { RequestContext } from '../../src/platform/context.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, callInput, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import {
  EVIDENCE_VIEW,
  RELATIONS,
  ROWS,
  ALL_ANSWERS,
  PNG,
  type Fixture,
  type Identity,
  type Need,
  type Outcome,
  type Relation,
  type Row,
  tomorrowAtTen,
} from './object-access-matrix.rows.js';

// The table, and what each cell means, is in object-access-matrix.rows.ts.

let SPARE: Awaited<ReturnType<typeof createUser>>;
let grantFor: (who: Identity, itemId: string) => Promise<string>;

await describeOnDatabase('object-level access matrix: every role × own / another officer’s / unassigned (SEC-11, issue 12)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let owner: Awaited<ReturnType<typeof createUser>>;
  const identities: Identity[] = [];
  let address: string | undefined;
  const system: RequestContext = { actor: { type: 'system', name: 'matrix' }, correlationId: 'matrix' };

  before(async () => {
    // SEC-07: each identity steps up once; the elevation lasts the whole matrix.
    t = await buildTestApp(kind, { env: { REVIEW_SAMPLE_PERCENT: '100', STEP_UP_MAX_AGE_MINUTES: '60' } });
    handler = await createUser(t.services, 'om-handler', ['call_handler']);
    owner = await createUser(t.services, 'om-owner', ['rvr_officer']);
    SPARE = await createUser(t.services, 'om-spare', ['rvr_officer']);
    await allowRoundTheClock(t.services);
    for (const role of ROLES) {
      const user = await createUser(t.services, `om-${role}`, [role]);
      const browser = new Browser(t.app);
      await browser.signIn(`om-${role}`);
      await browser.get('/');
      await browser.stepUp();
      identities.push({ role, user, browser });
    }
    grantFor = async (who, itemId) => {
      if (!EVIDENCE_VIEW.includes(who.role)) return '1.forged';
      return (await t.services.evidence.access.open(contextFor(who.user), itemId, 'Opened for the access matrix')).grant;
    };
  });
  after(() => t.close());

  /** The victim opens the link and consents (through the service: the victim's pages have their own tests). */
  let linking: Promise<unknown> = Promise.resolve();
  const link = (f: { callId: string }, officer: Awaited<ReturnType<typeof createUser>>) => {
    // One at a time: the texted link is read back from the shared outbox.
    const next = linking.then(() => linkNow(f, officer));
    linking = next.catch(() => undefined);
    return next;
  };
  const linkNow = async (f: { callId: string }, officer: Awaited<ReturnType<typeof createUser>>) => {
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
    if (need === 'triageAppointment') {
      // Issue 17 §4: booked by the call handler at triage; nobody holds it (unassigned) or another officer took it.
      const booked = await t.services.appointments.intakeWithAppointment(
        contextFor(handler),
        callInput(),
        { ...tomorrowAtTen(), reason: 'cannot_talk_now' },
        'test',
      );
      const appointmentId = booked.appointment!.id;
      if (relation === 'others') await t.services.appointments.take(contextFor(owner), appointmentId);
      return { consultationId: booked.consultation.id, appointmentId, held: relation === 'others' };
    }
    const { consultation } = await newCall(t.services, handler);
    // Issue 16 §3: the matrix's investigator has every case (a supervisor assigned it); the last test takes one who has not.
    await assignCase(t.services, consultation.id, 'om-investigator');
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
    if (need === 'missedAppointment') {
      const booked = await t.services.appointments.book(as, consultation.id, { ...tomorrowAtTen(), reason: 'cannot_talk_now' });
      // Its window closed with nobody joined (what the job's missed check does when the time has passed).
      await t.services.data.repos.appointments.markMissed(booked.id, new Date());
      f.appointmentId = booked.id;
    }
    if (need === 'statement') f.statementRevision = (await t.services.victimStatements.save(as, consultation.id, { text: 'My account', revision: 0 })).revision;
    if (need === 'call' || need === 'alert' || need === 'observed' || need === 'redaction') {
      const call = await t.services.calls.lifecycle.openCall(as, consultation.id);
      f.callId = call.id;
      await t.services.calls.chat.saveNotes(as, call.id, 'Matrix notes');
      await t.services.calls.snapshots.saveSnapshot(as, call.id, Buffer.from(PNG.slice(PNG.indexOf(',') + 1), 'base64'));
      f.itemId = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'snapshot')!.id;
      if (need === 'redaction') {
        // Asked for by the officer; the snapshot stands in for the copy the job would have made.
        const at = new Date();
        f.redactionId = (
          await t.services.data.repos.redactions.create({
            consultationId: consultation.id,
            sourceItemId: f.itemId,
            spec: {
              plan: { media: 'image', regions: [], audio: [], cuts: [] },
              facts: { media: 'image', startSeconds: 0, hasVideo: true, hasAudio: false },
              purpose: 'Matrix',
            },
            state: 'awaiting_approval',
            progress: 100,
            resultItemId: f.itemId,
            requestedBy: officer.id,
            requestedAt: at,
            updatedAt: at,
          })
        ).id;
      }
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
    const { url, body } = await row.request(f, who, { spareOfficerId: SPARE.id, grantFor });
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
    // Rows in order (a later row may build on what an earlier one did to a shared object); within a row each
    // person's cells run alongside the others' (each person's own, in order), overlapping the database round trips.
    const sequentialRows = new Set(['POST /consultations/:id/reassign']);
    for (const row of ROWS) {
      const applies = row.relations ?? RELATIONS;
      const column = async (who: Identity) => {
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
        return group;
      };
      const cells: string[] = [];
      if (sequentialRows.has(row.route) || row.route.endsWith('/socket')) for (const who of identities) cells.push(await column(who));
      else cells.push(...(await Promise.all(identities.map(column))));
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

  it('issue 16 §3: an investigator without the case is refused on every route an assigned investigator may use, and break-glass opens it', async () => {
    const user = await createUser(t.services, 'om-investigator-stranger', ['investigator']);
    const browser = new Browser(t.app);
    await browser.signIn('om-investigator-stranger');
    await browser.get('/');
    await browser.stepUp();
    const stranger: Identity = { role: 'investigator', user, browser };
    const mismatches: string[] = [];
    const checked: string[] = [];
    for (const row of ROWS) {
      // "own" would make the stranger the consultation's officer; another officer's or nobody's case is the question.
      const relation = (['others', 'unassigned'] as const).find((r) => (row.relations ?? RELATIONS).includes(r) && expected(row, r, 'investigator') === '✓');
      if (!relation) continue;
      const f = await fixture(row.needs, relation, stranger);
      const without = await outcome(row, f, stranger);
      if (without !== '·') mismatches.push(`${row.route}, ${relation}: without the case expected ·, got ${without}`);
      const reference = (await t.services.data.repos.consultations.findById(f.consultationId))!.reference;
      await t.services.caseAccess.breakGlass(contextFor(user), { reference, reason: 'Urgent safeguarding check tonight' });
      const withBreakGlass = await outcome(row, f, stranger);
      if (withBreakGlass !== '✓') mismatches.push(`${row.route}, ${relation}: with break-glass expected ✓, got ${withBreakGlass}`);
      checked.push(row.route);
    }
    assert.ok(checked.length >= 12, `only ${checked.length} routes checked: ${checked.join(', ')}`);
    assert.deepEqual(mismatches, []);
    const refusals = await queryRows<{ who: string; details: { refusal?: string } }>(
      t.db.database,
      sql`select who, details from audit_events where what = 'access.refused' and who = ${`user:${user.id}`}`,
    );
    assert.ok(refusals.length >= checked.length && refusals.every((r) => r.details.refusal === 'case_not_assigned'), 'each refusal is logged');
  });
});
