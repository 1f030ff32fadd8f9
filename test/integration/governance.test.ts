import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

const DAY = 86_400_000;
const day = (offsetDays: number, from = Date.now()) => new Date(from + offsetDays * DAY).toISOString().slice(0, 10);

await describeOnDatabase(
  'governance: purpose codes, protective marking, system owner, training gate, custody hashes stored (SC-1, SEC-05, SC-4, SC-8, EVD-04)',
  (kind) => {
    let t: TestApp;
    let clockOffset = 0;
    let handler: Awaited<ReturnType<typeof createUser>>;
    let trained: Awaited<ReturnType<typeof createUser>>;
    let untrained: Awaited<ReturnType<typeof createUser>>;
    let admin: Awaited<ReturnType<typeof createUser>>;
    let supervisor: Awaited<ReturnType<typeof createUser>>;
    let manager: Awaited<ReturnType<typeof createUser>>;
    const adminBrowser = () => t && new Browser(t.app);

    before(async () => {
      t = await buildTestApp(kind, {
        now: () => new Date(Date.now() + clockOffset),
        env: {
          PURPOSE_CODES: 'DA_RVR_INVESTIGATION=Domestic abuse rapid video response; DA_RVR_WELFARE=Welfare check after a DA call',
          TRAINING_REQUIRED_COURSES: 'RVR_OFFICER=RVR officer course',
          PROTECTIVE_MARKING: 'OFFICIAL-SENSITIVE',
        },
      });
      handler = await createUser(t.services, 'gov-handler', ['call_handler']);
      trained = await createUser(t.services, 'gov-trained', ['rvr_officer']);
      untrained = await createUser(t.services, 'gov-untrained', ['rvr_officer']);
      admin = await createUser(t.services, 'gov-admin', ['admin']);
      supervisor = await createUser(t.services, 'gov-supervisor', ['supervisor']);
      manager = await createUser(t.services, 'gov-manager', ['evidence_manager']);
      await allowRoundTheClock(t.services);
      await t.services.governance.recordTraining(contextFor(admin), trained.id, { course: 'RVR_OFFICER', completedOn: day(-10), expiresOn: day(20) });
    });
    after(() => t.close());

    const signedIn = async (username: string) => {
      const browser = adminBrowser();
      const response = await browser.signIn(username);
      assert.equal(response.statusCode, 303, `sign in as ${username}`);
      await browser.get('/policy');
      return browser;
    };
    const auditOf = (what: string, subject: string) =>
      queryRows<{ who: string; subject: string; justification: string | null; details: Record<string, unknown> }>(
        t.db.database,
        sql`select who, subject, justification, details from audit_events where what = ${what} and subject = ${subject} order by seq`,
      );

    it('SC-1: a consultation gets the default purpose or the one asked for; an unknown purpose is refused with the list; evidence carries it', async () => {
      const { consultation } = await newCall(t.services, handler);
      assert.equal(consultation.purposeCode, 'DA_RVR_INVESTIGATION');
      const { consultation: welfare } = await newCall(t.services, handler, { purposeCode: 'DA_RVR_WELFARE' });
      assert.equal(welfare.purposeCode, 'DA_RVR_WELFARE');
      await assert.rejects(newCall(t.services, handler, { purposeCode: 'SOMETHING_ELSE' }), (error: Error & { fieldErrors?: Record<string, string> }) => {
        assert.match(error.message, /not a purpose/);
        assert.match(error.fieldErrors!.purposeCode!, /DA_RVR_INVESTIGATION, DA_RVR_WELFARE/);
        return true;
      });
      const [triaged] = await auditOf('consultation.triaged', `consultation:${welfare.id}`);
      assert.equal(triaged!.details.purposeCode, 'DA_RVR_WELFARE');

      await t.services.consultations.transition(contextFor(trained), welfare.id, 'accepted');
      const call = await t.services.calls.lifecycle.openCall(contextFor(trained), welfare.id);
      await t.services.calls.snapshots.saveSnapshot(contextFor(trained), call.id, pngFrame('color=blue:size=32x32'));
      const [item] = await t.services.data.repos.evidence.listByConsultation(welfare.id);
      assert.equal(item!.purposeCode, 'DA_RVR_WELFARE', 'the item carries its session’s purpose');

      // Shown on the consultation page and offered on the intake form (two purposes are configured).
      const officer = await signedIn('gov-trained');
      const page = await officer.get(`/consultations/${welfare.id}`);
      assert.match(page.body, /DA_RVR_WELFARE – Welfare check after a DA call/);
      const callRecord = await officer.get(`/calls/${call.id}`);
      assert.equal(callRecord.statusCode, 200);
      assert.match(callRecord.body, /data-testid="purpose-code">Purpose \(SC-1\): <strong>DA_RVR_WELFARE<\/strong> – Welfare check after a DA call/);
      const form = await (await signedIn('gov-handler')).get('/control-room/calls/new');
      assert.match(form.body, /name="purposeCode"/);
    });

    it('SEC-05: every staff page carries the marking banner, a victim’s page never does, and downloads carry it in a header', async () => {
      const signIn = await adminBrowser().get('/sign-in');
      assert.match(signIn.body, /data-testid="protective-marking"[^>]*>OFFICIAL-SENSITIVE</);
      const account = await (await signedIn('gov-admin')).get('/account');
      assert.match(account.body, /data-testid="protective-marking"[^>]*>OFFICIAL-SENSITIVE</);
      const victim = await adminBrowser().get(`/v/${'x'.repeat(43)}`);
      assert.ok(victim.statusCode >= 400);
      assert.doesNotMatch(victim.body, /OFFICIAL-SENSITIVE|protective-marking/);
      const sup = await signedIn('gov-supervisor');
      const csv = await sup.get(`/outcomes/export.csv?from=${day(-2)}&to=${day(0)}`);
      assert.equal(csv.statusCode, 200, csv.body.slice(0, 300));
      assert.equal(csv.headers['x-protective-marking'], 'OFFICIAL-SENSITIVE');
      const page = await sup.get('/supervisor');
      assert.equal(page.headers['x-protective-marking'], undefined, 'pages are marked in the page, not as a download');
    });

    it('SC-8: an officer with no current training cannot accept a call: told why and what to do, refused and audited; recorded training lets them', async () => {
      const { consultation } = await newCall(t.services, handler);
      const officer = await signedIn('gov-untrained');
      await officer.get(`/consultations/${consultation.id}`);
      const refused = await officer.post(`/consultations/${consultation.id}/transitions`, { to: 'accepted' });
      assert.equal(refused.statusCode, 403);
      assert.match(refused.body, /You cannot take RVR calls until your training is up to date: RVR officer course \(no record\)/);
      assert.match(refused.body, /ask your RVR administrator to record it/);
      assert.equal((await t.services.data.repos.consultations.findById(consultation.id))!.state, 'queued');
      const [audit] = await auditOf('access.refused', `consultation:${consultation.id}`);
      assert.equal(audit!.who, `user:${untrained.id}`);
      assert.equal(audit!.details.refusal, 'training_lapsed');
      assert.equal(audit!.details.action, 'consultation.accept');
      // The officer sees it on their account page.
      assert.match((await officer.get('/account')).body, /Your RVR training is not current: you cannot take RVR calls/);
      assert.match((await officer.get('/officer')).body, /data-testid="training-lapsed"[\s\S]*You cannot take RVR calls until your training is up to date/);

      // The administrator records training: bad input is refused with a message; good input is recorded and audited.
      const adminUser = await signedIn('gov-admin');
      await adminUser.get(`/admin/users/${untrained.id}/training`);
      const bad = await adminUser.post(`/admin/users/${untrained.id}/training`, { course: 'RVR_OFFICER', completedOn: '2026-02-30' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /Enter the date the course was completed as year-month-day/);
      const backwards = await adminUser.post(`/admin/users/${untrained.id}/training`, { course: 'RVR_OFFICER', completedOn: day(-5), expiresOn: day(-6) });
      assert.equal(backwards.statusCode, 400);
      assert.match(backwards.body, /Enter an expiry date after the completion date/);
      const unknownCourse = await adminUser.post(`/admin/users/${untrained.id}/training`, { course: 'FIRST_AID', completedOn: day(-5) });
      assert.equal(unknownCourse.statusCode, 400);
      assert.equal((await t.services.governance.training(untrained.id)).records.length, 0, 'nothing half-written');
      const expired = await adminUser.post(`/admin/users/${untrained.id}/training`, { course: 'RVR_OFFICER', completedOn: day(-400), expiresOn: day(-35) });
      assert.equal(expired.statusCode, 303);
      const stillRefused = await officer.post(`/consultations/${consultation.id}/transitions`, { to: 'accepted' });
      assert.equal(stillRefused.statusCode, 403);
      assert.match(stillRefused.body, /RVR officer course \(expired on \d{4}-\d{2}-\d{2}\)/);
      const current = await adminUser.post(`/admin/users/${untrained.id}/training`, { course: 'RVR_OFFICER', completedOn: day(-1), expiresOn: day(365) });
      assert.equal(current.statusCode, 303);
      const [recorded] = (await auditOf('governance.training_recorded', `user:${untrained.id}`)).slice(-1);
      assert.equal(recorded!.details.course, 'RVR_OFFICER');
      const trainingPage = await adminUser.get(`/admin/users/${untrained.id}/training`);
      assert.match(trainingPage.body, /May take RVR calls/);
      const overview = await adminUser.get('/admin/governance');
      assert.match(overview.body, /data-testid="training-overview"/);

      assert.doesNotMatch((await officer.get('/officer')).body, /data-testid="training-lapsed"/);
      const accepted = await officer.post(`/consultations/${consultation.id}/transitions`, { to: 'accepted' });
      assert.equal(accepted.statusCode, 303, accepted.body.slice(0, 500));
    });

    it('SC-8: an officer whose training lapses while holding a consultation cannot open its call', async () => {
      const { consultation } = await newCall(t.services, handler);
      await t.services.consultations.transition(contextFor(trained), consultation.id, 'accepted');
      clockOffset = 30 * DAY; // past the trained officer's expiry (20 days from now)
      try {
        await assert.rejects(t.services.calls.lifecycle.openCall(contextFor(trained), consultation.id), (error: Error & { refusal?: { reason: string } }) => {
          assert.equal(error.refusal?.reason, 'training_lapsed');
          assert.match(error.message, /expired on/);
          return true;
        });
      } finally {
        clockOffset = 0;
      }
      const call = await t.services.calls.lifecycle.openCall(contextFor(trained), consultation.id);
      assert.ok(call.id);
    });

    it('SC-4: a system owner is named by an administrator and takes over only by accepting; only the nominee can answer; recorded both ways', async () => {
      const adminUser = await signedIn('gov-admin');
      await adminUser.get('/admin/governance');
      const notAUser = await adminUser.post('/admin/governance/system-owner', { userId: 'not-a-uuid' });
      assert.equal(notAUser.statusCode, 400);
      assert.match(notAUser.body, /Choose an active user to be the system owner/);
      assert.equal(await t.services.data.repos.governance.pendingProposal(), undefined);

      assert.equal((await adminUser.post('/admin/governance/system-owner', { userId: supervisor.id, note: 'Head of the RVR programme' })).statusCode, 303);
      const pending = (await t.services.governance.systemOwner()).pending!;
      assert.equal(pending.userId, supervisor.id);
      // Someone else cannot answer for the nominee (refused and audited).
      const other = await signedIn('gov-manager');
      await other.get('/account');
      const refused = await other.post(`/account/system-owner/${pending.id}`, { answer: 'accept' });
      assert.equal(refused.statusCode, 403);
      const [refusal] = await auditOf('access.refused', `user:${supervisor.id}`);
      assert.equal(refusal!.who, `user:${manager.id}`);
      assert.equal((await t.services.governance.systemOwner()).current, undefined);

      const nominee = await signedIn('gov-supervisor');
      const account = await nominee.get('/account');
      assert.match(account.body, /You have been named as the RVR system owner/);
      assert.equal((await nominee.post(`/account/system-owner/${pending.id}`, { answer: 'accept' })).statusCode, 303);
      assert.equal((await t.services.governance.systemOwner()).current?.userId, supervisor.id);
      // The Surveillance Camera Code self-assessment reads the owner and the purpose codes from the records (SC-4, SC-1).
      const answers = (await t.services.scCode.assess()).answers;
      const sc4 = answers.find((a) => a.ruleId === 'SC-4')!;
      assert.ok(sc4.evidence.includes(`System owner: ${supervisor.displayName}`), sc4.evidence.join('; '));
      assert.doesNotMatch(sc4.gaps.join(), /No system owner/);
      const sc1 = answers.find((a) => a.ruleId === 'SC-1')!;
      assert.ok(
        sc1.evidence.some((e) => e.startsWith('Purpose codes in use:')),
        sc1.evidence.join('; '),
      );

      // Transfer to the administrator: the supervisor stays owner until the administrator accepts.
      await adminUser.get('/admin/governance');
      assert.equal((await adminUser.post('/admin/governance/system-owner', { userId: admin.id })).statusCode, 303);
      assert.equal((await t.services.governance.systemOwner()).current?.userId, supervisor.id);
      const transfer = (await t.services.governance.systemOwner()).pending!;
      await adminUser.get('/account');
      assert.equal((await adminUser.post(`/account/system-owner/${transfer.id}`, { answer: 'accept' })).statusCode, 303);
      const after = await t.services.governance.systemOwner();
      assert.equal(after.current?.userId, admin.id);
      assert.ok(after.history.find((a) => a.id === pending.id)?.endedAt, 'the previous appointment ended');
      const handedOver = await auditOf('governance.system_owner_handed_over', `user:${supervisor.id}`);
      assert.equal(handedOver.length, 1);
      assert.equal(handedOver[0]!.details.to, admin.id);
      const accepted = await auditOf('governance.system_owner_accepted', `user:${admin.id}`);
      assert.equal(accepted[0]!.details.from, supervisor.id);
      // An answered nomination cannot be answered again.
      assert.equal((await adminUser.post(`/account/system-owner/${transfer.id}`, { answer: 'decline' })).statusCode, 409);
    });

    it('EVD-04: each evidence.* entry stores its reason and before/after hashes when written, and the item record shows the stored values', async () => {
      const { consultation } = await newCall(t.services, handler);
      await t.services.consultations.transition(contextFor(trained), consultation.id, 'accepted');
      const call = await t.services.calls.lifecycle.openCall(contextFor(trained), consultation.id);
      await t.services.calls.snapshots.saveSnapshot(contextFor(trained), call.id, pngFrame('color=green:size=32x32'));
      const [item] = await t.services.data.repos.evidence.listByConsultation(consultation.id);
      const [captured] = await auditOf('evidence.captured', `evidence:${item!.id}`);
      assert.deepEqual(captured!.details.custody, {
        reason: 'Captured during the RVR call and stored as a read-only master',
        hashes: [{ itemId: item!.id, hashBefore: null, hashAfter: item!.sha256 }],
      });
      await t.services.evidence.holds.placeHold(contextFor(manager), consultation.id, { type: 'IPCO', rationale: 'Inspection of RVR recordings' });
      const [hold] = await auditOf('evidence.hold_placed', `consultation:${consultation.id}`);
      const custody = hold!.details.custody as { reason: string; hashes: unknown[] };
      assert.equal(custody.reason, 'Inspection of RVR recordings');
      assert.deepEqual(custody.hashes, [{ itemId: item!.id, hashBefore: item!.sha256, hashAfter: item!.sha256 }]);

      const record = await t.services.evidence.access.itemRecord(item!.id);
      assert.ok(record.continuity.length >= 2);
      for (const entry of record.continuity) assert.equal(entry.custody.stored, true, `${entry.what} shows what was stored`);
    });
  },
);
