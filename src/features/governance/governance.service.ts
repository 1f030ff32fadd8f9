import type { DataAccess, Repositories } from '../../data-access.js';
import { trainingRefusal, trainingStatus, type Course, type TrainingStatus } from '../../domain/training.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { actorId, type RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { GovernanceConfig } from './governance-config.js';
import type { SystemOwnerAppointmentRow, TrainingRecordRow } from './governance.repository.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY = 86_400_000;

function parseDay(field: string, label: string, raw: string | undefined, required: boolean): Date | null {
  const text = raw?.trim() ?? '';
  if (!text) {
    if (required) throw new ValidationError(`Enter the date ${label}`, { [field]: `Enter the date ${label}, for example 2027-03-31` });
    return null;
  }
  const value = new Date(`${text}T00:00:00Z`);
  if (!DATE.test(text) || Number.isNaN(value.getTime()) || value.toISOString().slice(0, 10) !== text)
    throw new ValidationError(`The date ${label} must be a real date`, { [field]: `Enter the date ${label} as year-month-day, for example 2027-03-31` });
  return value;
}

const userIdOf = (context: RequestContext): string | null => (context.actor.type === 'user' ? context.actor.userId : null);

/**
 * Issue 16 §3: the purposes a session is recorded for (SC-1), the named system owner and its transfers (SC-4), and
 * staff training records with the gate that keeps officers whose training has lapsed off RVR calls (SC-8).
 */
