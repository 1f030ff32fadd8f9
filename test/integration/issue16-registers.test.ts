import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { isoToLondonLocal } from '../../src/features/control-room/control-room.routes.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
type Assessment = { answers: { ruleId: string; status: string; gaps: string[] }[] };
const day = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Issue 16 §3 (part 1): the breach register with its 72-hour ICO clock (DP-15), the DPIA and its go-live gate
 * (DP-13, SC-2), the report of covert surveillance without authority with its automatic IPCO hold (policy 3.4), and
 * the Surveillance Camera Code self-assessment computed from the live configuration and records (SC-10).
 */
await describeOnDatabase('issue 16 §3: breach register, DPIA gate, covert surveillance reports, SC Code self-assessment', (kind) => {
  let t: TestApp;
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let admin: Awaited<ReturnType<typeof createUser>>;
  const signedIn = async (username: string) => {
    const browser = new Browser(t.app);
    await browser.signIn(username);
    return browser;
  };
  const audit = (what: string) =>
    queryRows<{ subject: string; justification: string | null; details: Record<string, unknown> }>(
      t.db.database,
      sql`select subject, justification, details from audit_events where what = ${what} order by seq`,
    );

  before(async () => {
    // DP-13: the gate is on (as in production) without the rest of production's settings.
    t = await buildTestApp(kind, { env: { DPIA_REQUIRED: 'true' }, now });
    handler = await createUser(t.services, 'i16-handler', ['call_handler']);
    officer = await createUser(t.services, 'i16-officer', ['rvr_officer']);
    await createUser(t.services, 'i16-officer2', ['rvr_officer']);
    await createUser(t.services, 'i16-supervisor', ['supervisor']);
    await createUser(t.services, 'i16-dpo', ['dpo']);
    admin = await createUser(t.services, 'i16-admin', ['admin']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const acceptedConsultation = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    return consultation;
  };

  describe('the DPIA go-live gate (DP-13, SC-2)', () => {
    it('DP-13: with no DPIA, no call is opened and /health says why; the message says who can put it right', async () => {
      const consultation = await acceptedConsultation();
      await assert.rejects(t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id), (error: Error & { statusCode?: number }) => {
        assert.equal(error.statusCode, 409);
        assert.match(error.message, /RVR cannot take live calls: No data protection impact assessment is recorded.*administrator/);
        return true;
      });
      const health = await t.app.inject({ method: 'GET', url: '/health/ready' });
      assert.equal(health.statusCode, 200);
      assert.equal(health.json().checks.dpia, 'none recorded: live calls refused');
      const supervisor = await signedIn('i16-supervisor');
      assert.match((await supervisor.get('/supervisor')).body, /data-testid="dpia-warning"[\s\S]*No data protection impact assessment/);
    });

    it('DP-13, SC-2: the admin records the DPIA (validated, audited); an approved one in date opens calls; a review due within 30 days warns', async () => {
      const adminBrowser = await signedIn('i16-admin');
      await adminBrowser.get('/admin/dpia');
      const bad = await adminBrowser.post('/admin/dpia', {
        reference: 'DPIA-RVR-7',
        approvedBy: 'A. Chief, SIRO',
        approvedOn: day(new Date(now().getTime() + 2 * DAY)),
        reviewDue: day(new Date(now().getTime() + 100 * DAY)),
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /The approval date cannot be in the future/);
      assert.equal((await t.services.dpia.history()).length, 0);
      const approvedOn = day(new Date(now().getTime() - 340 * DAY));
      const reviewDue = day(new Date(now().getTime() + 20 * DAY));
      const saved = await adminBrowser.post('/admin/dpia', { reference: 'DPIA-RVR-7', approvedBy: 'A. Chief, SIRO', approvedOn, reviewDue });
      assert.equal(saved.statusCode, 303);
      const [event] = await audit('dpia.recorded');
      assert.equal(event!.details.reference, 'DPIA-RVR-7');
      assert.equal(event!.details.reviewDue, reviewDue);
      const consultation = await acceptedConsultation();
      const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
      assert.ok(call.id);
      assert.match((await adminBrowser.get('/admin/dpia')).body, /data-testid="dpia-warning"[\s\S]*annual review of DPIA DPIA-RVR-7 is due on/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/health/ready' })).json().checks.dpia, 'annual review due in 20 days');
      // An officer is not warned (the warning is for those who can act on it).
      assert.doesNotMatch((await (await signedIn('i16-officer')).get('/officer')).body, /dpia-warning/);

      // SC-2: past the review date, no link is sent on the open call either.
      offset = 21 * DAY;
      try {
        await assert.rejects(
          t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' }),
          /annual review of DPIA DPIA-RVR-7 was due on/,
        );
        assert.equal((await t.app.inject({ method: 'GET', url: '/health/ready' })).json().checks.dpia, 'annual review overdue: live calls refused');
      } finally {
        offset = 0;
      }
      const link = await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
      assert.ok(link.link);
    });
  });

  describe('the breach register (DP-15)', () => {
    let dpo: Browser;
    let breachId: string;
    before(async () => {
      dpo = await signedIn('i16-dpo');
    });

    it('DP-15: records a breach with what a person can act on when something is wrong, and counts down 72 hours from awareness', async () => {
      await dpo.get('/dpo/breaches');
      const bad = await dpo.post('/dpo/breaches', { title: 'x', nature: 'short', categories: '', awareAt: 'yesterday' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /Enter a short title/);
      assert.match(bad.body, /Enter when the force became aware of the breach as a date and time/);
      assert.equal((await t.services.breaches.list()).length, 0);
      const awareAt = new Date(now().getTime() - 30 * HOUR - 48 * 60_000);
      const created = await dpo.post('/dpo/breaches', {
        title: 'Call link sent to a wrong number',
        nature: 'A victim’s call link was texted to a mistyped mobile number and opened there.',
        categories: 'Victims of domestic abuse; a call link',
        approxSubjects: '1',
        awareAt: isoToLondonLocal(awareAt),
      });
      assert.equal(created.statusCode, 303);
      breachId = created.headers.location!.split('/').pop()!;
      const page = await dpo.get(`/dpo/breaches/${breachId}`);
      assert.match(page.body, /data-status="running"/);
      assert.match(page.body, /4[01] h \d+ min left to notify the ICO/);
      assert.equal((await audit('breach.recorded')).at(-1)!.subject, `breach:${breachId}`);
    });

    it('DP-15: assessed as a high risk, it cannot be left un-notified; the decision, the late notification with its reasons and the subjects told are each recorded', async () => {
      await dpo.get(`/dpo/breaches/${breachId}`);
      const assessed = await dpo.post(`/dpo/breaches/${breachId}/assessment`, {
        risk: 'high_risk',
        consequences: 'The person at that number learnt that the victim called the police.',
        measures: 'The link was revoked at once; the number check on links is being added.',
      });
      assert.equal(assessed.statusCode, 303);
      const refused = await dpo.post(`/dpo/breaches/${breachId}/decision`, { decision: 'not_notify', reason: 'We think it was harmless enough' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /must be notified to the ICO/);
      assert.equal((await dpo.post(`/dpo/breaches/${breachId}/decision`, { decision: 'notify' })).statusCode, 303);

      // 80 hours after awareness: overdue on the register, and a notification then needs the reasons for the delay.
      offset = 50 * HOUR;
      try {
        const late = await signedIn('i16-dpo');
        const register = await late.get('/dpo/breaches');
        assert.match(register.body, /data-status="overdue"/);
        await late.get(`/dpo/breaches/${breachId}`);
        const notifiedAt = isoToLondonLocal(now());
        const noReason = await late.post(`/dpo/breaches/${breachId}/ico-notification`, { notifiedAt, icoReference: 'ICO-123' });
        assert.equal(noReason.statusCode, 400);
        assert.match(noReason.body, /Give the reasons for the delay/);
        const notified = await late.post(`/dpo/breaches/${breachId}/ico-notification`, {
          notifiedAt,
          icoReference: 'ICO-123',
          lateReason: 'The number was confirmed as wrong only on day three.',
        });
        assert.equal(notified.statusCode, 303);
        const page = await late.get(`/dpo/breaches/${breachId}`);
        assert.match(page.body, /data-status="notified_late"/);
        assert.match(page.body, /data-testid="subjects-still-to-tell"/);
        const told = await late.post(`/dpo/breaches/${breachId}/subject-notifications`, {
          subjects: 'The 1 victim whose link went astray',
          method: 'phone',
          subjectsNotifiedAt: notifiedAt,
        });
        assert.equal(told.statusCode, 303);
        assert.doesNotMatch((await late.get(`/dpo/breaches/${breachId}`)).body, /subjects-still-to-tell/);
      } finally {
        offset = 0;
      }
      const [notified] = await audit('breach.ico_notified');
      assert.equal(notified!.details.late, true);
      assert.match(notified!.justification!, /day three/);
      assert.equal((await audit('breach.notification_decided')).length, 1);
      assert.equal((await audit('breach.subjects_notified')).length, 1);
    });
  });

  describe('covert surveillance without authority (policy 3.4)', () => {
    it('policy 3.4: the officer reports from the consultation; an IPCO hold is placed at once; another officer is refused (audited)', async () => {
      const consultation = await acceptedConsultation();
      const other = await signedIn('i16-officer2');
      const refused = await other.get(`/consultations/${consultation.id}/covert-surveillance`);
      assert.equal(refused.statusCode, 403);
      const refusals = await queryRows<{ what: string }>(
        t.db.database,
        sql`select what from audit_events where what = 'access.refused' and subject = ${`consultation:${consultation.id}`}`,
      );
      assert.ok(refusals.length >= 1, 'the refusal is in the audit log');

      const own = await signedIn('i16-officer');
      assert.match((await own.get(`/consultations/${consultation.id}`)).body, /data-testid="covert-surveillance-link"/);
      await own.get(`/consultations/${consultation.id}/covert-surveillance`);
      const short = await own.post(`/consultations/${consultation.id}/covert-surveillance`, { description: 'too short' });
      assert.equal(short.statusCode, 400);
      assert.match(short.body, /Describe what happened in the call/);
      const reported = await own.post(`/consultations/${consultation.id}/covert-surveillance`, {
        description: 'The victim turned the camera to film a neighbour’s flat to show us who lives there, without our asking.',
      });
      assert.equal(reported.statusCode, 303);
      const holds = await queryRows<{ type: string; rationale: string; released_at: Date | null }>(
        t.db.database,
        sql`select type, rationale, released_at from legal_holds where consultation_id = ${consultation.id}`,
      );
      assert.equal(holds.length, 1);
      assert.equal(holds[0]!.type, 'IPCO');
      assert.match(holds[0]!.rationale, /Policy 3\.4/);
      const placed = (await audit('evidence.hold_placed')).filter((e) => e.subject === `consultation:${consultation.id}`);
      assert.equal(placed[0]!.details.automatic, 'covert_surveillance_report');
      assert.equal((await audit('covert_surveillance.reported')).at(-1)!.subject, `consultation:${consultation.id}`);

      const supervisor = await signedIn('i16-supervisor');
      const register = await supervisor.get('/covert-surveillance');
      assert.equal(register.statusCode, 200);
      assert.match(register.body, /neighbour’s flat[\s\S]*IPCO hold stands/);
      const [report] = await t.services.covertSurveillance.register();
      const progress = await supervisor.post(`/covert-surveillance/${report!.report.id}/progress`, { cabReference: 'CAB/2026/17' });
      assert.equal(progress.statusCode, 303);
      assert.match((await supervisor.get('/covert-surveillance')).body, /CAB CAB\/2026\/17/);

      // ADR 0016: erasure is refused while the IPCO hold stands; once released, the report's description is erased and
      // the register keeps its row (ids, dates, the CAB reference).
      const dpoUser = (await t.services.data.repos.users.findByUsername('i16-dpo'))!;
      const dpo = contextFor({ ...dpoUser, roles: ['dpo'] });
      const erasure = { reference: consultation.reference, justification: 'Subject asked for erasure under s.47' };
      await assert.rejects(t.services.dpoErasures.erase(dpo, erasure), /A legal hold stands \(IPCO\)/);
      await t.services.evidence.holds.releaseHold(dpo, report!.report.holdId, 'IPCO confirmed the matter closed');
      await t.services.dpoErasures.erase(dpo, erasure);
      const [erased] = await t.services.covertSurveillance.register();
      assert.equal(erased!.report.id, report!.report.id);
      assert.equal(erased!.report.description, '[erased]');
      assert.equal(erased!.report.cabReference, 'CAB/2026/17');
    });
  });

  describe('the Surveillance Camera Code self-assessment (SC-10)', () => {
    it('SC-10: 12 computed answers; changing a record (the DPIA) and a setting (review sampling) changes the answer and its gaps; exports are audited', async () => {
      const dpo = await signedIn('i16-dpo');
      const page = await dpo.get('/dpo/sc-code');
      assert.equal(page.statusCode, 200);
      assert.equal([...page.body.matchAll(/data-testid="sc-principle"/g)].length, 12);
      const json = await dpo.get('/dpo/sc-code.json');
      const answers = json.json<Assessment>().answers;
      const sc2 = answers.find((a) => a.ruleId === 'SC-2')!;
      assert.equal(sc2.status, 'partly');
      assert.match(sc2.gaps.join(), /due on/);

      // A record changes: the DPIA reviewed, next review in 200 days: SC-2 met.
      await t.services.dpia.record(contextFor(admin), {
        reference: 'DPIA-RVR-8',
        approvedBy: 'A. Chief, SIRO',
        approvedOn: day(now()),
        reviewDue: day(new Date(now().getTime() + 200 * DAY)),
      });
      const later = (await dpo.get('/dpo/sc-code.json')).json<Assessment>();
      assert.equal(later.answers.find((a) => a.ruleId === 'SC-2')!.status, 'met');
      assert.doesNotMatch(later.answers.find((a) => a.ruleId === 'SC-10')!.gaps.join(), /REVIEW_SAMPLE_PERCENT/);

      // A setting changes: the same records under REVIEW_SAMPLE_PERCENT=0.
      const other = await buildTestApp(kind, { env: { DPIA_REQUIRED: 'true', REVIEW_SAMPLE_PERCENT: '0' }, database: t.db });
      try {
        const sc10 = (await other.services.scCode.assess()).answers.find((a) => a.ruleId === 'SC-10')!;
        assert.match(sc10.gaps.join(), /No consultations are sampled for quality review/);
      } finally {
        await other.close();
      }

      const csv = await dpo.get('/dpo/sc-code.csv');
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      assert.equal(csv.body.trim().split('\r\n').length, 13);
      assert.match(csv.body, /^principle,rule,title,status,evidence,gaps/);
      assert.deepEqual(
        (await audit('compliance.sc_code_exported')).map((e) => e.details.format),
        ['json', 'json', 'csv'],
      );
    });
  });
});
