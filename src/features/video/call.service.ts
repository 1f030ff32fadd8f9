import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { EvidenceRegistrationService } from '../evidence/evidence-registration.service.js';
import type { DataAccess, Repositories } from '../../composition.js';
import type { CallConfig } from '../../config.js';
import { CONSENT_REQUIRED, consentCovers, needsOwnConsent } from '../../domain/call-consent.js';
import { stateLabel, type ConsultationState } from '../../domain/consultation-state.js';
import { mayConductConsultation, mayReadConsultationRecord } from '../../domain/ownership.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { AccessRefusedError, AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { RateLimitedLog } from '../../platform/logging/rate-limited-log.js';
import { remuxWebm } from '../../platform/media/ffmpeg.js';
import { sha256File } from '../../platform/media/sha256-file.js';
import { SmsDeliveryError, type SmsSender } from '../../platform/sms/sms-sender.js';
import type { ConsultationService } from '../consultations/consultation.service.js';
import { hashToken, isWellFormedToken, newSecretToken } from './call-tokens.js';
import type { CallRow, ChatMessageRow, InviteRow, ParticipantRow } from './calls.repository.js';
import type { RecordingResult, RecordingStart } from './media/media-room.js';

export type LinkRole = 'victim' | 'interpreter';
export type LinkRefusal = 'malformed' | 'unknown' | 'used' | 'expired' | 'revoked' | 'ended';

/** What each refused link tells the person holding it (a page, not an error code). */
export const LINK_REFUSALS: Record<LinkRefusal, { title: string; advice: string }> = {
  malformed: {
    title: 'This link is not complete',
    advice: 'Check you opened the whole link from the text message. If it still does not work, call 101, or 999 in an emergency.',
  },
  unknown: {
    title: 'This link does not work',
    advice: 'Check you opened the whole link from the text message. If it still does not work, call 101, or 999 in an emergency.',
  },
  used: {
    title: 'This link has already been used',
    advice: 'For your safety each link opens once. If you closed the call by mistake, ask the officer for a new link, or call 101 (999 in an emergency).',
  },
  expired: { title: 'This link has expired', advice: 'Links only work for a short time. Ask the officer for a new link, or call 101 (999 in an emergency).' },
  revoked: { title: 'This link has been replaced', advice: 'The officer sent a newer link. Open the newest text message, or call 101 (999 in an emergency).' },
  ended: { title: 'This call has ended', advice: 'If you still need help, call 101, or 999 in an emergency.' },
};

/** A link-holder tried to take part before agreeing to the video call and its recording (RVR-04, SC-3). */
export class ConsentRequiredError extends ForbiddenError {
  constructor() {
    super(CONSENT_REQUIRED.message);
  }
}

export class LinkRefusedError extends AppError {
  constructor(readonly refusal: LinkRefusal) {
    super(refusal === 'malformed' || refusal === 'unknown' ? 404 : 410, LINK_REFUSALS[refusal].title);
  }
}

/** The words shown beside the consent boxes: stored exactly as shown (RVR-04, RVR-12 overt recording). */
export function consentWording(forceName: string): string {
  return (
    `I agree to a video call with an officer from ${forceName}. ` +
    'I understand the call, including video, sound and chat, is recorded on the police system and may be used as evidence.'
  );
}

/** Consultation states in which the officer may hold a video call. */
const CALLABLE_STATES: readonly ConsultationState[] = ['accepted', 'invited', 'victim_joined', 'connected'];

export interface LinkSession {
  participant: ParticipantRow;
  call: CallRow;
  /** Both consents (video and recording) are stored for this participant on this call. */
  consented: boolean;
}

export interface CallDeps {
  data: DataAccess;
  audit: AuditTrail;
  consultations: ConsultationService;
  sms: SmsSender;
  config: CallConfig;
  publicBaseUrl: string;
  /** Root directory of recordings and snapshots. */
  mediaRoot: string;
  /** Makes each finished recording and snapshot an evidence item, in the same transaction (EVD-01). */
  evidence: Pick<EvidenceRegistrationService, 'registerRecording' | 'registerSnapshot' | 'registerUpload' | 'registerCallRecord'>;
  log: Logger;
  now: () => Date;
}

/**
 * The call's record: links, participants, consent, lifecycle events, recordings, chat, snapshots and notes.
 * Every change writes its call event and audit event in the same transaction and announces the call on the
 * live channel, so pages on any node refresh. The media itself is in `CallRooms`.
 */
export class CallService {
  /** Unknown and malformed links: a stranger can send any number, so they go to the log, rate-limited, never to the audit chain. */
  private readonly strangerLinks: RateLimitedLog;

  constructor(private readonly deps: CallDeps) {
    this.strangerLinks = new RateLimitedLog(deps.log, 'call link refused');
  }

  private get data() {
    return this.deps.data;
  }

