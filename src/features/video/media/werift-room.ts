import * as installedWebrtc from 'werift';
import * as installedProcessors from 'werift/nonstandard';
import type { MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { Logger } from 'pino';
import {
  SENDING_ROLES,
  type MediaEngine,
  type MediaRole,
  type MediaRoom,
  type MediaRoomHooks,
  type MediaSettings,
  type PeerState,
  type RoomStats,
  type SendingRole,
  type SlotMap,
} from './media-room.js';
import { FLOOR_BPS, nextEstimate, senderTarget, sequenceSpan, START_BPS, type VideoRateLimits } from '../../../domain/video-rate-estimate.js';
import { installSrtpKeyObjects, weriftVersion } from './srtp-key-objects.js';
import { WebmTrackRecorder, type RecordedTrack, type WeriftProcessors } from './webm-track-recorder.js';

/**
 * The werift release a room is built from: the installed one in the product. The call-setup bench passes
 * an older release (an aliased dev dependency) to measure both side by side in one run.
 */
export interface WeriftRelease {
  webrtc: typeof installedWebrtc;
  processors: WeriftProcessors;
  version: string;
  /** Trap 5 work-around (srtp-key-objects.ts): on unless a bench turns it off to measure werift without it. */
  srtpKeyObjects?: boolean;
}
export const INSTALLED_WERIFT: WeriftRelease = { webrtc: installedWebrtc, processors: installedProcessors, version: weriftVersion('werift') };

const OPUS_PT = 111;
const VP8_PT = 96;
const REMB_INTERVAL_MS = 1000;
/**
 * Keyframes asked for again after a connection comes up: the first request can be lost before DTLS is ready (trap 3),
 * and on a busy machine the early ones can all be lost (seen with a late-joining observer). Still needed on werift
 * 0.25.2: its `pendingRtp` option only queues what we forward before the receiver's DTLS is up (≤ 256 packets, oldest
 * dropped first), so it cannot give a late joiner a keyframe from a stream that is already running (ADR 0004).
 */
const KEYFRAME_RETRY_MS = [300, 1000, 2500, 5000, 10_000];

/**
 * The same payload list on every connection, so payload types forward unchanged. No transport-cc (trap 1,
 * still needed on werift 0.25.2: its TWCC feedback code is unchanged from 0.24.4), REMB instead.
 */
/**
 * The offer as the page receives it, naming the server the DTLS client (`a=setup:active`, so the page answers
 * `passive`; werift takes the client's part from that answer). As a DTLS server werift always answers the first
 * ClientHello with a HelloVerifyRequest, one more round trip before any media: 0.3 s at a 3G-like 300 ms RTT, about a
 * third of the handshake (issue 17 §3, ADR 0004 "Joining on a poor connection"). Browsers take an offer that is not
 * `actpass` (RFC 8842 asks offerers for `actpass`; the server and the page are one product, and both roles work).
 */
export function asDtlsClientOffer(sdp: string): string {
  return sdp.replaceAll('a=setup:actpass', 'a=setup:active');
}

function codecs({ RTCRtpCodecParameters, useNACK, usePLI, useREMB }: WeriftRelease['webrtc']) {
  return {
    audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PT })],
    video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: VP8_PT, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
  };
}

interface UpstreamTrack {
  track: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
}

/**
 * One link a sender's video crosses, and what it is estimated to carry (issue 17 §3, src/domain/video-rate-estimate.ts):
 * counts since the last estimate, the estimate in bit/s.
 */
interface VideoLink {
  estimateBps: number;
  bytes: number;
  /** Uplink: packets received and the highest sequence number seen (the count expected comes from its advance). */
  packets: number;
  highestSeq: number | undefined;
  highestSeqAtUpdate: number | undefined;
  /** Downlink: the receiver's latest report of the share lost, and when it came. */
  reportedLoss: number | undefined;
  reportedAt: number;
  updatedAt: number;
}

