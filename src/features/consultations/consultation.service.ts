import { randomInt } from 'node:crypto';
import type { DataAccess, Repositories } from '../../composition.js';
import {
  availableTransitions,
  decideTransition,
  isConsultationState,
  STATE_TIMESTAMP,
  TERMINAL_STATES,
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
    case 'link':
      return context.actor.role === 'victim' ? ['victim'] : [];
  }
}

/**
 * The one place a consultation changes state: validate, write the row, its consultation_events row, its
 * audit event and its live notification in one transaction. A refused transition writes nothing and says
 * why (HTTP 409).
 */
/**
 * Work that must happen, in the same transaction, whenever a consultation reaches an ending (completed,
 * abandoned, escalated to attendance): e.g. sampling it for quality review, scheduling the satisfaction survey.
 */
export type ConsultationEndedHandler = (tx: Repositories, context: RequestContext, consultation: ConsultationRow, at: Date) => Promise<void>;

export class ConsultationService {
  private readonly endedHandlers: { name: string; handle: ConsultationEndedHandler }[] = [];

  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  /** Registered once, in composition.ts, in the order they run. */
  onEnded(name: string, handle: ConsultationEndedHandler): void {
    this.endedHandlers.push({ name, handle });
  }

  /** Records an incident and its triage outcome inside the caller's transaction (the control room's intake). */
  async createTriaged(
    tx: Repositories,
    context: RequestContext,
    input: { incident: Omit<NewIncident, 'createdBy'>; eligible: boolean; interpreterRequired: boolean; reasons: string[] },
  ): Promise<ConsultationRow> {
    const at = this.now();
    const state: ConsultationState = input.eligible ? 'triaged_eligible' : 'triaged_ineligible';
    const createdBy = context.actor.type === 'user' ? context.actor.userId : null;
    if (await tx.incidents.findByCadReference(input.incident.cadReference)) {
      throw new ConflictError(`CAD incident ${input.incident.cadReference} already has an RVR consultation`, {
        cadReference: 'This CAD reference already has an RVR consultation',
      });
    }
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
      actorRole: transitionActors(context)[0] ?? context.actor.type,
      reason: input.reasons.join('; ') || null,
      at,
    });
    await this.audit.record(tx.audit, context, {
      what: 'consultation.triaged',
      subject: `consultation:${consultation.id}`,
      details: { incidentId: incident.id, state, reasons: input.reasons, interpreterRequired: input.interpreterRequired },
    });
    await tx.live.notify({ type: 'consultation', id: consultation.id, state, at: at.toISOString() });
    return consultation;
  }

  async transition(context: RequestContext, consultationId: string, toInput: string, reasonInput?: string): Promise<ConsultationRow> {
    if (!isConsultationState(toInput)) throw new ValidationError(`"${toInput}" is not a consultation state`);
    const reason = reasonInput?.trim() || undefined;
    if (reason && reason.length > 2000)
      throw new ValidationError('The reason must be 2000 characters or fewer', { reason: 'The reason must be 2000 characters or fewer' });
    return this.data.transaction((tx) => this.applyTransition(tx, context, consultationId, toInput, reason));
  }

  /** A transition inside the caller's transaction, for services that change more than the consultation at once. */
  async applyTransition(tx: Repositories, context: RequestContext, consultationId: string, to: ConsultationState, reason?: string): Promise<ConsultationRow> {
    const current = await tx.consultations.findById(consultationId);
    if (!current) throw new NotFoundError('No consultation with that id');
    const from = current.state as ConsultationState;
    const decision = decideTransition(from, to, transitionActors(context), reason);
    if (!decision.allowed) throw new ConflictError(decision.reason);
    if (to === 'queued') {
      // RVR-04: never in the queue (and so never sent a link) without both consents on record.
      const triage = await tx.triages.findByConsultation(current.id);
      if (!triage?.videoConsentAt || !triage.recordingConsentAt) {
        throw new ConflictError('This consultation cannot be queued: consent to the video call and to recording must both be recorded first.');
      }
    }
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
    const actorRole = transitionActors(context).find((a) => decideTransition(from, to, [a], 'x').allowed) ?? context.actor.type;
    await tx.consultations.insertEvent({
      consultationId: current.id,
      fromState: from,
      toState: to,
      actorId: context.actor.type === 'user' ? context.actor.userId : null,
      actorRole,
      reason: reason ?? null,
      at,
    });
    await this.audit.record(tx.audit, context, {
      what: 'consultation.transition',
      subject: `consultation:${current.id}`,
      justification: reason,
      details: { from, to },
    });
    await this.updateOfficerAvailability(tx, current, updated, at);
    if (TERMINAL_STATES.includes(to) && !TERMINAL_STATES.includes(from)) {
      for (const handler of this.endedHandlers) await handler.handle(tx, context, updated, at);
    }
    await tx.live.notify({ type: 'consultation', id: current.id, state: to, at: at.toISOString() });
    return updated;
  }

  /** An officer is on a call from accepting until the consultation ends or goes back to the queue. */
  private async updateOfficerAvailability(tx: Repositories, before: ConsultationRow, after: ConsultationRow, at: Date): Promise<void> {
    const state = after.state as ConsultationState;
    if (state === 'accepted' && after.officerId) {
      await tx.availability.set(after.officerId, 'on_call', at);
      await tx.live.notify({ type: 'availability', userId: after.officerId, status: 'on_call', at: at.toISOString() });
    } else if (before.officerId && (TERMINAL_STATES.includes(state) || state === 'queued')) {
      await tx.availability.set(before.officerId, 'available', at);
      await tx.live.notify({ type: 'availability', userId: before.officerId, status: 'available', at: at.toISOString() });
    }
  }

  async detail(consultationId: string, context: RequestContext) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    const [incident, events, triage, officer] = await Promise.all([
      this.data.repos.incidents.findById(consultation.incidentId),
      this.data.repos.consultations.listEvents(consultation.id),
      this.data.repos.triages.findByConsultation(consultation.id),
      consultation.officerId ? this.data.repos.users.findById(consultation.officerId) : undefined,
    ]);
    const options = availableTransitions(consultation.state as ConsultationState, transitionActors(context));
    return { consultation, incident: incident!, events, options, triage, officerName: officer?.displayName };
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

  listQueue() {
    return this.data.repos.consultations.listQueue();
  }

  listOpenTriagedBy(userId: string) {
    return this.data.repos.consultations.listOpenTriagedBy(userId);
  }

  listOpenForOfficer(officerId: string) {
    return this.data.repos.consultations.listOpenForOfficer(officerId);
  }

  listSummaries(states: readonly ConsultationState[] | 'all') {
    return this.data.repos.consultations.listSummaries(states);
  }
}
