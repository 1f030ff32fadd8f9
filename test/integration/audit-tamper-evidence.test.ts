import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { dataAccess } from '../../src/composition.js';
import { AuditLogService } from '../../src/features/dpo/audit-log.service.js';
import { AuditKeyring } from '../../src/platform/audit/audit-keys.js';
import { AuditTrail, type ChainVerification } from '../../src/platform/audit/audit-trail.js';
import type { AuditRow } from '../../src/platform/audit/audit.repository.js';
import { keyedChainHash, unkeyedChainHash } from '../../src/platform/audit/chain.js';
import { AuditCheckpointFile } from '../../src/platform/audit/checkpoints.js';
import { auditEvents } from '../../src/platform/audit/audit.schema.js';
import { createTestDatabase, describeOnDatabase, type TestDatabase } from '../support/databases.js';

const context = { actor: { type: 'system' as const, name: 'test' }, correlationId: 'corr-tamper-test' };
const KEY = 'the-audit-key-for-this-test-0123456789abcdefghijklmnop';
const ring = new AuditKeyring(KEY);

type Broken = Extract<ChainVerification, { ok: false }>;
function broken(result: ChainVerification): Broken {
  assert.equal(result.ok, false, `expected a broken chain, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * DP-01, issue 12: what someone with the database owner's rights (not the audit key) can do to the log,
 * and that `verify` finds each of them.
 */
await describeOnDatabase('audit tamper-evidence: keyed chain and checkpoints (DP-01)', (kind) => {
  let db: TestDatabase;
  let dir: string;
  let checkpointFile: AuditCheckpointFile;
  const trail = new AuditTrail(undefined, ring);
  const data = () => dataAccess(db.database);
  const log = () => new AuditLogService(data(), trail, { checkpointFile });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-audit-tamper-'));
  });
  beforeEach(async () => {
    await db?.drop();
    db = await createTestDatabase(kind);
    checkpointFile = new AuditCheckpointFile(path.join(dir, `${Date.now()}-${Math.random()}.jsonl`));
  });
  after(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const record = (what: string, details: Record<string, unknown> = {}, using = trail) =>
    data().transaction((tx) => using.record(tx.audit, context, { what, subject: 'consultation:abc', details }));
  const recordMany = async (n: number) => {
    for (let i = 1; i <= n; i += 1) await record('test.event', { i });
  };
  const rows = async () => data().repos.audit.pageAfter(0, 10_000);
  const verify = () => trail.verify(data().repos.audit);

  /** As the owner: switch the trigger off, run `work`, switch it back on. */
  async function behindTheServicesBack(work: () => Promise<void>) {
    await db.database.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
    try {
      await work();
    } finally {
      await db.database.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    }
  }

  /** Edits one event and re-hashes it and every later event with `rehash`, so every link matches again. */
  async function rewriteAndRehash(
    seq: number,
    details: Record<string, unknown>,
    rehash: (prevHash: string, row: AuditRow) => { hash: string; keyId: string | null },
  ) {
    await behindTheServicesBack(async () => {
      const all = await rows();
      let prevHash = all.find((r) => r.seq === seq)!.prevHash;
      for (const row of all.filter((r) => r.seq >= seq)) {
        const edited = row.seq === seq ? { ...row, details } : row;
        const { hash, keyId } = rehash(prevHash, edited);
        await db.database.db.update(auditEvents).set({ details: edited.details, prevHash, hash, keyId }).where(eq(auditEvents.seq, row.seq));
        prevHash = hash;
      }
    });
  }

  it('verifies an untouched keyed chain, each event naming the key that made its hash', async () => {
    await recordMany(4);
    assert.deepEqual(await verify(), { ok: true, checked: 4 });
    assert.ok((await rows()).every((r) => r.keyId === ring.current.id));
  });

  it('detects an event rewritten and every later hash recomputed with plain SHA-256 (as the old chain allowed)', async () => {
    await recordMany(6);
    await rewriteAndRehash(3, { i: 999 }, (prevHash, row) => ({ hash: unkeyedChainHash(prevHash, row), keyId: null }));
    const result = broken(await verify());
    assert.equal(result.brokenAt, 3);
    assert.equal(result.checked, 2);
    assert.match(result.reason, /event 3 .* old unkeyed format after keyed events: it was rewritten by someone without the audit key/);
  });

  it('detects the same when the whole chain is rewritten in the old format, through the checkpoint', async () => {
    await recordMany(5);
    await log().writeCheckpoint('scheduled');
    await rewriteAndRehash(1, { i: 999 }, (prevHash, row) => ({ hash: unkeyedChainHash(prevHash, row), keyId: null }));
    assert.deepEqual(await verify(), { ok: true, checked: 5 }, 'without the checkpoint, an all-old-format chain links up');
    const result = broken(await log().verify(context));
    assert.equal(result.brokenAt, 5);
    assert.match(result.reason, /does not match the checkpoint of .*: it recorded 5 events ending at event 5/);
  });

  it('detects plain SHA-256 hashes under the real key id', async () => {
    await recordMany(5);
    await rewriteAndRehash(2, { i: 999 }, (prevHash, row) => ({ hash: unkeyedChainHash(prevHash, row), keyId: row.keyId }));
    const result = broken(await verify());
    assert.equal(result.brokenAt, 2);
    assert.match(result.reason, /event 2 \(test.event\) was changed after it was written: its content no longer matches its keyed hash/);
  });

  it('detects an event rewritten and re-hashed with a wrong key, under the real key id or a key id of its own', async () => {
    await recordMany(5);
    const guessed = new AuditKeyring('a-guessed-key-0123456789abcdefghijklmnopqrstuvwxyz').current;
    await rewriteAndRehash(4, { i: 999 }, (prevHash, row) => ({
      hash: keyedChainHash(guessed.chainKey, ring.current.id, prevHash, row),
      keyId: ring.current.id,
    }));
    assert.match(broken(await verify()).reason, /event 4 \(test.event\) was changed after it was written/);
    await rewriteAndRehash(4, { i: 998 }, (prevHash, row) => ({ hash: keyedChainHash(guessed.chainKey, guessed.id, prevHash, row), keyId: guessed.id }));
    const result = broken(await verify());
    assert.equal(result.brokenAt, 4);
    assert.match(result.reason, new RegExp(`event 4 .* signed with audit key ${guessed.id}, which is not configured`));
  });

  it('detects the newest events deleted (trigger switched off), through the signed checkpoint', async () => {
    await recordMany(6);
    await log().writeCheckpoint('scheduled');
    await behindTheServicesBack(async () => {
      await db.database.db.execute(sql`delete from audit_events where seq > 4`);
    });
    assert.deepEqual(await verify(), { ok: true, checked: 4 }, 'the surviving events still link up: only a checkpoint shows the loss');
    const result = broken(await log().verify(context));
    assert.equal(result.brokenAt, 6);
    assert.equal(result.checked, 4);
    assert.match(
      result.reason,
      /the newest events were deleted: the log ends at event 4 \(4 events\), but the checkpoint of .* recorded 6 events up to event 6/,
    );
    assert.equal(result.checkpoints?.found, 1);
  });

  it('detects the newest events deleted even when new events were appended after the deletion', async () => {
    await recordMany(6);
    await log().writeCheckpoint('scheduled');
    await behindTheServicesBack(async () => {
      await db.database.db.execute(sql`delete from audit_events where seq > 4`);
    });
    await recordMany(3);
    const result = broken(await log().verify(context));
    assert.equal(result.brokenAt, 6);
    assert.match(result.reason, /event 6 is missing: the checkpoint of .* recorded it as the newest event \(6 events\), so events were deleted/);
  });

  it('passes with checkpoints that match, and records the check in the chain', async () => {
    await log().writeCheckpoint('startup');
    await recordMany(3);
    await log().writeCheckpoint('scheduled');
    await recordMany(2);
    const result = await log().verify(context);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.checked, 5);
    assert.deepEqual({ ...result.checkpoints, latest: undefined }, { source: checkpointFile.path, found: 2, matched: 2, latest: undefined });
    assert.equal(result.checkpoints?.latest?.count, 3);
    assert.ok(await data().repos.audit.exists('audit.verified'));
  });

  it('reports a checkpoint file that was edited', async () => {
    await recordMany(3);
    await log().writeCheckpoint('scheduled');
    const text = (await checkpointFile.read())!;
    fs.writeFileSync(checkpointFile.path, text.replace('"count":3', '"count":2'));
    const result = broken(await log().verify(context));
    assert.equal(result.brokenAt, undefined);
    assert.match(result.reason, /1 checkpoint line\(s\) are not valid: line 1 of .* does not match its signature/);
  });

  it('verifies against checkpoints taken from an export of the application log', async () => {
    await recordMany(4);
    const checkpoint = await log().writeCheckpoint('scheduled');
    const exported = path.join(dir, 'app-log.jsonl');
    fs.writeFileSync(
      exported,
      [
        { level: 30, msg: 'request completed' },
        { level: 30, msg: 'audit checkpoint', auditCheckpoint: checkpoint },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n'),
    );
    await behindTheServicesBack(async () => {
      await db.database.db.execute(sql`delete from audit_events where seq = 4`);
    });
    const withoutFile = new AuditLogService(data(), trail);
    assert.match(broken(await withoutFile.verify(context, { checkpointsFrom: exported })).reason, /newest events were deleted/);
  });

  it('keeps verifying events written before the keyed chain (unkeyed), then keyed events after them', async () => {
    // As an installation upgraded from the plain SHA-256 chain holds them: key_id NULL.
    let prevHash = '0'.repeat(64);
    for (let i = 1; i <= 3; i += 1) {
      const fields = {
        at: new Date(Date.UTC(2025, 0, i)),
        what: 'legacy.event',
        who: 'system:old',
        subject: null,
        correlationId: `old-${i}`,
        actorRole: null,
        sessionId: null,
        clientIp: null,
        recipient: null,
        justification: null,
        details: { i },
      };
      const hash = unkeyedChainHash(prevHash, fields);
      await data().repos.audit.insert({ ...fields, prevHash, hash });
      prevHash = hash;
    }
    await recordMany(2);
    await log().writeCheckpoint('scheduled');
    const result = await log().verify(context);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.checked, 5);
    assert.equal((await rows()).filter((r) => r.keyId === null).length, 3);
    // An old-format event slipped in after the switch is refused.
    const last = (await rows()).at(-1)!;
    const forged = { ...last, what: 'legacy.forged', correlationId: 'forged' };
    await data().repos.audit.insert({ ...forged, seq: undefined, prevHash: last.hash, hash: unkeyedChainHash(last.hash, forged), keyId: null });
    assert.match(broken(await verify()).reason, /old unkeyed format after keyed events/);
  });

  it('rotates the key: old events verify with the retired key in AUDIT_HMAC_OLD_KEYS, and not without it', async () => {
    const oldRing = new AuditKeyring('the-retired-audit-key-0123456789abcdefghijklmnop');
    const oldTrail = new AuditTrail(undefined, oldRing);
    await record('before.rotation', {}, oldTrail);
    await record('before.rotation', {}, oldTrail);
    const rotated = new AuditTrail(
      undefined,
      new AuditKeyring('the-new-audit-key-0123456789abcdefghijklmnopqrs', ['the-retired-audit-key-0123456789abcdefghijklmnop']),
    );
    await record('after.rotation', {}, rotated);
    assert.deepEqual(await rotated.verify(data().repos.audit), { ok: true, checked: 3 });
    assert.deepEqual(
      (await rows()).map((r) => r.keyId),
      [oldRing.current.id, oldRing.current.id, rotated.keys.current.id],
    );
    const forgotten = new AuditTrail(undefined, new AuditKeyring('the-new-audit-key-0123456789abcdefghijklmnopqrs'));
    const result = broken(await forgotten.verify(data().repos.audit));
    assert.equal(result.brokenAt, 1);
    assert.match(result.reason, /signed with audit key .*, which is not configured: set the key that signed it in AUDIT_HMAC_OLD_KEYS/);
  });
});
