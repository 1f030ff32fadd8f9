import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { grantKey, signGrant } from '../../src/features/media-nodes/call-socket-grant.js';
import type { ParticipantRow } from '../../src/features/video/calls.repository.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/**
 * Issue 18 §2 (ADR 0013): a photo the victim sends, or their "Exit this page", is an HTTP request that may land on
 * a web node that does not own the call. The officer's page must still be alerted, so the web node passes the alert
 * to the owning media node with a signed, single-purpose grant.
 */
await describeOnDatabase('call alerts reach the node that owns the call (issue 18, ADR 0013)', (kind) => {
  let owner: TestApp;
  let web: TestApp;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let participant: ParticipantRow;
  let ownerUrl: string;
  const heard: { node: string; kind: string; participantId: string }[] = [];
  const listen = (t: TestApp, node: string) => {
    const rooms = t.services.callRooms;
    const upload = rooms.uploadReceived.bind(rooms);
    const quickExit = rooms.quickExit.bind(rooms);
    rooms.uploadReceived = (p) => {
      heard.push({ node, kind: 'upload', participantId: p.id });
      upload(p);
    };
    rooms.quickExit = async (context, p) => {
      heard.push({ node, kind: 'quick_exit', participantId: p.id });
      await quickExit(context, p);
    };
  };

  before(async () => {
    const port = await freePort();
    ownerUrl = `http://127.0.0.1:${port}`;
    owner = await buildTestApp(kind, { env: { NODE_ID: 'alert-owner', NODE_INTERNAL_URL: ownerUrl, CLUSTER_SECRET: 'c'.repeat(64) } });
    await owner.app.listen({ port, host: '127.0.0.1' });
    web = await buildTestApp(kind, { database: owner.db, env: { NODE_ID: 'alert-web', NODE_ROLES: 'web', CLUSTER_SECRET: 'c'.repeat(64) } });
    listen(owner, 'owner');
    listen(web, 'web');
    const handler = await createUser(owner.services, 'relay-handler', ['call_handler']);
    officer = await createUser(owner.services, 'relay-officer', ['rvr_officer']);
    await allowRoundTheClock(owner.services);
    const { consultation } = await newCall(owner.services, handler, { mobile: '07700 900456' });
    await owner.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await owner.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    assert.equal(call.mediaNodeId, 'alert-owner');
    participant = await owner.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
  });
  after(async () => {
    await web?.close();
    await owner?.close();
  });

  it('an upload alert that reached a web-only node is passed to the owning node, and only there', async () => {
    heard.length = 0;
    await web.services.callSockets.relayAlert(contextFor(officer), participant, 'upload');
    assert.deepEqual(heard, [{ node: 'owner', kind: 'upload', participantId: participant.id }]);
  });

  it('"Exit this page" that reached a web-only node is handled on the owner, which records the departure', async () => {
    heard.length = 0;
    await web.services.callSockets.relayAlert(contextFor(officer), participant, 'quick_exit');
    assert.deepEqual(heard, [{ node: 'owner', kind: 'quick_exit', participantId: participant.id }]);
    const [row] = await queryRows<{ left_at: Date | null }>(owner.db.database, sql`select left_at from call_participants where id = ${participant.id}`);
    assert.ok(row?.left_at, 'the departure is recorded');
  });

  it('on the owner itself the alert is handled locally, with no request', async () => {
    heard.length = 0;
    await owner.services.callSockets.relayAlert(contextFor(officer), participant, 'upload');
    assert.deepEqual(heard, [{ node: 'owner', kind: 'upload', participantId: participant.id }]);
  });

  it('the owner refuses a grant signed with another key, a socket grant, and one for another call (403, nothing alerted)', async () => {
    heard.length = 0;
    const base = {
      callId: participant.callId,
      participantId: participant.id,
      actor: contextFor(officer).actor,
      correlationId: 'r',
      expiresAt: Date.now() + 10_000,
    };
    const post = (grant: string) => owner.app.inject({ method: 'POST', url: '/internal/call-alert', payload: { grant } });
    const forged = await post(signGrant(grantKey('x'.repeat(64)), { ...base, purpose: 'alert', alert: 'upload' }));
    assert.equal(forged.statusCode, 403);
    const socketGrant = await post(signGrant(grantKey('c'.repeat(64)), { ...base, purpose: 'socket' }));
    assert.equal(socketGrant.statusCode, 403);
    const otherCall = await post(signGrant(grantKey('c'.repeat(64)), { ...base, callId: 'another-call', purpose: 'alert', alert: 'upload' }));
    assert.equal(otherCall.statusCode, 403);
    const missing = await owner.app.inject({ method: 'POST', url: '/internal/call-alert', payload: {} });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(heard, []);
    const good = await post(signGrant(grantKey('c'.repeat(64)), { ...base, purpose: 'alert', alert: 'upload' }));
    assert.equal(good.statusCode, 204);
    assert.equal(heard.length, 1);
  });

  it('an alert grant cannot open the call socket', async () => {
    const closed: number[] = [];
    const socket = { close: (code: number) => closed.push(code) } as unknown as Parameters<TestApp['services']['callSockets']['acceptGranted']>[0];
    const grant = signGrant(grantKey('c'.repeat(64)), {
      callId: participant.callId,
      participantId: participant.id,
      actor: contextFor(officer).actor,
      correlationId: 'r',
      expiresAt: Date.now() + 10_000,
      purpose: 'alert',
      alert: 'upload',
    });
    await owner.services.callSockets.acceptGranted(socket, grant);
    assert.deepEqual(closed, [4003]);
  });

  it('when the owner cannot be reached, the event is still handled on the web node, as before the relay', async () => {
    heard.length = 0;
    await owner.db.database.db.execute(sql`update media_nodes set internal_url = 'http://127.0.0.1:9' where id = 'alert-owner'`);
    try {
      await web.services.callSockets.relayAlert(contextFor(officer), participant, 'upload');
      assert.deepEqual(heard, [{ node: 'web', kind: 'upload', participantId: participant.id }]);
    } finally {
      await owner.db.database.db.execute(sql`update media_nodes set internal_url = ${ownerUrl} where id = 'alert-owner'`);
    }
  });
});
