import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, it } from 'node:test';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { CallRooms } from '../../src/features/video/call-rooms.js';
import type { MediaEngine, MediaRoom, MediaRoomHooks } from '../../src/features/video/media/media-room.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

/** A signalling socket as CallRooms sees it: what it sends is kept, and closing it is the page going away. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  closeCode: number | undefined;
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number) {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closeCode = code;
    this.emit('close');
  }
  terminate() {
    this.close();
  }
  ping() {}
  message(value: unknown) {
    this.emit('message', Buffer.from(JSON.stringify(value)));
  }
  async next(type: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const found = this.sent.find((m) => m.type === type);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${type} message; got ${this.sent.map((m) => m.type).join(', ')}`);
  }
}

/** No media at all: records what the rooms ask of the media plane, and lets the test say when media flows. */
class FakeEngine implements MediaEngine {
  readonly name = 'fake';
  readonly hooks = new Map<string, MediaRoomHooks>();
  readonly left: string[] = [];
  /** Issue 17 §3: what the rooms asked about forwarding video to a participant, in order. */
  readonly videoTo: { participantId: string; on: boolean }[] = [];
  createRoom(callId: string, hooks: MediaRoomHooks): MediaRoom {
    this.hooks.set(callId, hooks);
    return {
      join: async () => ({ sdp: 'v=0\r\n', slots: { upstream: undefined, remotes: [] } }),
      answer: async () => undefined,
      addCandidate: async () => undefined,
      leave: async (participantId) => void this.left.push(participantId),
      receiveVideo: async (participantId, on) => void this.videoTo.push({ participantId, on }),
      close: async () => undefined,
      stats: () => ({ participants: [] }),
    };
  }
}

