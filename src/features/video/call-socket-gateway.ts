import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { RequestContext } from '../../platform/context.js';
import { GRANT_TTL_MS, signGrant, verifyGrant, type CallAlertKind, type CallSocketGrant } from '../media-nodes/call-socket-grant.js';
import type { MediaNodesService } from '../media-nodes/media-nodes.service.js';
import type { CallRooms, ObserverLink } from './call-rooms.js';
import type { CallService } from './call.service.js';
import type { ParticipantRow } from './calls.repository.js';
import type { ServerMessage } from './signalling-messages.js';
import { isLanguage, translator, type Language } from '../../platform/i18n/i18n.js';

/**
 * How often the web node pings the owning node's socket, and how many may go unanswered before the owner is taken
 * for lost. A killed node's socket closes at once (its kernel resets it), so this only finds a host that vanished
 * silently; it is generous because a busy node's event loop can stall for seconds, and cutting a live call for
 * that would be worse than telling the pages a few seconds later.
 */
const UPSTREAM_PING_MS = 2000;
const UPSTREAM_MISSED_PINGS_ALLOWED = 4;
const PAGE_PING_MS = 5000;
/** How long a web node waits for the owning node to take an alert before it records the event here instead. */
const ALERT_RELAY_TIMEOUT_MS = 5000;

/** A supervisor observing: the observation, and how to end it, wherever the call's room is. */
export interface Observation {
  id: string;
  victimNotified: boolean;
  end: (context: RequestContext, observationId: string, how: Parameters<ObserverLink['end']>[0]) => Promise<void>;
}

/**
 * The call page's signalling socket, on whichever web node it arrived (ADR 0013). If this node owns the call, the
 * socket joins the room here. Otherwise it is proxied to the owning media node's internal socket with a signed,
 * short-lived grant; the owner checks the grant and attaches it to its room. If the owner's socket dies (the node
 * was killed), the page is told the call was interrupted within a few seconds and the socket closes.
 */
export class CallSocketGateway {
  constructor(
    private readonly deps: {
      rooms: Pick<CallRooms, 'attach' | 'uploadReceived' | 'quickExit'>;
      nodes: Pick<MediaNodesService, 'self' | 'hostsMedia' | 'find'>;
      lifecycle: Pick<CallService, 'requireCall' | 'findParticipant'>;
      grantKey: Buffer;
      endObservation: Observation['end'];
      log: Logger;
    },
  ) {}

  /** A page's socket, its person already authenticated by this node's request guard. */
  async connect(
    page: WebSocket,
    participant: ParticipantRow,
    context: RequestContext,
    observation?: Omit<Observation, 'end'>,
    language: Language = 'en',
  ): Promise<void> {
    const call = await this.deps.lifecycle.requireCall(participant.callId);
    const owner = call.mediaNodeId ?? (this.deps.nodes.hostsMedia ? this.deps.nodes.self.id : undefined);
    if (owner === this.deps.nodes.self.id && this.deps.nodes.hostsMedia) return this.attachHere(page, participant, context, observation, language);
    const node = owner ? await this.deps.nodes.find(owner) : undefined;
    if (!node || node.state === 'gone') {
      this.deps.log.warn({ callId: call.id, ownerNodeId: owner }, 'a call page connected for a call whose media node is gone');
      return this.interrupt(page, language);
    }
    const grant = this.grant(participant, context, {
      purpose: 'socket',
      observation: observation && { id: observation.id, victimNotified: observation.victimNotified },
      ...(language === 'en' ? {} : { language }),
    });
    this.proxy(
      page,
      `${node.internalUrl.replace(/^http/, 'ws')}/internal/call-socket?grant=${encodeURIComponent(grant)}`,
      { callId: call.id, nodeId: node.id },
      language,
    );
  }

