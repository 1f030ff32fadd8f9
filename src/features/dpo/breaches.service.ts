import { isRealDay } from '../../domain/outcome-measures.js';
import type { DataAccess } from '../../data-access.js';
import {
  BREACH_DECISIONS,
  BREACH_RISKS,
  breachClock,
  decisionRefusal,
  notificationIsLate,
  subjectsMustBeTold,
  type BreachClock,
  type BreachDecision,
  type BreachRisk,
} from '../../domain/breach-clock.js';
import { fromLondonWallClock } from '../../domain/retention.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { BreachRow, BreachSubjectNotificationRow } from './breaches.repository.js';

export interface BreachInput {
  title?: string;
  nature?: string;
  categories?: string;
  approxSubjects?: string;
  approxRecords?: string;
  occurredAt?: string;
  awareAt?: string;
}
export interface AssessmentInput {
  risk?: string;
  consequences?: string;
  measures?: string;
}
export interface DecisionInput {
  decision?: string;
  reason?: string;
}
export interface IcoNotificationInput {
  notifiedAt?: string;
  icoReference?: string;
  lateReason?: string;
}
export interface SubjectNotificationInput {
  subjects?: string;
  method?: string;
  notifiedAt?: string;
}

export const SUBJECT_NOTIFICATION_METHODS = ['letter', 'phone', 'in_person', 'email', 'sms'] as const;

export interface BreachView {
  breach: BreachRow;
  clock: BreachClock;
  /** DPA 2018 s.68: a high risk is told to the data subjects; true while none is recorded. */
  subjectsStillToTell: boolean;
}

/** A datetime-local field (no zone) is UK time, as the force works in it. */
export function londonDateTime(value: string | undefined, field: string, label: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value?.trim() ?? '');
  const message = `Enter ${label} as a date and time`;
  if (!match) throw new ValidationError(message, { [field]: message });
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [number, number, number, number, number];
  // A real calendar day only: 2026-02-31 must not quietly become 3 March (isRealDay).
  if (!isRealDay(match[0].slice(0, 10)) || hour > 23 || minute > 59) throw new ValidationError(message, { [field]: message });
  return fromLondonWallClock({ year, month, day, hour, minute, second: 0, millisecond: 0 });
}

function text(value: string | undefined, field: string, label: string, min: number, max: number): string {
  const trimmed = value?.trim() ?? '';
  if (trimmed.length < min || trimmed.length > max) {
    const message = `Enter ${label} (${min} to ${max} characters)`;
    throw new ValidationError(message, { [field]: message });
  }
  return trimmed;
}

function optionalCount(value: string | undefined, field: string, label: string): number | null {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) return null;
  if (!/^\d{1,9}$/.test(trimmed)) throw new ValidationError(`Enter ${label} as a whole number`, { [field]: `Enter ${label} as a whole number` });
  return Number(trimmed);
}

function userOf(context: RequestContext): string {
  if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can change the breach register');
  return context.actor.userId;
}

/**
 * DP-15 (DPA 2018 s.67, s.68): the DPO's breach register. A breach is recorded with the moment of awareness (the
 * 72-hour ICO clock starts there), assessed for its risk to rights and freedoms, decided (notify, or not with the
 * reason), notified to the ICO (with the reasons if late) and, for a high risk, told to the data subjects. Every
 * step is one audited change.
 */
export class BreachRegisterService {
  constructor(private readonly deps: { data: DataAccess; audit: AuditTrail; now: () => Date }) {}

  private view(breach: BreachRow, told: number, now: Date): BreachView {
    return {
      breach,
      clock: breachClock(
        {
          awareAt: breach.awareAt,
          risk: breach.risk as BreachRisk | null,
          decision: breach.decision as BreachDecision | null,
          icoNotifiedAt: breach.icoNotifiedAt,
        },
        now,
      ),
      subjectsStillToTell: subjectsMustBeTold(breach.risk as BreachRisk | null) && told === 0,
    };
  }