await describeOnDatabase('call rooms: joins, drops, grace period, quick exit and time limits', (kind) => {
  let t: TestApp;
  let engine: FakeEngine;
  let rooms: CallRooms;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind);
    officer = await createUser(t.services, 'cr-officer', ['rvr_officer']);
    handler = await createUser(t.services, 'cr-handler', ['call_handler']);
    await allowRoundTheClock(t.services);
    engine = new FakeEngine();
    rooms = new CallRooms(t.services.calls, engine, { ...t.config.call, reconnectGraceSeconds: 0.3, maxCallMinutes: 60 }, pino({ level: 'silent' }), undefined);
  });
  after(async () => {
    await rooms.shutdown();
    await t.close();
  });

  const setUp = async (on: CallRooms = rooms, victimLanguage: 'en' | 'cy' = 'en') => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const { sessionSecret } = await t.services.calls.links.redeemLink(token, undefined, 'test');
    const session = (await t.services.calls.links.resolveLinkSession(sessionSecret))!;
    await t.services.calls.consent.giveConsent(t.services.calls.links.linkContext(session, 'test'), session, { video: true, recording: true });
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const officerSocket = new FakeSocket();
    on.attach(officerSocket as unknown as WebSocket, staff, contextFor(officer));
    officerSocket.message({ type: 'join' });
    await officerSocket.next('offer');
    const victimSocket = new FakeSocket();
    const victimContext = t.services.calls.links.linkContext(session, 'test');
    on.attach(victimSocket as unknown as WebSocket, session.participant, victimContext, undefined, victimLanguage);
    victimSocket.message({ type: 'join' });
    await victimSocket.next('offer');
    return { consultation, call, officerSocket, victimSocket, staff, session, victimContext, sessionSecret };
  };

  it('first media both ways marks the call and the consultation connected', async () => {
    const { consultation, call, staff, session } = await setUp();
    const hooks = engine.hooks.get(call.id)!;
    hooks.firstMedia(staff.id, 'video');
    hooks.firstMedia(session.participant.id, 'audio');
    for (let i = 0; i < 50 && (await t.services.consultations.summary(consultation.id)).state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await t.services.consultations.summary(consultation.id)).state, 'connected');
    assert.ok((await t.services.data.repos.calls.findById(call.id))!.connectedAt);
  });

  it('a dropped victim shows as reconnecting; rejoining within the grace period keeps the call open', async () => {
    const { call, officerSocket, victimSocket, session, victimContext } = await setUp();
    victimSocket.close();
    assert.equal((await officerSocket.next('alert')).kind, 'dropped');
    const again = new FakeSocket();
    rooms.attach(again as unknown as WebSocket, session.participant, victimContext);
    again.message({ type: 'join' });
    await again.next('offer');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'open');
    const types = (await t.services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.ok(types.includes('dropped') && types.includes('rejoined'));
  });

  it('ADR 0013: a page whose socket dropped while its media flowed re-attaches to the same peer: no new offer, no media left, no alert', async () => {
    const { call, officerSocket, victimSocket, session, victimContext } = await setUp();
    engine.hooks.get(call.id)!.peerState(session.participant.id, 'connected');
    const leftBefore = engine.left.length;
    victimSocket.close();
    const again = new FakeSocket();
    rooms.attach(again as unknown as WebSocket, session.participant, victimContext);
    again.message({ type: 'reattach' });
    await again.next('reattached');
    // Longer than the re-attach window (the grace period here, 0.3 s): nothing is dropped afterwards either.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(engine.left.length, leftBefore, 'the media room kept the peer (and its recording)');
    assert.ok(!again.sent.some((m) => m.type === 'offer'), 'no new offer');
    assert.ok(!officerSocket.sent.some((m) => m.type === 'alert' && m.kind === 'dropped'), 'the officer saw no drop');
    const types = (await t.services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.ok(!types.includes('dropped'));
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'open');
  });

  it('ADR 0013: the page back through another web node before its old socket was seen to close re-attaches too', async () => {
    const { call, victimSocket, session, victimContext } = await setUp();
    engine.hooks.get(call.id)!.peerState(session.participant.id, 'connected');
    const leftBefore = engine.left.length;
    const again = new FakeSocket();
    rooms.attach(again as unknown as WebSocket, session.participant, victimContext);
    assert.equal(victimSocket.closeCode, 4001, 'the old socket is replaced');
    again.message({ type: 'reattach' });
    await again.next('reattached');
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(engine.left.length, leftBefore);
  });

  it('ADR 0013: a page that does not come back within the window is dropped as before; a re-attach after that is refused and it joins afresh', async () => {
    const { call, officerSocket, victimSocket, session, victimContext } = await setUp();
    engine.hooks.get(call.id)!.peerState(session.participant.id, 'connected');
    victimSocket.close();
    assert.equal((await officerSocket.next('alert')).kind, 'dropped');
    assert.ok(engine.left.includes(session.participant.id), 'the peer left the media room');
    const again = new FakeSocket();
    rooms.attach(again as unknown as WebSocket, session.participant, victimContext);
    again.message({ type: 'reattach' });
    await again.next('reattach_refused');
    again.message({ type: 'join' });
    await again.next('offer');
  });

  it('ADR 0013: a detached page whose media fails is dropped at once, without waiting for the window', async () => {
    // The production window (5 s, under a 60 s grace period), so "at once" is clearly before it.
    const patient = new CallRooms(
      t.services.calls,
      engine,
      { ...t.config.call, reconnectGraceSeconds: 60, maxCallMinutes: 60 },
      pino({ level: 'silent' }),
      undefined,
    );
    try {
      const { call, officerSocket, victimSocket, session } = await setUp(patient);
      const hooks = engine.hooks.get(call.id)!;
      hooks.peerState(session.participant.id, 'connected');
      victimSocket.close();
      const started = Date.now();
      hooks.peerState(session.participant.id, 'failed');
      assert.equal((await officerSocket.next('alert')).kind, 'dropped');
      assert.ok(Date.now() - started < 4000, 'before the 5 s window ended');
    } finally {
      await patient.shutdown();
    }
  });

  it('when everyone has gone past the grace period the call ends by itself, and the consultation is not left stuck (issue 18)', async () => {
    const { call, consultation, officerSocket, victimSocket } = await setUp();
    victimSocket.close();
    officerSocket.close();
    for (let i = 0; i < 100 && (await t.services.data.repos.calls.findById(call.id))!.state === 'open'; i++) await new Promise((r) => setTimeout(r, 20));
    const ended = (await t.services.data.repos.calls.findById(call.id))!;
    assert.equal(ended.state, 'ended');
    assert.equal(ended.endReason, 'Everyone left the call');
    assert.equal((await t.services.consultations.summary(consultation.id)).state, 'call_interrupted');
    assert.equal(await t.services.availability.get(officer.id), 'available');
  });

  it('issue 18: on shutdown every page is told the call was interrupted (and may rejoin) before its socket closes with 1012', async () => {
    const stopping = new CallRooms(t.services.calls, engine, { ...t.config.call, maxCallMinutes: 60 }, pino({ level: 'silent' }), undefined);
    const { consultation, call, staff, session, officerSocket, victimSocket } = await setUp(stopping);
    engine.hooks.get(call.id)!.firstMedia(staff.id, 'video');
    engine.hooks.get(call.id)!.firstMedia(session.participant.id, 'audio');
    for (let i = 0; i < 50 && (await t.services.consultations.summary(consultation.id)).state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 20));
    await stopping.shutdown();
    for (const socket of [officerSocket, victimSocket]) {
      assert.deepEqual(socket.sent.at(-1), { type: 'interrupted', reason: 'The call was interrupted.', rejoin: true });
      assert.equal(socket.closeCode, 1012);
    }
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'interrupted');
    assert.equal((await t.services.consultations.summary(consultation.id)).state, 'call_interrupted');
    assert.equal(await t.services.availability.get(officer.id), 'available');
  });

  it('RVR-11: quick exit alerts the officer at once and ends the victim’s call session', async () => {
    const { officerSocket, victimSocket, session, sessionSecret } = await setUp();
    assert.ok(await t.services.calls.links.resolveLinkSession(sessionSecret), 'the session works before the exit');
    victimSocket.message({ type: 'quick_exit' });
    assert.equal((await officerSocket.next('alert')).kind, 'quick_exit');
    assert.equal(await t.services.calls.links.resolveLinkSession(sessionSecret), undefined, 'and not after it');
    const participant = (await t.services.data.repos.calls.findParticipant(session.participant.id))!;
    assert.equal(participant.leftReason, 'quick_exit');
    assert.ok(participant.sessionExpiresAt! <= new Date());
  });

  it('issue 17 §3: audio only stops video to that page, tells the officer, and records each switch once (call event and audit); only the officer asks for a photo', async () => {
    const { call, officerSocket, victimSocket, session } = await setUp();
    victimSocket.message({ type: 'media_mode', mode: 'audio_only', cause: 'connection' });
    const told = await officerSocket.next('media_mode');
    assert.deepEqual(told, { type: 'media_mode', role: 'victim', mode: 'audio_only', cause: 'connection' });
    assert.deepEqual(engine.videoTo.at(-1), { participantId: session.participant.id, on: false });
    // Repeated after a new offer (a reconnect): the media plane hears it again, the record does not.
    victimSocket.message({ type: 'media_mode', mode: 'audio_only', cause: 'connection' });
    for (let i = 0; i < 50 && engine.videoTo.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    victimSocket.message({ type: 'media_mode', mode: 'video', cause: 'chosen' });
    for (let i = 0; i < 50 && officerSocket.sent.filter((m) => m.type === 'media_mode').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(engine.videoTo.at(-1), { participantId: session.participant.id, on: true });
    // An officer page arriving now is told nothing stale: the victim is back on video.
    const events = (await t.services.calls.record.callView(call.id)).events.filter((e) => e.type === 'media_mode');
    assert.deepEqual(
      events.map((e) => [e.role, (e.details as { mode: string; cause: string }).mode, (e.details as { cause: string }).cause]),
      [
        ['victim', 'audio_only', 'connection'],
        ['victim', 'video', 'chosen'],
      ],
    );
    const audit = await t.services.data.repos.audit.listForSubjects([`call:${call.id}`], 'call.media_mode');
    assert.deepEqual(
      audit.map((row) => (row.details as { mode: string }).mode),
      ['audio_only', 'video'],
    );

    victimSocket.message({ type: 'photo_request' });
    assert.match(String((await victimSocket.next('error')).message), /Only the officer/);
    officerSocket.message({ type: 'photo_request' });
    await victimSocket.next('photo_request');
    const types = (await t.services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.equal(types.filter((type) => type === 'photo_requested').length, 1);
  });

  it('a call that reaches its maximum length is ended for everyone', async () => {
    const short = new CallRooms(t.services.calls, engine, { ...t.config.call, maxCallMinutes: 0.005 }, pino({ level: 'silent' }), undefined);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const socket = new FakeSocket();
    short.attach(socket as unknown as WebSocket, staff, contextFor(officer));
    const ended = await socket.next('ended');
    assert.match(String(ended.reason), /maximum length/);
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'ended');
    await short.shutdown();
  });
  it('issue 17 §2: a Welsh victim is told in Welsh (a refused chat, the call interrupted), the officer in English', async () => {
    const { call, officerSocket, victimSocket } = await setUp(rooms, 'cy');
    victimSocket.message({ type: 'chat', text: 'x'.repeat(2001) });
    assert.equal((await victimSocket.next('error')).message, 'Rhaid i neges fod rhwng 1 a 2000 nod');
    officerSocket.message({ type: 'chat', text: 'x'.repeat(2001) });
    assert.equal((await officerSocket.next('error')).message, 'A chat message needs between 1 and 2000 characters');
    engine.hooks.get(call.id)!.roomLost('The media worker running this call stopped');
    assert.deepEqual(await victimSocket.next('interrupted'), { type: 'interrupted', reason: 'Torrwyd ar draws yr alwad.', rejoin: true });
    assert.deepEqual(await officerSocket.next('interrupted'), { type: 'interrupted', reason: 'The call was interrupted.', rejoin: true });
  });

  it("issue 17 §2: when the officer ends the call, the victim's page is not sent the officer's reason (its own words say the call has ended)", async () => {
    const { call, officerSocket, victimSocket } = await setUp(rooms, 'cy');
    await rooms.endCall(contextFor(officer), call.id, 'Ended by the officer: suspect returned');
    assert.equal((await victimSocket.next('ended')).reason, '');
    assert.equal((await officerSocket.next('ended')).reason, 'Ended by the officer: suspect returned');
  });

  it('a lost media room (its worker died) ends the call as interrupted and offers every page a rejoin (issue 18 §1)', async () => {
    const { call, officerSocket, victimSocket } = await setUp();
    engine.hooks.get(call.id)!.roomLost('The media worker running this call stopped');
    const told = await victimSocket.next('interrupted');
    assert.deepEqual(told, { type: 'interrupted', reason: 'The call was interrupted.', rejoin: true }, 'plain words, no internal detail');
    assert.deepEqual(await officerSocket.next('interrupted'), told);
    assert.equal(victimSocket.readyState, 3, 'the page is told, then its socket is closed');
    const row = (await t.services.data.repos.calls.findById(call.id))!;
    assert.equal(row.state, 'interrupted');
    assert.equal(
      rooms.stats().find((s) => s.callId === call.id),
      undefined,
      'the room is gone from this node',
    );
  });

  it('while draining, no new call starts here (503 with a message) but a live call may still be joined', async () => {
    const draining = new CallRooms(t.services.calls, engine, t.config.call, pino({ level: 'silent' }), undefined);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const live = new FakeSocket();
    draining.attach(live as unknown as WebSocket, staff, contextFor(officer));
    await live.next('hello');
    draining.drain();
    assert.doesNotThrow(() => draining.assertMayOpen(call.id));
    assert.throws(
      () => draining.assertMayOpen(undefined),
      (error: Error & { statusCode?: number }) => error.statusCode === 503 && /not starting new calls/.test(error.message),
    );
    const again = new FakeSocket();
    draining.attach(again as unknown as WebSocket, staff, contextFor(officer));
    await again.next('hello');

    const { consultation: other } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), other.id, 'accepted');
    const otherCall = await t.services.calls.lifecycle.openCall(contextFor(officer), other.id);
    const otherStaff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), otherCall.id, 'officer');
    const refused = new FakeSocket();
    draining.attach(refused as unknown as WebSocket, otherStaff, contextFor(officer));
    assert.match(String((await refused.next('error')).message), /not starting new calls/);
    assert.equal(refused.readyState, 3);
    assert.equal(draining.activeCallCount, 1);
    await draining.shutdown();
  });
});
