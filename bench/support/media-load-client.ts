// Synthetic call participants for bench/media-load.ts: werift peer connections (no browser) that answer the server's
// offer, send the pre-encoded VP8 + Opus loop on their upstream and receive the other side. Both participants of a
// call live in the same client process, so the time a forwarded packet took (sent here → back here through the
// server) is read on one clock: each video packet is recognised by its payload, which the server forwards unchanged.
import crypto from 'node:crypto';
import * as werift from 'werift';
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useAbsSendTime,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
  type MediaStreamTrack,
  type RTCRtpTransceiver,
} from 'werift';
import type { SlotMap } from '../../src/features/video/media/media-room.js';
import { installSrtpKeyObjects, weriftVersion } from '../../src/features/video/media/srtp-key-objects.js';
import { JanusSession, type Jsep } from './janus-session.js';
import { mediaLoop, OPUS_PT, VP8_PT, type LoopPacket, type MediaLoop } from './media-loop.js';

// The load generator encrypts and decrypts as much as the server: the same SRTP work-around (trap 5) keeps it cheaper,
// so it takes less of the cores it shares with the server being measured.
installSrtpKeyObjects(werift, weriftVersion('werift'));

export type ClientRequest =
  | { id: number; op: 'peer'; callId: string; participantId: string; role: string; sdp: string; slots: SlotMap }
  | { id: number; op: 'candidate'; participantId: string; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
  | { id: number; op: 'janusCall'; callId: string; baseUrl: string; recDir: string }
  | { id: number; op: 'window' }
  | { id: number; op: 'report' }
  | { id: number; op: 'closeAll' };

export type ClientEvent =
  | { event: 'reply'; id: number; result?: unknown; error?: string }
  | { event: 'candidate'; participantId: string; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
  | { event: 'receiving'; participantId: string }
  | { event: 'ready' };

export interface ClientReport {
  sent: number;
  received: number;
  /** Milliseconds from a video packet's send here to its arrival back here through the server. */
  delaysMs: number[];
}

interface Sender {
  transceiver: { audio: RTCRtpTransceiver; video: RTCRtpTransceiver };
  startedAt: number;
  next: { audio: number; video: number };
  loops: { audio: number; video: number };
  seq: { audio: number; video: number };
  /** When each video packet of the loop was last sent (performance.now()), by its index in the loop. */
  videoSentAt: Float64Array;
}

interface Peer {
  pc: RTCPeerConnection;
  callId: string;
  role: string;
  sender: Sender | undefined;
  receivingKinds: Set<string>;
}

const send = (message: ClientEvent) => process.send!(message);
const peers = new Map<string, Peer>();
/** Senders by "callId:role", for the receiver of the same call to look up when a packet was sent. */
const senders = new Map<string, Sender>();
const payloadKey = (payload: Buffer) => crypto.createHash('md5').update(payload).digest('base64');
const loop: MediaLoop = await mediaLoop();
const videoIndexByPayload = new Map(loop.video.map((packet, index) => [payloadKey(packet.rtp.subarray(12)), index]));
let counters: ClientReport = { sent: 0, received: 0, delaysMs: [] };

/** Janus calls made here: their sessions, destroyed (with the room, which closes the recordings) by closeAll. */
const janusCalls: { room: string; owner: { session: JanusSession; handle: number }; sessions: JanusSession[] }[] = [];

function codecs() {
  return {
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PT })],
    video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: VP8_PT, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
  };
}

async function addPeer(request: Extract<ClientRequest, { op: 'peer' }>): Promise<string> {
  const pc = new RTCPeerConnection({
    codecs: codecs(),
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useAbsSendTime()] },
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
  });
  const peer: Peer = { pc, callId: request.callId, role: request.role, sender: undefined, receivingKinds: new Set() };
  peers.set(request.participantId, peer);
  pc.onIceCandidate.subscribe((candidate) => {
    if (candidate?.candidate)
      send({
        event: 'candidate',
        participantId: request.participantId,
        candidate: { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex },
      });
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: request.sdp });
  const byMid = new Map(pc.getTransceivers().map((t) => [t.mid, t]));
  const upstream = request.slots.upstream;
  if (upstream) {
    const audio = byMid.get(upstream.audio)!;
    const video = byMid.get(upstream.video)!;
    audio.setDirection('sendonly');
    video.setDirection('sendonly');
    peer.sender = makeSender(request.callId, request.role, audio, video);
  }
  for (const remote of request.slots.remotes) {
    for (const kind of ['audio', 'video'] as const) watchReceived(peer, request.participantId, remote.role, kind, byMid.get(remote[kind]));
  }
  startWhenConnected(peer);
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription!.sdp;
}

