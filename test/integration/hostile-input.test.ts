import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { primaryDatabaseKind } from '../support/databases.js';
import { Browser, buildTestApp, createUser, type TestApp } from '../support/test-app.js';

// Values attackers and accidents send: injection, markup, unicode tricks, very long and empty strings.
const hostileString = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    "' OR '1'='1' --",
    '"; DROP TABLE users; --',
    '<script>alert(document.cookie)</script>',
    '<img src=x onerror=alert(1)>',
    '{{ 7*7 }}',
    '${process.exit()}',
    'admin\u202Egnp.exe',
    '\u0000nul',
    'ｓｕｐｅｒｖｉｓｏｒ',
    'x'.repeat(10_000),
    '',
  ),
);

function assertSafe(status: number, body: string) {
  assert.ok(status >= 200 && status < 500, `status ${status}`);
  assert.doesNotMatch(body, /<script>alert|<img src=x onerror/i, 'hostile markup rendered unescaped');
  assert.doesNotMatch(body, /at [^ ]+\.(ts|js):\d+:\d+/, 'stack trace leaked');
}

describe('hostile input at the sign-in and admin forms', () => {
  let t: TestApp;
  let admin: Browser;
  before(async () => {
    t = await buildTestApp(await primaryDatabaseKind(), { env: { SIGN_IN_ATTEMPTS_PER_MINUTE: '1000' } });
    await createUser(t.services, 'root-admin', ['admin']);
    admin = new Browser(t.app);
    await admin.signIn('root-admin');
  });
  after(() => t.close());

  it('sign-in: always a 4xx page, never a 500, a session or unescaped markup', async () => {
    const browser = new Browser(t.app);
    await browser.get('/sign-in');
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, async (username, password) => {
        const response = await browser.post('/sign-in', { username, password });
        assertSafe(response.statusCode, response.body);
        assert.ok([400, 401, 413].includes(response.statusCode), `unexpected ${response.statusCode}`);
      }),
      { numRuns: 60 },
    );
  });

  it('sign-in: wrong types and shapes as JSON are refused with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (value) => {
        const browser = new Browser(t.app);
        await browser.get('/sign-in');
        const response = await t.app.inject({
          method: 'POST',
          url: '/sign-in',
          payload: JSON.stringify({ username: value, password: value }) ?? 'null',
          headers: { 'content-type': 'application/json', cookie: browser.cookieHeader, 'x-csrf-token': browser.csrfToken },
        });
        assertSafe(response.statusCode, response.body);
        assert.ok([400, 401].includes(response.statusCode), `unexpected ${response.statusCode} for ${JSON.stringify(value)}`);
      }),
      { numRuns: 80 },
    );
  });

  it('admin user form: every refusal is a 4xx that keeps nothing half-written', async () => {
    const before = (await t.services.users.list()).length;
    let created = 0;
    await fc.assert(
      fc.asyncProperty(hostileString, hostileString, fc.constantFrom('dpo', 'wizard', '', 'admin<script>'), async (username, displayName, role) => {
        await admin.get('/admin/users/new');
        const response = await admin.post('/admin/users/new', { username, displayName, password: 'short', roles: role });
        assertSafe(response.statusCode, response.body);
        if (response.statusCode === 303) created += 1;
      }),
      { numRuns: 60 },
    );
    assert.equal(created, 0, 'a too-short password never creates a user');
    assert.equal((await t.services.users.list()).length, before);
  });

  it('admin actions: unknown ids are 404 and malformed ids 400', async () => {
    await admin.get('/admin');
    assert.equal((await admin.post('/admin/users/00000000-0000-4000-8000-000000000000/disable', { reason: 'x' })).statusCode, 404);
    assert.equal((await admin.post('/admin/users/not-an-id/disable', { reason: 'x' })).statusCode, 400);
    assert.equal((await admin.get('/admin?status=<script>')).statusCode, 400);
  });
});