const newVideoLink = (): VideoLink => ({
  estimateBps: START_BPS,
  bytes: 0,
  packets: 0,
  highestSeq: undefined,
  highestSeqAtUpdate: undefined,
  reportedLoss: undefined,
  reportedAt: 0,
  updatedAt: Date.now(),
});

interface Peer {
  id: string;
  role: MediaRole;
  pc: RTCPeerConnection;
  state: PeerState;
  upstream: { audio: RTCRtpTransceiver; video: RTCRtpTransceiver } | undefined;
  /** Per sending role, the transceivers that carry that role's media to this participant. */
  downstream: Map<SendingRole, { audio: RTCRtpTransceiver; video: RTCRtpTransceiver }>;
  tracks: { audio?: UpstreamTrack; video?: UpstreamTrack };
  recorder: WebmTrackRecorder | undefined;
  recordedKinds: ('audio' | 'video')[];
  recordingStarting: Promise<void> | undefined;
  /** Downstream senders that have not yet been realigned to this peer's current upstream stream. */
  realign: Set<string>;
  timers: NodeJS.Timeout[];
  packetsIn: number;
  bytesIn: number;
  packetsForwarded: number;
  closed: boolean;
  /** Issue 17 §3: this participant is sent no video (audio only, chosen or because their connection cannot carry it). */
  videoPaused: boolean;
  /** Issue 17 §3: the link this participant's video comes up, and per sending role the link it goes down to them. */
  uplinkVideo: VideoLink;
  downlinkVideo: Map<SendingRole, VideoLink>;
}

class WeriftMediaRoom implements MediaRoom {
  private readonly peers = new Map<string, Peer>();
  private readonly lastForwardAt = new WeakMap<RTCRtpSender, number>();

  constructor(
    private readonly callId: string,
    private readonly settings: MediaSettings,
    private readonly hooks: MediaRoomHooks,
    private readonly log: Logger,
    private readonly werift: WeriftRelease,
  ) {}

