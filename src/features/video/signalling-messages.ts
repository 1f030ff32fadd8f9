/**
 * The JSON messages on a call's signalling socket, both ways: the one definition the server (call-rooms.ts,
 * signalling.ts) and the call page (src/browser/call-client.ts) compile against. Types only, so the browser bundle
 * takes nothing from the server's code.
 */
import type { IceServer, SlotMap } from './media/media-room.js';

export type { IceServer, SlotMap };

/** What a call page may send over its signalling socket. Anything else is answered with an error and ignored. */
export type ClientMessage =
  | { type: 'join' }
  /** After a signalling drop, a page whose peer connection is still up asks to carry on with it (ADR 0013). */
  | { type: 'reattach' }
  | { type: 'answer'; sdp: string }
  | { type: 'candidate'; candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } }
  | { type: 'chat'; text: string }
  | { type: 'quick_exit' }
  | { type: 'leave' }
  | { type: 'end'; reason?: string }
  | { type: 'ping' }
  /**
   * Issue 17 §3: the page sends (and is sent) video, or audio only: chosen by the person ("Audio only, and send
   * photos") or because their connection cannot carry video. Recorded as a call event each time it changes.
   */
  | { type: 'media_mode'; mode: MediaMode; cause: MediaModeCause }
  /** The officer asks the victim for a photo (issue 17 §3): shown on the victim's page, noted in the call record. */
  | { type: 'photo_request' };

export type MediaMode = 'video' | 'audio_only';
export type MediaModeCause = 'chosen' | 'connection';

/** Someone on the call and how their connection is. */
export interface Presence {
  participantId: string;
  role: string;
  state: string;
}

/** A texted link as the officer sees it in "Who is invited" (staff only). */
export interface InviteStatus {
  id: string;
  role: string;
  label: string | null;
  /** sending | sent | not sent | expired | opened | consent given | joined | revoked */
  state: string;
  sentAt: string | null;
  expiresAt: string;
}

export type AlertKind = 'quick_exit' | 'dropped' | 'upload' | 'not_safe';

export type ServerMessage =
  | { type: 'hello'; participantId: string; role: string; iceServers: IceServer[]; recording: boolean }
  | { type: 'offer'; sdp: string; slots: SlotMap }
  | { type: 'candidate'; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
  | { type: 'chat'; id: number; role: string; text: string; at: string }
  | {
      type: 'state';
      participants: Presence[];
      invites: InviteStatus[];
      connectedAt: string | null;
      /** To a link-holder: a supervisor is observing and the force tells the victim so (EVD-15). */
      observed?: boolean;
    }
  | { type: 'alert'; kind: AlertKind; role: string; alertId?: string }
  /** The victim's statement changed state (shared, correction asked, confirmed): the pages fetch it again. */
  | { type: 'statement'; state: string; revision: number }
  /** To the officer: the victim's location or their decision on sharing it changed (issue 17 §1); the page fetches it. */
  | { type: 'location' }
  | { type: 'ended'; reason: string }
  /** The call stopped without anyone ending it (media worker or node lost, server stopped): the page offers to rejoin. */
  | { type: 'interrupted'; reason: string; rejoin: boolean }
  | { type: 'error'; message: string }
  /** The page's peer connection is the call's again (no new offer); or it is not, and the page joins afresh. */
  | { type: 'reattached' }
  | { type: 'reattach_refused' }
  | { type: 'pong' }
  /** Issue 17 §3: someone's media mode, to the officer (and to that person's own page, as confirmation). */
  | { type: 'media_mode'; role: string; mode: MediaMode; cause: MediaModeCause }
  /** The officer asks for a photo: to the victim's page. */
  | { type: 'photo_request' };
