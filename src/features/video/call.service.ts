import type { Logger } from 'pino';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import type { RecordingScratch } from '../../platform/storage/recording-scratch.js';
import type { EvidenceRegistrationService } from '../evidence/evidence-registration.service.js';
import type { DataAccess, Repositories } from '../../data-access.js';
import type { CallConfig } from '../../config.js';
import { CONSENT_REQUIRED, consentCovers, needsOwnConsent } from '../../domain/call-consent.js';
import { COLLATERAL_MARK_LABELS, isCollateralMarkKind } from '../../domain/collateral-marks.js';
import { CALL_INTERRUPTIBLE_STATES, stateLabel, type ConsultationState } from '../../domain/consultation-state.js';
import { mayConductConsultation } from '../../domain/ownership.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors.js';
import type { SmsSender } from '../../platform/sms/sms-sender.js';
import type { ConsultationService } from '../consultations/consultation.service.js';
import type { CallRow, ParticipantRow } from './calls.repository.js';
import type { LinkSession } from './link-session.js';
import type { CallPlacement } from '../media-nodes/media-nodes.service.js';

/** A link-holder tried to take part before agreeing to the video call and its recording (RVR-04, SC-3). */
export class ConsentRequiredError extends ForbiddenError {
  constructor() {
    super(CONSENT_REQUIRED.message);
    this.forVictim('server.consentRequired');
  }
}

/** Consultation states in which the officer may hold a video call. */
const CALLABLE_STATES: readonly ConsultationState[] = ['accepted', 'invited', 'victim_joined', 'connected'];

/** The link-holder's principal is defined in platform (the request guard resolves it through this service). */
export type { LinkSession };

export interface CallDeps {
  data: DataAccess;
  audit: AuditTrail;
  consultations: ConsultationService;
  sms: SmsSender;
  config: CallConfig;
  publicBaseUrl: string;
  /** Where evidence files (snapshots, uploads, finished recordings) are kept (issue 15): never the filesystem directly. */
  blobs: BlobStore;
  /** The media node's scratch folder for segments still recording. */
  scratch: RecordingScratch;
  /** Makes each finished recording and snapshot an evidence item, in the same transaction (EVD-01). */
  evidence: Pick<EvidenceRegistrationService, 'registerRecording' | 'registerSnapshot' | 'registerUpload' | 'registerCallRecord'>;
  log: Logger;
  now: () => Date;
  /** Which media node a new call is placed on, and whether an open call's node still hosts it (ADR 0013). */
  placement: CallPlacement;
  /** DP-13: refuses a live call (a new call, a link sent) without an approved, in-date DPIA; absent, no gate. */
  liveCallGate?: (tx: Repositories) => Promise<void>;
}

/**
 * The call's lifecycle: opened by its officer, joined and left by its participants, connected, and ended (by the
 * officer, by the media plane, or with its consultation). The other call services (links, consent, chat, uploads,
 * snapshots, recordings, the record) build on the shared steps below; every change writes its call event and audit
 * event in the same transaction and announces the call on the live channel, so pages on any node refresh. The media
 * itself is in `CallRooms`.
 */