  async join(participantId: string, role: MediaRole): Promise<{ sdp: string; slots: SlotMap }> {
    if (this.peers.has(participantId)) await this.leave(participantId);
    // A sending role has one live connection: a rejoin replaces the old one, whose segment ends.
    if (role !== 'observer') {
      for (const peer of [...this.peers.values()]) if (peer.role === role) await this.leave(peer.id);
    }
    const { RTCPeerConnection, useAbsSendTime, useSdesMid } = this.werift.webrtc;
    const pc = new RTCPeerConnection({
      codecs: codecs(this.werift.webrtc),
      headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useAbsSendTime()] },
      iceServers: this.settings.iceServers,
      icePortRange: this.settings.icePortRange,
      bundlePolicy: 'max-bundle',
      iceUseIpv6: false,
    });
    const upstream =
      role === 'observer'
        ? undefined
        : { audio: pc.addTransceiver('audio', { direction: 'recvonly' }), video: pc.addTransceiver('video', { direction: 'recvonly' }) };
    const downstream = new Map<SendingRole, { audio: RTCRtpTransceiver; video: RTCRtpTransceiver }>();
    for (const other of SENDING_ROLES) {
      if (other === role) continue;
      downstream.set(other, { audio: pc.addTransceiver('audio', { direction: 'sendonly' }), video: pc.addTransceiver('video', { direction: 'sendonly' }) });
    }
    const peer: Peer = {
      id: participantId,
      role,
      pc,
      state: 'connecting',
      upstream,
      downstream,
      tracks: {},
      recorder: undefined,
      recordedKinds: [],
      recordingStarting: undefined,
      realign: new Set(),
      timers: [],
      packetsIn: 0,
      bytesIn: 0,
      packetsForwarded: 0,
      closed: false,
      videoPaused: false,
      uplinkVideo: newVideoLink(),
      downlinkVideo: new Map([...downstream.keys()].map((fromRole) => [fromRole, newVideoLink()])),
    };
    this.peers.set(participantId, peer);

    pc.onIceCandidate.subscribe((candidate) => {
      if (candidate?.candidate)
        this.hooks.candidate(participantId, { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex });
    });
    pc.connectionStateChange.subscribe((state) => this.onPeerState(peer, state));
    if (upstream) {
      upstream.audio.onTrack.subscribe((track) => this.onUpstreamTrack(peer, 'audio', track, upstream.audio));
      upstream.video.onTrack.subscribe((track) => this.onUpstreamTrack(peer, 'video', track, upstream.video));
    }
    // Keyframe requests from this participant go to the sender of that stream (trap 2; still needed on 0.25.2,
    // whose sender only raises the event: a sender fed by sendRtp has no track to pass it to).
    for (const [fromRole, slot] of downstream) slot.video.sender.onPictureLossIndication.subscribe(() => this.requestKeyframe(fromRole));
    // Issue 17 §3: the receiver's reports of what it lost of each forwarded video (in its RR, or the SR a sending
    // browser uses), for the rate its downlink can carry.
    for (const [fromRole, slot] of downstream) {
      const sender = slot.video.sender;
      sender.onRtcp.subscribe((packet) => {
        const report = 'reports' in packet ? packet.reports.find((r) => r.ssrc === sender.ssrc) : undefined;
        const link = peer.downlinkVideo.get(fromRole);
        if (!report || !link) return;
        link.reportedLoss = report.fractionLost / 256;
        link.reportedAt = Date.now();
      });
    }

    await pc.setLocalDescription(await pc.createOffer());
    const slots: SlotMap = {
      upstream: upstream ? { audio: upstream.audio.mid!, video: upstream.video.mid! } : undefined,
      remotes: [...downstream].map(([fromRole, slot]) => ({ role: fromRole, audio: slot.audio.mid!, video: slot.video.mid! })),
    };
    return { sdp: asDtlsClientOffer(pc.localDescription!.sdp), slots };
  }

  async answer(participantId: string, sdp: string): Promise<void> {
    const peer = this.requirePeer(participantId);
    await peer.pc.setRemoteDescription({ type: 'answer', sdp });
    if (peer.upstream && peer.role !== 'observer') {
      // Record exactly the tracks the page agreed to send: an audio-only participant still records.
      const kinds = (['audio', 'video'] as const).filter((kind) => {
        const direction = peer.upstream![kind].currentDirection;
        return direction === 'recvonly' || direction === 'sendrecv';
      });
      peer.recordedKinds = kinds;
      // A segment that cannot start (no row, no file) is reported, not thrown at nobody: the call goes on unrecorded.
      if (kinds.length > 0)
        peer.recordingStarting = this.startRecording(peer, kinds).catch((error: unknown) =>
          this.log.error({ err: error, callId: this.callId, role: peer.role }, 'a recording segment could not be started'),
        );
    }
  }

  async addCandidate(participantId: string, candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void> {
    const peer = this.requirePeer(participantId);
    await peer.pc.addIceCandidate({
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid ?? undefined,
      sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
    });
  }

  async leave(participantId: string): Promise<void> {
    const peer = this.peers.get(participantId);
    if (!peer || peer.closed) return;
    peer.closed = true;
    this.peers.delete(participantId);
    for (const timer of peer.timers) clearInterval(timer);
    await peer.recordingStarting?.catch(() => undefined);
    await this.finishRecording(peer);
    peer.state = 'closed';
    await peer.pc.close().catch((error: unknown) => this.log.warn({ err: error, callId: this.callId }, 'closing a peer connection failed'));
    this.hooks.peerState(participantId, 'closed');
  }

  async close(): Promise<void> {
    for (const id of [...this.peers.keys()]) await this.leave(id);
  }

  async receiveVideo(participantId: string, on: boolean): Promise<void> {
    const peer = this.requirePeer(participantId);
    if (peer.videoPaused === !on) return;
    peer.videoPaused = !on;
    if (!on) return;
    // Back on: each video slot continues its numbering from the packet after the gap, and starts at a keyframe.
    for (const other of this.peers.values()) {
      if (other === peer || other.role === 'observer') continue;
      other.realign.add(`${peer.id}:video`);
      this.requestKeyframe(other.role);
    }
  }

  stats(): RoomStats {
    return {
      participants: [...this.peers.values()].map((peer) => ({
        participantId: peer.id,
        role: peer.role,
        state: peer.state,
        packetsIn: peer.packetsIn,
        bytesIn: peer.bytesIn,
        packetsForwarded: peer.packetsForwarded,
      })),
    };
  }

  private requirePeer(participantId: string): Peer {
    const peer = this.peers.get(participantId);
    if (!peer) throw new Error('This participant has no media connection in the call');
    return peer;
  }

  private onPeerState(peer: Peer, state: string): void {
    if (peer.closed) return;
    const mapped: PeerState =
      state === 'connected'
        ? 'connected'
        : state === 'failed'
          ? 'failed'
          : state === 'disconnected'
            ? 'disconnected'
            : state === 'closed'
              ? 'closed'
              : 'connecting';
    if (mapped === peer.state) return;
    peer.state = mapped;
    if (mapped === 'connected') {
      // A new receiver needs a keyframe from every sender, and this peer's own stream for the others and the recorder:
      // asked for the moment the path is up (issue 18: without it the first frame waited for the 300 ms retry, about
      // a third of a second of every join), then again in case that one is lost (trap 3).
      for (const role of SENDING_ROLES) this.requestKeyframe(role);
      for (const delay of KEYFRAME_RETRY_MS) {
        const timer = setTimeout(() => {
          for (const role of SENDING_ROLES) this.requestKeyframe(role);
        }, delay);
        peer.timers.push(timer);
      }
      if (peer.upstream) peer.timers.push(setInterval(() => this.sendRemb(peer), REMB_INTERVAL_MS));
    }
    this.hooks.peerState(peer.id, mapped);
  }

  private onUpstreamTrack(peer: Peer, kind: 'audio' | 'video', track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    peer.tracks[kind] = { track, transceiver };
    // The sender's reports map its RTP clock to its wall clock: the recording's start is taken from them (EVD-05).
    transceiver.receiver.onRtcp.subscribe((packet) => {
      if (peer.closed || !('senderInfo' in packet) || packet.ssrc !== track.ssrc) return;
      const index = peer.recordedKinds.indexOf(kind);
      if (index >= 0) peer.recorder?.senderReport(index, packet.senderInfo.ntpTimestamp, packet.senderInfo.rtpTimestamp);
    });
    let first = true;
    track.onReceiveRtp.subscribe((rtp: RtpPacket) => {
      if (peer.closed) return;
      peer.packetsIn++;
      peer.bytesIn += rtp.payload.length;
      if (kind === 'video') countUplinkPacket(peer.uplinkVideo, rtp);
      if (first) {
        first = false;
        this.hooks.firstMedia(peer.id, kind);
        // Every downstream copy of this stream restarts its numbering from here (a rejoin brings new SSRCs).
        for (const other of this.peers.values()) if (other !== peer) peer.realign.add(`${other.id}:${kind}`);
        if (kind === 'video') this.requestKeyframe(peer.role as SendingRole);
      }
      const index = peer.recordedKinds.indexOf(kind);
      if (index >= 0) peer.recorder?.write(index, rtp);
      for (const other of this.peers.values()) {
        if (other === peer || other.closed) continue;
        const slot = other.downstream.get(peer.role as SendingRole);
        if (!slot || (kind === 'video' && other.videoPaused)) continue;
        const sender = slot[kind].sender;
        const key = `${other.id}:${kind}`;
        if (peer.realign.delete(key)) this.realign(sender, rtp, kind);
        // Each receiver gets its own copy: werift 0.24.4 rewrote the caller's headers in place. 0.25.2 copies
        // itself, but the call-setup bench still runs this code on 0.24.4, and the copy is the same work on both.
        sender.sendRtp(rtp.clone()).catch(() => undefined);
        if (kind === 'video') other.downlinkVideo.get(peer.role as SendingRole)!.bytes += rtp.payload.length + RTP_HEADER_BYTES;
        this.lastForwardAt.set(sender, Date.now());
        peer.packetsForwarded++;
      }
    });
  }

  /**
   * A rejoining participant brings a new stream (new SSRC, sequence and timestamps) into a receiver's
   * existing slot: continue the numbering from the last packet sent, and move the timestamp on by the real
   * time that passed, so the receiver's jitter buffer sees neither a gap nor a frozen clock. werift 0.25
   * continues the numbering itself from the next packet it sends and moves the timestamp on by
   * `timestampStep` (the header is ignored; without the step the clock would advance one tick); 0.24.4,
   * which the call-setup bench still runs, took both offsets from the header instead.
   */
  private realign(sender: RTCRtpSender, rtp: RtpPacket, kind: 'audio' | 'video'): void {
    const last = this.lastForwardAt.get(sender);
    const elapsedTicks = last === undefined ? 0 : Math.round(((Date.now() - last) / 1000) * (kind === 'video' ? 90000 : 48000));
    const header = { sequenceNumber: (rtp.header.sequenceNumber - 1) & 0xffff, timestamp: (rtp.header.timestamp - elapsedTicks) >>> 0 };
    sender.replaceRTP(header, false, Math.max(1, elapsedTicks));
  }

  private requestKeyframe(role: SendingRole): void {
    for (const peer of this.peers.values()) {
      if (peer.role !== role || peer.closed) continue;
      const video = peer.tracks.video;
      if (video?.track.ssrc !== undefined) video.transceiver.receiver.sendRtcpPLI(video.track.ssrc).catch(() => undefined);
    }
  }

  /**
   * Issue 17 §3: the rate this participant's video may use, from the loss on the links it crosses: its own uplink and
   * the downlink of each participant it is forwarded to (one not sent video, audio only, does not count), each
   * estimated by the loss rule (src/domain/video-rate-estimate.ts) once an interval. Was a fixed VIDEO_MAX_BITRATE.
   */
  private videoTarget(peer: Peer): number {
    const limits: VideoRateLimits = { floorBps: FLOOR_BPS, ceilingBps: this.settings.maxVideoBitrate };
    const now = Date.now();
    const estimates = [updateUplink(peer.uplinkVideo, now, limits)];
    for (const other of this.peers.values()) {
      const link = other === peer || other.closed ? undefined : other.downlinkVideo.get(peer.role as SendingRole);
      if (!link) continue;
      const updated = updateDownlink(link, now, limits);
      if (!other.videoPaused) estimates.push(updated);
    }
    return senderTarget(estimates, limits);
  }

  private sendRemb(peer: Peer): void {
    const video = peer.tracks.video;
    if (!video || video.track.ssrc === undefined || peer.closed) return;
    const { brExp, brMantissa } = rembFields(this.videoTarget(peer));
    const { RtcpPayloadSpecificFeedback, ReceiverEstimatedMaxBitrate } = this.werift.webrtc;
    const packet = new RtcpPayloadSpecificFeedback({
      feedback: new ReceiverEstimatedMaxBitrate({
        senderSsrc: video.transceiver.receiver.rtcpSsrc,
        mediaSsrc: 0,
        brExp,
        brMantissa,
        ssrcNum: 1,
        ssrcFeedbacks: [video.track.ssrc],
      }),
    });
    video.transceiver.receiver.dtlsTransport.sendRtcp([packet]).catch(() => undefined);
  }

  private async startRecording(peer: Peer, kinds: ('audio' | 'video')[]): Promise<void> {
    const role = peer.role as SendingRole;
    const path = await this.hooks.recordingPath({ participantId: peer.id, role, tracks: kinds });
    if (peer.closed) return;
    const tracks: RecordedTrack[] = kinds.map((kind) => ({ kind, payloadType: kind === 'audio' ? OPUS_PT : VP8_PT }));
    // A failed write (ENOSPC, EIO) has already closed the file: the segment is reported with its error, the call goes on.
    peer.recorder = new WebmTrackRecorder(path, tracks, this.werift.processors, undefined, (error) => {
      this.log.error({ err: error, callId: this.callId, role }, 'a recording segment stopped: writing it failed');
      void this.finishRecording(peer);
    });
    this.requestKeyframe(role);
  }

  private async finishRecording(peer: Peer): Promise<void> {
    const recorder = peer.recorder;
    if (!recorder) return;
    peer.recorder = undefined;
    const outcome = await recorder.stop();
    await this.hooks
      .recordingFinished({ participantId: peer.id, role: peer.role as SendingRole, ...outcome })
      .catch((error: unknown) => this.log.error({ err: error, callId: this.callId }, 'a finished recording could not be registered'));
  }
}

