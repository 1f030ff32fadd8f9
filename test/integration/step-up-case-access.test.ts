import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { totp } from '../../src/platform/auth/totp.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, createUser, enrolMfa, newCall, TEST_PASSWORD, type TestApp } from '../support/test-app.js';

// SEC-07 step-up re-authentication before sensitive actions, and issue 16 §3 per-case access for investigators
// (assignment by a supervisor, break-glass with a reason and the DPO's list), through the real routes.

await describeOnDatabase('step-up re-authentication (SEC-07) and per-case access for investigators (issue 16 §3)', (kind) => {
  let t: TestApp;
  // The services' clock starts at the real time: a call's default receipt time (now) must not be in its future.
  let now = new Date();
  const later = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));
  let handler: Awaited<ReturnType<typeof createUser>>;
  let investigator: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind, {
      now: () => now,
      env: { STEP_UP_MAX_AGE_MINUTES: '5', BREAK_GLASS_MINUTES: '30', SESSION_IDLE_MINUTES: '60', SIGN_IN_ATTEMPTS_PER_MINUTE: '1000' },
    });
    await allowRoundTheClock(t.services);
    handler = await createUser(t.services, 'su-handler', ['call_handler']);
    await createUser(t.services, 'su-dpo', ['dpo']);
    await createUser(t.services, 'su-dpo-mfa', ['dpo']);
    await createUser(t.services, 'su-supervisor', ['supervisor']);
    investigator = await createUser(t.services, 'su-investigator', ['investigator']);
    await createUser(t.services, 'su-officer', ['rvr_officer']);
  });
  after(() => t.close());

  const signedIn = async (username: string) => {
    const browser = new Browser(t.app);
    await browser.signIn(username);
    await browser.get('/');
    return browser;
  };
  const audits = async (what: string) => t.services.data.repos.audit.search({ what }, 50);
  const exportForm = { justification: 'ICO request 42', recipient: 'ICO case officer' };

  it('SEC-07: a sensitive form post without a fresh step-up shows the step-up page with the form kept, and sends it again after', async () => {
    const dpo = await signedIn('su-dpo');
    const refused = await dpo.post('/dpo/audit/export', exportForm);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /Confirm it is you/);
    assert.match(refused.body, /name="action" value="\/dpo\/audit\/export"/);
    assert.match(
      refused.body,
      /name="carry" value="\{&quot;justification&quot;:&quot;ICO request 42&quot;,&quot;recipient&quot;:&quot;ICO case officer&quot;\}"/,
    );
    assert.doesNotMatch(refused.body, /name="code"/, 'no authenticator enrolled: the password alone');
    assert.equal((await audits('audit.exported')).length, 0, 'nothing was exported');

    const carry = JSON.stringify(exportForm);
    const confirmed = await dpo.post('/account/step-up', { password: TEST_PASSWORD, action: '/dpo/audit/export', carry, return: '/' });
    assert.equal(confirmed.statusCode, 200);
    assert.match(confirmed.body, /You have confirmed it is you/);
    assert.match(confirmed.body, /<form method="post" action="\/dpo\/audit\/export"/);
    assert.match(confirmed.body, /name="justification" value="ICO request 42"/);
    const [stepped] = await audits('session.stepped_up');
    assert.equal(stepped!.subject, `user:${(await t.services.data.repos.users.findByUsername('su-dpo'))!.id}`);

    const sent = await dpo.post('/dpo/audit/export', exportForm);
    assert.equal(sent.statusCode, 200);
    assert.match(sent.headers['content-type'] as string, /ndjson/);

    // The elevation is short-lived.
    later(6);
    await dpo.get('/');
    assert.equal((await dpo.post('/dpo/audit/export', exportForm)).statusCode, 403);
    const json = await t.app.inject({
      method: 'POST',
      url: '/dpo/audit/export',
      headers: { cookie: dpo.cookieHeader, accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': dpo.csrfToken },
      payload: JSON.stringify(exportForm),
    });
    assert.equal(json.statusCode, 403);
    assert.deepEqual(
      [json.json<{ stepUpRequired: boolean }>().stepUpRequired, json.json<{ stepUpUrl: string }>().stepUpUrl],
      [true, '/account/step-up?return=%2F'],
    );
  });

  it('SEC-07: the return address is on this service only (no open redirect)', async () => {
    const dpo = await signedIn('su-dpo');
    for (const [given, location] of [
      ['https://evil.example/phish', '/'],
      ['//evil.example/phish', '/'],
      ['/\\evil.example', '/'],
      ['/dpo?what=user.', '/dpo?what=user.'],
    ] as const) {
      const page = await dpo.get(`/account/step-up?return=${encodeURIComponent(given)}`);
      assert.equal(page.statusCode, 200);
      const back = await dpo.post('/account/step-up', { password: TEST_PASSWORD, return: given });
      assert.equal(back.statusCode, 303);
      assert.equal(back.headers.location, location, given);
    }
  });

  it('SEC-07: failures are audited and count toward the pause; with an authenticator the code is needed too', async () => {
    const secret = await enrolMfa(t.services, 'su-dpo-mfa', now);
    const dpo = new Browser(t.app);
    await dpo.signIn('su-dpo-mfa');
    await dpo.get('/sign-in/mfa');
    later(1);
    assert.equal((await dpo.post('/sign-in/mfa', { code: totp(secret, now) })).statusCode, 303);
    await dpo.get('/');
    const page = await dpo.get('/account/step-up?return=/dpo');
    assert.match(page.body, /name="code"/);
    later(1);
    const noCode = await dpo.post('/account/step-up', { password: TEST_PASSWORD, code: '000000', return: '/dpo' });
    assert.equal(noCode.statusCode, 401);
    const user = (await t.services.data.repos.users.findByUsername('su-dpo-mfa'))!;
    assert.equal(user.failedSignIns, 1);
    const failures = (await audits('session.step_up_failed')).filter((e) => e.subject === `user:${user.id}`);
    assert.equal((failures[0]!.details as { reason?: string }).reason, 'step_up_wrong_code');
    later(1);
    const ok = await dpo.post('/account/step-up', { password: TEST_PASSWORD, code: totp(secret, now), return: '/dpo' });
    assert.equal(ok.statusCode, 303);
    assert.equal((await t.services.data.repos.users.findByUsername('su-dpo-mfa'))!.failedSignIns, 0, 'a complete step-up clears the failures');
    for (let i = 0; i < 5; i += 1) assert.equal((await dpo.post('/account/step-up', { password: 'not-my-password', return: '/dpo' })).statusCode, 401);
    const paused = (await t.services.data.repos.users.findByUsername('su-dpo-mfa'))!;
    assert.ok(paused.lockedUntil && paused.lockedUntil > now, 'five failures in a row pause the account');
    const whilePaused = await dpo.post('/account/step-up', { password: TEST_PASSWORD, code: totp(secret, now), return: '/dpo' });
    assert.equal(whilePaused.statusCode, 401, 'a paused account cannot step up, even with the right password and code');
    assert.ok((await audits('session.step_up_failed')).some((e) => (e.details as { reason?: string }).reason === 'account_paused'));
  });

  it('issue 16 §3: an investigator opens only a case a supervisor assigned; assignment and its end are audited', async () => {
    const { consultation } = await newCall(t.services, handler);
    const page = `/evidence/consultations/${consultation.id}`;
    const inv = await signedIn('su-investigator');
    const refused = await inv.get(page);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body, /not assigned to you/);
    const [refusal] = await audits('access.refused');
    assert.deepEqual([refusal!.who, (refusal!.details as { refusal?: string }).refusal], [`user:${investigator.id}`, 'case_not_assigned']);
    assert.equal((await inv.get(`/consultations/${consultation.id}/caller`)).statusCode, 403);
    assert.match((await inv.get('/investigations')).body, /data-testid="no-cases"/);

    const supervisor = await signedIn('su-supervisor');
    const form = await supervisor.get(`/cases/${consultation.id}/access`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Test su-investigator/);
    const noReason = await supervisor.post(`/cases/${consultation.id}/assignments`, { investigatorId: investigator.id, reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Give the reason/);
    const officer = (await t.services.data.repos.users.findByUsername('su-officer'))!;
    const notInvestigator = await supervisor.post(`/cases/${consultation.id}/assignments`, { investigatorId: officer.id, reason: 'Cover' });
    assert.equal(notInvestigator.statusCode, 400);
    assert.match(notInvestigator.body, /Choose an investigator/);
    const assigned = await supervisor.post(`/cases/${consultation.id}/assignments`, { investigatorId: investigator.id, reason: 'CID picks up the case' });
    assert.equal(assigned.statusCode, 303);
    const twice = await supervisor.post(`/cases/${consultation.id}/assignments`, { investigatorId: investigator.id, reason: 'Again' });
    assert.equal(twice.statusCode, 400);
    assert.match(twice.body, /already has this case/);
    const [event] = await audits('case.assigned');
    assert.deepEqual(
      [event!.subject, event!.justification, (event!.details as { investigatorId?: string }).investigatorId],
      [`consultation:${consultation.id}`, 'CID picks up the case', investigator.id],
    );

    assert.equal((await inv.get(page)).statusCode, 200);
    assert.match((await inv.get('/investigations')).body, new RegExp(consultation.reference));

    const { assignments } = await t.services.caseAccess.assignmentsOf(consultation.id);
    await supervisor.get(`/cases/${consultation.id}/access`);
    assert.equal((await supervisor.post(`/case-assignments/${assignments[0]!.id}/end`, { reason: '' })).statusCode, 400);
    assert.equal((await supervisor.post(`/case-assignments/${assignments[0]!.id}/end`, { reason: 'Case handed to another team' })).statusCode, 303);
    assert.equal((await audits('case.unassigned'))[0]!.justification, 'Case handed to another team');
    assert.equal((await inv.get(page)).statusCode, 403, 'unassigned: refused again');
  });

  it('issue 16 §3: break-glass opens a case for a limited time with a reason, is audited and listed for the DPO until reviewed', async () => {
    const { consultation } = await newCall(t.services, handler);
    const page = `/evidence/consultations/${consultation.id}`;
    const inv = await signedIn('su-investigator');
    await inv.get('/investigations');
    const short = await inv.post('/investigations/break-glass', { reference: consultation.reference, reason: 'urgent' });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /at least 10 characters/);
    const unknown = await inv.post('/investigations/break-glass', { reference: 'RVR-NOPE', reason: 'Suspect arrested tonight, need the account' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /There is no consultation with that reference/);
    const opened = await inv.post('/investigations/break-glass', { reference: consultation.reference, reason: 'Suspect arrested tonight, need the account' });
    assert.equal(opened.statusCode, 303);
    assert.equal(opened.headers.location, page);
    assert.equal((await inv.get(page)).statusCode, 200);
    const [glass] = await audits('case.break_glass');
    assert.deepEqual(
      [glass!.who, glass!.subject, glass!.justification],
      [`user:${investigator.id}`, `consultation:${consultation.id}`, 'Suspect arrested tonight, need the account'],
    );

    const dpo = await signedIn('su-dpo');
    const list = await dpo.get('/dpo/break-glass');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(consultation.reference));
    assert.match(list.body, /Suspect arrested tonight, need the account/);
    assert.match(list.body, /data-testid="unreviewed-count">1</);
    const { uses } = await t.services.caseAccess.breakGlassUses();
    assert.equal((await dpo.post(`/dpo/break-glass/${uses[0]!.id}/reviewed`, {})).statusCode, 303);
    assert.match((await dpo.get('/dpo/break-glass')).body, /data-testid="unreviewed-count">0</);
    assert.equal((await audits('case.break_glass_reviewed')).length, 1);
    assert.equal((await dpo.post(`/dpo/break-glass/${uses[0]!.id}/reviewed`, {})).statusCode, 409);

    later(31);
    await inv.get('/');
    assert.equal((await inv.get(page)).statusCode, 403, 'break-glass has run out');
  });

  it('issue 16 §3: other roles are not narrowed by case assignment (supervisors, evidence managers)', async () => {
    const { consultation } = await newCall(t.services, handler);
    await createUser(t.services, 'su-manager', ['evidence_manager']);
    for (const name of ['su-supervisor', 'su-manager'])
      assert.equal((await (await signedIn(name)).get(`/evidence/consultations/${consultation.id}`)).statusCode, 200, name);
  });
});
