import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, createUser, newCall, type TestApp } from '../support/test-app.js';

await describeOnDatabase('consultation pages and transitions over HTTP', (kind) => {
  let t: TestApp;
  let consultationId: string;
  before(async () => {
    t = await buildTestApp(kind);
    const handler = await createUser(t.services, 'handler', ['call_handler']);
    await createUser(t.services, 'officer', ['rvr_officer']);
    await createUser(t.services, 'dpo', ['dpo']);
    await allowRoundTheClock(t.services);
    const { consultation } = await newCall(t.services, handler, { callerName: 'Routes Caller', mobile: '07700 900002', spokenLanguage: 'Polish' });
    consultationId = consultation.id;
  });
  after(() => t.close());

  it('shows the consultation with its timeline and the steps the role may take', async () => {
    const officer = new Browser(t.app);
    await officer.signIn('officer');
    const page = await officer.get(`/consultations/${consultationId}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="state"[^>]*>\s*queued/);
    assert.match(page.body, /id="transition-accepted"[\s\S]*?>\s*Accept\s*</, 'issue 17 §6: the action in plain words');
    assert.doesNotMatch(page.body, /Move to/);
    assert.doesNotMatch(page.body, /Routes Caller|07700|\+4477/, 'caller details are not shown on this page');
  });

  it('refuses an illegal transition with 409 and the reason, changing nothing', async () => {
    const handler = new Browser(t.app);
    await handler.signIn('handler');
    await handler.get(`/consultations/${consultationId}`);
    const refused = await handler.post(`/consultations/${consultationId}/transitions`, { to: 'completed' });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /The consultation was not changed/);
    assert.match(refused.body, /cannot move to completed/);
    const json = await t.app.inject({
      method: 'POST',
      url: `/consultations/${consultationId}/transitions`,
      payload: { to: 'accepted' },
      headers: { cookie: handler.cookieHeader, 'x-csrf-token': handler.csrfToken, accept: 'application/json' },
    });
    assert.equal(json.statusCode, 409);
    assert.match(json.json<{ error: string }>().error, /Only rvr officer/);
    assert.equal((await t.services.data.repos.consultations.findById(consultationId))!.state, 'queued');
  });

  it('applies a legal transition and redirects back to the consultation', async () => {
    const officer = new Browser(t.app);
    await officer.signIn('officer');
    await officer.get(`/consultations/${consultationId}`);
    const accepted = await officer.post(`/consultations/${consultationId}/transitions`, { to: 'accepted' });
    assert.equal(accepted.statusCode, 303);
    assert.equal(accepted.headers.location, `/consultations/${consultationId}`);
    const page = await officer.get(`/consultations/${consultationId}`);
    assert.match(page.body, /queued → <strong>accepted<\/strong>\s*by Test officer/);
  });

  it('keeps roles without consultation access out, and validates ids and states', async () => {
    const dpo = new Browser(t.app);
    await dpo.signIn('dpo');
    assert.equal((await dpo.get(`/consultations/${consultationId}`)).statusCode, 403);
    const officer = new Browser(t.app);
    await officer.signIn('officer');
    assert.equal((await officer.get('/consultations/not-a-uuid')).statusCode, 400);
    assert.equal((await officer.get('/consultations/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    await officer.get(`/consultations/${consultationId}`);
    assert.equal((await officer.post(`/consultations/${consultationId}/transitions`, { to: 'teleported' })).statusCode, 400);
    assert.equal((await officer.post(`/consultations/${consultationId}/transitions`, { to: 'abandoned', reason: 'x'.repeat(2001) })).statusCode, 400);
  });

  it('records DPO access to the audit log in the log itself, and verifies the chain on request', async () => {
    const dpo = new Browser(t.app);
    await dpo.signIn('dpo');
    const page = await dpo.get('/dpo');
    assert.match(page.body, /consultation.transition/);
    const verify = await dpo.post('/dpo/audit/verify', {});
    assert.equal(verify.statusCode, 200);
    assert.match(verify.body, /Chain intact/);
    const recent = await t.services.data.repos.audit.search({}, 5);
    assert.ok(recent.some((e) => e.what === 'audit.viewed'));
    assert.ok(recent.some((e) => e.what === 'audit.verified'));
  });
});