const RTP_HEADER_BYTES = 12;
/** A receiver's report older than this says nothing about the last interval. */
const REPORT_FRESH_MS = 2500;

function countUplinkPacket(link: VideoLink, rtp: RtpPacket): void {
  const seq = rtp.header.sequenceNumber;
  link.packets++;
  link.bytes += rtp.payload.length + RTP_HEADER_BYTES;
  if (link.highestSeq === undefined || (sequenceSpan(link.highestSeq, seq) > 0 && sequenceSpan(link.highestSeq, seq) < 0x8000)) link.highestSeq = seq;
  link.highestSeqAtUpdate ??= (seq - 1) & 0xffff;
}

/** The uplink's loss over the interval from the sequence numbers' advance against the packets that came. */
function updateUplink(link: VideoLink, now: number, limits: VideoRateLimits): number {
  const seconds = (now - link.updatedAt) / 1000;
  const expected = link.highestSeq === undefined || link.highestSeqAtUpdate === undefined ? 0 : sequenceSpan(link.highestSeqAtUpdate, link.highestSeq);
  const loss = expected > 0 ? Math.max(0, 1 - link.packets / expected) : undefined;
  const deliveredBps = seconds > 0 ? (link.bytes * 8) / seconds : undefined;
  link.estimateBps = nextEstimate(link.estimateBps, { loss, deliveredBps }, limits);
  link.highestSeqAtUpdate = link.highestSeq;
  link.packets = 0;
  link.bytes = 0;
  link.updatedAt = now;
  return link.estimateBps;
}