  /** On the owning node: a socket a web node opened with a grant. */
  async acceptGranted(socket: WebSocket, token: string): Promise<void> {
    const verified = verifyGrant(this.deps.grantKey, token);
    if (!verified.ok) {
      this.deps.log.warn({ reason: verified.reason }, 'a call-socket grant was refused');
      return socket.close(4003, 'refused');
    }
    const { grant } = verified;
    if (grant.purpose === 'alert') {
      this.deps.log.warn({ callId: grant.callId }, 'an alert grant was offered to open a call socket');
      return socket.close(4003, 'refused');
    }
    const call = await this.deps.lifecycle.requireCall(grant.callId);
    const participant = await this.deps.lifecycle.findParticipant(grant.participantId);
    if (call.mediaNodeId !== this.deps.nodes.self.id || !this.deps.nodes.hostsMedia || participant?.callId !== call.id) {
      this.deps.log.warn({ callId: grant.callId, ownerNodeId: call.mediaNodeId }, 'a call socket was sent to a node that does not own the call');
      return socket.close(4003, 'not the owner');
    }
    const context: RequestContext = { actor: grant.actor, correlationId: grant.correlationId, clientIp: grant.clientIp };
    this.attachHere(socket, participant, context, grant.observation, isLanguage(grant.language) ? grant.language : 'en');
  }

