import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { legacyTotpKey, SecretBox, totpSeedBox, UnreadableSecretError } from './secret-box.js';
import { deriveKey, KEY_LABELS, keysFor, type KeyPurpose } from './session-keys.js';

const SECRET = '5e0c1f9a7b2d48e3a61c9f07d4b28e15c3a9f6e02d7b4185ae3c6f90b1d2e748';
const OLDER = 'c8b1f0e27a9d4c3b5e6f718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6';
const PURPOSES = Object.keys(KEY_LABELS) as KeyPurpose[];

/** How a seed was sealed before ADR 0008 (format v1, key from the raw secret with info "totp"). */
function sealV1(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', legacyTotpKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

describe('per-purpose keys from SESSION_SECRET (HKDF-SHA-256, ADR 0008)', () => {
  it('derives a different 256-bit key for every purpose, none of them the secret itself', () => {
    const keys = PURPOSES.map((purpose) => deriveKey(SECRET, purpose));
    for (const key of keys) assert.equal(key.length, 32);
    assert.equal(new Set(keys.map((k) => k.toString('hex'))).size, PURPOSES.length, 'one key per purpose');
    for (const key of keys) {
      assert.notDeepEqual(key, Buffer.from(SECRET));
      assert.notDeepEqual(key, Buffer.from(`${SECRET}:evidence-playback`), 'not the old grant secret');
      assert.notDeepEqual(key, legacyTotpKey(SECRET), 'not the old TOTP key');
    }
    assert.deepEqual(deriveKey(SECRET, 'cookieSigning'), deriveKey(SECRET, 'cookieSigning'), 'the same secret gives the same key on every node');
    assert.notDeepEqual(deriveKey(SECRET, 'cookieSigning'), deriveKey(OLDER, 'cookieSigning'));
  });

  it('a signature made for one purpose does not verify for another', () => {
    const payload = 'item.user.1700000000000';
    const grant = createHmac('sha256', deriveKey(SECRET, 'evidenceGrant')).update(payload).digest('base64url');
    const cookie = createHmac('sha256', deriveKey(SECRET, 'cookieSigning')).update(payload).digest('base64url');
    assert.notEqual(grant, cookie);
  });

  it('lists the previous secret’s key after the current one while rotating', () => {
    const [current, previous, ...rest] = keysFor({ sessionSecret: SECRET, sessionSecretPrevious: OLDER }, 'evidenceGrant');
    assert.deepEqual(current, deriveKey(SECRET, 'evidenceGrant'));
    assert.deepEqual(previous, deriveKey(OLDER, 'evidenceGrant'));
    assert.equal(rest.length, 0);
    assert.equal(keysFor({ sessionSecret: SECRET, sessionSecretPrevious: undefined }, 'evidenceGrant').length, 1);
  });
});

describe('SecretBox (AES-256-GCM, versioned)', () => {
  const box = totpSeedBox({ sessionSecret: SECRET, sessionSecretPrevious: undefined });

  it('round-trips under the current key, with a fresh IV, and detects tampering or a wrong key', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    assert.match(sealed, /^v2\.[A-Za-z0-9_-]{8}\./);
    assert.notEqual(sealed, box.seal('JBSWY3DPEHPK3PXP'), 'a fresh IV each time');
    assert.deepEqual(box.open(sealed), { plaintext: 'JBSWY3DPEHPK3PXP', stale: false });
    const parts = sealed.split('.');
    const body = [...parts];
    body[4] = body[4]!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
    assert.throws(() => box.open(body.join('.')), UnreadableSecretError);
    const header = [...parts];
    header[1] = 'AAAAAAAA';
    assert.deepEqual(box.open(sealed).plaintext, 'JBSWY3DPEHPK3PXP');
    assert.throws(() => box.open(header.join('.')), UnreadableSecretError, 'the key id is authenticated too');
    assert.throws(() => totpSeedBox({ sessionSecret: OLDER, sessionSecretPrevious: undefined }).open(sealed), UnreadableSecretError);
    assert.throws(() => box.open('not sealed'), /Not a sealed secret/);
  });

  it('still opens a v1 seed sealed before ADR 0008, and marks it stale so it is sealed again', () => {
    const legacy = sealV1(SECRET, 'JBSWY3DPEHPK3PXP');
    assert.deepEqual(box.open(legacy), { plaintext: 'JBSWY3DPEHPK3PXP', stale: true });
    assert.throws(() => totpSeedBox({ sessionSecret: OLDER, sessionSecretPrevious: undefined }).open(legacy), UnreadableSecretError);
  });

  it('during a rotation opens seeds sealed under the previous secret (v1 or v2), marked stale, and seals with the new one', () => {
    const before = totpSeedBox({ sessionSecret: OLDER, sessionSecretPrevious: undefined });
    const rotating = totpSeedBox({ sessionSecret: SECRET, sessionSecretPrevious: OLDER });
    assert.deepEqual(rotating.open(before.seal('SEEDSEEDSEED')), { plaintext: 'SEEDSEEDSEED', stale: true });
    assert.deepEqual(rotating.open(sealV1(OLDER, 'SEEDSEEDSEED')), { plaintext: 'SEEDSEEDSEED', stale: true });
    const resealed = rotating.seal('SEEDSEEDSEED');
    assert.deepEqual(box.open(resealed), { plaintext: 'SEEDSEEDSEED', stale: false }, 'once the previous secret is gone, the new seal still opens');
    assert.throws(() => before.open(resealed), UnreadableSecretError);
  });

  it('seals only with the first key it is given', () => {
    const [first, second] = [randomBytes(32), randomBytes(32)];
    const sealed = new SecretBox([first, second]).seal('x');
    assert.deepEqual(new SecretBox([first]).open(sealed), { plaintext: 'x', stale: false });
    assert.deepEqual(new SecretBox([second, first]).open(sealed), { plaintext: 'x', stale: true });
    assert.throws(() => new SecretBox([second]).open(sealed), UnreadableSecretError);
  });
});