  async list(): Promise<BreachView[]> {
    const now = this.deps.now();
    const rows = await this.deps.data.repos.breaches.list();
    const views: BreachView[] = [];
    // One query at a time (a transaction's one connection must never be shared).
    for (const row of rows)
      views.push(
        this.view(row, subjectsMustBeTold(row.risk as BreachRisk | null) ? (await this.deps.data.repos.breaches.subjectNotifications(row.id)).length : 0, now),
      );
    return views;
  }

  async find(id: string): Promise<BreachView & { notifications: BreachSubjectNotificationRow[] }> {
    const breach = await this.deps.data.repos.breaches.find(id);
    if (!breach) throw new NotFoundError('There is no breach with that id');
    const notifications = await this.deps.data.repos.breaches.subjectNotifications(id);
    return { ...this.view(breach, notifications.length, this.deps.now()), notifications };
  }

  async record(context: RequestContext, input: BreachInput): Promise<BreachRow> {
    const userId = userOf(context);
    const now = this.deps.now();
    const errors: Record<string, string> = {};
    const attempt = <T>(work: () => T): T | undefined => {
      try {
        return work();
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        Object.assign(errors, error.fieldErrors);
        return undefined;
      }
    };
    const title = attempt(() => text(input.title, 'title', 'a short title', 5, 200));
    const nature = attempt(() => text(input.nature, 'nature', 'what happened: the nature of the breach', 10, 5000));
    const categories = attempt(() => text(input.categories, 'categories', 'the categories of data subjects and records', 3, 2000));
    const approxSubjects = attempt(() => optionalCount(input.approxSubjects, 'approxSubjects', 'the approximate number of data subjects'));
    const approxRecords = attempt(() => optionalCount(input.approxRecords, 'approxRecords', 'the approximate number of records'));
    const awareAt = attempt(() => londonDateTime(input.awareAt, 'awareAt', 'when the force became aware of the breach'));
    const occurredAt = input.occurredAt?.trim() ? attempt(() => londonDateTime(input.occurredAt, 'occurredAt', 'when the breach happened')) : null;
    if (awareAt && awareAt.getTime() > now.getTime() + 60_000) errors.awareAt = 'The time of awareness cannot be in the future';
    if (awareAt && occurredAt && occurredAt.getTime() > awareAt.getTime())
      errors.occurredAt = 'The breach cannot have happened after the force became aware of it';
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the breach details', errors);
    return this.deps.data.transaction(async (tx) => {
      const breach = await tx.breaches.create({
        title: title!,
        nature: nature!,
        categories: categories!,
        approxSubjects: approxSubjects ?? null,
        approxRecords: approxRecords ?? null,
        occurredAt: occurredAt ?? null,
        awareAt: awareAt!,
        recordedBy: userId,
        recordedAt: now,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'breach.recorded',
        subject: `breach:${breach.id}`,
        details: { awareAt: awareAt!.toISOString() },
      });
      return breach;
    });
  }

