import { consentCovers } from '../../domain/call-consent.js';
import { stateLabel, type ConsultationState } from '../../domain/consultation-state.js';
import { isAssignedState } from '../../domain/ownership.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { AppError, ConflictError, NotFoundError } from '../../platform/errors.js';
import { assertAssignedOfficer, recordCallEvent, type CallDeps, type CallService } from './call.service.js';
import type { CallLinksService } from './call-links.service.js';
import type { CallRow } from './calls.repository.js';

export interface ResumedCall {
  call: CallRow;
  /** Link-holders whose session (same cookie, consent carried) is their place in the resumed call. */
  carriedSessions: string[];
  /** Links texted before the interruption and never opened: they open the resumed call. */
  carriedLinks: string[];
  /** A new link was texted to the victim because the old one could not be used (opened and its session gone, expired, revoked). */
  newLink: boolean;
  /** Why a needed new link could not be sent (the officer sends it from the call page). */
  linkError?: string;
}

/**
 * "Resume the call" (issue 18): after a call stopped without the officer ending it, the officer opens a new call for
 * the consultation — a new call row, so a new recording segment — and the victim rejoins it with one tap using the
 * link session they still hold. A new link is texted only when the old one cannot be used.
 */
export class CallResumeService {
  constructor(
    private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'consultations' | 'now' | 'placement' | 'log'> & {
      links: Pick<CallLinksService, 'sendInvite'>;
      lifecycle: Pick<CallService, 'endCall'>;
    },
  ) {}

  async resume(context: RequestContext, consultationId: string): Promise<ResumedCall> {
    const lostNodeId = await this.endCallOfUnreachableNode(context, consultationId);
    const outcome = await this.deps.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      assertAssignedOfficer(context, consultation, 'call.resume');
      const open = await tx.calls.findOpenByConsultation(consultation.id);
      // The call was never lost here (the officer's own connection dropped): the page simply joins it again.
      if (open && (!open.mediaNodeId || (await this.deps.placement.ownerAlive(tx, open.mediaNodeId))))
        return { call: open, carriedSessions: [], carriedLinks: [], needsLink: false };
      // Its media node has just gone: the reaper ends that call as interrupted within NODE_LAPSE_SECONDS (ADR 0013).
      if (open) throw new ConflictError('The server hosting the call has just stopped. Wait a few seconds, then resume the call again.');
      if (!isAssignedState(consultation.state)) {
        throw new ConflictError(`This consultation is ${stateLabel(consultation.state as ConsultationState)}; there is no call to resume.`);
      }
      const previous = await tx.calls.latestByConsultation(consultation.id);
      const at = this.deps.now();
      // A new segment goes to the least-loaded healthy media node, like any new call (ADR 0013).
      const mediaNodeId = await this.deps.placement.place(tx, lostNodeId ? [lostNodeId] : []);
      const call = await tx.calls.create({ consultationId: consultation.id, openedAt: at, mediaNodeId });
      const carriedSessions: string[] = [];
      const carriedLinks: string[] = [];
      if (previous?.state === 'interrupted') {
        for (const participant of await tx.calls.listParticipants(previous.id)) {
          if (!participant.sessionHash || !participant.sessionExpiresAt || participant.sessionExpiresAt <= at) continue;
          const consent = await tx.calls.findConsent(previous.id, participant.id);
          const moved = await tx.calls.moveLinkSession(participant, call.id);
          // The consent they gave for this consultation's call carries to its resumption, as given (RVR-04); the
          // call event says where it came from.
          if (consent && consentCovers(consent, { callId: previous.id, participantId: participant.id })) {
            await tx.calls.recordConsent({
              callId: call.id,
              participantId: moved.id,
              videoConsent: true,
              recordingConsent: true,
              wording: consent.wording,
              givenAt: consent.givenAt,
            });
          }
          carriedSessions.push(participant.role);
        }
        for (const invite of await tx.calls.listInvites(previous.id)) {
          if (invite.revokedAt || invite.openedAt || invite.expiresAt <= at) continue;
          await tx.calls.moveInvite(invite.id, call.id);
          carriedLinks.push(invite.role);
        }
      }
      const victimWasInvited = previous !== undefined && (await tx.calls.listInvites(previous.id)).some((i) => i.role === 'victim');
      const needsLink = victimWasInvited && !carriedSessions.includes('victim') && !carriedLinks.includes('victim');
      await recordCallEvent(this.deps, tx, context, call.id, 'call_resumed', {
        resumedFrom: previous?.id ?? null,
        carriedSessions,
        carriedLinks,
      });
      if (consultation.state === 'call_interrupted') {
        await this.deps.consultations.applyTransition(tx, systemContext('call-resume', context.correlationId), consultation.id, 'invited');
      }
      return { call, carriedSessions, carriedLinks, needsLink };
    });
    const { needsLink, ...resumed } = outcome;
    if (!needsLink) return { ...resumed, newLink: false };
    try {
      await this.deps.links.sendInvite(context, resumed.call.id, { role: 'victim' });
      return { ...resumed, newLink: true };
    } catch (error) {
      // The call is open either way: the officer sees why and uses "Send link" on the call page.
      if (!(error instanceof AppError)) throw error;
      return { ...resumed, newLink: false, linkError: error.message };
    }
  }

  /**
   * The officer pressed "Resume" because the page was told the call was interrupted: if the call's media node
   * refuses connections now, its call is ended as interrupted here, as the reaper would once the node's heartbeat
   * lapsed (ADR 0013), so the officer gets a new call at once instead of "wait a few seconds". The lost node's
   * recordings are left for it to repair, as the reaper leaves them; the new call is placed elsewhere.
   */
  private async endCallOfUnreachableNode(context: RequestContext, consultationId: string): Promise<string | undefined> {
    const consultation = await this.deps.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    assertAssignedOfficer(context, consultation, 'call.resume');
    const open = await this.deps.data.repos.calls.findOpenByConsultation(consultation.id);
    if (!open?.mediaNodeId || !(await this.deps.placement.ownerUnreachable(open.mediaNodeId))) return undefined;
    if (
      await this.deps.lifecycle.endCall(
        systemContext('call-resume', context.correlationId),
        open.id,
        'The video call server hosting the call stopped',
        'interrupted',
      )
    )
      this.deps.log.warn(
        { callId: open.id, lostNodeId: open.mediaNodeId },
        'ended a call whose media node refuses connections, as interrupted, to resume it elsewhere',
      );
    return open.mediaNodeId;
  }
}
