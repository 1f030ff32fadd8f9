import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { totp } from '../../src/platform/auth/totp.js';
import { describeOnDatabase } from '../support/databases.js';
import { Browser, buildTestApp, cliContext, createUser, enrolMfa, TEST_PASSWORD, type TestApp } from '../support/test-app.js';

await describeOnDatabase('second factor, lockout, rate limit and policy acknowledgement', (kind) => {
  let t: TestApp;
  let now = new Date('2026-11-28T09:00:00Z');
  before(async () => {
    t = await buildTestApp(kind, { env: { MFA_REQUIRED: 'true', SIGN_IN_ATTEMPTS_PER_MINUTE: '1000' }, now: () => now });
  });
  after(() => t.close());
  const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

  it('SEC-08: makes a new user enrol TOTP before anything else, then asks for a code at each sign-in', async () => {
    await createUser(t.services, 'newbie', ['call_handler']);
    const browser = new Browser(t.app);
    const signIn = await browser.signIn('newbie');
    assert.equal(signIn.headers.location, '/account/mfa/setup');
    // Until enrolled, every other page sends them back to set up.
    const blocked = await browser.get('/control-room');
    assert.equal(blocked.headers.location, '/account/mfa/setup');
    const setup = await browser.get('/account/mfa/setup');
    assert.equal(setup.statusCode, 200);
    assert.match(setup.body, /<svg/);
    const secret = /data-testid="mfa-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    assert.equal(secret.length, 32);
    const wrong = await browser.post('/account/mfa/setup', { code: '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Enter the 6-digit code/);
    const ok = await browser.post('/account/mfa/setup', { code: totp(secret, now) });
    assert.equal(ok.statusCode, 303);
    assert.equal((await browser.get('/control-room')).statusCode, 200);

    later(60);
    const again = new Browser(t.app);
    assert.equal((await again.signIn('newbie')).headers.location, '/sign-in/mfa');
    assert.equal((await again.get('/control-room')).headers.location, '/sign-in/mfa');
    await again.get('/sign-in/mfa');
    assert.equal((await again.post('/sign-in/mfa', { code: 'abcdef' })).statusCode, 401);
    const code = totp(secret, now);
    assert.equal((await again.post('/sign-in/mfa', { code })).statusCode, 303);
    assert.equal((await again.get('/control-room')).statusCode, 200);

    // The same code cannot be used twice (replay), even in its own 30-second window.
    const replay = new Browser(t.app);
    await replay.signIn('newbie');
    await replay.get('/sign-in/mfa');
    assert.equal((await replay.post('/sign-in/mfa', { code })).statusCode, 401);
  });

  it('pauses an account after five failures in a row, with the same answer as a wrong password', async () => {
    await createUser(t.services, 'target', ['rvr_officer']);
    const attempts: number[] = [];
    for (let i = 0; i < 5; i += 1) attempts.push((await new Browser(t.app).signIn('target', 'wrong-password-guess')).statusCode);
    assert.deepEqual(attempts, [401, 401, 401, 401, 401]);
    const withRightPassword = await new Browser(t.app).signIn('target', TEST_PASSWORD);
    assert.equal(withRightPassword.statusCode, 401, 'paused: even the right password is refused for now');
    assert.match(withRightPassword.body, /Enter a correct username and password/);
    const user = await t.services.data.repos.users.findByUsername('target');
    assert.ok(user!.lockedUntil! > now);
    later(61);
    const after = await new Browser(t.app).signIn('target', TEST_PASSWORD);
    assert.equal(after.statusCode, 303, 'the pause ends after a minute');
    const reasons = (await t.services.data.repos.audit.search({ what: 'session.sign_in_failed', subject: `user:${user!.id}` }, 20)).map(
      (e) => (e.details as { reason: string }).reason,
    );
    assert.deepEqual(reasons.sort(), ['account_paused', ...Array(5).fill('wrong_password')].sort());
  });

  it('refuses a disabled account and an administrator can reset a lost authenticator', async () => {
    await createUser(t.services, 'lostphone', ['supervisor']);
    await enrolMfa(t.services, 'lostphone', now);
    await t.services.mfa.reset(cliContext, (await t.services.data.repos.users.findByUsername('lostphone'))!.id, 'phone lost');
    const browser = new Browser(t.app);
    assert.equal((await browser.signIn('lostphone')).headers.location, '/account/mfa/setup');
  });

  it('SC-5: makes everyone acknowledge a newly published policy before using RVR, and records it', async () => {
    const admin = await createUser(t.services, 'policyadmin', ['admin']);
    await enrolMfa(t.services, 'policyadmin', now);
    await t.services.policy.publish(
      { actor: { type: 'user', userId: admin.id, username: admin.username, roles: admin.roles }, correlationId: 'p' },
      { title: 'RVR policy v1', body: 'Video only with explicit consent. Every view is logged.', url: '' },
    );
    await createUser(t.services, 'reader', ['call_handler']);
    const secret = await enrolMfa(t.services, 'reader', now);
    later(31);
    const browser = new Browser(t.app);
    await browser.signIn('reader');
    await browser.get('/sign-in/mfa');
    await browser.post('/sign-in/mfa', { code: totp(secret, now) });
    const blocked = await browser.get('/control-room');
    assert.equal(blocked.headers.location, '/policy');
    const policyPage = await browser.get('/policy');
    assert.match(policyPage.body, /Video only with explicit consent/);
    const stale = await browser.post('/policy', { version: '0' });
    assert.equal(stale.statusCode, 400, 'acknowledging a version you did not see is refused');
    assert.equal((await browser.post('/policy', { version: '1' })).statusCode, 303);
    assert.equal((await browser.get('/control-room')).statusCode, 200);
    const { acknowledged } = await t.services.policy.acknowledgementsOfCurrent();
    const reader = await t.services.data.repos.users.findByUsername('reader');
    assert.ok(acknowledged.get(reader!.id) instanceof Date);
  });
});

await describeOnDatabase('sign-in rate limit', (kind) => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(kind, { env: { SIGN_IN_ATTEMPTS_PER_MINUTE: '3' } });
  });
  after(() => t.close());

  it('answers 429 with a clear message once one address tries too often', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await new Browser(t.app).signIn('someone', 'wrong-password-guess')).statusCode);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const limited = await new Browser(t.app).signIn('someone', 'wrong-password-guess');
    assert.match(limited.body, /Too many attempts/);
  });
});