function makeSender(callId: string, role: string, audio: RTCRtpTransceiver, video: RTCRtpTransceiver): Sender {
  const sender: Sender = {
    transceiver: { audio, video },
    startedAt: 0,
    next: { audio: 0, video: 0 },
    loops: { audio: 0, video: 0 },
    seq: { audio: crypto.randomInt(0, 0xffff), video: crypto.randomInt(0, 0xffff) },
    videoSentAt: new Float64Array(loop.video.length),
  };
  senders.set(`${callId}:${role}`, sender);
  return sender;
}

function connected(pc: RTCPeerConnection, timeoutMs = 30_000): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a peer connection stayed ${pc.connectionState} for ${timeoutMs} ms`)), timeoutMs);
    const { unSubscribe } = pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        clearTimeout(timer);
        unSubscribe();
        resolve();
      }
    });
  });
}

/** The loop starts on a peer's upstream once its connection is up. */
function startWhenConnected(peer: Peer): void {
  peer.pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected' && peer.sender && peer.sender.startedAt === 0) peer.sender.startedAt = performance.now();
  });
}

/** Counts what arrives from the other participant (remoteRole) on a receiving transceiver and times video packets. */
function watchReceived(peer: Peer, participantId: string, remoteRole: string, kind: 'audio' | 'video', transceiver: RTCRtpTransceiver | undefined): void {
  // werift 0.25 makes the receiving track when the offer is applied; a 0.24-style release announces it later.
  const onTrack = (track: MediaStreamTrack) => {
    track.onReceiveRtp.subscribe((rtp) => {
      if (!peer.receivingKinds.has(`${remoteRole}:${kind}`)) {
        peer.receivingKinds.add(`${remoteRole}:${kind}`);
        send({ event: 'receiving', participantId });
      }
      counters.received++;
      if (kind !== 'video') return;
      const from = senders.get(`${peer.callId}:${remoteRole}`);
      const index = videoIndexByPayload.get(payloadKey(rtp.payload));
      if (!from || index === undefined) return;
      const delay = performance.now() - from.videoSentAt[index]!;
      if (delay >= 0 && delay < loop.durationMs / 2) counters.delaysMs.push(delay);
    });
  };
  const existing = (transceiver?.receiver as { track?: MediaStreamTrack } | undefined)?.track;
  if (existing) onTrack(existing);
  else transceiver?.onTrack.subscribe(onTrack);
}

function newPeerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: codecs(),
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useAbsSendTime()] },
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
  });
}

/** The local description once ICE gathering is complete: Janus then needs no trickled candidates from us. */
async function gatheredDescription(pc: RTCPeerConnection, description: ReturnType<RTCPeerConnection['createOffer']>): Promise<Jsep> {
  await pc.setLocalDescription(await description);
  if (pc.iceGatheringState !== 'complete')
    await new Promise<void>((resolve) => {
      const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') {
          unSubscribe();
          resolve();
        }
      });
    });
  return { type: pc.localDescription!.type as 'offer' | 'answer', sdp: pc.localDescription!.sdp };
}

/**
 * One recorded 1:1 call through Janus's videoroom: a room with recording on, then per participant a session with a
 * publisher handle that offers the loop (sendonly) and a subscriber handle to the other's feed that answers Janus's
 * offer (recvonly). Both participants live here, as in the werift mode, so forwarding delay is read on one clock.
 */
async function janusCall(request: Extract<ClientRequest, { op: 'janusCall' }>): Promise<void> {
  const room = request.callId;
  const roles = ['officer', 'victim'] as const;
  const parts = await Promise.all(
    roles.map(async (role) => {
      const session = new JanusSession(request.baseUrl);
      await session.create();
      return { role, participantId: `${request.callId}-${role}`, session, publisher: await session.attach() };
    }),
  );
  const owner = { session: parts[0]!.session, handle: parts[0]!.publisher };
  janusCalls.push({ room, owner, sessions: parts.map((p) => p.session) });
  await owner.session.message(owner.handle, {
    request: 'create',
    room,
    publishers: 2,
    audiocodec: 'opus',
    videocodec: 'vp8',
    record: true,
    rec_dir: request.recDir,
  });
  await Promise.all(
    parts.map(async (part) => {
      const pc = newPeerConnection();
      const peer: Peer = { pc, callId: request.callId, role: part.role, sender: undefined, receivingKinds: new Set() };
      peers.set(part.participantId, peer);
      const audio = pc.addTransceiver('audio', { direction: 'sendonly' });
      const video = pc.addTransceiver('video', { direction: 'sendonly' });
      peer.sender = makeSender(request.callId, part.role, audio, video);
      startWhenConnected(peer);
      const offer = await gatheredDescription(pc, pc.createOffer());
      await part.session.message(part.publisher, { request: 'join', ptype: 'publisher', room, id: part.participantId, display: part.role });
      const published = await part.session.message(part.publisher, { request: 'publish', audio: true, video: true, filename: part.participantId }, offer);
      if (!published.jsep) throw new Error('janus: no answer to the publisher offer');
      await pc.setRemoteDescription(published.jsep);
      // Janus offers a publisher's feed to subscribers only once its WebRTC connection is up.
      await connected(pc);
    }),
  );
  await Promise.all(
    parts.map(async (part) => {
      const other = parts.find((p) => p !== part)!;
      const handle = await part.session.attach();
      const attached = await part.session.message(handle, { request: 'join', ptype: 'subscriber', room, streams: [{ feed: other.participantId }] });
      if (!attached.jsep) throw new Error('janus: no offer for the subscriber');
      const pc = newPeerConnection();
      const peer: Peer = { pc, callId: request.callId, role: part.role, sender: undefined, receivingKinds: new Set() };
      peers.set(`${part.participantId}/subscriber`, peer);
      await pc.setRemoteDescription(attached.jsep);
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.kind === 'audio' || transceiver.kind === 'video') watchReceived(peer, part.participantId, other.role, transceiver.kind, transceiver);
      }
      const answer = await gatheredDescription(pc, pc.createAnswer());
      await part.session.message(handle, { request: 'start' }, answer);
    }),
  );
}

/** The loop's packets rewritten to continue one stream: sequence numbers and RTP timestamps run on across loops. */
function sendDue(sender: Sender, kind: 'audio' | 'video', packets: LoopPacket[], clockRate: number, now: number): void {
  for (;;) {
    const packet = packets[sender.next[kind]]!;
    const dueAt = sender.startedAt + sender.loops[kind] * loop.durationMs + packet.atMs;
    if (dueAt > now) return;
    const rtp = Buffer.from(packet.rtp);
    rtp.writeUInt16BE(sender.seq[kind], 2);
    sender.seq[kind] = (sender.seq[kind] + 1) & 0xffff;
    const timestamp = (rtp.readUInt32BE(4) + Math.round((sender.loops[kind] * loop.durationMs * clockRate) / 1000)) >>> 0;
    rtp.writeUInt32BE(timestamp, 4);
    if (kind === 'video') sender.videoSentAt[sender.next[kind]] = performance.now();
    sender.transceiver[kind].sender.sendRtp(rtp).catch(() => undefined);
    counters.sent++;
    sender.next[kind]++;
    if (sender.next[kind] >= packets.length) {
      sender.next[kind] = 0;
      sender.loops[kind]++;
    }
  }
}

function pump(): void {
  const now = performance.now();
  for (const peer of peers.values()) {
    const sender = peer.sender;
    if (!sender || sender.startedAt === 0) continue;
    sendDue(sender, 'video', loop.video, 90000, now);
    sendDue(sender, 'audio', loop.audio, 48000, now);
  }
}

async function handle(request: ClientRequest): Promise<unknown> {
  switch (request.op) {
    case 'peer':
      return addPeer(request);
    case 'candidate':
      return peers.get(request.participantId)?.pc.addIceCandidate(request.candidate);
    case 'janusCall':
      return janusCall(request);
    case 'window':
      counters = { sent: 0, received: 0, delaysMs: [] };
      return undefined;
    case 'report':
      return counters;
    case 'closeAll':
      await Promise.all([...peers.values()].map((peer) => peer.pc.close().catch(() => undefined)));
      peers.clear();
      senders.clear();
      // Destroying the room ends its publishers' recordings (the .mjr files are closed); then the sessions go.
      await Promise.all(
        janusCalls.splice(0).map(async (call) => {
          await call.owner.session.message(call.owner.handle, { request: 'destroy', room: call.room }).catch(() => undefined);
          await Promise.all(call.sessions.map((session) => session.destroy()));
        }),
      );
      return undefined;
  }
}

setInterval(pump, 5);
process.on('message', (request: ClientRequest) => {
  handle(request).then(
    (result) => send({ event: 'reply', id: request.id, result }),
    (error: unknown) => send({ event: 'reply', id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ event: 'ready' });
