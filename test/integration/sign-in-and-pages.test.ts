import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { Browser, buildTestApp, createUser, TEST_PASSWORD, type TestApp } from '../support/test-app.js';

const withoutVolatile = (html: string) =>
  html
    .replace(/value="[^"]*"/g, '')
    .replace(/[0-9a-f-]{36}/g, '')
    .replace(/nonce="[^"]*"/g, '');

await describeOnDatabase('staff sign-in, role pages and sign-out', (kind) => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(kind);
    await createUser(t.services, 'handler', ['call_handler']);
    await createUser(t.services, 'multi', ['supervisor', 'dpo']);
    await createUser(t.services, 'leaver', ['rvr_officer']);
  });
  after(() => t.close());

  it('signs in, lands on the role page that says who you are, and signs out', async () => {
    const browser = new Browser(t.app);
    const signIn = await browser.signIn('handler');
    assert.equal(signIn.statusCode, 303);
    assert.equal(signIn.headers.location, '/');
    const home = await browser.get('/');
    assert.equal(home.headers.location, '/control-room');
    const page = await browser.get('/control-room');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You are signed in as <strong>Test handler<\/strong> \(handler\)/);
    assert.match(page.body, /<strong>Call handler<\/strong>/);
    const cookieBefore = browser.cookieHeader;
    const out = await browser.post('/sign-out', {});
    assert.equal(out.statusCode, 303);
    // The old session cookie no longer works, even if replayed.
    const replay = await t.app.inject({ method: 'GET', url: '/control-room', headers: { cookie: cookieBefore } });
    assert.equal(replay.statusCode, 303);
    assert.equal(replay.headers.location, '/sign-in');
  });

  it('shows a user with several roles each of their areas, and only those', async () => {
    const browser = new Browser(t.app);
    await browser.signIn('multi');
    const home = await browser.get('/');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /href="\/supervisor"/);
    assert.match(home.body, /href="\/dpo"/);
    assert.doesNotMatch(home.body, /href="\/admin"/);
    assert.equal((await browser.get('/admin')).statusCode, 403);
    assert.match((await browser.get('/admin')).body, /does not give you access/);
  });

  it('answers an unknown user and a wrong password the same way (no user enumeration)', async () => {
    const unknown = await new Browser(t.app).signIn('nobody-here', 'whatever-password');
    const wrong = await new Browser(t.app).signIn('handler', 'wrong-password-123');
    assert.equal(unknown.statusCode, 401);
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body, /Enter a correct username and password/);
    assert.equal(withoutVolatile(unknown.body).replace('nobody-here', 'X'), withoutVolatile(wrong.body).replace('handler', 'X'));
    assert.equal(
      wrong.cookies.some((c) => c.name === 'rvr_session'),
      false,
    );
  });

  it('refuses the session of a user disabled after signing in', async () => {
    const browser = new Browser(t.app);
    await browser.signIn('leaver');
    assert.equal((await browser.get('/officer')).statusCode, 200);
    await t.services.userAdmin.disable({ actor: { type: 'cli', osUser: 'test' }, correlationId: 'c' }, 'leaver', 'left the force');
    const after = await browser.get('/officer');
    assert.equal(after.statusCode, 303);
    assert.equal((await new Browser(t.app).signIn('leaver')).statusCode, 401);
  });

  it('refuses a tampered session cookie', async () => {
    const browser = new Browser(t.app);
    await browser.signIn('handler');
    const tampered = browser.cookieHeader.replace(/rvr_session=([^;.]+)/, 'rvr_session=AAAA$1');
    const response = await t.app.inject({ method: 'GET', url: '/control-room', headers: { cookie: tampered } });
    assert.equal(response.statusCode, 303);
  });

  it('refuses a form post without a valid CSRF token and writes nothing', async () => {
    const browser = new Browser(t.app);
    await browser.get('/sign-in');
    const missing = await browser.post('/sign-in', { username: 'handler', password: TEST_PASSWORD }, { withCsrf: false });
    assert.equal(missing.statusCode, 403);
    assert.match(missing.body, /This form has expired/);
    browser.csrfToken = 'forged-token';
    assert.equal((await browser.post('/sign-in', { username: 'handler', password: TEST_PASSWORD })).statusCode, 403);
  });

  it('answers malformed and hostile sign-in posts with a clear 4xx and no stack trace', async () => {
    const cases: { payload: string; type: string; status: number }[] = [
      { payload: 'username=&password=', type: 'application/x-www-form-urlencoded', status: 400 },
      { payload: 'username=a&username=b&password=x', type: 'application/x-www-form-urlencoded', status: 400 },
      { payload: `username=${'x'.repeat(5000)}&password=y`, type: 'application/x-www-form-urlencoded', status: 400 },
      { payload: "username=' OR 1=1 --&password=<script>alert(1)</script>", type: 'application/x-www-form-urlencoded', status: 401 },
      { payload: '{"username": ["a"], "password": 1}', type: 'application/json', status: 400 },
      { payload: '{not json', type: 'application/json', status: 400 },
      { payload: 'x'.repeat(200 * 1024), type: 'application/x-www-form-urlencoded', status: 413 },
      { payload: '<xml/>', type: 'application/xml', status: 415 },
    ];
    const sessionCount = async () => (await queryRows<{ n: number }>(t.db.database, sql`select count(*)::int as n from sessions`))[0]!.n;
    const before = await sessionCount();
    for (const c of cases) {
      const browser = new Browser(t.app);
      await browser.get('/sign-in');
      const response = await t.app.inject({
        method: 'POST',
        url: '/sign-in',
        payload: c.payload,
        headers: { 'content-type': c.type, cookie: browser.cookieHeader, 'x-csrf-token': browser.csrfToken },
      });
      assert.equal(response.statusCode, c.status, `${c.type} ${c.payload.slice(0, 40)} → ${response.statusCode}`);
      assert.doesNotMatch(response.body, /at .*\.(ts|js):\d+/, 'no stack trace');
      assert.doesNotMatch(response.body, /<script>alert/, 'hostile input is escaped');
    }
    assert.equal(await sessionCount(), before, 'no session was created');
  });

  it('answers unknown routes with 404 as a page or as JSON', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/no/such/page' });
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /Page not found/);
    const json = await t.app.inject({ method: 'GET', url: '/api/v1/nothing', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 404);
    assert.equal(typeof json.json().error, 'string');
  });

  it('sends every page without a session to sign in (JSON callers get 401)', async () => {
    for (const url of ['/', '/control-room', '/officer', '/supervisor', '/dpo', '/admin', '/consultations/00000000-0000-0000-0000-000000000000']) {
      const response = await t.app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 303, url);
      assert.equal(response.headers.location, '/sign-in');
    }
    const json = await t.app.inject({ method: 'GET', url: '/control-room', headers: { accept: 'application/json' } });
    assert.equal(json.statusCode, 401);
  });

  it('sends security headers with a nonce-based Content-Security-Policy', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/sign-in' });
    const csp = String(response.headers['content-security-policy']);
    const nonce = /script-src 'self' 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(response.body, new RegExp(`<script nonce="${nonce}">`));
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.match(String(response.headers['x-correlation-id']), /^[0-9a-f-]{36}$/);
  });
});