  async assess(context: RequestContext, id: string, input: AssessmentInput): Promise<void> {
    const userId = userOf(context);
    const risk = BREACH_RISKS.find((r) => r === input.risk);
    if (!risk) throw new ValidationError('Choose the risk to rights and freedoms', { risk: 'Choose the risk to rights and freedoms' });
    const consequences = text(input.consequences, 'consequences', 'the likely consequences', 10, 5000);
    const measures = text(input.measures, 'measures', 'the measures taken or proposed', 10, 5000);
    await this.deps.data.transaction(async (tx) => {
      const breach = await tx.breaches.find(id, true);
      if (!breach) throw new NotFoundError('There is no breach with that id');
      if (breach.icoNotifiedAt || breach.decision === 'not_notify')
        throw new ConflictError('The notification decision has been made: record a new breach entry for a changed assessment');
      await tx.breaches.update(id, { risk, consequences, measures, assessedBy: userId, assessedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, { what: 'breach.assessed', subject: `breach:${id}`, details: { risk, previousRisk: breach.risk } });
    });
  }

  async decide(context: RequestContext, id: string, input: DecisionInput): Promise<void> {
    const userId = userOf(context);
    const decision = BREACH_DECISIONS.find((d) => d === input.decision);
    if (!decision) throw new ValidationError('Choose whether to notify the ICO', { decision: 'Choose whether to notify the ICO' });
    await this.deps.data.transaction(async (tx) => {
      const breach = await tx.breaches.find(id, true);
      if (!breach) throw new NotFoundError('There is no breach with that id');
      if (breach.decision) throw new ConflictError('The notification decision has already been recorded');
      const refusal = decisionRefusal(breach.risk as BreachRisk | null, decision, input.reason);
      if (refusal)
        throw new ValidationError(refusal, {
          [breach.risk ? (decision === 'not_notify' && breach.risk === 'unlikely' ? 'reason' : 'decision') : 'decision']: refusal,
        });
      const reason = input.reason?.trim() || null;
      await tx.breaches.update(id, { decision, decisionReason: reason, decidedBy: userId, decidedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what: 'breach.notification_decided',
        subject: `breach:${id}`,
        ...(reason ? { justification: reason } : {}),
        details: { decision, risk: breach.risk },
      });
    });
  }

  async recordIcoNotification(context: RequestContext, id: string, input: IcoNotificationInput): Promise<void> {
    userOf(context);
    const notifiedAt = londonDateTime(input.notifiedAt, 'notifiedAt', 'when the ICO was notified');
    const icoReference = text(input.icoReference, 'icoReference', 'the ICO’s reference for the report', 2, 100);
    await this.deps.data.transaction(async (tx) => {
      const breach = await tx.breaches.find(id, true);
      if (!breach) throw new NotFoundError('There is no breach with that id');
      if (breach.decision !== 'notify') throw new ConflictError('Record the decision to notify the ICO first');
      if (breach.icoNotifiedAt) throw new ConflictError('The ICO notification has already been recorded');
      if (notifiedAt.getTime() < breach.awareAt.getTime() || notifiedAt.getTime() > this.deps.now().getTime() + 60_000)
        throw new ValidationError('The notification time must be between awareness and now', {
          notifiedAt: 'The notification time must be between awareness and now',
        });
      const late = notificationIsLate(breach.awareAt, notifiedAt);
      const lateReason = input.lateReason?.trim() ?? '';
      // DP-15: a notification after 72 hours gives the reasons for the delay.
      if (late && lateReason.length < 10)
        throw new ValidationError('The ICO was notified more than 72 hours after awareness: give the reasons for the delay', {
          lateReason: 'Give the reasons for the delay (at least 10 characters)',
        });
      await tx.breaches.update(id, { icoNotifiedAt: notifiedAt, icoReference, lateReason: late ? lateReason : null });
      await this.deps.audit.record(tx.audit, context, {
        what: 'breach.ico_notified',
        subject: `breach:${id}`,
        ...(late ? { justification: lateReason } : {}),
        details: {
          notifiedAt: notifiedAt.toISOString(),
          late,
          hoursAfterAwareness: Math.round((notifiedAt.getTime() - breach.awareAt.getTime()) / 360_000) / 10,
        },
      });
    });
  }

  async recordSubjectNotification(context: RequestContext, id: string, input: SubjectNotificationInput): Promise<BreachSubjectNotificationRow> {
    const userId = userOf(context);
    const subjects = text(input.subjects, 'subjects', 'who was told, as a group and a number (no names)', 3, 500);
    const method = SUBJECT_NOTIFICATION_METHODS.find((m) => m === input.method);
    if (!method) throw new ValidationError('Choose how they were told', { method: 'Choose how they were told' });
    const notifiedAt = londonDateTime(input.notifiedAt, 'subjectsNotifiedAt', 'when they were told');
    return this.deps.data.transaction(async (tx) => {
      const breach = await tx.breaches.find(id, true);
      if (!breach) throw new NotFoundError('There is no breach with that id');
      if (!breach.risk) throw new ConflictError('Assess the breach before recording who was told');
      const row = await tx.breaches.addSubjectNotification({ breachId: id, subjects, method, notifiedAt, recordedBy: userId, recordedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what: 'breach.subjects_notified',
        subject: `breach:${id}`,
        details: { method, notifiedAt: notifiedAt.toISOString() },
      });
      return row;
    });
  }
}