  /**
   * A photo the victim sent, or their "Exit this page", arrived over HTTP at this node: the officer's room is told
   * here if this node owns the call, else on its owner through a signed grant (ADR 0013). If the owner cannot be
   * reached the event is still recorded here (a quick exit always is); only the live alert is lost, and logged.
   */
  async relayAlert(context: RequestContext, participant: ParticipantRow, kind: CallAlertKind): Promise<void> {
    const call = await this.deps.lifecycle.requireCall(participant.callId);
    const owner = call.mediaNodeId ?? (this.deps.nodes.hostsMedia ? this.deps.nodes.self.id : undefined);
    const node = owner && owner !== this.deps.nodes.self.id ? await this.deps.nodes.find(owner) : undefined;
    if (node && node.state !== 'gone') {
      const grant = this.grant(participant, context, { purpose: 'alert', alert: kind });
      try {
        const response = await fetch(`${node.internalUrl}/internal/call-alert`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ grant }),
          signal: AbortSignal.timeout(ALERT_RELAY_TIMEOUT_MS),
        });
        if (response.ok) return;
        this.deps.log.warn({ callId: call.id, ownerNodeId: node.id, status: response.status, kind }, 'the owning node refused a call alert');
      } catch (error) {
        this.deps.log.warn({ callId: call.id, ownerNodeId: node.id, kind, err: (error as Error).message }, 'the owning node could not be told of a call alert');
      }
    }
    await this.alertHere(context, participant, kind);
  }

  /** On the owning node: an alert a web node passed on with a grant. */
  async acceptAlert(token: string): Promise<'accepted' | 'refused'> {
    const verified = verifyGrant(this.deps.grantKey, token);
    if (!verified.ok || verified.grant.purpose !== 'alert' || !verified.grant.alert) {
      this.deps.log.warn({ reason: verified.ok ? 'not an alert grant' : verified.reason }, 'a call-alert grant was refused');
      return 'refused';
    }
    const { grant } = verified;
    const participant = await this.deps.lifecycle.findParticipant(grant.participantId);
    if (!participant || participant.callId !== grant.callId) return 'refused';
    const context: RequestContext = { actor: grant.actor, correlationId: grant.correlationId, clientIp: grant.clientIp };
    await this.alertHere(context, participant, grant.alert!);
    return 'accepted';
  }

  private async alertHere(context: RequestContext, participant: ParticipantRow, kind: CallAlertKind): Promise<void> {
    if (kind === 'upload') this.deps.rooms.uploadReceived(participant);
    else await this.deps.rooms.quickExit(context, participant);
  }

  private grant(participant: ParticipantRow, context: RequestContext, what: Pick<CallSocketGrant, 'purpose' | 'alert' | 'observation' | 'language'>): string {
    return signGrant(this.deps.grantKey, {
      callId: participant.callId,
      participantId: participant.id,
      actor: context.actor,
      correlationId: context.correlationId,
      clientIp: context.clientIp,
      ...what,
      expiresAt: Date.now() + GRANT_TTL_MS,
    });
  }

  private attachHere(
    socket: WebSocket,
    participant: ParticipantRow,
    context: RequestContext,
    observation: Omit<Observation, 'end'> | undefined,
    language: Language,
  ): void {
    const observer: ObserverLink | undefined = observation && {
      victimNotified: observation.victimNotified,
      end: (how) => this.deps.endObservation(context, observation.id, how),
    };
    this.deps.rooms.attach(socket, participant, context, observer, language);
  }

  private interrupt(page: WebSocket, language: Language): void {
    // What a page is told when the node hosting its call is lost: plain words a victim may read, in their language.
    const told: ServerMessage = { type: 'interrupted', reason: translator(language)('server.call.interrupted'), rejoin: true };
    if (page.readyState === WebSocket.OPEN) page.send(JSON.stringify(told));
    page.close(1000, 'call interrupted');
  }

  private proxy(page: WebSocket, url: string, about: { callId: string; nodeId: string }, language: Language): void {
    const upstream = new WebSocket(url, { handshakeTimeout: 10_000, maxPayload: 64 * 1024 });
    let opened = false;
    let unreachable = false;
    const waiting: { data: RawData; binary: boolean }[] = [];
    let missedUpstream = 0;
    let missedPage = 0;
    let pageGone = false;
    const upstreamPinger = setInterval(() => {
      if (upstream.readyState !== WebSocket.OPEN) return;
      if (missedUpstream >= UPSTREAM_MISSED_PINGS_ALLOWED) return upstream.terminate();
      missedUpstream++;
      upstream.ping();
    }, UPSTREAM_PING_MS);
    const pagePinger = setInterval(() => {
      if (missedPage >= 2) return page.terminate();
      missedPage++;
      if (page.readyState === WebSocket.OPEN) page.ping();
    }, PAGE_PING_MS);
    const stop = () => {
      clearInterval(upstreamPinger);
      clearInterval(pagePinger);
    };
    page.on('message', (data: RawData, binary: boolean) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else waiting.push({ data, binary });
    });
    page.on('pong', () => (missedPage = 0));
    page.on('error', () => page.terminate());
    page.on('close', () => {
      pageGone = true;
      stop();
      if (upstream.readyState === WebSocket.CONNECTING || upstream.readyState === WebSocket.OPEN) upstream.close(1000, 'page gone');
    });
    upstream.on('open', () => {
      opened = true;
      for (const { data, binary } of waiting.splice(0)) upstream.send(data, { binary });
    });
    upstream.on('pong', () => (missedUpstream = 0));
    upstream.on('message', (data: RawData, binary: boolean) => {
      if (page.readyState === WebSocket.OPEN) page.send(data, { binary });
    });
    upstream.on('unexpected-response', (_request, response) => {
      this.deps.log.warn({ ...about, status: response.statusCode }, 'the owning media node refused the call socket');
      upstream.terminate();
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND'].includes(error.code ?? '')) unreachable = true;
      this.deps.log.warn({ ...about, err: error }, 'the owning media node’s call socket failed');
    });
    upstream.on('close', (code: number, reason: Buffer) => {
      stop();
      if (pageGone) return;
      // The owner closed it on purpose (call ended, page replaced, refused, server restarting): the page hears the same.
      if (code >= 1000 && code !== 1005 && code !== 1006 && code !== 1011) return page.close(code, reason.toString('utf8'));
      // Never connected to a node that is there but slow (a loaded machine): the page tries again, as after any drop.
      if (!opened && !unreachable) return page.close(1013, 'try again');
      this.deps.log.warn({ ...about, code }, 'lost the owning media node’s call socket: the page is told the call was interrupted');
      this.interrupt(page, language);
    });
  }
}
