import type { DataAccess, Repositories } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ParticipantRow } from '../video/link-session.js';
import type { ObservationRow } from './supervision.repository.js';

export const MIN_JUSTIFICATION = 10;
const MAX_JUSTIFICATION = 2000;

export type ObservationEnd = 'left' | 'connection_closed' | 'call_ended';

/**
 * A supervisor watching a live call, receive-only (policy 4.0). Each observation is a consultation of personal
 * data: it needs a justification, which is kept with it and in the audit trail (DP-01, DP-04, EVD-15). Whether
 * the victim is told is force configuration (shown on their page, and recorded with the observation).
 */
export class ObservationService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      audit: AuditTrail;
      tellVictimWhenObserved: boolean;
      now: () => Date;
    },
  ) {}

  async start(context: RequestContext, callId: string, justificationInput: string | undefined): Promise<ObservationRow> {
    const userId = this.userOf(context);
    const justification = (justificationInput ?? '').trim();
    if (justification.length < MIN_JUSTIFICATION) {
      const message = `Give your reason for observing this call (at least ${MIN_JUSTIFICATION} characters)`;
      throw new ValidationError(message, { justification: message });
    }
    if (justification.length > MAX_JUSTIFICATION) {
      const message = `Keep the reason under ${MAX_JUSTIFICATION.toLocaleString('en-GB')} characters`;
      throw new ValidationError(message, { justification: message });
    }
    return this.deps.data.transaction(async (tx) => {
      const call = await tx.calls.lock(callId);
      if (!call) throw new NotFoundError('No call with that id');
      if (call.state !== 'open') throw new ConflictError('This call is not live any more, so it cannot be observed. Its recording is in the evidence.');
      const at = this.deps.now();
      // A new justification starts a new observation: the one before it ends here.
      const previous = await tx.supervision.findOpenObservation(callId, userId);
      if (previous) await this.stamp(tx, context, previous, 'left', at);
      const participant =
        (await tx.calls.findStaffParticipant(callId, userId, 'observer')) ?? (await tx.calls.createParticipant({ callId, role: 'observer', userId }));
      const observation = await tx.supervision.createObservation({
        callId,
        participantId: participant.id,
        observerId: userId,
        justification,
        victimNotified: this.deps.tellVictimWhenObserved,
        startedAt: at,
      });
      const details = { observationId: observation.id, victimNotified: observation.victimNotified };
      await tx.calls.insertEvent({ callId, type: 'observation_started', participantId: participant.id, role: 'observer', details, at });
      await this.deps.audit.record(tx.audit, context, {
        what: 'call.observation_started',
        subject: `call:${callId}`,
        justification,
        details: { ...details, consultationId: call.consultationId, participantId: participant.id },
      });
      await tx.live.notify({ type: 'call', id: callId, at: at.toISOString() });
      return observation;
    });
  }

  /** The supervisor's open observation of this live call and its participant: the observer page and socket need one. */
  async requireOpen(context: RequestContext, callId: string): Promise<{ observation: ObservationRow; participant: ParticipantRow }> {
    const userId = this.userOf(context);
    const repos = this.deps.data.repos;
    const call = await repos.calls.findById(callId);
    if (!call) throw new NotFoundError('No call with that id');
    if (call.state !== 'open') throw new ConflictError('This call has ended.');
    const observation = await repos.supervision.findOpenObservation(callId, userId);
    if (!observation?.participantId) throw new ForbiddenError('Start an observation of this call, with your reason, from the live board first.');
    const participant = (await repos.calls.findParticipant(observation.participantId))!;
    return { observation, participant };
  }

  /** Ends an observation once (leaving, the page's connection closing, or the call ending): the end time is stamped. */
  async end(context: RequestContext, observationId: string, how: ObservationEnd): Promise<void> {
    await this.deps.data.transaction(async (tx) => {
      const observation = await tx.supervision.findObservation(observationId);
      if (observation) await this.stamp(tx, context, observation, how, this.deps.now());
    });
  }

  private async stamp(tx: Repositories, context: RequestContext, observation: ObservationRow, how: ObservationEnd, at: Date): Promise<void> {
    const ended = await tx.supervision.endObservation(observation.id, at);
    if (!ended) return;
    const details = { observationId: observation.id, how, seconds: Math.round((at.getTime() - observation.startedAt.getTime()) / 1000) };
    await tx.calls.insertEvent({
      callId: observation.callId,
      type: 'observation_ended',
      participantId: observation.participantId,
      role: 'observer',
      details,
      at,
    });
    await this.deps.audit.record(tx.audit, context, { what: 'call.observation_ended', subject: `call:${observation.callId}`, details });
    await tx.live.notify({ type: 'call', id: observation.callId, at: at.toISOString() });
  }

  async listForCall(callId: string): Promise<ObservationRow[]> {
    return this.deps.data.repos.supervision.listObservations(callId);
  }

  private userOf(context: RequestContext): string {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in as a supervisor to observe a call');
    return context.actor.userId;
  }
}
