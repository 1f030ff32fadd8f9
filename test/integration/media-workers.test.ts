import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { CallRooms } from '../../src/features/video/call-rooms.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { MediaRole, MediaRoom, MediaRoomHooks, RecordingResult, SlotMap } from '../../src/features/video/media/media-room.js';
import { WorkerMediaEngine } from '../../src/features/video/media/worker-media-engine.js';
import { measuredDurationSeconds, remuxWebm } from '../../src/platform/media/ffmpeg.js';

/**
 * ADR 0012 / issue 18 §1: rooms in media worker processes. Two calls on two workers; one worker is killed with
 * SIGKILL: only its call is lost (its recording reported unfinished and repairable, then roomLost), the other call's
 * media keeps flowing, and the worker is started again for new calls. Synthetic werift participants, no browser.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-media-workers-'));
const log = pino({ level: 'silent' });
const codecs = {
  audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
  video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })],
};

const calls: Call[] = [];

interface Signalling {
  offer(): Promise<{ sdp: string; slots: SlotMap }>;
  answer(sdp: string): Promise<void>;
  candidate(candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void>;
}

class Call {
  readonly finished: RecordingResult[] = [];
  readonly lost: string[] = [];
  readonly clients = new Map<string, RTCPeerConnection>();
  received = 0;
  room!: MediaRoom;
  private sender: NodeJS.Timeout | undefined;
  constructor(readonly callId: string) {
    calls.push(this);
  }

  hooks(): MediaRoomHooks {
    return {
      candidate: (participantId, candidate) =>
        void this.clients
          .get(participantId)
          ?.addIceCandidate(candidate)
          .catch(() => undefined),
      peerState: () => undefined,
      firstMedia: () => undefined,
      recordingPath: async (start) => path.join(dir, `${this.callId}-${start.role}.webm`),
      recordingFinished: async (result) => void this.finished.push(result),
      roomLost: (reason) => void this.lost.push(reason),
    };
  }

  async join(participantId: string, role: MediaRole): Promise<void> {
    await this.page(participantId, role, {
      offer: () => this.room.join(participantId, role),
      answer: (sdp) => this.room.answer(participantId, sdp),
      candidate: (candidate) => this.room.addCandidate(participantId, candidate),
    });
  }

  /** A page: answers the server's offer, sending audio only when it is the officer; the others count what arrives. */
  async page(participantId: string, role: MediaRole, signalling: Signalling): Promise<void> {
    const pc = new RTCPeerConnection({ codecs, bundlePolicy: 'max-bundle' });
    this.clients.set(participantId, pc);
    if (role !== 'officer') pc.onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe(() => this.received++));
    const { sdp, slots } = await signalling.offer();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    let track: MediaStreamTrack | undefined;
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.mid === slots.upstream?.audio && role === 'officer') {
        transceiver.setDirection('sendonly');
        track = new MediaStreamTrack({ kind: 'audio' });
        await transceiver.sender.replaceTrack(track);
      } else if (transceiver.mid === slots.upstream?.audio || transceiver.mid === slots.upstream?.video) {
        transceiver.setDirection('inactive');
      } else {
        transceiver.setDirection('recvonly');
      }
    }
    pc.onIceCandidate.subscribe((candidate) => {
      if (candidate?.candidate) void signalling.candidate(candidate).catch(() => undefined);
    });
    await pc.setLocalDescription(await pc.createAnswer());
    await signalling.answer(pc.localDescription!.sdp);
    await until(() => pc.connectionState === 'connected', `${this.callId} ${role} connected`);
    if (track) {
      let seq = 0;
      const sending = track;
      // 20 ms Opus-sized packets; the muxer does not decode them, so any payload records.
      this.sender = setInterval(() => {
        seq = (seq + 1) & 0xffff;
        const header = new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: (seq * 960) >>> 0, ssrc: 0x1234, marker: true });
        sending.writeRtp(new RtpPacket(header, Buffer.alloc(60, 0xfc)));
      }, 20);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sender);
    for (const pc of this.clients.values()) await pc.close().catch(() => undefined);
  }
}

