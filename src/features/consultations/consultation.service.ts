import { randomInt } from 'node:crypto';
import type { DataAccess } from '../../composition.js';
import {
  availableTransitions,
  decideTransition,
  isConsultationState,
  STATE_TIMESTAMP,
  type ConsultationState,
  type TransitionActor,
} from '../../domain/consultation-state.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ConsultationRow } from './consultations.repository.js';
import type { NewIncident } from './incidents.repository.js';

const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newReference(now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  const suffix = Array.from({ length: 6 }, () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]).join('');
  return `RVR-${day}-${suffix}`;
}

function transitionActors(context: RequestContext): TransitionActor[] {
  switch (context.actor.type) {
    case 'user':
      return [...context.actor.roles];
    case 'system':
      return ['system'];
    case 'cli':
      return [];
  }
}

/**
 * The one place a consultation changes state: validate, write the row, its consultation_events row and its
 * audit event in one transaction. A refused transition writes nothing and says why (HTTP 409).
 */
export class ConsultationService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  /** Records an incident and its triage decision (the control room's intake builds on this). */
  async createTriaged(
    context: RequestContext,
    input: { incident: Omit<NewIncident, 'createdBy'>; eligible: boolean; interpreterRequired: boolean; reasons: string[] },
  ): Promise<ConsultationRow> {
    const at = this.now();
    const state: ConsultationState = input.eligible ? 'triaged_eligible' : 'triaged_ineligible';
    const createdBy = context.actor.type === 'user' ? context.actor.userId : null;
    return this.data.transaction(async (tx) => {
      const incident = await tx.incidents.create({ ...input.incident, createdBy });
      const consultation = await tx.consultations.create({
        reference: newReference(at),
        incidentId: incident.id,
        state,
        interpreterRequired: input.interpreterRequired,
        triagedAt: at,
      });
      await tx.consultations.insertEvent({
        consultationId: consultation.id,
        fromState: null,
        toState: state,
        actorId: createdBy,
        actorRole: this.primaryRole(context),
        reason: input.reasons.join('; ') || null,
        at,
      });
      await this.audit.record(tx.audit, context, {
        what: 'consultation.triaged',
        subject: `consultation:${consultation.id}`,
        details: { incidentId: incident.id, state, reasons: input.reasons, interpreterRequired: input.interpreterRequired },
      });
      return consultation;
    });
  }

  async transition(context: RequestContext, consultationId: string, toInput: string, reasonInput?: string): Promise<ConsultationRow> {
    if (!isConsultationState(toInput)) throw new ValidationError(`"${toInput}" is not a consultation state`);
    const to = toInput;
    const reason = reasonInput?.trim() || undefined;
    if (reason && reason.length > 2000)
      throw new ValidationError('The reason must be 2000 characters or fewer', { reason: 'The reason must be 2000 characters or fewer' });
    const actors = transitionActors(context);
    return this.data.transaction(async (tx) => {
      const current = await tx.consultations.findById(consultationId);
      if (!current) throw new NotFoundError('No consultation with that id');
      const from = current.state as ConsultationState;
      const decision = decideTransition(from, to, actors, reason);
      if (!decision.allowed) throw new ConflictError(decision.reason);
      const at = this.now();
      const stampColumn = STATE_TIMESTAMP[to];
      const firstEntry = stampColumn && current[stampColumn] === null;
      const officerId = to === 'accepted' && context.actor.type === 'user' ? context.actor.userId : to === 'queued' ? null : undefined;
      const updated = await tx.consultations.applyTransition({
        id: current.id,
        expectedVersion: current.version,
        to,
        stamp: firstEntry ? stampColumn : undefined,
        at,
        officerId,
      });
      if (!updated) throw new ConflictError('Someone else changed this consultation a moment ago. Reload to see its current state.');
      await tx.consultations.insertEvent({
        consultationId: current.id,
        fromState: from,
        toState: to,
        actorId: context.actor.type === 'user' ? context.actor.userId : null,
        actorRole: this.primaryRole(context, to, from),
        reason: reason ?? null,
        at,
      });
      await this.audit.record(tx.audit, context, {
        what: 'consultation.transition',
        subject: `consultation:${current.id}`,
        justification: reason,
        details: { from, to },
      });
      return updated;
    });
  }

  async detail(consultationId: string, context: RequestContext) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    const [incident, events] = await Promise.all([
      this.data.repos.incidents.findById(consultation.incidentId),
      this.data.repos.consultations.listEvents(consultation.id),
    ]);
    const options = availableTransitions(consultation.state as ConsultationState, transitionActors(context));
    return { consultation, incident: incident!, events, options };
  }

  async summary(consultationId: string) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    return consultation;
  }

  /** Caller details: logged with the justification in the same transaction that reads them (DP-01). */
  async viewCallerDetails(context: RequestContext, consultationId: string, justification: string) {
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const incident = await tx.incidents.findById(consultation.incidentId);
      await this.audit.record(tx.audit, context, {
        what: 'personal_data.viewed',
        subject: `incident:${consultation.incidentId}`,
        justification,
        details: { consultationId, fields: ['callerName', 'callerPhone', 'relationship', 'location', 'needs', 'summary'] },
      });
      const { callerName, callerPhone, relationship, location, needs, summary } = incident!;
      return { callerName, callerPhone, relationship, location, needs, summary };
    });
  }

  listSummaries(states: readonly ConsultationState[] | 'all') {
    return this.data.repos.consultations.listSummaries(states);
  }

  /** The role recorded on a consultation event: the one that authorised it. */
  private primaryRole(context: RequestContext, to?: ConsultationState, from?: ConsultationState): string {
    const actors = transitionActors(context);
    if (to && from) {
      const authorising = actors.find((a) => decideTransition(from, to, [a], 'x').allowed);
      if (authorising) return authorising;
    }
    return actors[0] ?? context.actor.type;
  }
}