  /** The officer's open call for the consultation, opened on first use. */
  async openCall(context: RequestContext, consultationId: string): Promise<CallRow> {
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      this.assertAssignedOfficer(context, consultation, 'call.open');
      const existing = await tx.calls.findOpenByConsultation(consultationId);
      if (existing) return existing;
      if (!CALLABLE_STATES.includes(consultation.state as ConsultationState)) {
        throw new ConflictError(`A video call needs an accepted consultation; this one is ${consultation.state.replaceAll('_', ' ')}.`);
      }
      const at = this.deps.now();
      const call = await tx.calls.create({ consultationId, openedAt: at });
      await this.event(tx, context, call.id, 'call_opened', {});
      return call;
    });
  }

  async findOpenCall(consultationId: string): Promise<CallRow | undefined> {
    return this.data.repos.calls.findOpenByConsultation(consultationId);
  }

  async requireCall(callId: string): Promise<CallRow> {
    const call = await this.data.repos.calls.findById(callId);
    if (!call) throw new NotFoundError('No call with that id');
    return call;
  }

  /**
   * Creates a link for the victim (to the number the call handler took) or an interpreter (to the number
   * given), revoking any earlier live link for that role, and texts it. The text goes after the commit: a
   * provider failure leaves the link on record with the error, for the officer to resend.
   */
  async sendInvite(
    context: RequestContext,
    callId: string,
    input: { role: LinkRole; phone?: string; label?: string },
  ): Promise<{ invite: InviteRow; link: string }> {
    const token = newSecretToken();
    const at = this.deps.now();
    const { invite, phone } = await this.data.transaction(async (tx) => {
      const call = await this.lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertAssignedOfficer(context, consultation, 'call.invite');
      let phone: string;
      if (input.role === 'victim') {
        phone = (await tx.incidents.findById(consultation.incidentId))!.callerPhone;
      } else {
        if (!input.phone) throw new ValidationError('Enter the interpreter’s mobile number', { phone: 'Enter the interpreter’s mobile number' });
        phone = input.phone;
      }
      const revoked = await tx.calls.revokeInvites(call.id, input.role, at, 'replaced by a new link');
      const invite = await tx.calls.createInvite({
        callId: call.id,
        role: input.role,
        label: input.label?.trim() || null,
        tokenHash: hashToken(token),
        expiresAt: new Date(at.getTime() + this.deps.config.inviteTtlMinutes * 60_000),
        createdBy: context.actor.type === 'user' ? context.actor.userId : null,
      });
      await this.event(tx, context, call.id, 'link_created', { inviteId: invite.id, role: input.role, revoked });
      if (input.role === 'victim' && consultation.state === 'accepted') {
        await this.deps.consultations.applyTransition(tx, context, consultation.id, 'invited');
      }
      return { invite, phone };
    });
    const link = `${this.deps.publicBaseUrl}/v/${token}`;
    try {
      const receipt = await this.deps.sms.send({ to: phone, body: this.deps.config.inviteText.replace('{link}', link), reference: invite.id });
      await this.data.transaction(async (tx) => {
        await tx.calls.markInviteSent(invite.id, this.deps.now(), receipt.provider, receipt.providerMessageId);
        await this.event(tx, context, callId, 'link_sent', { inviteId: invite.id, role: input.role, provider: receipt.provider });
      });
    } catch (error) {
      const reason = error instanceof SmsDeliveryError ? error.message : 'The text service could not be reached';
      await this.data.transaction(async (tx) => {
        await tx.calls.markInviteSendFailed(invite.id, reason);
        await this.event(tx, context, callId, 'link_send_failed', { inviteId: invite.id, role: input.role, reason });
      });
      throw new AppError(502, `The text was not sent: ${reason}. Try "Send link" again in a moment.`);
    }
    return { invite: (await this.data.repos.calls.findInvite(invite.id))!, link };
  }

  async revokeInvites(context: RequestContext, callId: string, role: LinkRole): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await this.lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertAssignedOfficer(context, consultation, 'call.revoke_invites');
      const revoked = await tx.calls.revokeInvites(call.id, role, this.deps.now(), 'revoked by the officer');
      await this.event(tx, context, call.id, 'link_revoked', { role, revoked });
    });
  }

  /**
   * Opens a link once: the token is swapped for a call-scoped session secret (the cookie). Every refusal
   * is logged with its reason (never the token): a refusal of a real link (used, expired, revoked, ended) is
   * audited against its call; an unknown or malformed token concerns no call and goes to the application log.
   */
  async redeemLink(token: string, clientIp: string | undefined, correlationId: string): Promise<{ sessionSecret: string; participant: ParticipantRow }> {
    const context: RequestContext = { ...systemContext('link', correlationId), clientIp };
    if (!isWellFormedToken(token)) return this.refuseLink(context, 'malformed', undefined);
    const sessionSecret = newSecretToken();
    const outcome = await this.data.transaction(async (tx) => {
      const invite = await tx.calls.findInviteByTokenHash(hashToken(token));
      if (!invite) return { refusal: 'unknown' as const, invite: undefined };
      const call = await tx.calls.lock(invite.callId);
      const at = this.deps.now();
      const refusal: LinkRefusal | undefined =
        call?.state !== 'open' ? 'ended' : invite.revokedAt ? 'revoked' : invite.openedAt ? 'used' : invite.expiresAt <= at ? 'expired' : undefined;
      if (refusal) return { refusal, invite };
      if (!(await tx.calls.redeemInvite(invite.id, at))) return { refusal: 'used' as const, invite };
      const participant = await tx.calls.createParticipant({
        callId: invite.callId,
        role: invite.role,
        inviteId: invite.id,
        sessionHash: hashToken(sessionSecret),
        sessionExpiresAt: new Date(at.getTime() + this.deps.config.maxCallMinutes * 60_000),
      });
      const linkContext: RequestContext = { ...context, actor: { type: 'link', participantId: participant.id, role: invite.role as LinkRole } };
      await this.event(tx, linkContext, invite.callId, 'link_opened', { inviteId: invite.id }, participant);
      return { refusal: undefined, invite, participant };
    });
    if (outcome.refusal) return this.refuseLink(context, outcome.refusal, outcome.invite);
    return { sessionSecret, participant: outcome.participant };
  }

  private async refuseLink(context: RequestContext, refusal: LinkRefusal, invite: InviteRow | undefined): Promise<never> {
    if (!invite) {
      this.strangerLinks.write({ refusal, correlationId: context.correlationId });
      throw new LinkRefusedError(refusal);
    }
    await this.data.transaction((tx) =>
      this.deps.audit.record(tx.audit, context, {
        what: 'call.link_refused',
        subject: `call:${invite.callId}`,
        details: { refusal, inviteId: invite.id },
      }),
    );
    throw new LinkRefusedError(refusal);
  }

  /** The link-holder behind a call session cookie, while the call is open and the session unexpired. */
  async resolveLinkSession(secret: string | undefined): Promise<LinkSession | undefined> {
    if (!secret || !isWellFormedToken(secret)) return undefined;
    const participant = await this.data.repos.calls.findParticipantBySessionHash(hashToken(secret));
    if (!participant?.sessionExpiresAt || participant.sessionExpiresAt <= this.deps.now()) return undefined;
    const call = await this.data.repos.calls.findById(participant.callId);
    if (call?.state !== 'open') return undefined;
    const consent = await this.data.repos.calls.findConsent(call.id, participant.id);
    return { participant, call, consented: consentCovers(consent, { callId: call.id, participantId: participant.id }) };
  }

  linkContext(session: Pick<LinkSession, 'participant'>, correlationId: string, clientIp?: string): RequestContext {
    return { actor: { type: 'link', participantId: session.participant.id, role: session.participant.role as LinkRole }, correlationId, clientIp };
  }

  async giveConsent(context: RequestContext, session: Pick<LinkSession, 'participant' | 'call'>, input: { video: boolean; recording: boolean }): Promise<void> {
    if (!input.video || !input.recording) {
      throw new ValidationError('To have the video call, tick both boxes. If you do not want a recorded video call, call 101 (999 in an emergency).', {
        consent: 'Tick both boxes to continue',
      });
    }
    await this.data.transaction(async (tx) => {
      await this.lockOpenCall(tx, session.call.id);
      const at = this.deps.now();
      await tx.calls.recordConsent({
        callId: session.call.id,
        participantId: session.participant.id,
        videoConsent: true,
        recordingConsent: true,
        wording: consentWording(this.deps.config.forceName),
        givenAt: at,
      });
      if (session.participant.inviteId) await tx.calls.stampInvite(session.participant.inviteId, 'consentAt', at);
      await this.event(tx, context, session.call.id, 'consent_given', { video: true, recording: true }, session.participant);
    });
  }

  /**
   * Defence in depth behind the request guard (which refuses every consent-requiring link route): a link-holder's
   * join, chat or upload is refused unless this participant agreed, on this call, to the video call and recording.
   */
  private async assertConsented(tx: Repositories, participant: ParticipantRow): Promise<void> {
    if (!needsOwnConsent(participant.role)) return;
    const consent = await tx.calls.findConsent(participant.callId, participant.id);
    if (!consentCovers(consent, { callId: participant.callId, participantId: participant.id })) throw new ConsentRequiredError();
  }

  /** The officer (or another staff member) as a participant of the call. */
  async staffParticipant(context: RequestContext, callId: string, role: 'officer'): Promise<ParticipantRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to join the call');
    const userId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const call = await this.lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertAssignedOfficer(context, consultation, 'call.join');
      return (await tx.calls.findStaffParticipant(callId, userId, role)) ?? tx.calls.createParticipant({ callId, role, userId });
    });
  }

  /** A participant's media connection came up: a first join, or a rejoin after a drop (a new recording segment follows). */
  async participantJoined(context: RequestContext, participant: ParticipantRow): Promise<'joined' | 'rejoined'> {
    return this.data.transaction(async (tx) => {
      const call = await this.lockOpenCall(tx, participant.callId);
      await this.assertConsented(tx, participant);
      const current = (await tx.calls.findParticipant(participant.id))!;
      const at = this.deps.now();
      const kind = current.joinedAt ? 'rejoined' : 'joined';
      await tx.calls.updateParticipant(participant.id, { joinedAt: current.joinedAt ?? at, lastSeenAt: at, leftAt: null, leftReason: null });
      if (current.inviteId) await tx.calls.stampInvite(current.inviteId, 'joinedAt', at);
      await this.event(tx, context, call.id, kind, {}, participant);
      if (kind === 'joined' && participant.role === 'victim') {
        const consultation = (await tx.consultations.findById(call.consultationId))!;
        if (consultation.state === 'invited') await this.deps.consultations.applyTransition(tx, context, consultation.id, 'victim_joined');
      }
      return kind;
    });
  }

  async participantLeft(context: RequestContext, participant: ParticipantRow, reason: 'left' | 'quick_exit' | 'connection_lost'): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(participant.callId);
      if (call?.state !== 'open') return;
      const at = this.deps.now();
      await tx.calls.updateParticipant(participant.id, { leftAt: at, leftReason: reason, lastSeenAt: at });
      // "Exit this page" works before consent too (the victim's safety comes first): it records only that the page
      // was left, marked as before consent, so the officer and the record know no call took place.
      const beforeConsent =
        needsOwnConsent(participant.role) &&
        !consentCovers(await tx.calls.findConsent(call.id, participant.id), { callId: call.id, participantId: participant.id });
      const type = reason === 'quick_exit' ? 'quick_exit' : reason === 'left' ? 'left' : 'dropped';
      await this.event(tx, context, call.id, type, beforeConsent ? { beforeConsent: true } : {}, participant);
      // The quick exit ends that person's link session: the page they leave behind cannot rejoin.
      if (reason === 'quick_exit') await tx.calls.updateParticipant(participant.id, { sessionExpiresAt: at });
    });
  }

  /** First media both ways between the officer and the victim: the consultation is connected (the trial's time to officer). */
  async markConnected(callId: string): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(callId);
      if (call?.state !== 'open') return;
      const at = this.deps.now();
      if (!(await tx.calls.markConnected(callId, at))) {
        await this.event(tx, systemContext('media', 'media'), callId, 'reconnected', {});
        return;
      }
      const context = systemContext('media', 'media');
      await this.event(tx, context, callId, 'connected', {});
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      if (consultation.state === 'victim_joined') await this.deps.consultations.applyTransition(tx, context, consultation.id, 'connected');
    });
  }

  /** Ends the call record (the media is closed by CallRooms first, so recordings are finished before this). */
  async endCall(context: RequestContext, callId: string, reason: string, state: 'ended' | 'interrupted' = 'ended'): Promise<boolean> {
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(callId);
      if (call?.state !== 'open') return false;
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      if (context.actor.type === 'user') this.assertAssignedOfficer(context, consultation, 'call.end');
      await this.closeRecord(tx, context, call, reason, state);
      if (state === 'ended' && consultation.state === 'connected' && context.actor.type === 'user') {
        await this.deps.consultations.applyTransition(tx, context, consultation.id, 'completed');
      }
      return true;
    });
  }

  /**
   * The consultation's officer let go of it (it was abandoned, escalated, completed or returned to the queue):
   * its open call ends in the same transaction, links revoked and link sessions expired, so no call or link
   * outlives its consultation. The media room on whichever node hosts it closes when it hears the call ended.
   */
  async endCallOfReleasedConsultation(
    tx: Repositories,
    context: RequestContext,
    consultation: { id: string; state: string },
    change: { reason: string | undefined },
  ): Promise<void> {
    const open = await tx.calls.findOpenByConsultation(consultation.id);
    const call = open && (await tx.calls.lock(open.id));
    if (call?.state !== 'open') return;
    const why = `The consultation was ${stateLabel(consultation.state as ConsultationState)}${change.reason ? `: ${change.reason}` : ''}`;
    await this.closeRecord(tx, context, call, why, 'ended');
  }

  /** The open call of a consultation a supervisor gave to another officer: on record, and the live room drops the old officer. */
  async officerReassigned(tx: Repositories, consultationId: string, change: { fromOfficerId: string | null; toOfficerId: string }): Promise<void> {
    const open = await tx.calls.findOpenByConsultation(consultationId);
    if (!open) return;
    const at = this.deps.now();
    await tx.calls.insertEvent({ callId: open.id, type: 'officer_reassigned', participantId: null, role: null, details: change, at });
    await tx.live.notify({ type: 'call', id: open.id, at: at.toISOString() });
  }

  /** Who may still be in the call's room as its officer: the consultation's officer now (undefined once the call has ended). */
  async liveOfficer(callId: string): Promise<{ open: boolean; officerId: string | null } | undefined> {
    const call = await this.data.repos.calls.findById(callId);
    if (!call) return undefined;
    const consultation = await this.data.repos.consultations.findById(call.consultationId);
    return { open: call.state === 'open', officerId: consultation?.officerId ?? null };
  }

  /** Refuses (and the refusal is logged) anyone but the consultation's officer, before the media of a call is touched. */
  async assertMayConduct(context: RequestContext, callId: string, action: string): Promise<void> {
    const call = await this.requireCall(callId);
    const consultation = (await this.data.repos.consultations.findById(call.consultationId))!;
    this.assertAssignedOfficer(context, consultation, action);
  }

  private async closeRecord(tx: Repositories, context: RequestContext, call: CallRow, reason: string, state: 'ended' | 'interrupted'): Promise<void> {
    const at = this.deps.now();
    const endedBy = context.actor.type === 'user' ? `user:${context.actor.userId}` : context.actor.type === 'link' ? context.actor.role : 'system';
    await tx.calls.end(call.id, state, at, endedBy, reason);
    await tx.calls.expireLinkSessions(call.id, at);
    // No observation outlives its call (EVD-15), even one whose page never connected.
    await tx.supervision.endOpenObservations(call.id, at);
    for (const role of ['victim', 'interpreter']) await tx.calls.revokeInvites(call.id, role, at, 'call ended');
    await this.event(tx, context, call.id, state === 'ended' ? 'ended' : 'interrupted', { reason });
    await this.deps.evidence.registerCallRecord(tx, context, call);
  }

  async postChat(context: RequestContext, participant: ParticipantRow, text: string) {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.length > 2000) throw new ValidationError('A message must have between 1 and 2000 characters');
    return this.data.transaction(async (tx) => {
      await this.lockOpenCall(tx, participant.callId);
      await this.assertConsented(tx, participant);
      const message = await tx.calls.insertChat({
        callId: participant.callId,
        participantId: participant.id,
        role: participant.role,
        text: trimmed,
        at: this.deps.now(),
      });
      await this.deps.audit.record(tx.audit, context, { what: 'call.chat_message', subject: `call:${participant.callId}`, details: { messageId: message.id } });
      return message;
    });
  }

  async saveNotes(context: RequestContext, callId: string, notes: string): Promise<void> {
    if (notes.length > 20_000) throw new ValidationError('Notes must be 20,000 characters or fewer', { notes: 'Notes must be 20,000 characters or fewer' });
    await this.data.transaction(async (tx) => {
      const call = await this.lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertAssignedOfficer(context, consultation, 'call.notes');
      await tx.calls.saveNotes(callId, notes, this.deps.now());
      await this.deps.audit.record(tx.audit, context, { what: 'call.notes_saved', subject: `call:${callId}`, details: { length: notes.length } });
    });
  }

  /** A still of the victim's video, as the officer's page captured it: type checked by its bytes, hashed, kept. */
  /**
   * A photo or video the victim sends during the call (policy: "send photos or videos"): streamed to disk while
   * hashed and counted, checked as an image or video by its first bytes, and registered as an evidence item.
   * A refused file leaves neither a file nor a row.
   */
  async saveUpload(context: RequestContext, session: LinkSession, content: AsyncIterable<Buffer>): Promise<{ id: string; mediaType: string; sha256: string }> {
    if (session.participant.role !== 'victim') throw new ForbiddenError('Only the victim can send photos or videos here');
    await this.assertConsented(this.data.repos, session.participant);
    const limit = this.deps.config.uploadMaxBytes;
    const at = this.deps.now();
    const uploadId = randomUUID();
    const partial = path.join(this.deps.mediaRoot, `calls/${session.call.id}/upload-${uploadId}.partial`);
    await fs.promises.mkdir(path.dirname(partial), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const out = fs.createWriteStream(partial, { flags: 'wx', mode: 0o440 });
    try {
      for await (const chunk of content) {
        size += chunk.length;
        if (size > limit)
          throw new AppError(
            413,
            `That file is too big to send here: the limit is ${Math.floor(limit / 1_000_000)} MB. Send a shorter video, or tell the officer.`,
          );
        if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (size === 0) throw new ValidationError('The file was empty: choose a photo or video and send it again');
      const kind = uploadType(head);
      if (!kind) throw new AppError(415, 'That is not a photo or video we can keep. Send a photo (JPEG, PNG or HEIC) or a video (MP4, MOV or WebM).');
      const fileKey = `calls/${session.call.id}/upload-${at.getTime()}-${uploadId.slice(0, 8)}.${kind.extension}`;
      await fs.promises.rename(partial, path.join(this.deps.mediaRoot, fileKey));
      const sha256 = hash.digest('hex');
      try {
        return await this.data.transaction(async (tx) => {
          const call = await this.lockOpenCall(tx, session.call.id);
          const count = (await tx.evidence.listByConsultation(call.consultationId)).filter((i) => i.kind === 'upload').length;
          if (count >= this.deps.config.uploadMaxPerCall)
            throw new ConflictError(`You have sent the most files this call can take (${this.deps.config.uploadMaxPerCall}). Tell the officer.`);
          const item = await this.deps.evidence.registerUpload(tx, context, {
            uploadId,
            consultationId: call.consultationId,
            callId: call.id,
            fileKey,
            mediaType: kind.mediaType,
            sha256,
            sizeBytes: size,
            receivedAt: at,
            participantId: session.participant.id,
          });
          await this.event(tx, context, call.id, 'upload_received', { evidenceId: item.id, mediaType: kind.mediaType, sha256 }, session.participant);
          return { id: item.id, mediaType: kind.mediaType, sha256 };
        });
      } catch (error) {
        await fs.promises.rm(path.join(this.deps.mediaRoot, fileKey), { force: true });
        throw error;
      }
    } catch (error) {
      out.destroy();
      await fs.promises.rm(partial, { force: true });
      throw error;
    }
  }

  async saveSnapshot(context: RequestContext, callId: string, image: Buffer) {
    const mediaType = imageType(image);
    if (!mediaType) throw new ValidationError('The snapshot must be a JPEG or PNG image');
    const call = await this.requireCall(callId);
    const consultation = (await this.data.repos.consultations.findById(call.consultationId))!;
    this.assertAssignedOfficer(context, consultation, 'call.snapshot');
    const at = this.deps.now();
    const fileKey = `calls/${callId}/snapshot-${at.getTime()}-${randomUUID().slice(0, 8)}.${mediaType === 'image/png' ? 'png' : 'jpg'}`;
    const file = path.join(this.deps.mediaRoot, fileKey);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(file, image, { flag: 'wx', mode: 0o440 });
    const { sha256, size } = await sha256File(file);
    try {
      return await this.data.transaction(async (tx) => {
        await this.lockOpenCall(tx, callId);
        const snapshot = await tx.recordings.createSnapshot({
          callId,
          consultationId: call.consultationId,
          fileKey,
          mediaType,
          sha256,
          sizeBytes: size,
          takenBy: context.actor.type === 'user' ? context.actor.userId : null,
          takenAt: at,
        });
        await this.event(tx, context, callId, 'snapshot_taken', { snapshotId: snapshot.id, sha256 });
        await this.deps.evidence.registerSnapshot(tx, context, snapshot);
        return snapshot;
      });
    } catch (error) {
      // No row, no file: a refused snapshot leaves nothing half-written.
      await fs.promises.rm(file, { force: true });
      throw error;
    }
  }

  // Recording hooks (called by CallRooms from the media plane).

  async recordingStarted(callId: string, participantId: string, start: RecordingStart): Promise<string> {
    return this.data.transaction(async (tx) => {
      const call = (await tx.calls.lock(callId))!;
      const segment = await tx.recordings.nextSegment(callId, start.role);
      const fileKey = `calls/${callId}/${start.role}-${String(segment).padStart(3, '0')}.webm`;
      const at = this.deps.now();
      const recording = await tx.recordings.create({
        callId,
        consultationId: call.consultationId,
        participantId,
        role: start.role,
        segment,
        fileKey,
        tracks: start.tracks,
        startedAt: at,
      });
      await this.event(tx, systemContext('media', 'media'), callId, 'recording_started', {
        recordingId: recording.id,
        role: start.role,
        segment,
        tracks: start.tracks,
      });
      const file = path.join(this.deps.mediaRoot, fileKey);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      return file;
    });
  }

  /** A finished segment: hashed as it lies on disk and the hash recorded with it (the master is never changed after). */
  async recordingFinished(result: RecordingResult, file: string): Promise<void> {
    const fileKey = path.relative(this.deps.mediaRoot, file).split(path.sep).join('/');
    const recording = await this.data.repos.recordings.findByFileKey(fileKey);
    if (!recording) return;
    if (!result.finalisedByRecorder && result.packets > 0) await this.repairInPlace(file);
    const exists = fs.existsSync(file);
    const hashed = exists && result.packets > 0 ? await sha256File(file) : undefined;
    if (exists && !hashed) await fs.promises.rm(file, { force: true });
    await this.data.transaction(async (tx) => {
      const at = this.deps.now();
      await tx.recordings.finish(recording.id, {
        status: hashed ? (result.finalisedByRecorder ? 'finalised' : 'repaired') : 'empty',
        endedAt: at,
        firstPacketAt: result.firstPacketAt ?? null,
        durationMs: result.durationMs ?? null,
        sha256: hashed?.sha256 ?? null,
        sizeBytes: hashed?.size ?? null,
      });
      await this.event(tx, systemContext('media', 'media'), recording.callId, 'recording_finished', {
        recordingId: recording.id,
        role: recording.role,
        segment: recording.segment,
        sha256: hashed?.sha256 ?? null,
        durationMs: result.durationMs ?? null,
      });
      if (hashed)
        await this.deps.evidence.registerRecording(tx, systemContext('media', 'media'), { ...recording, sha256: hashed.sha256, sizeBytes: hashed.size });
    });
  }

  /**
   * After a restart: every segment still marked as recording is made playable (remuxed, which writes the
   * duration and cues the stopped muxer never wrote), hashed and recorded as repaired; the raw file is kept
   * beside it. Every call left open is marked interrupted.
   */
  async recoverAfterRestart(): Promise<{ repaired: number; interrupted: number }> {
    const context = systemContext('startup', 'recovery');
    let repaired = 0;
    for (const recording of await this.data.repos.recordings.listUnfinished()) {
      const file = path.join(this.deps.mediaRoot, recording.fileKey);
      const hasMedia = fs.existsSync(file) && fs.statSync(file).size > 200;
      let hashed: { sha256: string; size: number } | undefined;
      let rawSha256: string | undefined;
      if (hasMedia) {
        rawSha256 = (await sha256File(file)).sha256;
        try {
          await this.repairInPlace(file);
          hashed = await sha256File(file);
        } catch (error) {
          this.deps.log.error({ err: error, recordingId: recording.id }, 'an unfinished recording could not be repaired; the raw file is kept');
        }
      }
      await this.data.transaction(async (tx) => {
        await tx.recordings.finish(recording.id, {
          status: hashed ? 'repaired' : 'empty',
          endedAt: this.deps.now(),
          firstPacketAt: null,
          durationMs: null,
          sha256: hashed?.sha256 ?? null,
          sizeBytes: hashed?.size ?? null,
        });
        await this.event(tx, context, recording.callId, 'recording_repaired', {
          recordingId: recording.id,
          sha256: hashed?.sha256 ?? null,
          rawSha256: rawSha256 ?? null,
        });
        if (hashed) await this.deps.evidence.registerRecording(tx, context, { ...recording, sha256: hashed.sha256, sizeBytes: hashed.size });
      });
      if (hashed) repaired++;
    }
    let interrupted = 0;
    for (const call of await this.data.repos.calls.listOpen()) {
      if (await this.endCall(context, call.id, 'The server restarted during the call', 'interrupted')) interrupted++;
    }
    return { repaired, interrupted };
  }

  private async repairInPlace(file: string): Promise<void> {
    const raw = file.replace(/\.webm$/, '.unfinished.webm');
    await fs.promises.rename(file, raw);
    await remuxWebm(raw, file);
  }

  /** The whole call as its officer's page and the live rooms see it (the caller has checked who is asking); never a secret's hash. */
  async callView(callId: string) {
    const repos = this.data.repos;
    const [call, invites, participants, events, chat, recordings, snapshots] = await Promise.all([
      repos.calls.findById(callId),
      repos.calls.listInvites(callId),
      repos.calls.listParticipants(callId),
      repos.calls.listEvents(callId),
      repos.calls.listChat(callId),
      repos.recordings.listByCall(callId),
      repos.recordings.listSnapshots(callId),
    ]);
    if (!call) throw new NotFoundError('No call with that id');
    return { call, invites: invites.map(withoutTokenHash), participants: participants.map(withoutSessionHash), events, chat, recordings, snapshots };
  }

  /**
   * The call record (DP-01): for the consultation's officer, supervisors and investigators, and the reading is
   * logged. It shows the call, its recordings, snapshots and timeline; not the officer's notes or the chat, which
   * are opened with a reason (`openNotesAndChat`). Items under a DP-10 restriction are left out, and no secret or
   * hash of a secret (link tokens, call sessions) is ever part of it.
   */
  async callRecord(context: RequestContext, callId: string) {
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.findById(callId);
      if (!call) throw new NotFoundError('No call with that id');
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertRecordReader(context, consultation, 'call.record_view');
      const [invites, participants, events, chat, recordings, snapshots, items] = await Promise.all([
        tx.calls.listInvites(callId),
        tx.calls.listParticipants(callId),
        tx.calls.listEvents(callId),
        tx.calls.listChat(callId),
        tx.recordings.listByCall(callId),
        tx.recordings.listSnapshots(callId),
        tx.evidence.listByConsultation(call.consultationId),
      ]);
      const restricted = new Set(items.filter((i) => i.restrictedAt).map((i) => i.sourceId));
      await this.deps.audit.record(tx.audit, context, { what: 'call.record_viewed', subject: `call:${callId}` });
      const { officerNotes, ...rest } = call;
      return {
        consultation,
        call: rest,
        invites: invites.map(withoutTokenHash),
        participants: participants.map(withoutSessionHash),
        events,
        recordings: recordings.filter((r) => !restricted.has(`recording:${r.id}`)),
        snapshots: snapshots.filter((s) => !restricted.has(`snapshot:${s.id}`)),
        text: {
          notes: textState(Boolean(officerNotes?.trim()), restricted.has(`notes:${callId}`)),
          chat: textState(chat.length > 0, restricted.has(`chat:${callId}`)),
        },
      };
    });
  }

  /**
   * The officer's notes and the chat transcript of a call, opened with a justification that is logged with the
   * reading (DP-01, DP-04). A part under a DP-10 restriction is withheld, whoever asks.
   */
  async openNotesAndChat(context: RequestContext, callId: string, justificationInput: string) {
    const justification = justificationInput.trim();
    if (justification.length < 5 || justification.length > 1000)
      throw new ValidationError('Say why you need to read the notes and messages (5 to 1000 characters)', {
        justification: 'Say why you need to read the notes and messages (5 to 1000 characters)',
      });
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.findById(callId);
      if (!call) throw new NotFoundError('No call with that id');
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertRecordReader(context, consultation, 'call.notes_and_chat_view');
      const items = await tx.evidence.listByConsultation(call.consultationId);
      const isRestricted = (kind: 'notes' | 'chat') => items.some((i) => i.sourceId === `${kind}:${callId}` && i.restrictedAt);
      const notes = isRestricted('notes') ? null : call.officerNotes?.trim() ? call.officerNotes : null;
      const chat: ChatMessageRow[] = isRestricted('chat') ? [] : await tx.calls.listChat(callId);
      const withheld = (['notes', 'chat'] as const).filter(isRestricted);
      await this.deps.audit.record(tx.audit, context, {
        what: 'call.notes_and_chat_viewed',
        subject: `call:${callId}`,
        justification,
        details: { consultationId: consultation.id, notes: notes !== null, chatMessages: chat.length, withheld },
      });
      return { notes, chat: chat.map((m) => ({ at: m.at, role: m.role, text: m.text })), withheld };
    });
  }

  private assertRecordReader(context: RequestContext, consultation: { id: string; officerId: string | null }, action: string): void {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to read a call record');
    const may = mayReadConsultationRecord({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId);
    if (!may.allowed) throw new AccessRefusedError(may.message, { subject: `consultation:${consultation.id}`, action, reason: may.refusal });
  }

  private async lockOpenCall(tx: Repositories, callId: string): Promise<CallRow> {
    const call = await tx.calls.lock(callId);
    if (!call) throw new NotFoundError('No call with that id');
    if (call.state !== 'open') throw new ConflictError('This call has ended.');
    return call;
  }

  /** Only the officer who accepted the consultation runs its call (SEC-11); anyone else is refused, and that is logged. */
  private assertAssignedOfficer(context: RequestContext, consultation: { id: string; officerId: string | null }, action: string): void {
    const may =
      context.actor.type === 'user'
        ? mayConductConsultation({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId)
        : { allowed: false as const };
    if (may.allowed) return;
    throw new AccessRefusedError('Only the officer who accepted this consultation can run its video call.', {
      subject: `consultation:${consultation.id}`,
      action,
      reason: 'not_assigned_officer',
    });
  }

  private async event(tx: Repositories, context: RequestContext, callId: string, type: string, details: Record<string, unknown>, participant?: ParticipantRow) {
    const at = this.deps.now();
    await tx.calls.insertEvent({ callId, type, participantId: participant?.id ?? null, role: participant?.role ?? null, details, at });
    await this.deps.audit.record(tx.audit, context, {
      what: `call.${type}`,
      subject: `call:${callId}`,
      details: { ...details, participantId: participant?.id, role: participant?.role },
    });
    await tx.live.notify({ type: 'call', id: callId, at: at.toISOString() });
  }
}

/** A link's token is a secret: not even its hash leaves the service (issue 12). */
function withoutTokenHash({ tokenHash: _hash, ...invite }: InviteRow): Omit<InviteRow, 'tokenHash'> {
  return invite;
}

/** A link-holder's call session is a secret too. */
function withoutSessionHash({ sessionHash: _hash, ...participant }: ParticipantRow): Omit<ParticipantRow, 'sessionHash'> {
  return participant;
}

function textState(exists: boolean, restricted: boolean): 'none' | 'available' | 'restricted' {
  return restricted ? 'restricted' : exists ? 'available' : 'none';
}

/** JPEG and PNG by their first bytes, never by what the sender claims. */
/** Photos and videos a phone takes, known by their first bytes, never by the name or the type the browser claims. */
export function uploadType(bytes: Buffer): { mediaType: string; extension: string } | undefined {
  const image = imageType(bytes);
  if (image) return { mediaType: image, extension: image === 'image/png' ? 'png' : 'jpg' };
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3) return { mediaType: 'video/webm', extension: 'webm' };
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString('latin1') === 'ftyp') {
    const brand = bytes.subarray(8, 12).toString('latin1');
    if (['heic', 'heix', 'mif1', 'msf1', 'hevc'].includes(brand)) return { mediaType: 'image/heic', extension: 'heic' };
    if (brand === 'qt  ') return { mediaType: 'video/quicktime', extension: 'mov' };
    return { mediaType: 'video/mp4', extension: 'mp4' };
  }
  return undefined;
}

export function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}