/** The downlink's loss as its receiver last reported it (if recent), and what got through of what was forwarded. */
function updateDownlink(link: VideoLink, now: number, limits: VideoRateLimits): number {
  const seconds = (now - link.updatedAt) / 1000;
  const loss = now - link.reportedAt <= REPORT_FRESH_MS ? link.reportedLoss : undefined;
  const deliveredBps = seconds > 0 ? ((link.bytes * 8) / seconds) * (1 - (loss ?? 0)) : undefined;
  link.estimateBps = nextEstimate(link.estimateBps, { loss, deliveredBps }, limits);
  link.reportedLoss = undefined;
  link.bytes = 0;
  link.updatedAt = now;
  return link.estimateBps;
}

/** REMB carries the bitrate as mantissa × 2^exponent with an 18-bit mantissa. */
export function rembFields(bitrate: number): { brExp: number; brMantissa: number } {
  let brExp = 0;
  let brMantissa = Math.max(0, Math.floor(bitrate));
  while (brMantissa >= 1 << 18) {
    brMantissa = Math.floor(brMantissa / 2);
    brExp++;
  }
  return { brExp, brMantissa };
}

export class WeriftMediaEngine implements MediaEngine {
  readonly name = 'werift (in-process)';

  constructor(
    private readonly settings: MediaSettings,
    private readonly log: Logger,
    private readonly werift: WeriftRelease = INSTALLED_WERIFT,
  ) {
    if (werift.srtpKeyObjects !== false) {
      const notInstalled = installSrtpKeyObjects(werift.webrtc, werift.version);
      if (notInstalled) log.warn({ reason: notInstalled }, 'SRTP key-object work-around (trap 5) not installed: SRTP costs more CPU per packet');
    }
  }

  createRoom(callId: string, hooks: MediaRoomHooks): MediaRoom {
    return new WeriftMediaRoom(callId, this.settings, hooks, this.log, this.werift);
  }
}
