/**
 * The media plane behind a small interface (ARCHITECTURE §4): the journeys only join, leave, pass
 * signalling through and hear about connections and recordings, so a different engine (a C SFU on a media
 * node) could replace werift without touching them.
 */

import type { MediaClock } from './media-clock.js';

/** Roles whose media is forwarded and recorded, in the order their slots appear on every connection. */
export const SENDING_ROLES = ['officer', 'victim', 'interpreter'] as const;
export type SendingRole = (typeof SENDING_ROLES)[number];
/** An observer (a supervisor watching a live call) receives everyone and sends nothing. */
export type MediaRole = SendingRole | 'observer';

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface MediaSettings {
  iceServers: IceServer[];
  /** UDP ports the server's ICE sockets use; one per participant with max-bundle. */
  icePortRange: [number, number] | undefined;
  /** The cap sent to browsers as REMB so their encoders climb to a useful bitrate (trap 1). */
  maxVideoBitrate: number;
}

/** Which transceiver (by mid) carries what, so a page knows whose video arrives where. */
export interface SlotMap {
  upstream: { audio: string; video: string } | undefined;
  remotes: { role: SendingRole; audio: string; video: string }[];
}

export interface RecordingStart {
  participantId: string;
  role: SendingRole;
  tracks: ('audio' | 'video')[];
}

export interface RecordingResult {
  participantId: string;
  role: SendingRole;
  path: string;
  finalisedByRecorder: boolean;
  durationMs: number | undefined;
  firstPacketAt: Date | undefined;
  /** The start from the senders' RTCP sender reports, the arrival stamps beside it (EVD-05); plain JSON. */
  clock: MediaClock | undefined;
  packets: number;
  /** Why the segment ended early (a write failed: ENOSPC, EIO; or its worker died): reported, never thrown. */
  error?: string;
}

export type PeerState = 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface MediaRoomHooks {
  /** A server-side ICE candidate for the participant's page. */
  candidate(participantId: string, candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): void;
  peerState(participantId: string, state: PeerState): void;
  /** The first RTP packet of a participant's track reached the server. */
  firstMedia(participantId: string, kind: 'audio' | 'video'): void;
  /** Where to write the participant's recording segment: the caller registers it before any media is written. */
  recordingPath(start: RecordingStart): Promise<string>;
  /** Resolves once the segment is registered (hashed and recorded): leaving and closing wait for it. */
  recordingFinished(result: RecordingResult): Promise<void>;
  /**
   * The room is gone without anyone closing it (its media worker died, ADR 0012). Called after every open segment
   * was reported through recordingFinished; the room must not be used again.
   */
  roomLost(reason: string): void;
}

export interface MediaRoom {
  /** Creates the server's peer connection for a participant and returns the SDP offer for its page. */
  join(participantId: string, role: MediaRole): Promise<{ sdp: string; slots: SlotMap }>;
  answer(participantId: string, sdp: string): Promise<void>;
  addCandidate(participantId: string, candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void>;
  /** Closes the participant's connection; its recording segment is finished and reported. */
  leave(participantId: string): Promise<void>;
  /**
   * Issue 17 §3 (audio has priority): stop or resume forwarding everyone else's video to this participant, so on a
   * connection that cannot carry video their audio still gets through. Audio always flows; recording is untouched.
   */
  receiveVideo?(participantId: string, on: boolean): Promise<void>;
  close(): Promise<void>;
  stats(): RoomStats;
}

export interface RoomStats {
  participants: { participantId: string; role: MediaRole; state: PeerState; packetsIn: number; bytesIn: number; packetsForwarded: number }[];
}

export interface MediaEngine {
  readonly name: string;
  createRoom(callId: string, hooks: MediaRoomHooks): MediaRoom;
  /** Starts what the engine runs on (media worker processes); createRoom works without it, starting them then. */
  start?(): Promise<void>;
  /** Stops the engine's processes; rooms must be closed first. */
  stop?(): Promise<void>;
  /** For /health/ready and /metrics: the engine's processes, when it has any. */
  workers?(): MediaWorkerStatus[];
}

export interface MediaWorkerStatus {
  index: number;
  pid: number | undefined;
  up: boolean;
  rooms: number;
  restarts: number;
}
