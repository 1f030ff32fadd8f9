// Synthetic call participants for bench/media-load.ts: werift peer connections (no browser) that answer the server's
// offer, send the pre-encoded VP8 + Opus loop on their upstream and receive the other side. Both participants of a
// call live in the same client process, so the time a forwarded packet took (sent here → back here through the
// server) is read on one clock: each video packet is recognised by its payload, which the server forwards unchanged.
import crypto from 'node:crypto';
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
import { mediaLoop, OPUS_PT, VP8_PT, type LoopPacket, type MediaLoop } from './media-loop.js';

export type ClientRequest =
  | { id: number; op: 'peer'; callId: string; participantId: string; role: string; sdp: string; slots: SlotMap }
  | { id: number; op: 'candidate'; participantId: string; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
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
    peer.sender = {
      transceiver: { audio, video },
      startedAt: 0,
      next: { audio: 0, video: 0 },
      loops: { audio: 0, video: 0 },
      seq: { audio: crypto.randomInt(0, 0xffff), video: crypto.randomInt(0, 0xffff) },
      videoSentAt: new Float64Array(loop.video.length),
    };
    senders.set(`${request.callId}:${request.role}`, peer.sender);
  }
  for (const remote of request.slots.remotes) {
    for (const kind of ['audio', 'video'] as const) {
      const transceiver = byMid.get(remote[kind]);
      // werift 0.25 makes the receiving track when the offer is applied; a 0.24-style release announces it later.
      const onTrack = (track: MediaStreamTrack) => {
        track.onReceiveRtp.subscribe((rtp) => {
          if (!peer.receivingKinds.has(`${remote.role}:${kind}`)) {
            peer.receivingKinds.add(`${remote.role}:${kind}`);
            send({ event: 'receiving', participantId: request.participantId });
          }
          counters.received++;
          if (kind !== 'video') return;
          const from = senders.get(`${peer.callId}:${remote.role}`);
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
  }
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected' && peer.sender && peer.sender.startedAt === 0) peer.sender.startedAt = performance.now();
  });
  await pc.setLocalDescription(await pc.createAnswer());
  return pc.localDescription!.sdp;
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
    case 'window':
      counters = { sent: 0, received: 0, delaysMs: [] };
      return undefined;
    case 'report':
      return counters;
    case 'closeAll':
      await Promise.all([...peers.values()].map((peer) => peer.pc.close().catch(() => undefined)));
      peers.clear();
      senders.clear();
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