async function untilAsync(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function until(check: () => boolean, what: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let engine: WorkerMediaEngine;
const settings = { iceServers: [], icePortRange: undefined, maxVideoBitrate: 1_000_000 };
before(async () => {
  engine = new WorkerMediaEngine(settings, log, { workers: 2, logLevel: 'silent', logFormat: 'json' });
  await engine.start();
});
after(async () => {
  await Promise.all(calls.map((call) => call.stop()));
  await engine.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('runs each call in its own worker process; a worker killed with SIGKILL loses only its call, which is repaired and reported, and comes back', async () => {
  const [first, second] = engine.workers();
  assert.ok(first?.up && second?.up, 'both workers are up after start');
  assert.notEqual(first.pid, second.pid);
  assert.ok(first.pid !== process.pid && second.pid !== process.pid, 'the rooms run outside this process');

  const a = new Call('call-a');
  const b = new Call('call-b');
  a.room = engine.createRoom(a.callId, a.hooks());
  b.room = engine.createRoom(b.callId, b.hooks());
  assert.deepEqual(
    engine.workers().map((w) => w.rooms),
    [1, 1],
    'the second call goes to the least-loaded worker',
  );
  for (const call of [a, b]) {
    await call.join(`${call.callId}-officer`, 'officer');
    await call.join(`${call.callId}-victim`, 'victim');
  }
  // Media flows both ways round the server, and each recorder flushes its first second to disk.
  await until(
    () => a.received > 50 && b.received > 50,
    () => `forwarded media in both calls (${a.received}, ${b.received}, ${JSON.stringify(a.room.stats())})`,
  );
  await until(() => (fs.statSync(path.join(dir, 'call-a-officer.webm'), { throwIfNoEntry: false })?.size ?? 0) > 200, 'call A recording on disk');
  await until(() => (engine.workers()[0]?.rooms ?? 0) === 1 && a.room.stats().participants.length === 2, 'stats from the worker');

  const killedPid = engine.workers()[0]!.pid!;
  const killedAt = Date.now();
  process.kill(killedPid, 'SIGKILL');
  await until(() => a.lost.length === 1, 'call A lost', 5000);
  assert.ok(Date.now() - killedAt < 5000, 'the control process notices within 5 s');

  // Call A's open segment was reported unfinished (to be repaired with ffmpeg -c copy) before the call was told.
  assert.equal(a.finished.length, 1);
  const segment = a.finished[0]!;
  assert.equal(segment.role, 'officer');
  assert.equal(segment.finalisedByRecorder, false);
  assert.ok(segment.packets > 0);
  assert.match(segment.error ?? '', /media worker/);
  const repaired = path.join(dir, 'call-a-officer.repaired.webm');
  await remuxWebm(segment.path, repaired);
  const measured = await measuredDurationSeconds(repaired);
  assert.ok((measured.durationSeconds ?? 0) > 0.5, `the repaired recording holds the media written before the crash (${measured.durationSeconds} s)`);
  await assert.rejects(a.room.join('late', 'victim'), /media worker/, 'a lost room refuses further use');
  await a.room.close(); // closing it (an officer ending the call just then) succeeds without reporting the segment twice
  assert.equal(a.finished.length, 1);

  // Call B, on the other worker, carries on.
  assert.deepEqual(b.lost, []);
  const before = b.received;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.ok(b.received - before > 20, `call B's media keeps flowing (${b.received - before} packets in 1 s)`);

  // The killed worker is started again and takes new calls.
  await until(() => engine.workers()[0]?.up === true, 'worker 0 restarted', 60_000);
  const restarted = engine.workers()[0]!;
  assert.equal(restarted.restarts, 1);
  assert.notEqual(restarted.pid, killedPid);
  const c = new Call('call-c');
  c.room = engine.createRoom(c.callId, c.hooks());
  assert.equal(engine.workers()[0]!.rooms, 1, 'the new call goes to the restarted, empty worker');
  const offer = await c.room.join('call-c-officer', 'officer');
  assert.match(offer.sdp, /^v=0/);

  // Closing finishes B's recording cleanly in its worker and registers it here.
  await b.room.close();
  await c.room.close();
  assert.equal(b.finished.length, 1);
  assert.equal(b.finished[0]!.finalisedByRecorder, true);
  assert.equal(b.finished[0]!.firstPacketAt instanceof Date, true, 'dates cross the IPC channel as dates');
  assert.deepEqual(
    engine.workers().map((w) => w.rooms),
    [0, 0],
  );
});

/** A page's signalling socket as CallRooms sees it; what the server sends is kept and ICE candidates go to the page. */
class PageSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  onServer: ((message: Record<string, unknown>) => void) | undefined;
  send(data: string) {
    const message = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(message);
    this.onServer?.(message);
  }
  close() {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.emit('close');
  }
  terminate() {
    this.close();
  }
  ping() {}
  message(value: unknown) {
    this.emit('message', Buffer.from(JSON.stringify(value)));
  }
  async next(type: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await until(
      () => (found = this.sent.find((m) => m.type === type)) !== undefined,
      () => `a "${type}" message; got ${this.sent.map((m) => m.type).join(', ')}`,
      timeoutMs,
    );
    return found!;
  }
  signalling(call: Call, participantId: string): Signalling {
    this.onServer = (message) => {
      if (message.type === 'candidate')
        void call.clients
          .get(participantId)
          ?.addIceCandidate(message.candidate as { candidate: string })
          .catch(() => undefined);
    };
    return {
      offer: async () => {
        this.message({ type: 'join' });
        const offer = await this.next('offer');
        return { sdp: offer.sdp as string, slots: offer.slots as SlotMap };
      },
      answer: async (sdp) => this.message({ type: 'answer', sdp }),
      candidate: async (candidate) => this.message({ type: 'candidate', candidate }),
    };
  }
}

await describeOnDatabase('a media worker killed mid-call, through CallRooms and the database (issue 18 §1)', (kind) => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(kind);
    await allowRoundTheClock(t.services);
  });
  after(async () => {
    await t.close();
  });

  it('the call is closed as interrupted, both pages are told within 5 s, and the recording is repaired, hashed and registered as evidence', async () => {
    const officer = await createUser(t.services, 'mw-officer', ['rvr_officer']);
    const handler = await createUser(t.services, 'mw-handler', ['call_handler']);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const record = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.links.sendInvite(contextFor(officer), record.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const { sessionSecret } = await t.services.calls.links.redeemLink(token, undefined, 'test');
    const session = (await t.services.calls.links.resolveLinkSession(sessionSecret))!;
    const victimContext = t.services.calls.links.linkContext(session, 'test');
    await t.services.calls.consent.giveConsent(victimContext, session, { video: true, recording: true });
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), record.id, 'officer');

    const rooms = new CallRooms(t.services.calls, engine, t.config.call, log, undefined);
    const call = new Call(record.id);
    const officerSocket = new PageSocket();
    rooms.attach(officerSocket as unknown as WebSocket, staff, contextFor(officer));
    await call.page(staff.id, 'officer', officerSocket.signalling(call, staff.id));
    const victimSocket = new PageSocket();
    rooms.attach(victimSocket as unknown as WebSocket, session.participant, victimContext);
    await call.page(session.participant.id, 'victim', victimSocket.signalling(call, session.participant.id));
    await until(() => call.received > 50, 'the officer’s audio reaching the victim');
    const [segment] = await t.services.data.repos.recordings.listByCall(record.id);
    assert.ok(segment, 'the officer’s segment is on record before media is written');
    // Written in the node's scratch folder while recording; the master goes to the store (local driver: mediaRoot) once repaired (ADR 0014).
    const file = path.join(t.services.mediaRoot, segment.fileKey);
    await untilAsync(async () => (await t.services.scratch.sizeOf(segment.fileKey)) > 200, 'the recording in the scratch folder');

    const worker = engine.workers().find((w) => w.rooms === 1)!;
    const killedAt = Date.now();
    process.kill(worker.pid!, 'SIGKILL');
    const told = await victimSocket.next('interrupted', 5000);
    assert.deepEqual(told, { type: 'interrupted', reason: 'The call was interrupted.', rejoin: true });
    assert.deepEqual(await officerSocket.next('interrupted', 5000), told);
    assert.ok(Date.now() - killedAt < 5000, 'both pages told within 5 s');

    assert.equal((await t.services.data.repos.calls.findById(record.id))!.state, 'interrupted');
    // The pages are told first; the segment is repaired, hashed and stored after.
    await untilAsync(async () => (await t.services.data.repos.recordings.findById(segment.id))!.status !== 'recording', 'the segment finished');
    const repaired = (await t.services.data.repos.recordings.findById(segment.id))!;
    assert.equal(repaired.status, 'repaired');
    assert.equal(repaired.sha256, (await sha256File(file)).sha256, 'the hash is of the repaired file as it lies on disk');
    assert.ok(fs.existsSync(file.replace(/\.webm$/, '.unfinished.webm')), 'the raw file is kept beside it');
    assert.ok(((await measuredDurationSeconds(file)).durationSeconds ?? 0) > 0.5, 'the repaired file plays');
    const unregistered = await t.services.data.repos.recordings.listFinishedWithoutEvidence();
    assert.ok(!unregistered.some((item) => item.row.id === segment.id), 'registered as an evidence item');
    await rooms.shutdown();
  });
  it('/health/ready reports the media workers, fails while none is up or the node drains, and /metrics counts restarts', async () => {
    const own = t.services.mediaEngine;
    assert.deepEqual(own.workers?.(), [], 'workers start on first use or with the runtime, not with every test app');
    await own.start!();
    const count = own.workers().length;
    const ready = await t.app.inject('/health/ready');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.mediaWorkers, `${count} of ${count} up`);
    for (const worker of own.workers()) process.kill(worker.pid!, 'SIGKILL');
    await until(() => own.workers!().every((w) => !w.up && w.restarts === 1), 'the workers seen down');
    const down = await t.app.inject('/health/ready');
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().checks.mediaWorkers, `0 of ${count} up`);
    await until(() => own.workers!().every((w) => w.up), 'the workers back', 60_000);
    assert.equal((await t.app.inject('/health/ready')).statusCode, 200);
    const metrics = await t.app.inject('/metrics');
    assert.match(metrics.body, /rvr_media_worker_restarts\{worker="0"\} 1/);
    assert.match(metrics.body, /rvr_media_worker_up\{worker="0"\} 1/);
    t.services.callRooms.drain();
    const draining = await t.app.inject('/health/ready');
    assert.equal(draining.statusCode, 503);
    assert.match(draining.json<{ checks: { calls: string } }>().checks.calls, /draining/);
  });
});
