import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { AuditKeyring } from './audit-keys.js';
import { AuditCheckpointFile, checkCheckpoint, parseCheckpoints, signCheckpoint } from './checkpoints.js';

const ring = new AuditKeyring('current-key-0123456789abcdefghijklmnopqrstuvwxyz', ['retired-key-0123456789abcdefghijklmnopqrstuvwxyz']);
const head = { seq: 42, hash: 'ab'.repeat(32), count: 40, unkeyed: 3 };
const at = new Date('2026-03-04T05:06:07.000Z');

describe('audit checkpoints (DP-01, issue 12)', () => {
  it('signs the head, count and time with the current key, and verifies', () => {
    const checkpoint = signCheckpoint(ring.current, head, at);
    assert.deepEqual(
      { ...checkpoint, signature: undefined },
      { v: 1, at: at.toISOString(), seq: 42, count: 40, unkeyed: 3, head: head.hash, keyId: ring.current.id, signature: undefined },
    );
    assert.match(checkpoint.signature, /^[0-9a-f]{64}$/);
    assert.equal(checkCheckpoint(ring, checkpoint), 'valid');
  });

  it('detects any changed field, a signature made with another key, and an unknown key id', () => {
    const checkpoint = signCheckpoint(ring.current, head, at);
    for (const change of [{ seq: 41 }, { count: 39 }, { unkeyed: 2 }, { head: 'cd'.repeat(32) }, { at: '2026-03-04T05:06:08.000Z' }]) {
      assert.equal(checkCheckpoint(ring, { ...checkpoint, ...change }), 'bad_signature', JSON.stringify(change));
    }
    const forged = signCheckpoint(new AuditKeyring('a-guessed-key-0123456789abcdefghijklmnopqrstuvwxyz').current, head, at);
    assert.equal(checkCheckpoint(ring, forged), 'unknown_key');
    assert.equal(checkCheckpoint(ring, { ...forged, keyId: ring.current.id }), 'bad_signature');
    // The chain key is not the checkpoint key: a chain-style HMAC cannot pass as a signature.
    assert.equal(checkCheckpoint(ring, { ...checkpoint, signature: checkpoint.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')) }), 'bad_signature');
  });

  it('verifies a checkpoint signed with a retired key after a rotation', () => {
    const retired = new AuditKeyring('retired-key-0123456789abcdefghijklmnopqrstuvwxyz');
    assert.equal(checkCheckpoint(ring, signCheckpoint(retired.current, head, at)), 'valid');
  });

  it('reads the checkpoint file or an application log export, and reports altered lines', () => {
    const good = signCheckpoint(ring.current, head, at);
    const logLine = JSON.stringify({
      level: 30,
      time: 1,
      msg: 'audit checkpoint',
      auditCheckpoint: signCheckpoint(ring.current, { ...head, seq: 50, count: 48 }, at),
    });
    const text = [
      JSON.stringify(good),
      JSON.stringify({ level: 30, msg: 'an ordinary log line' }),
      logLine,
      '',
      JSON.stringify({ ...good, count: 41 }),
      '{"v":1,"at":"2026',
      JSON.stringify({ v: 1, signature: 'x' }),
    ].join('\n');
    const parsed = parseCheckpoints(text, ring, 'checkpoints.jsonl');
    assert.deepEqual(
      parsed.checkpoints.map((c) => c.seq),
      [42, 50],
    );
    assert.equal(parsed.problems.length, 3);
    assert.match(parsed.problems[0]!, /line 5 of checkpoints.jsonl does not match its signature/);
    assert.match(parsed.problems[1]!, /line 6 .* not a checkpoint/);
    assert.match(parsed.problems[2]!, /line 7 .* not a complete checkpoint/);
  });

  it('appends one line per checkpoint, creating the folder, and reads nothing when there is no file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-checkpoints-'));
    try {
      const file = new AuditCheckpointFile(path.join(dir, 'audit', 'checkpoints.jsonl'));
      assert.equal(await file.read(), undefined);
      await file.append(signCheckpoint(ring.current, head, at));
      await file.append(signCheckpoint(ring.current, { ...head, seq: 43, count: 41 }, at));
      const lines = (await file.read())!.trim().split('\n');
      assert.equal(lines.length, 2);
      assert.deepEqual(
        parseCheckpoints(lines.join('\n'), ring, 'f').checkpoints.map((c) => c.seq),
        [42, 43],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