export class CallService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'consultations' | 'evidence' | 'now' | 'placement' | 'log' | 'liveCallGate'>) {}

  private get data() {
    return this.deps.data;
  }

  /** The officer's open call for the consultation, opened on first use. */
  async openCall(context: RequestContext, consultationId: string): Promise<CallRow> {
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      assertAssignedOfficer(context, consultation, 'call.open');
      // SC-8: opening a call needs current RVR training (an audited refusal that says what to do).
      await this.deps.consultations.assertMayWorkCalls(tx, context, consultationId, 'call.open');
      const existing = await tx.calls.findOpenByConsultation(consultationId);
      if (existing && (!existing.mediaNodeId || (await this.deps.placement.ownerAlive(tx, existing.mediaNodeId)))) return existing;
      if (!existing && consultation.state === 'call_interrupted') {
        throw new ConflictError('The last call was interrupted. Use “Resume the call” on the consultation page to start it again.');
      }
      if (!CALLABLE_STATES.includes(consultation.state as ConsultationState)) {
        throw new ConflictError(`A video call needs an accepted consultation; this one is ${consultation.state.replaceAll('_', ' ')}.`);
      }
      // DP-13: no new live call without an approved, in-date DPIA (the gate is on in production).
      await this.deps.liveCallGate?.(tx);
      // Placed before anything is written: with no media node free the officer gets a 503 and nothing changes.
      const mediaNodeId = await this.deps.placement.place(tx);
      if (existing) {
        // Its media node is gone (the reaper has not got to it yet): that call ends as interrupted and a new one opens elsewhere.
        const lost = (await tx.calls.lock(existing.id))!;
        if (lost.state === 'open')
          await this.closeRecord(tx, systemContext('media-nodes', 'reaper'), lost, 'The video call server hosting the call stopped', 'interrupted');
        this.deps.log.warn(
          { callId: existing.id, lostNodeId: existing.mediaNodeId },
          'the open call of a gone media node ended as interrupted; a new call is opened',
        );
      }
      const at = this.deps.now();
      const call = await tx.calls.create({ consultationId, openedAt: at, mediaNodeId });
      await recordCallEvent(this.deps, tx, context, call.id, 'call_opened', {});
      return call;
    });
  }

  /**
   * Issue 17 §4: the call of a booked appointment, opened by the platform when the reminder goes (in the reminder's
   * transaction), so the victim can join from the appointment page in the window and the officer finds it open.
   */
  async openScheduledCall(tx: Repositories, context: RequestContext, consultationId: string): Promise<CallRow> {
    const consultation = await tx.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    if (consultation.state !== 'appointment_booked') throw new ConflictError('Only a booked appointment has its call opened by the platform.');
    const existing = await tx.calls.findOpenByConsultation(consultationId);
    if (existing) return existing;
    const mediaNodeId = await this.deps.placement.place(tx);
    const call = await tx.calls.create({ consultationId, openedAt: this.deps.now(), mediaNodeId });
    await recordCallEvent(this.deps, tx, context, call.id, 'call_opened', { appointment: true });
    return call;
  }

  async findOpenCall(consultationId: string): Promise<CallRow | undefined> {
    return this.data.repos.calls.findOpenByConsultation(consultationId);
  }

  async requireCall(callId: string): Promise<CallRow> {
    const call = await this.data.repos.calls.findById(callId);
    if (!call) throw new NotFoundError('No call with that id');
    return call;
  }

  async findParticipant(participantId: string): Promise<ParticipantRow | undefined> {
    return this.data.repos.calls.findParticipant(participantId);
  }

  /** The officer (or another staff member) as a participant of the call. */
  async staffParticipant(context: RequestContext, callId: string, role: 'officer'): Promise<ParticipantRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to join the call');
    const userId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      assertAssignedOfficer(context, consultation, 'call.join');
      return (await tx.calls.findStaffParticipant(callId, userId, role)) ?? tx.calls.createParticipant({ callId, role, userId });
    });
  }

  /** A participant's media connection came up: a first join, or a rejoin after a drop (a new recording segment follows). */
  async participantJoined(context: RequestContext, participant: ParticipantRow): Promise<'joined' | 'rejoined'> {
    return this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, participant.callId);
      await assertConsented(tx, participant);
      const current = (await tx.calls.findParticipant(participant.id))!;
      const at = this.deps.now();
      const kind = current.joinedAt ? 'rejoined' : 'joined';
      await tx.calls.updateParticipant(participant.id, { joinedAt: current.joinedAt ?? at, lastSeenAt: at, leftAt: null, leftReason: null });
      if (current.inviteId) await tx.calls.stampInvite(current.inviteId, 'joinedAt', at);
      await recordCallEvent(this.deps, tx, context, call.id, kind, {}, participant);
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
      await recordCallEvent(this.deps, tx, context, call.id, type, beforeConsent ? { beforeConsent: true } : {}, participant);
      // The quick exit ends that person's link session: the page they leave behind cannot rejoin.
      if (reason === 'quick_exit') await tx.calls.updateParticipant(participant.id, { sessionExpiresAt: at });
    });
  }

  /**
   * Issue 17 §3: a participant's page now sends (and is sent) video, or audio only, by their choice or because their
   * connection cannot carry video. Each switch is a call event (shown in the call record beside the recording) and an
   * audit event `call.media_mode`.
   */
  async mediaModeChanged(context: RequestContext, participant: ParticipantRow, mode: 'video' | 'audio_only', cause: 'chosen' | 'connection'): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(participant.callId);
      if (call?.state !== 'open') return;
      const label =
        mode === 'audio_only'
          ? cause === 'chosen'
            ? 'audio only, and photos (chosen on their page)'
            : 'audio only: their connection could not carry video'
          : cause === 'chosen'
            ? 'video on (chosen on their page)'
            : 'video on again: their connection recovered';
      await recordCallEvent(this.deps, tx, context, call.id, 'media_mode', { mode, cause, label }, participant);
    });
  }

  /** Issue 17 §3: the officer asked the victim for a photo during the call (a call event and audit event `call.photo_requested`). */
  async photoRequested(context: RequestContext, participant: ParticipantRow): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, participant.callId);
      await recordCallEvent(this.deps, tx, context, call.id, 'photo_requested', { label: 'the officer asked for a photo' }, participant);
    });
  }

  /** First media both ways between the officer and the victim: the consultation is connected (the trial's time to officer). */
  async markConnected(callId: string): Promise<void> {
    await this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(callId);
      if (call?.state !== 'open') return;
      const at = this.deps.now();
      if (!(await tx.calls.markConnected(callId, at))) {
        await recordCallEvent(this.deps, tx, systemContext('media', 'media'), callId, 'reconnected', {});
        return;
      }
      const context = systemContext('media', 'media');
      await recordCallEvent(this.deps, tx, context, callId, 'connected', {});
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
      if (context.actor.type === 'user') assertAssignedOfficer(context, consultation, 'call.end');
      await this.closeRecord(tx, context, call, reason, state);
      if (state === 'ended' && consultation.state === 'connected' && context.actor.type === 'user') {
        await this.deps.consultations.applyTransition(tx, context, consultation.id, 'completed');
      } else if (context.actor.type !== 'user' && CALL_INTERRUPTIBLE_STATES.includes(consultation.state as ConsultationState)) {
        // Issue 18: stopped by the system (server or media lost, everyone gone, maximum length): the consultation waits
        // for its officer to resume, complete or escalate it, and the officer is free meanwhile.
        const system = context.actor.type === 'system' ? context : systemContext('call', callId);
        await this.deps.consultations.applyTransition(tx, system, consultation.id, 'call_interrupted', reason);
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
    if (call?.state !== 'open') return this.closeInterruptedLinks(tx, consultation.id);
    const why = `The consultation was ${stateLabel(consultation.state as ConsultationState)}${change.reason ? `: ${change.reason}` : ''}`;
    await this.closeRecord(tx, context, call, why, 'ended');
  }

  /** An interrupted call kept its links for a resume; once the consultation is let go, nothing of them works. */
  private async closeInterruptedLinks(tx: Repositories, consultationId: string): Promise<void> {
    const latest = await tx.calls.latestByConsultation(consultationId);
    if (latest?.state !== 'interrupted') return;
    const at = this.deps.now();
    await tx.calls.expireLinkSessions(latest.id, at);
    for (const role of ['victim', 'interpreter']) await tx.calls.revokeInvites(latest.id, role, at, 'consultation ended');
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
  async liveOfficer(callId: string): Promise<{ open: boolean; interrupted: boolean; officerId: string | null } | undefined> {
    const call = await this.data.repos.calls.findById(callId);
    if (!call) return undefined;
    const consultation = await this.data.repos.consultations.findById(call.consultationId);
    return { open: call.state === 'open', interrupted: call.state === 'interrupted', officerId: consultation?.officerId ?? null };
  }

  /** Refuses (and the refusal is logged) anyone but the consultation's officer, before the media of a call is touched. */
  async assertMayConduct(context: RequestContext, callId: string, action: string): Promise<void> {
    const call = await this.requireCall(callId);
    const consultation = (await this.data.repos.consultations.findById(call.consultationId))!;
    assertAssignedOfficer(context, consultation, action);
  }

  private async closeRecord(tx: Repositories, context: RequestContext, call: CallRow, reason: string, state: 'ended' | 'interrupted'): Promise<void> {
    const at = this.deps.now();
    const endedBy = context.actor.type === 'user' ? `user:${context.actor.userId}` : context.actor.type === 'link' ? context.actor.role : 'system';
    await tx.calls.end(call.id, state, at, endedBy, reason);
    // An interrupted call's link sessions and unopened links are kept for "Resume the call" (they work for nothing
    // while no call is open); they go when the consultation is let go (closeInterruptedLinks).
    if (state === 'ended') await tx.calls.expireLinkSessions(call.id, at);
    // No observation outlives its call (EVD-15), even one whose page never connected.
    await tx.supervision.endOpenObservations(call.id, at);
    if (state === 'ended') for (const role of ['victim', 'interpreter']) await tx.calls.revokeInvites(call.id, role, at, 'call ended');
    // RVR-13: a mark of others present still open ends with the call, before the call record is kept as evidence.
    for (const mark of await tx.collateralMarks.endOpen(call.id, at, 'system:call'))
      await recordCallEvent(this.deps, tx, context, call.id, 'mark_ended', {
        markId: mark.id,
        kind: mark.kind,
        label: isCollateralMarkKind(mark.kind) ? COLLATERAL_MARK_LABELS[mark.kind] : mark.kind,
        withCall: true,
      });
    await recordCallEvent(this.deps, tx, context, call.id, state === 'ended' ? 'ended' : 'interrupted', { reason });
    await this.deps.evidence.registerCallRecord(tx, context, call);
  }
}

/** The call, locked for the change, refused unless it is still open. */
export async function lockOpenCall(tx: Repositories, callId: string): Promise<CallRow> {
  const call = await tx.calls.lock(callId);
  if (!call) throw new NotFoundError('No call with that id');
  if (call.state !== 'open') throw new ConflictError('This call has ended.');
  return call;
}

/** Only the officer who accepted the consultation runs its call (SEC-11); anyone else is refused, and that is logged. */
export function assertAssignedOfficer(context: RequestContext, consultation: { id: string; officerId: string | null }, action: string): void {
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

/**
 * Defence in depth behind the request guard (which refuses every consent-requiring link route): a link-holder's
 * join, chat or upload is refused unless this participant agreed, on this call, to the video call and recording.
 */
export async function assertConsented(tx: Repositories, participant: ParticipantRow): Promise<void> {
  if (!needsOwnConsent(participant.role)) return;
  const consent = await tx.calls.findConsent(participant.callId, participant.id);
  if (!consentCovers(consent, { callId: participant.callId, participantId: participant.id })) throw new ConsentRequiredError();
}

/** One change to a call: its call event and audit event in the caller's transaction, and the live notice so pages on any node refresh. */
export async function recordCallEvent(
  deps: Pick<CallDeps, 'audit' | 'now'>,
  tx: Repositories,
  context: RequestContext,
  callId: string,
  type: string,
  details: Record<string, unknown>,
  participant?: ParticipantRow,
) {
  const at = deps.now();
  await tx.calls.insertEvent({ callId, type, participantId: participant?.id ?? null, role: participant?.role ?? null, details, at });
  await deps.audit.record(tx.audit, context, {
    what: `call.${type}`,
    subject: `call:${callId}`,
    details: { ...details, participantId: participant?.id, role: participant?.role },
  });
  await tx.live.notify({ type: 'call', id: callId, at: at.toISOString() });
}
