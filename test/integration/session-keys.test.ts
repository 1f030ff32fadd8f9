import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { legacyTotpKey, totpSeedBox } from '../../src/platform/auth/secret-box.js';
import { deriveKey } from '../../src/platform/auth/session-keys.js';
import { newTotpSecret, totp } from '../../src/platform/auth/totp.js';
import { ForbiddenError, NotFoundError } from '../../src/platform/errors.js';
import { describeOnDatabase } from '../support/databases.js';
import { Browser, buildTestApp, contextFor, createUser, type TestApp } from '../support/test-app.js';

// Issue 12 item 6: one key per purpose from SESSION_SECRET (HKDF), old TOTP seeds still open, and rotation works.
const OLD_SECRET = '5e0c1f9a7b2d48e3a61c9f07d4b28e15c3a9f6e02d7b4185ae3c6f90b1d2e748';
const NEW_SECRET = 'c8b1f0e27a9d4c3b5e6f718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6';
const COOKIE = 'rvr_session';

/** A TOTP seed sealed the way it was before ADR 0008 (format v1). */
function sealV1(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', legacyTotpKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** A cookie value signed the way @fastify/cookie signs it, with the given key. */
function signedWith(key: Buffer | string, value: string): string {
  return encodeURIComponent(`${value}.${createHmac('sha256', key).update(value).digest('base64').replace(/=/g, '')}`);
}

await describeOnDatabase('per-purpose keys, legacy TOTP seeds and SESSION_SECRET rotation (ADR 0008)', (kind) => {
  let t: TestApp;
  let now = new Date('2026-12-04T09:00:00Z');
  before(async () => {
    t = await buildTestApp(kind, { env: { SESSION_SECRET: OLD_SECRET, MFA_REQUIRED: 'true' }, now: () => now });
  });
  after(() => t.close());
  const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));

  /** A user enrolled with `sealed` as their stored seed; returns the seed in clear. */
  const enrolledWith = async (username: string, seal: (seed: string) => string) => {
    const user = await createUser(t.services, username, ['call_handler']);
    const seed = newTotpSecret();
    await t.services.data.repos.users.confirmMfa(user.id, seal(seed), now, 0);
    return { user, seed };
  };
  const sessionToken = (browser: Browser) => {
    const raw = decodeURIComponent(/rvr_session=([^;]+)/.exec(browser.cookieHeader)![1]!);
    return raw.slice(0, raw.lastIndexOf('.'));
  };
  const signInWithCode = async (app: TestApp, username: string, seed: string) => {
    const browser = new Browser(app.app);
    assert.equal((await browser.signIn(username)).headers.location, '/sign-in/mfa');
    await browser.get('/sign-in/mfa');
    const answer = await browser.post('/sign-in/mfa', { code: totp(seed, now) });
    return { browser, answer };
  };

  it('a TOTP seed sealed before ADR 0008 (v1) still signs in, and is sealed again under the derived key', async () => {
    const { user, seed } = await enrolledWith('legacy-seed', (s) => sealV1(OLD_SECRET, s));
    const { answer } = await signInWithCode(t, 'legacy-seed', seed);
    assert.equal(answer.statusCode, 303, 'the legacy seed still opens');
    const stored = (await t.services.data.repos.users.findById(user.id))!.mfaSecret!;
    assert.match(stored, /^v2\./, 're-encrypted on use');
    const [event] = await t.services.data.repos.audit.search({ what: 'session.signed_in', subject: `user:${user.id}` }, 1);
    assert.equal((event!.details as { seedResealed?: boolean }).seedResealed, true);
    later(60);
    assert.equal((await signInWithCode(t, 'legacy-seed', seed)).answer.statusCode, 303, 'and the re-sealed seed works');
  });

  it('the session cookie is signed with its own derived key: one signed with the raw SESSION_SECRET, or the grant key, is refused', async () => {
    await createUser(t.services, 'cookie-check', ['call_handler']);
    const browser = new Browser(t.app);
    await browser.signIn('cookie-check');
    const token = sessionToken(browser);
    const as = (value: string) => t.app.inject({ method: 'GET', url: '/account/mfa/setup', headers: { cookie: `${COOKIE}=${value}` } });
    assert.equal((await as(signedWith(deriveKey(OLD_SECRET, 'cookieSigning'), token))).statusCode, 200, 'the derived cookie key is the one in use');
    for (const [what, key] of [
      ['the raw secret', OLD_SECRET],
      ['the evidence grant key', deriveKey(OLD_SECRET, 'evidenceGrant')],
      ['the TOTP seed key', deriveKey(OLD_SECRET, 'totpSeedEncryption')],
    ] as const) {
      const refused = await as(signedWith(key, token));
      assert.equal(refused.statusCode, 303, `a cookie signed with ${what} is not a session`);
      assert.match(refused.headers.location as string, /^\/sign-in/);
    }
  });

  it('an evidence grant verifies only under the grant key: a cookie-key signature of the same grant is refused', async () => {
    const user = await createUser(t.services, 'grant-check', ['evidence_manager']);
    const itemId = '00000000-0000-4000-8000-0000000000aa';
    const expires = now.getTime() + 60_000;
    const grant = (key: Buffer | string) => `${expires}.${createHmac('sha256', key).update(`${itemId}.${user.id}.${expires}`).digest('base64url')}`;
    // Past the signature, the unknown item gives 404: the grant itself was accepted.
    await assert.rejects(t.services.evidence.access.playback(contextFor(user), itemId, grant(deriveKey(OLD_SECRET, 'evidenceGrant'))), NotFoundError);
    for (const key of [deriveKey(OLD_SECRET, 'cookieSigning'), OLD_SECRET, `${OLD_SECRET}:evidence-playback`])
      await assert.rejects(t.services.evidence.access.playback(contextFor(user), itemId, grant(key)), ForbiddenError);
  });

  it('rotation: with SESSION_SECRET_PREVIOUS, sessions, grants and seeds of the old secret keep working and seeds are re-sealed', async () => {
    const { user, seed } = await enrolledWith('rotating', (s) => totpSeedBox({ sessionSecret: OLD_SECRET, sessionSecretPrevious: undefined }).seal(s));
    const { browser } = await signInWithCode(t, 'rotating', seed);
    assert.equal((await browser.get('/control-room')).statusCode, 200);
    const sealedBefore = (await t.services.data.repos.users.findById(user.id))!.mfaSecret!;

    const rotated = await buildTestApp(kind, {
      env: { SESSION_SECRET: NEW_SECRET, SESSION_SECRET_PREVIOUS: OLD_SECRET, MFA_REQUIRED: 'true' },
      now: () => now,
      database: t.db,
    });
    try {
      const carriedOver = await rotated.app.inject({ method: 'GET', url: '/control-room', headers: { cookie: browser.cookieHeader } });
      assert.equal(carriedOver.statusCode, 200, 'a session signed under the previous secret is still valid');
      later(60);
      assert.equal((await signInWithCode(rotated, 'rotating', seed)).answer.statusCode, 303, 'the seed sealed under the previous secret opens');
      const sealedAfter = (await rotated.services.data.repos.users.findById(user.id))!.mfaSecret!;
      assert.notEqual(sealedAfter, sealedBefore, 'and was sealed again under the new one');
      assert.equal(sealedAfter.split('.')[1] === sealedBefore.split('.')[1], false, 'a different key id');
    } finally {
      await rotated.close();
    }

    const withoutPrevious = await buildTestApp(kind, {
      env: { SESSION_SECRET: 'f'.repeat(8) + NEW_SECRET.slice(8), MFA_REQUIRED: 'true' },
      now: () => now,
      database: t.db,
    });
    try {
      const old = await withoutPrevious.app.inject({ method: 'GET', url: '/control-room', headers: { cookie: browser.cookieHeader } });
      assert.equal(old.statusCode, 303, 'without the previous secret, old sessions end');
      later(60);
      const { answer } = await signInWithCode(withoutPrevious, 'rotating', seed);
      assert.equal(answer.statusCode, 409, 'a seed no key opens is a clear refusal, not a 500');
      assert.match(answer.body, /Ask an administrator to reset your authenticator app/);
    } finally {
      await withoutPrevious.close();
    }
  });
});
