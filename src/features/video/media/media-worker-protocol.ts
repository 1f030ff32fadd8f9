import type { MediaRole, MediaSettings, PeerState, RecordingResult, RecordingStart, RoomStats, SlotMap } from './media-room.js';

/**
 * The messages between the control process and a media worker process (ADR 0012). Sent over node's IPC channel
 * with `serialization: 'advanced'` (structured clone), so a Date arrives as a Date. Every request carries an id and
 * is answered once; the control process times requests out, the worker answers hook requests it made.
 */

/** Given to the worker in its environment (RVR_MEDIA_WORKER) so it needs no message before it can start. */
export interface WorkerInit {
  index: number;
  settings: MediaSettings;
  logLevel: string;
  logFormat: 'json' | 'pretty';
}
export const WORKER_INIT_ENV = 'RVR_MEDIA_WORKER';

type Candidate = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };

/** A room operation the control process asks a worker for. */
export type RoomRequest =
  | { op: 'create'; callId: string }
  | { op: 'join'; callId: string; participantId: string; role: MediaRole }
  | { op: 'answer'; callId: string; participantId: string; sdp: string }
  | { op: 'candidate'; callId: string; participantId: string; candidate: Candidate }
  | { op: 'leave'; callId: string; participantId: string }
  | { op: 'receiveVideo'; callId: string; participantId: string; on: boolean }
  | { op: 'close'; callId: string };

export type ControlToWorker =
  | ({ type: 'request'; id: number } & RoomRequest)
  /** The answer to a hook the worker asked the control process to run. */
  | { type: 'hook-reply'; id: number; ok: true; value: unknown }
  | { type: 'hook-reply'; id: number; ok: false; error: string };

/** Hooks that need an answer (a path to write to; the segment registered). */
export type HookRequest =
  { hook: 'recordingPath'; callId: string; start: RecordingStart } | { hook: 'recordingFinished'; callId: string; result: RecordingResult };

/** Hooks that need none. */
export type HookEvent =
  | { hook: 'candidate'; callId: string; participantId: string; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
  | { hook: 'peerState'; callId: string; participantId: string; state: PeerState }
  | { hook: 'firstMedia'; callId: string; participantId: string; kind: 'audio' | 'video' };

export type WorkerToControl =
  | { type: 'ready'; pid: number }
  | { type: 'reply'; id: number; ok: true; value?: { sdp: string; slots: SlotMap } }
  | { type: 'reply'; id: number; ok: false; error: string }
  | ({ type: 'hook-request'; id: number } & HookRequest)
  | ({ type: 'hook-event' } & HookEvent)
  /** Pushed about once a second: MediaRoom.stats() is synchronous, so the control process answers from the latest. */
  | { type: 'stats'; rooms: Record<string, RoomStats> };
