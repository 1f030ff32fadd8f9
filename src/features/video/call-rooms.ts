import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { CallConfig } from '../../config.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { AppError } from '../../platform/errors.js';
import { translator, type Language } from '../../platform/i18n/i18n.js';
import type { LiveHub } from '../../platform/live/live-hub.js';
import type { LiveEvent } from '../../platform/live/live.repository.js';
import { CONSENT_REQUIRED } from '../../domain/call-consent.js';
import { ConsentRequiredError, type CallService } from './call.service.js';
import type { CallChatService } from './call-chat.service.js';
import type { CallRecordService } from './call-record.service.js';
import type { CallRecordingsService } from './call-recordings.service.js';
import type { ParticipantRow } from './calls.repository.js';
import { parseClientMessage } from './signalling.js';
import type { MediaMode, MediaModeCause, ServerMessage } from './signalling-messages.js';
import type { MediaEngine, MediaRole, MediaRoom, PeerState } from './media/media-room.js';

const PING_INTERVAL_MS = 5000;
/** What a page is told when its call stops without anyone ending it (issue 18): plain words a victim may read. */
export const INTERRUPTED_REASON = 'The call was interrupted.';
/** Missed pongs before a socket is treated as dead: werift alone took ~29 s to notice a silent drop. */
const MISSED_PONGS_ALLOWED = 2;
/**
 * A page whose signalling socket dropped while its media still flows (a web node restarted, a proxy moved) gets
 * this long to re-attach to its peer connection before it is treated as dropped. Longer than the page's own
 * reconnect budget (GIVE_UP_AFTER_MS in the call page), so a page that can come back always finds its place; never
 * longer than the reconnect grace period (CALL_RECONNECT_GRACE_SECONDS, at least 5 s outside the tests).
 */
export const REATTACH_WINDOW_MS = 5000;
const DRAINING_MESSAGE = 'This server is restarting and is not starting new calls. Try again in a minute.';

type PresenceState = 'connecting' | 'connected' | 'reconnecting' | 'left';

interface Member {
  participant: ParticipantRow;
  socket: WebSocket;
  context: RequestContext;
  missedPongs: number;
  joined: boolean;
  /** Issue 17 §2: the language of the person's page (a link-holder's choice; staff English), for the words sent to it. */
  language: Language;
  /** A supervisor observing: receives everything, sends nothing, never keeps the call open (EVD-15). */
  observer?: ObserverLink;
}

/** How an observer's socket is tied to its observation record (supervisor feature). */
export interface ObserverLink {
  victimNotified: boolean;
  /** Stamps the observation's end; called once when the observer leaves, their page goes, or the call ends. */
  end(how: 'left' | 'connection_closed' | 'call_ended'): Promise<void>;
}

/** The call services the live rooms write the record through. */
export interface CallRoomServices {
  lifecycle: CallService;
  chat: Pick<CallChatService, 'postChat'>;
  recordings: Pick<CallRecordingsService, 'recordingStarted' | 'recordingFinished'>;
  record: Pick<CallRecordService, 'callView'>;
}

interface ActiveCall {
  callId: string;
  room: MediaRoom;
  members: Map<string, Member>;
  presence: Map<string, { role: string; state: PresenceState }>;
  /** participantId:kind of every track whose first packet arrived. */
  firstMedia: Set<string>;
  graceTimers: Map<string, NodeJS.Timeout>;
  /** Pages whose socket dropped while their media flowed on: their peer is kept until they re-attach or the window ends. */
  detached: Map<string, { member: Member; timer: NodeJS.Timeout }>;
  recordingFiles: Map<string, string>;
  /** Issue 17 §3: who is on audio only, and why (participantId → mode); a switch is recorded only when it changes. */
  mediaModes: Map<string, { role: string; mode: MediaMode; cause: MediaModeCause }>;
  maxTimer: NodeJS.Timeout;
  ending: boolean;
}

/**
 * The live side of calls on this node: each call's media room and the participants' signalling sockets.
 * The record (events, recordings, chat) is written through the call services; this class only routes messages,
 * times reconnects and tells everyone what changed.
 */