export class GovernanceService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      audit: AuditTrail;
      config: GovernanceConfig;
      now: () => Date;
    },
  ) {}

  get settings(): GovernanceConfig {
    return this.deps.config;
  }

  /** SC-1: the purpose code a new consultation gets: the one asked for, if configured, else the default. */
  purposeFor(requested?: string): string {
    const code = requested?.trim();
    if (!code) return this.deps.config.defaultPurpose;
    if (!this.deps.config.purposes.some((p) => p.code === code))
      throw new ValidationError(`"${code}" is not a purpose this force records RVR sessions for`, {
        purposeCode: `Choose one of: ${this.deps.config.purposes.map((p) => p.code).join(', ')}`,
      });
    return code;
  }

  purposeLabel(code: string): string {
    return this.deps.config.purposes.find((p) => p.code === code)?.label ?? code;
  }

  // ── Training (SC-8) ───────────────────────────────────────────────────────────────────────────

  /** The courses offered on the form: the required ones (the codes the gate checks). */
  get courses(): Course[] {
    return this.deps.config.trainingRequiredCourses;
  }

  async training(userId: string, tx: Repositories = this.deps.data.repos): Promise<{ records: TrainingRecordRow[]; status: TrainingStatus }> {
    const records = await tx.governance.trainingOf(userId);
    return { records, status: trainingStatus(this.courses, records, this.deps.now()) };
  }

  /** SC-8: what to tell this officer on their queue page when they may not take calls (undefined when they may). */
  async callWorkNotice(userId: string): Promise<string | undefined> {
    if (this.courses.length === 0) return undefined;
    return trainingRefusal((await this.training(userId)).status);
  }

  /** Every user's training status against the required courses (the administrator's overview). */
  async trainingOverview(): Promise<Map<string, TrainingStatus>> {
    const all = await this.deps.data.repos.governance.allTraining();
    const byUser = new Map<string, TrainingRecordRow[]>();
    for (const r of all) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
    const now = this.deps.now();
    const users = await this.deps.data.repos.users.listAll();
    return new Map(users.map((u) => [u.id, trainingStatus(this.courses, byUser.get(u.id) ?? [], now)]));
  }

  async recordTraining(
    context: RequestContext,
    userId: string,
    input: { course?: string; completedOn?: string; expiresOn?: string },
  ): Promise<TrainingRecordRow> {
    const course = input.course?.trim() ?? '';
    const known = this.courses.some((c) => c.code === course);
    if (!/^[A-Z][A-Z0-9_-]{1,39}$/.test(course) || (this.courses.length > 0 && !known))
      throw new ValidationError('Choose the course', {
        course: this.courses.length
          ? `Choose one of: ${this.courses.map((c) => c.label).join('; ')}`
          : 'Enter the course code in capitals, for example RVR_OFFICER',
      });
    const completedOn = parseDay('completedOn', 'the course was completed', input.completedOn, true)!;
    const expiresOn = parseDay('expiresOn', 'the training expires', input.expiresOn, false);
    const now = this.deps.now();
    if (completedOn.getTime() > now.getTime() + DAY)
      throw new ValidationError('The completion date is in the future', { completedOn: 'Enter the date the course was completed: it cannot be in the future' });
    if (expiresOn && expiresOn.getTime() <= completedOn.getTime())
      throw new ValidationError('The expiry date must be after the completion date', { expiresOn: 'Enter an expiry date after the completion date' });
    return this.deps.data.transaction(async (tx) => {
      const user = await tx.users.findById(userId);
      if (!user) throw new NotFoundError('No user with that id');
      const row = await tx.governance.addTraining({ userId, course, completedOn, expiresOn, recordedBy: userIdOf(context), recordedAt: now });
      await this.deps.audit.record(tx.audit, context, {
        what: 'governance.training_recorded',
        subject: `user:${userId}`,
        details: { recordId: row.id, course, completedOn: completedOn.toISOString().slice(0, 10), expiresOn: expiresOn?.toISOString().slice(0, 10) ?? null },
      });
      return row;
    });
  }

  /**
   * SC-8: an officer whose required training is missing or lapsed may not accept or open an RVR call. Refused with
   * what to do; the refusal is audited as an access refusal (`access.refused`, reason `training_lapsed`) by the HTTP
   * layer. Runs inside the caller's transaction. No required course (outside production, by default): no gate.
   */
  async assertMayWorkCalls(tx: Repositories, context: RequestContext, consultationId: string, action: string): Promise<void> {
    if (this.courses.length === 0 || context.actor.type !== 'user') return;
    const { status } = await this.training(context.actor.userId, tx);
    const message = trainingRefusal(status);
    if (message) throw new AccessRefusedError(message, { subject: `consultation:${consultationId}`, action, reason: 'training_lapsed' });
  }

  // ── The system owner (SC-4) ───────────────────────────────────────────────────────────────────

  async systemOwner(): Promise<{ current?: SystemOwnerAppointmentRow; pending?: SystemOwnerAppointmentRow; history: SystemOwnerAppointmentRow[] }> {
    const repo = this.deps.data.repos.governance;
    const [current, pending, history] = [await repo.currentOwner(), await repo.pendingProposal(), await repo.ownerHistory()];
    return { current, pending, history };
  }

  /** An administrator names the next system owner; it takes effect when that person accepts (recorded both ways). */
  async proposeOwner(context: RequestContext, input: { userId: string; note?: string }): Promise<SystemOwnerAppointmentRow> {
    const note = input.note?.trim() || null;
    if (note && note.length > 1000)
      throw new ValidationError('The note must be 1000 characters or fewer', { note: 'The note must be 1000 characters or fewer' });
    return this.deps.data.transaction(async (tx) => {
      await tx.governance.lockSystemOwner();
      const nominee = await tx.users.findById(input.userId);
      if (!nominee || nominee.disabledAt) throw new ValidationError('Choose an active user', { userId: 'Choose an active user to be the system owner' });
      const current = await tx.governance.currentOwner();
      if (current?.userId === nominee.id) throw new ConflictError(`${nominee.displayName} is already the system owner`, { userId: 'Choose someone else' });
      const now = this.deps.now();
      const pending = await tx.governance.pendingProposal();
      if (pending) {
        await tx.governance.update(pending.id, { endedAt: now });
        await this.deps.audit.record(tx.audit, context, {
          what: 'governance.system_owner_withdrawn',
          subject: `user:${pending.userId}`,
          details: { appointmentId: pending.id, replacedBy: nominee.id },
        });
      }
      const row = await tx.governance.propose({ userId: nominee.id, proposedBy: userIdOf(context), proposedAt: now, note });
      await this.deps.audit.record(tx.audit, context, {
        what: 'governance.system_owner_proposed',
        subject: `user:${nominee.id}`,
        details: { appointmentId: row.id, currentOwner: current?.userId ?? null, withNote: note !== null },
      });
      return row;
    });
  }

  /** The nominee accepts (or declines) being system owner; accepting ends the previous owner's appointment. */
  async answerOwnership(context: RequestContext, appointmentId: string, answer: 'accept' | 'decline'): Promise<void> {
    await this.deps.data.transaction(async (tx) => {
      await tx.governance.lockSystemOwner();
      const pending = await tx.governance.pendingProposal();
      if (!pending || pending.id !== appointmentId) throw new ConflictError('This nomination is no longer open: it was answered or replaced by a newer one');
      if (userIdOf(context) !== pending.userId)
        throw new AccessRefusedError('Only the person nominated can answer this nomination', {
          subject: `user:${pending.userId}`,
          action: 'governance.system_owner_answer',
          reason: 'not_the_nominee',
        });
      const now = this.deps.now();
      if (answer === 'decline') {
        await tx.governance.update(pending.id, { declinedAt: now });
        await this.deps.audit.record(tx.audit, context, {
          what: 'governance.system_owner_declined',
          subject: `user:${pending.userId}`,
          details: { appointmentId: pending.id },
        });
        return;
      }
      const previous = await tx.governance.currentOwner();
      if (previous) {
        await tx.governance.update(previous.id, { endedAt: now });
        await this.deps.audit.record(tx.audit, context, {
          what: 'governance.system_owner_handed_over',
          subject: `user:${previous.userId}`,
          details: { appointmentId: previous.id, to: pending.userId },
        });
      }
      await tx.governance.update(pending.id, { acceptedAt: now });
      await this.deps.audit.record(tx.audit, context, {
        what: 'governance.system_owner_accepted',
        subject: `user:${pending.userId}`,
        details: { appointmentId: pending.id, from: previous?.userId ?? null, by: actorId(context.actor) },
      });
    });
  }
}
