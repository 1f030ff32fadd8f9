import { randomInt } from 'node:crypto';
import type { DataAccess, Repositories } from '../../data-access.js';
import {
  availableTransitions,
  decideTransition,
  isConsultationState,
  STATE_TIMESTAMP,
  TERMINAL_STATES,
  type ConsultationState,
  type TransitionActor,
} from '../../domain/consultation-state.js';
import { decideReassignment, decideStaffTransition, isAssignedState, mayViewCallerDetails, staffTransitionOptions } from '../../domain/ownership.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ConsultationRow } from './consultations.repository.js';
import type { NewIncident } from './incidents.repository.js';
import type { Language } from '../../platform/i18n/i18n.js';

/** SC-8: refuses (throws) when the actor may not work RVR calls; runs in the caller's transaction. */
export type CallWorkGuard = (tx: Repositories, context: RequestContext, consultationId: string, action: string) => Promise<void>;

/** The consultation record other features work with (they never import this feature's repository). */
export type { ConsultationRow };

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

/**
 * Work that must happen, in the same transaction, whenever an officer's hold on a consultation ends (it ends, or
 * goes back to the queue): e.g. its open video call is ended and its links revoked, so no call outlives its officer.
 */
export type ConsultationReleasedHandler = (
  tx: Repositories,
  context: RequestContext,
  consultation: ConsultationRow,
  change: { from: ConsultationState; reason: string | undefined },
) => Promise<void>;

/** Work that must happen, in the same transaction, when a supervisor gives a held consultation to another officer. */
export type ConsultationReassignedHandler = (
  tx: Repositories,
  context: RequestContext,
  consultation: ConsultationRow,
  change: { fromOfficerId: string | null },
) => Promise<void>;

export class ConsultationService {
  private readonly endedHandlers: { name: string; handle: ConsultationEndedHandler }[] = [];
  private readonly releasedHandlers: { name: string; handle: ConsultationReleasedHandler }[] = [];
  private readonly reassignedHandlers: { name: string; handle: ConsultationReassignedHandler }[] = [];