export class CallRooms {
  private readonly calls = new Map<string, ActiveCall>();
  private readonly pinger: NodeJS.Timeout;
  private drainingSince: Date | undefined;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly service: CallRoomServices,
    private readonly engine: MediaEngine,
    private readonly config: CallConfig,
    private readonly log: Logger,
    live: LiveHub | undefined,
  ) {
    this.pinger = setInterval(() => this.pingAll(), PING_INTERVAL_MS);
    this.pinger.unref();
    // A change made on any node (a link opened, consent given) reaches the pages connected here.
    this.unsubscribe = live?.subscribe((event) => {
      if (event.type === 'call' && this.calls.has(event.id)) this.caught(this.followRecord(event.id), event.id, 'a change to the call record');
      if (event.type === 'safety_alert' || event.type === 'statement') this.investigationEvent(event);
      // Issue 17 §1: the victim's location reaches the officer's page only (it fetches what it may see).
      if (event.type === 'victim_location') this.locationEvent(event.callId);
    });
  }

  get activeCallCount(): number {
    return this.calls.size;
  }

  /** Graceful drain (SIGTERM, ADR 0012): calls already here go on; no new call starts on this node. */
  drain(): void {
    this.drainingSince ??= new Date();
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Refuses to start a call here while draining; a call already live on this node may still be joined. */
  assertMayOpen(callId: string | undefined): void {
    if (this.draining && !(callId && this.calls.has(callId))) throw new AppError(503, DRAINING_MESSAGE);
  }

  /** Attaches a participant's signalling socket. Messages are validated; a bad one is answered, never fatal. */
  attach(socket: WebSocket, participant: ParticipantRow, context: RequestContext, observer?: ObserverLink, language: Language = 'en'): void {
    if (this.draining && !this.calls.has(participant.callId)) {
      const message = language === 'en' ? DRAINING_MESSAGE : translator(language)('server.call.draining');
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'error', message } satisfies ServerMessage));
      socket.close(1013, 'server draining');
      return;
    }
    const active = this.activate(participant.callId);
    const previous = active.members.get(participant.id);
    if (previous) {
      // The same person on a new page (a reload), or the same page back through another web node before its old
      // socket was seen to close: the old socket goes, the new one takes over (re-attaching its peer if it asks).
      active.members.delete(participant.id);
      if (this.mediaFlows(active, previous)) this.detach(active, previous);
      previous.socket.close(4001, 'replaced');
    }
    const member: Member = { participant, socket, context, missedPongs: 0, joined: false, language, observer };
    active.members.set(participant.id, member);
    socket.on('pong', () => (member.missedPongs = 0));
    socket.on('message', (raw: Buffer) => this.caught(this.onMessage(active, member, raw.toString('utf8')), active.callId, 'a signalling message'));
    socket.on('close', () => this.caught(this.onSocketClosed(active, member), active.callId, 'a closed signalling socket'));
    socket.on('error', () => socket.terminate());
    this.send(member, { type: 'hello', participantId: participant.id, role: participant.role, iceServers: this.config.iceServers, recording: true });
    // Issue 17 §3: an officer arriving (or reloading) sees who is on audio only.
    if (participant.role === 'officer') for (const m of active.mediaModes.values()) this.send(member, { type: 'media_mode', ...m });
    void this.broadcastState(active.callId);
  }

  /** "Exit this page": leaves at once (socket or not) and alerts the officer. */
  /** Tells the officer on this node that the victim sent a photo or video (it is in the evidence list). */
  uploadReceived(participant: ParticipantRow): void {
    const active = this.calls.get(participant.callId);
    if (active) this.alert(active, { type: 'alert', kind: 'upload', role: participant.role });
  }

  async quickExit(context: RequestContext, participant: ParticipantRow): Promise<void> {
    const active = this.calls.get(participant.callId);
    const detached = active?.detached.get(participant.id);
    if (active && detached && !active.members.has(participant.id)) {
      this.forgetDetached(active, participant.id);
      return this.departed(active, detached.member, 'quick_exit');
    }
    const member = active?.members.get(participant.id);
    if (active && member) {
      await this.departed(active, member, 'quick_exit');
      member.socket.close(1000, 'left');
      return;
    }
    await this.service.lifecycle.participantLeft(context, participant, 'quick_exit');
    if (active) this.alert(active, { type: 'alert', kind: 'quick_exit', role: participant.role });
  }

  async endCall(context: RequestContext, callId: string, reason: string): Promise<void> {
    // Only the consultation's officer ends a call; refused before the media is touched (SEC-11).
    if (context.actor.type === 'user') await this.service.lifecycle.assertMayConduct(context, callId, 'call.end');
    const active = this.calls.get(callId);
    if (active) {
      if (active.ending) return;
      active.ending = true;
      // Media first: every recording segment is finished and hashed before the call is marked ended.
      await active.room.close();
    }
    if (active) {
      for (const member of active.members.values())
        await member.observer?.end('call_ended').catch((error: unknown) => this.log.warn({ err: error }, 'could not end an observation'));
    }
    const ended = await this.service.lifecycle.endCall(context, callId, reason);
    if (active) {
      for (const member of active.members.values()) {
        this.send(member, { type: 'ended', reason });
        member.socket.close(1000, 'call ended');
      }
      this.deactivate(active);
    }
    if (!ended && !active) throw new AppError(409, 'This call has already ended.');
  }

  /**
   * On shutdown: recordings are finished cleanly; the calls are then marked interrupted and every page is told so
   * (it offers "Tap to rejoin" / "Resume the call") before its socket closes with 1012.
   */
  async shutdown(): Promise<void> {
    clearInterval(this.pinger);
    this.unsubscribe?.();
    for (const active of [...this.calls.values()]) {
      active.ending = true;
      await active.room.close();
      await this.service.lifecycle
        .endCall(systemContext('shutdown', 'shutdown'), active.callId, 'The server was stopped during the call', 'interrupted')
        .catch(() => false);
      for (const member of active.members.values()) await member.observer?.end('call_ended').catch(() => undefined);
      for (const member of active.members.values()) {
        this.send(member, { type: 'interrupted', reason: INTERRUPTED_REASON, rejoin: true });
        member.socket.close(1012, 'server restarting');
      }
      this.deactivate(active);
    }
  }

  /**
   * The call's media room is gone without anyone ending the call (its media worker died, ADR 0012). Its segments were
   * already repaired and registered by the engine; the call is closed as interrupted and every page is offered a rejoin.
   */
  async roomLost(callId: string, cause: string): Promise<void> {
    const active = this.calls.get(callId);
    if (!active || active.ending) return;
    active.ending = true;
    this.log.error({ callId, cause }, 'a call was interrupted: its media room was lost');
    await this.service.lifecycle
      .endCall(systemContext('media', callId), callId, INTERRUPTED_REASON, 'interrupted')
      .catch((error: unknown) => this.log.error({ err: error, callId }, 'an interrupted call could not be closed in the record'));
    for (const member of active.members.values()) await member.observer?.end('call_ended').catch(() => undefined);
    for (const member of active.members.values()) {
      this.send(member, { type: 'interrupted', reason: INTERRUPTED_REASON, rejoin: true });
      member.socket.close(1011, 'call interrupted');
    }
    this.deactivate(active);
  }

  stats() {
    return [...this.calls.values()].map((active) => ({ callId: active.callId, ...active.room.stats() }));
  }

  /** A handler that failed is reported here; nothing a page or the media plane does may end the process. */
  private caught(work: Promise<unknown>, callId: string, what: string): void {
    work.catch((error: unknown) => this.log.error({ err: error, callId }, `handling ${what} failed`));
  }

  private activate(callId: string): ActiveCall {
    const existing = this.calls.get(callId);
    if (existing) return existing;
    const active: ActiveCall = {
      callId,
      members: new Map(),
      presence: new Map(),
      firstMedia: new Set(),
      graceTimers: new Map(),
      detached: new Map(),
      recordingFiles: new Map(),
      mediaModes: new Map(),
      ending: false,
      maxTimer: setTimeout(
        () => this.caught(this.endCall(systemContext('call-timer', callId), callId, 'The call reached its maximum length'), callId, 'the time limit'),
        this.config.maxCallMinutes * 60_000,
      ),
      room: undefined as unknown as MediaRoom,
    };
    active.room = this.engine.createRoom(callId, {
      candidate: (participantId, candidate) => {
        const member = active.members.get(participantId);
        if (member) this.send(member, { type: 'candidate', candidate });
      },
      peerState: (participantId, state) => this.onPeerState(active, participantId, state),
      firstMedia: (participantId, kind) => this.onFirstMedia(active, participantId, kind),
      recordingPath: async (start) => {
        const file = await this.service.recordings.recordingStarted(callId, start.participantId, start);
        active.recordingFiles.set(start.participantId, file);
        return file;
      },
      recordingFinished: (result) => this.service.recordings.recordingFinished(result, result.path),
      roomLost: (cause) => this.caught(this.roomLost(callId, cause), callId, 'a lost media room'),
    });
    this.calls.set(callId, active);
    return active;
  }

  private deactivate(active: ActiveCall): void {
    clearTimeout(active.maxTimer);
    for (const timer of active.graceTimers.values()) clearTimeout(timer);
    for (const { timer } of active.detached.values()) clearTimeout(timer);
    active.detached.clear();
    this.calls.delete(active.callId);
  }

  private async onMessage(active: ActiveCall, member: Member, raw: string): Promise<void> {
    if (active.members.get(member.participant.id) !== member) return;
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      const refusal = new AppError(400, parsed.error);
      return this.send(member, { type: 'error', message: refusalWords(parsed.victimKey ? refusal.forVictim(parsed.victimKey) : refusal, member.language) });
    }
    const message = parsed.message;
    try {
      switch (message.type) {
        case 'join': {
          this.forgetDetached(active, member.participant.id);
          // The join is on record before the offer goes out, so no media (and no "connected") can come before "victim joined".
          await this.service.lifecycle.participantJoined(member.context, member.participant);
          const offer = await active.room.join(member.participant.id, member.participant.role as MediaRole);
          member.joined = true;
          this.clearGrace(active, member.participant.id);
          active.presence.set(member.participant.id, { role: member.participant.role, state: 'connecting' });
          this.send(member, { type: 'offer', sdp: offer.sdp, slots: offer.slots });
          // The officer sees an observer under "Who is here" at once (an observer's own media never announces it).
          if (member.observer) void this.broadcastState(active.callId);
          break;
        }
        case 'reattach': {
          // ADR 0013: the page kept its peer connection through a signalling drop (a web node restarted): if the
          // server kept it too, the call goes on with no new offer and no new recording segment.
          const detached = active.detached.get(member.participant.id);
          if (!detached || active.presence.get(member.participant.id)?.state !== 'connected') {
            this.forgetDetached(active, member.participant.id);
            return this.send(member, { type: 'reattach_refused' });
          }
          this.forgetDetached(active, member.participant.id);
          member.joined = true;
          this.send(member, { type: 'reattached' });
          void this.broadcastState(active.callId);
          break;
        }
        case 'answer':
          if (!member.joined) return this.send(member, { type: 'error', message: 'Send "join" before an answer' });
          await active.room.answer(member.participant.id, message.sdp);
          break;
        case 'candidate':
          if (!member.joined) return this.send(member, { type: 'error', message: 'Send "join" before ICE candidates' });
          await active.room.addCandidate(member.participant.id, message.candidate);
          break;
        case 'chat': {
          if (member.observer) return this.send(member, { type: 'error', message: 'An observer cannot send messages in the call' });
          const saved = await this.service.chat.postChat(member.context, member.participant, message.text);
          for (const other of active.members.values())
            this.send(other, { type: 'chat', id: saved.id, role: saved.role, text: saved.text, at: saved.at.toISOString() });
          break;
        }
        case 'quick_exit':
        case 'leave':
          await this.departed(active, member, message.type === 'quick_exit' ? 'quick_exit' : 'left');
          member.socket.close(1000, 'left');
          break;
        case 'end':
          if (member.participant.role !== 'officer') return this.send(member, { type: 'error', message: 'Only the officer can end the call' });
          await this.endCall(member.context, active.callId, message.reason || 'Ended by the officer');
          break;
        case 'ping':
          this.send(member, { type: 'pong' });
          break;
        case 'media_mode':
          await this.mediaMode(active, member, message.mode, message.cause);
          break;
        case 'photo_request': {
          if (member.participant.role !== 'officer') return this.send(member, { type: 'error', message: 'Only the officer can ask for a photo' });
          await this.service.lifecycle.photoRequested(member.context, member.participant);
          for (const other of active.members.values()) if (other.participant.role === 'victim') this.send(other, { type: 'photo_request' });
          break;
        }
      }
    } catch (error) {
      // Defence in depth: a link-holder without consent never gets an offer or a recording; their page goes back to the consent step.
      if (error instanceof ConsentRequiredError) {
        active.members.delete(member.participant.id);
        member.socket.close(CONSENT_REQUIRED.closeCode, CONSENT_REQUIRED.closeReason);
        // As for any page that never joined: the call is not ended on its account.
        void this.broadcastState(active.callId);
        return;
      }
      if (!(error instanceof AppError)) this.log.warn({ err: error, callId: active.callId }, 'signalling message failed');
      this.send(member, { type: 'error', message: refusalWords(error, member.language) });
    }
  }

  /**
   * Issue 17 §3 (audio has priority): a page on audio only is sent no video (its own camera is off on the page), so
   * its audio gets through a connection that cannot carry video. The page repeats its mode after every new offer;
   * the record notes only a change. The officer's page shows the mode.
   */
  private async mediaMode(active: ActiveCall, member: Member, mode: MediaMode, cause: MediaModeCause): Promise<void> {
    if (member.observer) return this.send(member, { type: 'error', message: 'An observer sends no media' });
    if (!member.joined) return this.send(member, { type: 'error', message: 'Send "join" before a media mode' });
    await active.room.receiveVideo?.(member.participant.id, mode === 'video');
    const previous = active.mediaModes.get(member.participant.id);
    if (previous?.mode === mode || (!previous && mode === 'video')) return;
    const role = member.participant.role;
    if (mode === 'video') active.mediaModes.delete(member.participant.id);
    else active.mediaModes.set(member.participant.id, { role, mode, cause });
    await this.service.lifecycle.mediaModeChanged(member.context, member.participant, mode, cause);
    for (const other of active.members.values())
      if (other.participant.role === 'officer' || other === member) this.send(other, { type: 'media_mode', role, mode, cause });
  }

  /** A page that says it is leaving (or quick exit) is gone at once: no grace, no "reconnecting". */
  private async departed(active: ActiveCall, member: Member, reason: 'left' | 'quick_exit'): Promise<void> {
    active.members.delete(member.participant.id);
    active.presence.set(member.participant.id, { role: member.participant.role, state: 'left' });
    await active.room.leave(member.participant.id);
    await this.service.lifecycle.participantLeft(member.context, member.participant, member.observer ? 'left' : reason);
    await member.observer?.end('left');
    if (reason === 'quick_exit' && !member.observer) this.alert(active, { type: 'alert', kind: 'quick_exit', role: member.participant.role });
    await this.broadcastState(active.callId);
    this.endIfEmpty(active);
  }

  private async onSocketClosed(active: ActiveCall, member: Member): Promise<void> {
    if (active.members.get(member.participant.id) !== member || active.ending) return;
    active.members.delete(member.participant.id);
    // Only the signalling dropped; the media still flows. Keep the peer (and its recording) for the page to re-attach.
    if (this.mediaFlows(active, member)) return this.detach(active, member);
    await this.dropped(active, member);
  }

  private mediaFlows(active: ActiveCall, member: Member): boolean {
    return member.joined && !member.observer && active.presence.get(member.participant.id)?.state === 'connected';
  }

  private detach(active: ActiveCall, member: Member): void {
    this.forgetDetached(active, member.participant.id);
    const timer = setTimeout(
      () => this.caught(this.detachedGone(active, member.participant.id), active.callId, 'a page that did not re-attach'),
      this.reattachWindowMs,
    );
    active.detached.set(member.participant.id, { member, timer });
  }

  /** The re-attach window ended, or the detached page's media failed too: from here it is an ordinary drop. */
  private get reattachWindowMs(): number {
    return Math.min(REATTACH_WINDOW_MS, this.config.reconnectGraceSeconds * 1000);
  }

  private async detachedGone(active: ActiveCall, participantId: string): Promise<void> {
    const detached = active.detached.get(participantId);
    if (!detached || active.ending) return;
    this.forgetDetached(active, participantId);
    // A new page of the same person (a reload) has already taken the place: nothing was dropped.
    if (active.members.has(participantId)) return;
    await this.dropped(active, detached.member);
  }

  private forgetDetached(active: ActiveCall, participantId: string): void {
    const detached = active.detached.get(participantId);
    if (detached) clearTimeout(detached.timer);
    active.detached.delete(participantId);
  }

  private async dropped(active: ActiveCall, member: Member): Promise<void> {
    await active.room.leave(member.participant.id);
    if (member.observer) return this.observerGone(active, member);
    if (!member.joined) return;
    active.presence.set(member.participant.id, { role: member.participant.role, state: 'reconnecting' });
    await this.service.lifecycle.participantLeft(member.context, member.participant, 'connection_lost').catch(() => undefined);
    this.alert(active, { type: 'alert', kind: 'dropped', role: member.participant.role });
    await this.broadcastState(active.callId);
    // They may rejoin with their still-valid call session; after the grace period they are treated as gone.
    const timer = setTimeout(() => {
      active.graceTimers.delete(member.participant.id);
      if (active.members.has(member.participant.id)) return;
      active.presence.set(member.participant.id, { role: member.participant.role, state: 'left' });
      void this.broadcastState(active.callId);
      this.endIfEmpty(active);
    }, this.config.reconnectGraceSeconds * 1000);
    active.graceTimers.set(member.participant.id, timer);
  }

  /** An observer's page went away: no grace period and no alert; the observation ends. */
  private async observerGone(active: ActiveCall, member: Member): Promise<void> {
    active.presence.set(member.participant.id, { role: member.participant.role, state: 'left' });
    if (member.joined) await this.service.lifecycle.participantLeft(member.context, member.participant, 'left').catch(() => undefined);
    await member.observer?.end('connection_closed').catch((error: unknown) => this.log.warn({ err: error }, 'could not end an observation'));
    await this.broadcastState(active.callId);
    this.endIfEmpty(active);
  }

  private endIfEmpty(active: ActiveCall): void {
    // Observers never keep a call open: it ends when everyone taking part has gone.
    const taking = [...active.members.values()].filter((m) => !m.observer).length;
    if (active.ending || taking > 0 || active.graceTimers.size > 0 || active.detached.size > 0) return;
    void this.endCall(systemContext('call-timer', active.callId), active.callId, 'Everyone left the call').catch(() => undefined);
  }

  private clearGrace(active: ActiveCall, participantId: string): void {
    const timer = active.graceTimers.get(participantId);
    if (timer) clearTimeout(timer);
    active.graceTimers.delete(participantId);
  }

  private onPeerState(active: ActiveCall, participantId: string, state: PeerState): void {
    const presence = active.presence.get(participantId);
    if (!presence || presence.state === 'left') return;
    if (state === 'connected') presence.state = 'connected';
    else if (state === 'disconnected' || state === 'failed') presence.state = 'reconnecting';
    else return;
    if (state === 'failed' && active.detached.has(participantId))
      this.caught(this.detachedGone(active, participantId), active.callId, 'a detached page whose media failed');
    void this.broadcastState(active.callId);
  }

  private onFirstMedia(active: ActiveCall, participantId: string, kind: 'audio' | 'video'): void {
    active.firstMedia.add(`${participantId}:${kind}`);
    const roleHasMedia = (role: string) =>
      [...active.members.values()].some((m) => m.participant.role === role && [...active.firstMedia].some((key) => key.startsWith(`${m.participant.id}:`)));
    if (roleHasMedia('officer') && roleHasMedia('victim')) {
      void this.service.lifecycle.markConnected(active.callId).catch((error: unknown) => this.log.warn({ err: error }, 'could not mark the call connected'));
    }
  }

  /**
   * A change to the call's record, made on any node: the room follows it. A call ended in the record (its
   * consultation abandoned, escalated or handed back) closes here and everyone is told; an officer whose
   * consultation a supervisor gave to someone else leaves the room. Then everyone gets the new state.
   */
  private async followRecord(callId: string): Promise<void> {
    const active = this.calls.get(callId);
    if (!active || active.ending) return;
    const record = await this.service.lifecycle.liveOfficer(callId).catch(() => undefined);
    if (record && !record.open) return this.closeEndedElsewhere(active, record.interrupted);
    if (record) {
      for (const member of [...active.members.values()]) {
        if (member.participant.role !== 'officer' || member.participant.userId === record.officerId) continue;
        active.members.delete(member.participant.id);
        active.presence.set(member.participant.id, { role: member.participant.role, state: 'left' });
        await active.room.leave(member.participant.id);
        this.send(member, { type: 'ended', reason: 'A supervisor has given this consultation to another officer.' });
        member.socket.close(4003, 'reassigned');
      }
    }
    await this.broadcastState(callId);
  }

  private async closeEndedElsewhere(active: ActiveCall, interrupted: boolean): Promise<void> {
    active.ending = true;
    // The record is already closed; the recordings still finish and are hashed as the room closes.
    await active.room.close();
    for (const member of active.members.values())
      await member.observer?.end('call_ended').catch((error: unknown) => this.log.warn({ err: error }, 'could not end an observation'));
    for (const member of active.members.values()) {
      // Neutral words: the officer's reason for ending the consultation is not for the victim's screen.
      this.send(member, interrupted ? { type: 'interrupted', reason: INTERRUPTED_REASON, rejoin: true } : { type: 'ended', reason: 'The call has ended.' });
      member.socket.close(1000, 'call ended');
    }
    this.deactivate(active);
  }

  private async broadcastState(callId: string): Promise<void> {
    const active = this.calls.get(callId);
    if (!active) return;
    const view = await this.service.record.callView(callId).catch(() => undefined);
    if (!view) return;
    const now = Date.now();
    const people = [...active.presence.entries()].map(([participantId, p]) => ({ participantId, role: p.role, state: p.state }));
    const invites = view.invites.map((invite) => ({
      id: invite.id,
      role: invite.role,
      label: invite.label,
      state: invite.revokedAt
        ? 'revoked'
        : invite.joinedAt
          ? 'joined'
          : invite.consentAt
            ? 'consent given'
            : invite.openedAt
              ? 'opened'
              : invite.expiresAt.getTime() <= now
                ? 'expired'
                : invite.sendError
                  ? 'not sent'
                  : invite.sentAt
                    ? 'sent'
                    : 'sending',
      sentAt: invite.sentAt?.toISOString() ?? null,
      expiresAt: invite.expiresAt.toISOString(),
    }));
    // The officer sees an observer in "Who is here"; a link-holder is only told "a supervisor is watching" when the force says so.
    const observed = [...active.members.values()].some((m) => m.observer?.victimNotified);
    const withoutObservers = people.filter((p) => p.role !== 'observer');
    for (const member of active.members.values()) {
      const staff = member.participant.role === 'officer';
      const linkHolder = member.context.actor.type === 'link';
      this.send(member, {
        type: 'state',
        participants: linkHolder ? withoutObservers : people,
        invites: staff ? invites : [],
        connectedAt: view.call.connectedAt?.toISOString() ?? null,
        ...(linkHolder ? { observed } : {}),
      });
    }
  }

  /** "I'm not safe" alerts the officer (RVR-11); a statement change reaches every page of the call, which fetches what it may see. */
  private investigationEvent(event: Extract<LiveEvent, { type: 'safety_alert' | 'statement' }>): void {
    const active = event.callId ? this.calls.get(event.callId) : undefined;
    if (!active) return;
    if (event.type === 'safety_alert') {
      if (event.state === 'raised') this.alert(active, { type: 'alert', kind: 'not_safe', role: 'victim', alertId: event.alertId });
      return;
    }
    for (const member of active.members.values()) this.send(member, { type: 'statement', state: event.state, revision: event.revision });
  }

  private locationEvent(callId: string): void {
    const active = this.calls.get(callId);
    if (active) this.alert(active, { type: 'location' });
  }

  private alert(active: ActiveCall, message: ServerMessage): void {
    for (const member of active.members.values()) if (member.participant.role === 'officer') this.send(member, message);
  }

  private send(member: Member, message: ServerMessage): void {
    if (member.socket.readyState === member.socket.OPEN) member.socket.send(JSON.stringify(wordsFor(member, message)));
  }

  private pingAll(): void {
    for (const active of this.calls.values()) {
      for (const member of active.members.values()) {
        if (member.missedPongs >= MISSED_PONGS_ALLOWED) {
          member.socket.terminate();
          continue;
        }
        member.missedPongs++;
        member.socket.ping();
      }
    }
  }
}

/**
 * Issue 17 §2: what a page is told, in its person's language. "Interrupted" in their words; "ended" with no reason
 * for a link-holder (their page says the call has ended in their language; who ended it and why, which may be an
 * officer's own words, is not for the victim's screen). Anything else as written.
 */
function wordsFor(member: Member, message: ServerMessage): ServerMessage {
  if (message.type === 'interrupted') return { ...message, reason: translator(member.language)('server.call.interrupted') };
  if (message.type === 'ended' && member.participant.role !== 'officer' && !member.observer) return { ...message, reason: '' };
  return message;
}

/** A refused signalling message: the service's words for a victim when it gave them, else English as written, else a plain line. */
function refusalWords(error: unknown, language: Language): string {
  if (error instanceof AppError && error.victimMessage) return translator(language)(error.victimMessage.key, error.victimMessage.values);
  if (language !== 'en') return translator(language)('server.call.notDone');
  return error instanceof AppError ? error.message : 'That could not be done; the call carries on.';
}
