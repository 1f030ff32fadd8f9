import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { Writable } from 'node:stream';
import { grantKey, signGrant, verifyGrant } from '../../src/features/media-nodes/call-socket-grant.js';
import { systemContext } from '../../src/platform/context.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

/**
 * Issue 18 §2 (ADR 0013): two nodes on one database. Node A owns a call and is writing its recording; node B's
 * restart and reaper must never end A's live call or mark A's recording empty, and a lost node's calls are ended
 * as interrupted by whoever reaps first, once.
 */
await describeOnDatabase('media nodes: placement, recovery of only this node’s calls, the reaper (issue 18)', (kind) => {
  let a: TestApp;
  let b: TestApp;
  const warnings: string[] = [];
  const logLines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString('utf8')) as { level: number; msg: string };
      if (line.level === 40) warnings.push(line.msg);
      done();
    },
  });
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    // Port 9 (discard) has no listener here: node A's address refuses connections, as a killed node's does.
    a = await buildTestApp(kind, { env: { NODE_ID: 'node-a', MEDIA_NODE_CAPACITY: '2', NODE_INTERNAL_URL: 'http://127.0.0.1:9' } });
    b = await buildTestApp(kind, { database: a.db, env: { NODE_ID: 'node-b', NODE_ROLES: 'web' }, logDestination: logLines });
    handler = await createUser(a.services, 'mn-handler', ['call_handler']);
    officer = await createUser(a.services, 'mn-officer', ['rvr_officer']);
    await allowRoundTheClock(a.services);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  const accepted = async () => {
    const { consultation } = await newCall(a.services, handler, { mobile: '07700 900123' });
    await a.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    return consultation;
  };
  const callCount = async () => (await queryRows<{ n: number }>(a.db.database, sql`select count(*)::int as n from calls`))[0]!.n;
  const lapse = (nodeId: string) => a.db.database.db.execute(sql`update media_nodes set heartbeat_at = now() - interval '1 hour' where id = ${nodeId}`);

  it('a call opened on a web-only node is placed on the media node; with no media node free the officer gets a 503 and nothing is written', async () => {
    const consultation = await accepted();
    // Node A has not placed a call yet in this file, so it is not registered: B (web only) has nowhere to put the call.
    const before = await callCount();
    await assert.rejects(b.services.calls.lifecycle.openCall(contextFor(officer), consultation.id), (error: Error & { statusCode?: number }) => {
      assert.equal(error.statusCode, 503);
      assert.match(error.message, /No video call server is available/);
      return true;
    });
    assert.equal(await callCount(), before, 'no half-written call');
    const call = await a.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    assert.equal(call.mediaNodeId, 'node-a');
    const again = await b.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    assert.equal(again.id, call.id, 'the open call is found from any node');
  });

  it('capacity is respected: a full media node takes no more calls', async () => {
    const open = (
      await queryRows<{ n: number }>(a.db.database, sql`select count(*)::int as n from calls where state = 'open' and media_node_id = 'node-a'`)
    )[0]!.n;
    for (let i = open; i < 2; i++) await a.services.calls.lifecycle.openCall(contextFor(officer), (await accepted()).id);
    const consultation = await accepted();
    await assert.rejects(a.services.calls.lifecycle.openCall(contextFor(officer), consultation.id), { statusCode: 503 });
    for (const row of await queryRows<{ id: string }>(a.db.database, sql`select id from calls where state = 'open'`))
      await a.services.calls.lifecycle.endCall(systemContext('test', 'tidy'), row.id, 'tidy', 'ended');
  });

  it('a restart of another node leaves this node’s live call open and its recording being written (never empty)', async () => {
    const consultation = await accepted();
    const call = await a.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const participant = await a.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const file = await a.services.calls.recordings.recordingStarted(call.id, participant.id, {
      participantId: participant.id,
      role: 'officer',
      tracks: ['audio'],
    });
    fs.writeFileSync(file, Buffer.alloc(4096, 1));
    const recovered = await b.services.calls.recordings.recoverAfterRestart();
    assert.deepEqual(recovered, { repaired: 0, interrupted: 0 });
    const [recording] = await a.services.data.repos.recordings.listByCall(call.id);
    assert.equal(recording!.status, 'recording');
    assert.equal(recording!.mediaNodeId, 'node-a');
    assert.equal((await a.services.calls.lifecycle.requireCall(call.id)).state, 'open');

    // Node A stops beating: B's reaper ends the call as interrupted (once, however many reap at once) and warns,
    // and leaves the recording for A to repair when it comes back.
    await lapse('node-a');
    const ended = await Promise.all([b.services.mediaNodes.reap(hooks(b)), b.services.mediaNodes.reap(hooks(b))]);
    assert.equal(ended[0] + ended[1], 1);
    assert.equal((await a.services.calls.lifecycle.requireCall(call.id)).state, 'interrupted');
    assert.equal((await a.services.data.repos.recordings.listByCall(call.id))[0]!.status, 'recording', 'the reaper never marks a recording');
    assert.ok(warnings.some((w) => /stopped beating/.test(w)));
    assert.ok(warnings.some((w) => /media node is gone/.test(w)));
    const [node] = await queryRows<{ state: string }>(a.db.database, sql`select state from media_nodes where id = 'node-a'`);
    assert.equal(node!.state, 'gone');
  });

  it('a node late to beat whose process still accepts connections (stalled, not lost) keeps its calls until four lapses pass', async () => {
    const stalled = net.createServer();
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    try {
      const internalUrl = `http://127.0.0.1:${(stalled.address() as net.AddressInfo).port}`;
      await a.services.data.repos.mediaNodes.register({ id: 'node-d', internalUrl, roles: ['media'], capacity: 5, state: 'active' });
      const consultation = await accepted();
      const [call] = await queryRows<{ id: string }>(
        a.db.database,
        sql`insert into calls (consultation_id, state, opened_at, media_node_id) values (${consultation.id}, 'open', now(), 'node-d') returning id`,
      );
      const stateOf = async () => (await queryRows<{ state: string }>(a.db.database, sql`select state from media_nodes where id = 'node-d'`))[0]!.state;
      await a.db.database.db.execute(sql`update media_nodes set heartbeat_at = now() - interval '20 seconds' where id = 'node-d'`);
      assert.equal(await b.services.mediaNodes.reap(hooks(b)), 0);
      assert.equal(await stateOf(), 'active');
      assert.ok(warnings.some((w) => /late to beat but still accepts connections/.test(w)));
      await a.db.database.db.execute(sql`update media_nodes set heartbeat_at = now() - interval '2 minutes' where id = 'node-d'`);
      assert.equal(await b.services.mediaNodes.reap(hooks(b)), 1);
      assert.equal(await stateOf(), 'gone');
      assert.equal((await a.services.calls.lifecycle.requireCall(call!.id)).state, 'interrupted');
    } finally {
      stalled.close();
    }
  });

  it('the officer opening the call of a lost node gets a new call on a live node; the lost one is interrupted', async () => {
    const consultation = await accepted();
    const call = await a.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await lapse('node-a');
    assert.equal((await b.services.calls.lifecycle.openCall(contextFor(officer), consultation.id)).id, call.id, 'lapsed is not lost until reaped');
    // Marked gone, as a reaper does, before it got round to the node's calls.
    await a.db.database.db.execute(sql`update media_nodes set state = 'gone' where id = 'node-a'`);
    // A third node with the media role (standalone in this test) registers as it places.
    const c = await buildTestApp(kind, { database: a.db, env: { NODE_ID: 'node-c' } });
    try {
      const next = await c.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
      assert.notEqual(next.id, call.id);
      assert.equal(next.mediaNodeId, 'node-c');
      assert.equal((await a.services.calls.lifecycle.requireCall(call.id)).state, 'interrupted');
    } finally {
      await c.close();
    }
  });
});

const hooks = (t: TestApp) => ({
  endInterruptedCall: (callId: string, reason: string) =>
    t.services.calls.lifecycle.endCall(systemContext('media-nodes', 'reaper'), callId, reason, 'interrupted'),
});

it('a call-socket grant verifies only with the cluster key, unaltered and unexpired', () => {
  const key = grantKey('a'.repeat(64));
  const grant = { callId: 'c', participantId: 'p', actor: { type: 'system' as const, name: 'x' }, correlationId: 'r', expiresAt: Date.now() + 10_000 };
  const token = signGrant(key, grant);
  assert.deepEqual(verifyGrant(key, token), { ok: true, grant });
  assert.equal(verifyGrant(grantKey('b'.repeat(64)), token).ok, false);
  const [body, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...grant, participantId: 'someone-else' })).toString('base64url');
  assert.equal(verifyGrant(key, `${forged}.${signature}`).ok, false);
  assert.equal(verifyGrant(key, `${body}.${signature}`, Date.now() + 60_000).ok, false, 'expired');
});