  /** SC-8: who may work RVR calls (the training gate), registered once in composition.ts. */
  private callWorkGuard?: CallWorkGuard;

  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
    /** SC-1: the purpose code a new consultation is recorded for (the configured default unless one is asked for). */
    private readonly purposeFor: (requested?: string) => string = () => 'DA_RVR_INVESTIGATION',
  ) {}

  /** Registered once, in composition.ts: refuses accepting or opening a call to staff who may not work calls (SC-8). */
  guardCallWork(guard: CallWorkGuard): void {
    this.callWorkGuard = guard;
  }

  /** SC-8: throws (an audited refusal saying what to do) when this officer may not work RVR calls now. */
  async assertMayWorkCalls(tx: Repositories, context: RequestContext, consultationId: string, action: string): Promise<void> {
    await this.callWorkGuard?.(tx, context, consultationId, action);
  }

  /** Registered once, in composition.ts, in the order they run. */
  onEnded(name: string, handle: ConsultationEndedHandler): void {
    this.endedHandlers.push({ name, handle });
  }

  /** Registered once, in composition.ts; run before the ended handlers. */
  onReleased(name: string, handle: ConsultationReleasedHandler): void {
    this.releasedHandlers.push({ name, handle });
  }

  /** Registered once, in composition.ts. */
  onReassigned(name: string, handle: ConsultationReassignedHandler): void {
    this.reassignedHandlers.push({ name, handle });
  }

  /** Records an incident and its triage outcome inside the caller's transaction (the control room's intake). */
  async createTriaged(
    tx: Repositories,
    context: RequestContext,
    input: {
      incident: Omit<NewIncident, 'createdBy'>;
      eligible: boolean;
      interpreterRequired: boolean;
      reasons: string[];
      purposeCode?: string;
      language?: Language;
    },
  ): Promise<ConsultationRow> {
    const at = this.now();
    const purposeCode = this.purposeFor(input.purposeCode);
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
      purposeCode,
      language: input.language ?? 'en',
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
      details: {
        incidentId: incident.id,
        state,
        reasons: input.reasons,
        interpreterRequired: input.interpreterRequired,
        purposeCode,
        language: input.language ?? 'en',
      },
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
    const actorRole = this.decide(context, current, to, reason);
    // SC-8: taking a call from the queue needs current RVR training.
    if (to === 'accepted' && from === 'queued') await this.assertMayWorkCalls(tx, context, current.id, 'consultation.accept');
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
    await tx.consultations.insertEvent({
      consultationId: current.id,
      fromState: from,
      toState: to,
      actorId: context.actor.type === 'user' ? context.actor.userId : null,
      actorRole,
      reason: reason ?? null,
      at,
    });
    // A supervisor moving a consultation another officer holds: whose it was is in the record with the reason.
    const overOfficer = actorRole === 'supervisor' && isAssignedState(from) && current.officerId !== null ? { officerId: current.officerId } : {};
    await this.audit.record(tx.audit, context, {
      what: 'consultation.transition',
      subject: `consultation:${current.id}`,
      justification: reason,
      details: { from, to, ...overOfficer },
    });
    await this.updateOfficerAvailability(tx, current, updated, at);
    if (isAssignedState(from) && !isAssignedState(to)) {
      for (const handler of this.releasedHandlers) await handler.handle(tx, context, updated, { from, reason });
    }
    if (TERMINAL_STATES.includes(to) && !TERMINAL_STATES.includes(from)) {
      for (const handler of this.endedHandlers) await handler.handle(tx, context, updated, at);
    }
    await tx.live.notify({ type: 'consultation', id: current.id, state: to, at: at.toISOString() });
    return updated;
  }

  /**
   * Who may take this step: the state machine for the platform and the victim; for staff, the state machine and
   * whose the consultation is (only its officer, or a supervisor with a reason, once accepted). Returns the role
   * the step is taken in; refuses with 409 (the step) or 403 (this person, on this consultation: logged).
   */
  private decide(context: RequestContext, current: ConsultationRow, to: ConsultationState, reason: string | undefined): string {
    const from = current.state as ConsultationState;
    if (context.actor.type === 'user') {
      const check = decideStaffTransition(
        { userId: context.actor.userId, roles: context.actor.roles },
        { state: from, officerId: current.officerId },
        to,
        reason,
      );
      if (check.allowed) return check.actingAs;
      if (check.kind === 'object')
        throw new AccessRefusedError(check.message, { subject: `consultation:${current.id}`, action: `transition:${from}->${to}`, reason: check.refusal! });
      throw new ConflictError(check.message);
    }
    const actors = transitionActors(context);
    const decision = decideTransition(from, to, actors, reason);
    if (!decision.allowed) throw new ConflictError(decision.reason);
    return actors.find((a) => decideTransition(from, to, [a], 'x').allowed) ?? context.actor.type;
  }

  /**
   * A supervisor gives a consultation an officer holds to another officer, with a recorded reason (policy 4.0):
   * the old officer is freed, the new one is on the call, and a live call follows the consultation (the old
   * officer's page is closed; the new officer opens the call from the consultation).
   */
  async reassign(context: RequestContext, consultationId: string, newOfficerId: string, reasonInput: string | undefined): Promise<ConsultationRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in as a supervisor to reassign a consultation');
    const member = { userId: context.actor.userId, roles: context.actor.roles };
    const reason = reasonInput?.trim() || undefined;
    if (reason && reason.length > 2000)
      throw new ValidationError('The reason must be 2000 characters or fewer', { reason: 'The reason must be 2000 characters or fewer' });
    return this.data.transaction(async (tx) => {
      const current = await tx.consultations.findById(consultationId);
      if (!current) throw new NotFoundError('No consultation with that id');
      const state = current.state as ConsultationState;
      const newOfficer = /^[0-9a-f-]{36}$/i.test(newOfficerId) ? await tx.users.findById(newOfficerId) : undefined;
      const decision = decideReassignment({
        member,
        state,
        currentOfficerId: current.officerId,
        newOfficer: newOfficer && {
          id: newOfficer.id,
          roles: newOfficer.roles,
          disabled: newOfficer.disabledAt !== null,
          availability: await tx.availability.get(newOfficer.id),
        },
        reason,
      });
      if (!decision.allowed) {
        const subject = `consultation:${current.id}`;
        switch (decision.refusal) {
          case 'not_assigned_officer':
            throw new AccessRefusedError(decision.message, { subject, action: 'reassign', reason: decision.refusal });
          case 'reason_required':
            throw new ValidationError(decision.message, { reason: decision.message });
          case 'not_an_officer':
          case 'same_officer':
          case 'officer_not_available':
            throw new ValidationError(decision.message, { officerId: decision.message });
          default:
            throw new ConflictError(decision.message);
        }
      }
      const at = this.now();
      const updated = await tx.consultations.reassign({ id: current.id, expectedVersion: current.version, officerId: newOfficer!.id });
      if (!updated) throw new ConflictError('Someone else changed this consultation a moment ago. Reload to see its current state.');
      const previous = current.officerId ? await tx.users.findById(current.officerId) : undefined;
      await tx.consultations.insertEvent({
        consultationId: current.id,
        fromState: state,
        toState: state,
        actorId: member.userId,
        actorRole: 'supervisor',
        reason: `Reassigned from ${previous?.displayName ?? 'no officer'} to ${newOfficer!.displayName}: ${reason}`,
        at,
      });
      await this.audit.record(tx.audit, context, {
        what: 'consultation.reassigned',
        subject: `consultation:${current.id}`,
        justification: reason,
        details: { state, fromOfficerId: current.officerId, toOfficerId: newOfficer!.id },
      });
      // Issue 18: a consultation whose call was interrupted has no live call, so its new officer is not on one until they resume it.
      if (state !== 'call_interrupted' && state !== 'appointment_booked') {
        await tx.availability.set(newOfficer!.id, 'on_call', at);
        await tx.live.notify({ type: 'availability', userId: newOfficer!.id, status: 'on_call', at: at.toISOString() });
      }
      // The old officer is free unless they hold another consultation with a call in progress.
      const stillOnCall = current.officerId
        ? (await tx.consultations.listOpenForOfficer(current.officerId)).some(
            (held) => held.state !== 'call_interrupted' && held.state !== 'appointment_booked',
          )
        : true;
      if (current.officerId && !stillOnCall) {
        await tx.availability.set(current.officerId, 'available', at);
        await tx.live.notify({ type: 'availability', userId: current.officerId, status: 'available', at: at.toISOString() });
      }
      for (const handler of this.reassignedHandlers) await handler.handle(tx, context, updated, { fromOfficerId: current.officerId });
      await tx.live.notify({ type: 'consultation', id: current.id, state, at: at.toISOString() });
      return updated;
    });
  }

  /** Officers a supervisor may give a consultation to now: active RVR officers who are available, other than its officer. */
  async reassignmentChoices(consultation: ConsultationRow) {
    const officers = await this.data.repos.supervisionQueries.listOfficers();
    return officers.filter((o) => o.status === 'available' && o.userId !== consultation.officerId).map((o) => ({ value: o.userId, text: o.displayName }));
  }

  /** An officer is on a call from accepting until the consultation ends, goes back to the queue or its call is interrupted. */
  private async updateOfficerAvailability(tx: Repositories, before: ConsultationRow, after: ConsultationRow, at: Date): Promise<void> {
    const state = after.state as ConsultationState;
    // Issue 18: while a call is interrupted the officer is not on a call and can take another; resuming it puts them back on one.
    // Issue 17 §4: likewise when an appointment's link is texted (shortly before its time), so no new call clashes with it.
    const resumed = state === 'invited' && (before.state === 'call_interrupted' || before.state === 'appointment_booked');
    if ((state === 'accepted' || resumed) && after.officerId) {
      await tx.availability.set(after.officerId, 'on_call', at);
      await tx.live.notify({ type: 'availability', userId: after.officerId, status: 'on_call', at: at.toISOString() });
    } else if (
      before.officerId &&
      // Issue 17 §4: with an appointment booked for later the officer is free for other calls until then.
      (TERMINAL_STATES.includes(state) || state === 'queued' || state === 'call_interrupted' || state === 'appointment_booked')
    ) {
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
    const state = consultation.state as ConsultationState;
    const options =
      context.actor.type === 'user'
        ? staffTransitionOptions({ userId: context.actor.userId, roles: context.actor.roles }, { state, officerId: consultation.officerId })
        : availableTransitions(state, transitionActors(context));
    return { consultation, incident: incident!, events, options, triage, officerName: officer?.displayName };
  }

  async summary(consultationId: string) {
    const consultation = await this.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    return consultation;
  }

  /** The caller-details form (no personal data yet), only for someone who may then see the details. */
  async callerForm(context: RequestContext, consultationId: string) {
    const consultation = await this.summary(consultationId);
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to see caller details');
    const may = mayViewCallerDetails({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId);
    if (!may.allowed)
      throw new AccessRefusedError(may.message, { subject: `consultation:${consultation.id}`, action: 'caller_details.view', reason: may.refusal });
    return consultation;
  }

  /** Caller details: logged with the justification in the same transaction that reads them (DP-01). */
  async viewCallerDetails(context: RequestContext, consultationId: string, justification: string) {
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to see caller details');
      const may = mayViewCallerDetails({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId);
      if (!may.allowed)
        throw new AccessRefusedError(may.message, { subject: `consultation:${consultation.id}`, action: 'caller_details.view', reason: may.refusal });
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
