import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, createUser, newCall, type TestApp } from '../support/test-app.js';

await describeOnDatabase('admin pages, DPO audit pages and justified access to caller details (DP-01)', (kind) => {
  let t: TestApp;
  let admin: Browser;
  let dpo: Browser;
  let consultationId: string;
  before(async () => {
    t = await buildTestApp(kind);
    await createUser(t.services, 'boss', ['admin']);
    await createUser(t.services, 'privacy', ['dpo']);
    const handler = await createUser(t.services, 'taker', ['call_handler']);
    await allowRoundTheClock(t.services);
    const { consultation } = await newCall(t.services, handler, { callerName: 'Alex Example', mobile: '07700 900777' });
    consultationId = consultation.id;
    admin = new Browser(t.app);
    await admin.signIn('boss');
    dpo = new Browser(t.app);
    await dpo.signIn('privacy');
  });
  after(() => t.close());

  it('creates a user, refusing weak passwords and duplicates with the form kept', async () => {
    await admin.get('/admin/users/new');
    const weak = await admin.post('/admin/users/new', { username: 'pc.new', displayName: 'PC New', password: 'password1234', roles: 'rvr_officer' });
    assert.equal(weak.statusCode, 400);
    assert.match(weak.body, /commonly used|too easy/);
    assert.match(weak.body, /value="pc.new"/);
    const created = await admin.post('/admin/users/new', {
      username: 'pc.new',
      displayName: 'PC New',
      password: 'tangerine ladder mosaic 41',
      roles: 'rvr_officer',
    });
    assert.equal(created.statusCode, 303);
    await admin.get('/admin/users/new');
    const duplicate = await admin.post('/admin/users/new', {
      username: 'pc.new',
      displayName: 'PC Again',
      password: 'tangerine ladder mosaic 42',
      roles: 'rvr_officer',
    });
    assert.equal(duplicate.statusCode, 409);
    assert.match(duplicate.body, /already exists/);
  });

  it('changes roles, disables and re-enables only with a reason, each audited with who and why', async () => {
    const user = (await t.services.data.repos.users.findByUsername('pc.new'))!;
    await admin.get(`/admin/users/${user.id}`);
    const noReason = await admin.post(`/admin/users/${user.id}/disable`, { reason: '  ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Give a reason/);
    assert.equal((await t.services.data.repos.users.findById(user.id))!.disabledAt, null);
    // SEC-07: without a fresh step-up the change is refused and the step-up page shown, the form kept.
    const refusedRoles = await admin.post(`/admin/users/${user.id}/roles`, { reason: 'promoted to sergeant', roles: 'supervisor' });
    assert.equal(refusedRoles.statusCode, 403);
    assert.match(refusedRoles.body, /Confirm it is you/);
    await admin.stepUp();
    const form = new URLSearchParams([
      ['_csrf', admin.csrfToken],
      ['reason', 'promoted to sergeant'],
      ['roles', 'supervisor'],
      ['roles', 'investigator'],
    ]);
    const roles = await t.app.inject({
      method: 'POST',
      url: `/admin/users/${user.id}/roles`,
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookieHeader },
    });
    assert.equal(roles.statusCode, 303);
    assert.deepEqual((await t.services.data.repos.users.findById(user.id))!.roles, ['investigator', 'supervisor']);
    assert.equal((await admin.post(`/admin/users/${user.id}/disable`, { reason: 'left the force' })).statusCode, 303);
    assert.equal((await admin.post(`/admin/users/${user.id}/enable`, { reason: 'returned' })).statusCode, 303);
    const events = await t.services.data.repos.audit.search({ subject: `user:${user.id}` }, 10);
    const byWhat = Object.fromEntries(events.map((e) => [e.what, e]));
    assert.equal(byWhat['user.roles_changed']!.justification, 'promoted to sergeant');
    assert.equal(byWhat['user.disabled']!.justification, 'left the force');
    assert.equal(byWhat['user.enabled']!.justification, 'returned');
    assert.match(byWhat['user.disabled']!.who, /^user:/);
    assert.equal(byWhat['user.disabled']!.actorRole, 'admin');
    assert.ok(byWhat['user.disabled']!.sessionId, 'DP-04: the admin session is recorded');
  });

  it('filters the user list and shows training status', async () => {
    const page = await admin.get('/admin?role=dpo&status=active&q=');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, />privacy</);
    assert.doesNotMatch(page.body, />pc.new</);
    assert.match(page.body, /No RVR policy has been published yet/);
  });

  it('escapes hostile names wherever they are shown', async () => {
    await admin.get('/admin/users/new');
    await admin.post('/admin/users/new', { username: 'xss', displayName: '<script>alert(1)</script>', password: 'tangerine ladder mosaic 43', roles: 'dpo' });
    const list = await admin.get('/admin');
    assert.doesNotMatch(list.body, /<script>alert\(1\)<\/script>/);
    assert.match(list.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('shows caller details only with a justification, logged before they are shown', async () => {
    const handler = new Browser(t.app);
    await handler.signIn('taker');
    const form = await handler.get(`/consultations/${consultationId}/caller`);
    assert.doesNotMatch(form.body, /Alex Example/);
    const refused = await handler.post(`/consultations/${consultationId}/caller`, { justification: '' });
    assert.equal(refused.statusCode, 400);
    assert.doesNotMatch(refused.body, /Alex Example/);
    const shown = await handler.post(`/consultations/${consultationId}/caller`, { justification: 'calling back about the incident' });
    assert.match(shown.body, /Alex Example/);
    assert.match(shown.body, /\+447700900777/);
    const [logged] = await t.services.data.repos.audit.search({ what: 'personal_data.viewed' }, 1);
    assert.equal(logged!.justification, 'calling back about the incident');
    assert.equal(logged!.actorRole, 'call_handler');
    assert.doesNotMatch(JSON.stringify(logged), /Alex Example|7700900777/, 'DP-03: the log holds ids, not the data');
  });

  it('lets the DPO search the log, export it as JSON Lines with a reason and recipient, and logs both', async () => {
    const search = await dpo.get('/dpo?what=personal_data.');
    assert.equal(search.statusCode, 200);
    assert.match(search.body, /personal_data.viewed/);
    assert.match(search.body, /calling back about the incident/);
    const bad = await dpo.get('/dpo?from=yesterday');
    assert.equal(bad.statusCode, 400);
    // SEC-07: exporting the log is sensitive: refused without a fresh step-up, whatever was sent.
    assert.equal((await dpo.post('/dpo/audit/export', { justification: '', recipient: '' })).statusCode, 403);
    await dpo.stepUp();
    const refused = await dpo.post('/dpo/audit/export', { justification: '', recipient: '' });
    assert.equal(refused.statusCode, 400);
    const exported = await dpo.post('/dpo/audit/export', { what: 'user.', justification: 'ICO request 123', recipient: 'ICO case officer' });
    assert.equal(exported.statusCode, 200);
    assert.match(String(exported.headers['content-type']), /application\/x-ndjson/);
    const lines = exported.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { what: string; hash: string });
    assert.ok(lines.length >= 4);
    assert.ok(lines.every((l) => l.what.startsWith('user.') && /^[0-9a-f]{64}$/.test(l.hash)));
    const [logged] = await t.services.data.repos.audit.search({ what: 'audit.exported' }, 1);
    assert.equal(logged!.recipient, 'ICO case officer');
    assert.equal(logged!.justification, 'ICO request 123');
    const viewed = await t.services.data.repos.audit.search({ what: 'audit.viewed' }, 5);
    assert.ok(
      viewed.some((e) => (e.details as { filter: { what?: string } }).filter.what === 'personal_data.'),
      'the search and its filter are logged',
    );
  });
});
