import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuditKeyring, DEV_AUDIT_HMAC_KEY, auditKey, estimatedEntropyBits, weakAuditKeyReason } from './audit-keys.js';
import { canonicalJson, GENESIS_HASH, keyedChainHash, unkeyedChainHash, type ChainedFields } from './chain.js';

const event: ChainedFields = {
  at: new Date('2026-01-02T03:04:05.678Z'),
  what: 'test.legacy',
  who: 'system:test',
  subject: 'consultation:abc',
  correlationId: 'c-1',
  actorRole: null,
  sessionId: null,
  clientIp: '127.0.0.1',
  recipient: null,
  justification: null,
  details: { b: 2, a: [1, { z: true }] },
};

describe('audit chain hashes (DP-01, issue 12)', () => {
  it('still computes the unkeyed SHA-256 of events written before migration 0007 exactly as the old code did', () => {
    // Computed by the chain code as it stood before the keyed chain; existing installations must keep verifying.
    assert.equal(unkeyedChainHash(GENESIS_HASH, event), 'c2cf4255c2d7c36593429abcc4f7a6239d8da162eefdc44b8532edbe8e54b60d');
  });

  it('keys the chain: the hash is an HMAC over the previous hash, the event and the key id', () => {
    const key = auditKey('k'.repeat(10) + 'a-test-key-with-some-variety-0123456789');
    const hash = keyedChainHash(key.chainKey, key.id, GENESIS_HASH, event);
    const body = canonicalJson({ ...JSON.parse(canonicalJson({ ...event, at: event.at.toISOString() })), keyId: key.id });
    assert.equal(hash, createHmac('sha256', key.chainKey).update(`${GENESIS_HASH}\n${body}`).digest('hex'));
    assert.notEqual(hash, unkeyedChainHash(GENESIS_HASH, event), 'not recomputable without the key');
  });

  it('gives a different hash for a different key, key id, previous hash or any field', () => {
    const key = auditKey('first-key-0123456789abcdefghijklmnopqrstuvwxyz');
    const other = auditKey('second-key-0123456789abcdefghijklmnopqrstuvwxyz');
    const base = keyedChainHash(key.chainKey, key.id, GENESIS_HASH, event);
    assert.notEqual(keyedChainHash(other.chainKey, key.id, GENESIS_HASH, event), base, 'a wrong key');
    assert.notEqual(keyedChainHash(key.chainKey, other.id, GENESIS_HASH, event), base, 'relabelled to another key id');
    assert.notEqual(keyedChainHash(key.chainKey, key.id, '1'.repeat(64), event), base, 'another previous hash');
    for (const [field, value] of [
      ['what', 'test.other'],
      ['who', 'user:someone-else'],
      ['subject', null],
      ['details', { b: 2, a: [1, { z: false }] }],
      ['at', new Date('2026-01-02T03:04:05.679Z')],
    ] as const) {
      assert.notEqual(keyedChainHash(key.chainKey, key.id, GENESIS_HASH, { ...event, [field]: value }), base, field);
    }
  });
});

describe('audit keys (issue 12)', () => {
  it('derives a stable public key id and separate chain and checkpoint keys, never the secret itself', () => {
    const secret = 'c0ffee'.repeat(11);
    const a = auditKey(secret);
    assert.deepEqual(auditKey(secret), a);
    assert.match(a.id, /^[0-9a-f]{16}$/);
    assert.notEqual(a.id, auditKey(`${secret}0`).id);
    assert.notDeepEqual(a.chainKey, a.checkpointKey);
    assert.ok(!a.chainKey.equals(Buffer.from(secret)) && !a.id.includes(secret.slice(0, 8)));
  });

  it('signs with the current key and finds old keys by id after a rotation', () => {
    const ring = new AuditKeyring('new-key-0123456789abcdefghijklmnopqrstuvwxyz', ['old-key-0123456789abcdefghijklmnopqrstuvwxyz']);
    assert.equal(ring.current.id, auditKey('new-key-0123456789abcdefghijklmnopqrstuvwxyz').id);
    assert.ok(ring.find(auditKey('old-key-0123456789abcdefghijklmnopqrstuvwxyz').id));
    assert.equal(ring.find('0000000000000000'), undefined);
    assert.equal(AuditKeyring.development().current.id, auditKey(DEV_AUDIT_HMAC_KEY).id);
  });

  it('refuses made-up production keys and accepts `openssl rand -hex 32` or `-base64 32`', () => {
    assert.match(weakAuditKeyReason('a'.repeat(32))!, /not random enough/);
    assert.match(weakAuditKeyReason('ab'.repeat(40))!, /not random enough/);
    assert.match(weakAuditKeyReason('password1234password1234password1234')!, /not random enough/);
    assert.match(weakAuditKeyReason('3f9a1c')!, /at least 32 characters/);
    assert.match(weakAuditKeyReason(DEV_AUDIT_HMAC_KEY)!, /development default/);
    assert.equal(weakAuditKeyReason('9c4e7a1f0b3d62e58a7f1c9d0e4b6a2f7c3e8d1b5a9f0e2c4d6b8a1f3e5c7d9b'), undefined);
    assert.equal(weakAuditKeyReason('q8Zr3L0vT1xYp6mN2bW9cK4hF7sD5gJ0aE3uR1iO8lM='), undefined);
    assert.ok(estimatedEntropyBits('abcd') === 8);
  });
});
