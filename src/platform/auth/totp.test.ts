import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode, hotp, matchTotp, newTotpSecret, otpauthUri, totp } from './totp.js';

// RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (8-digit values; we use the last 6).
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  for (const [seconds, expected] of RFC_VECTORS) {
    it(`matches the RFC test vector at T=${seconds}`, () => {
      assert.equal(hotp(base32Decode(RFC_SECRET), Math.floor(seconds / 30), 8), expected);
      assert.equal(totp(RFC_SECRET, new Date(seconds * 1000)), expected.slice(-6));
    });
  }

  it('round-trips base32 and makes 160-bit secrets', () => {
    const secret = newTotpSecret();
    assert.equal(secret.length, 32);
    assert.equal(base32Decode(secret).length, 20);
    assert.equal(base32Encode(base32Decode(secret)), secret);
  });

  it('accepts one step of drift either way, and nothing further', () => {
    const secret = newTotpSecret();
    const now = new Date('2026-11-28T10:00:15Z');
    const step = Math.floor(now.getTime() / 30000);
    assert.equal(matchTotp(secret, totp(secret, now), now), step);
    assert.equal(matchTotp(secret, totp(secret, new Date(now.getTime() - 30000)), now), step - 1);
    assert.equal(matchTotp(secret, totp(secret, new Date(now.getTime() + 30000)), now), step + 1);
    assert.equal(matchTotp(secret, totp(secret, new Date(now.getTime() - 90000)), now), undefined);
    assert.equal(matchTotp(secret, '12345', now), undefined);
    assert.equal(matchTotp(secret, 'abcdef', now), undefined);
  });

  it('builds an otpauth URI authenticator apps read', () => {
    assert.equal(
      otpauthUri('ABC', 'pc.smith', 'RVR Kent'),
      'otpauth://totp/RVR%20Kent%3Apc.smith?secret=ABC&issuer=RVR+Kent&algorithm=SHA1&digits=6&period=30',
    );
  });
});
