import type { DataAccess } from '../../data-access.js';
import { decideCaseAssignment, mayOpenCase } from '../../domain/ownership.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { CaseRef } from './case-access.repository.js';

export type { CaseRef };

const MAX_REASON = 2000;

/**
 * Per-case access for investigators (issue 16 §3, SEC-11, DP-01). Routes that take the id of something in a case
 * declare `config.caseOf`; before the handler runs, `assertMayOpen` finds the case and asks the pure rule
 * (domain/ownership.ts `mayOpenCase`); a refusal is an AccessRefusedError, audited as `access.refused`. Supervisors
 * assign and unassign, with a reason; an investigator may break the glass, with a reason, for BREAK_GLASS_MINUTES,
 * which is audited and listed for the DPO until a DPO marks it reviewed.
 */
export class CaseAccessService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      audit: AuditTrail;
      now: () => Date;
      breakGlassMinutes: number;
    },
  ) {}

  async assertMayOpen(context: RequestContext, ref: CaseRef, id: string): Promise<void> {
    if (context.actor.type !== 'user') return;
    const member = { userId: context.actor.userId, roles: context.actor.roles };
    // Only investigators are narrowed: nobody else pays for the look-up.
    if (mayOpenCase(member, { assigned: false, breakGlassUntil: null }, this.deps.now()).allowed) return;
    const repo = this.deps.data.repos.caseAccess;
    const found = await repo.caseOf(ref, id);
    // No such thing: the route answers its own 404.
    if (!found) return;
    const now = this.deps.now();
    const assigned = await repo.isAssigned(found.consultationId, member.userId);
    const breakGlassUntil = assigned ? null : await repo.breakGlassUntil(found.consultationId, member.userId, now);
    const decision = mayOpenCase(member, { assigned, breakGlassUntil }, now, found.officerId);
    if (!decision.allowed)
      throw new AccessRefusedError(decision.message, { subject: `consultation:${found.consultationId}`, action: `case.open:${ref}`, reason: decision.refusal });
  }

  async assignmentsOf(consultationId: string) {
    const consultation = await this.deps.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No such consultation');
    return {
      consultation: { id: consultation.id, reference: consultation.reference, state: consultation.state },
      assignments: await this.deps.data.repos.caseAccess.assignmentsOf(consultationId),
      investigators: await this.deps.data.repos.caseAccess.investigators(),
    };
  }

  async assign(context: RequestContext, consultationId: string, input: { investigatorId?: string; reason?: string }): Promise<void> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to assign cases');
    const reason = (input.reason ?? '').trim();
    if (reason.length > MAX_REASON) throw new ValidationError('Shorten the reason', { reason: `Keep the reason under ${MAX_REASON} characters` });
    const consultation = await this.deps.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No such consultation');
    const investigator = input.investigatorId ? await this.deps.data.repos.users.findById(input.investigatorId) : undefined;
    const decision = decideCaseAssignment({
      member: { userId: context.actor.userId, roles: context.actor.roles },
      investigator: investigator && { roles: investigator.roles, disabled: investigator.disabledAt !== null },
      reason,
    });
    if (!decision.allowed) {
      if (decision.refusal === 'reason_required') throw new ValidationError(decision.message, { reason: decision.message });
      throw new ValidationError(decision.message, { investigatorId: decision.message });
    }
    const now = this.deps.now();
    await this.deps.data.transaction(async (tx) => {
      const row = await tx.caseAccess.assign({
        consultationId,
        userId: investigator!.id,
        assignedBy: context.actor.type === 'user' ? context.actor.userId : '',
        assignedAt: now,
        reason,
      });
      if (!row) throw new ValidationError('That investigator already has this case.', { investigatorId: 'That investigator already has this case' });
      await this.deps.audit.record(tx.audit, context, {
        what: 'case.assigned',
        subject: `consultation:${consultationId}`,
        justification: reason,
        details: { assignmentId: row.id, investigatorId: investigator!.id },
      });
    });
  }

  async unassign(context: RequestContext, assignmentId: string, reasonInput: string | undefined): Promise<{ consultationId: string }> {
    if (context.actor.type !== 'user' || !context.actor.roles.includes('supervisor')) throw new ForbiddenError('Only a supervisor can take a case away');
    const reason = (reasonInput ?? '').trim();
    if (!reason) throw new ValidationError('Give the reason (it is recorded).', { reason: 'Give the reason (it is recorded)' });
    if (reason.length > MAX_REASON) throw new ValidationError('Shorten the reason', { reason: `Keep the reason under ${MAX_REASON} characters` });
    const userId = context.actor.userId;
    return this.deps.data.transaction(async (tx) => {
      const ended = await tx.caseAccess.endAssignment(assignmentId, userId, this.deps.now(), reason);
      if (!ended) {
        if (await tx.caseAccess.findAssignment(assignmentId)) throw new ConflictError('This assignment has already ended.');
        throw new NotFoundError('No such assignment');
      }
      await this.deps.audit.record(tx.audit, context, {
        what: 'case.unassigned',
        subject: `consultation:${ended.consultationId}`,
        justification: reason,
        details: { assignmentId, investigatorId: ended.userId },
      });
      return { consultationId: ended.consultationId };
    });
  }

  /** An investigator's own cases, for their Investigations page. */
  casesOf(userId: string) {
    return this.deps.data.repos.caseAccess.casesOf(userId, this.deps.now());
  }

  /**
   * Break-glass: an investigator opens a case not assigned to them, by its reference, with a reason; time-limited,
   * audited (`case.break_glass`, with the reason) and listed for the DPO (the notification) until reviewed.
   */
  async breakGlass(context: RequestContext, input: { reference?: string; reason?: string }): Promise<{ consultationId: string; expiresAt: Date }> {
    if (context.actor.type !== 'user' || !context.actor.roles.includes('investigator'))
      throw new ForbiddenError('Only an investigator uses break-glass access');
    const reference = (input.reference ?? '').trim();
    const reason = (input.reason ?? '').trim();
    const errors: Record<string, string> = {};
    if (!reference) errors.reference = 'Enter the consultation reference';
    if (reason.length < 10) errors.reason = 'Say why you need this case now (at least 10 characters): it is recorded and the data protection officer is told';
    if (reason.length > MAX_REASON) errors.reason = `Keep the reason under ${MAX_REASON} characters`;
    if (Object.keys(errors).length > 0) throw new ValidationError(Object.values(errors)[0]!, errors);
    const consultation = await this.deps.data.repos.caseAccess.findConsultationByReference(reference);
    if (!consultation)
      throw new ValidationError('There is no consultation with that reference', {
        reference: 'There is no consultation with that reference. Check it and try again',
      });
    const now = this.deps.now();
    const expiresAt = new Date(now.getTime() + this.deps.breakGlassMinutes * 60_000);
    const userId = context.actor.userId;
    await this.deps.data.transaction(async (tx) => {
      const grant = await tx.caseAccess.createBreakGlass({ consultationId: consultation.id, userId, reason, grantedAt: now, expiresAt });
      await this.deps.audit.record(tx.audit, context, {
        what: 'case.break_glass',
        subject: `consultation:${consultation.id}`,
        justification: reason,
        details: { breakGlassId: grant.id, expiresAt: expiresAt.toISOString(), dpoNotified: true },
      });
    });
    return { consultationId: consultation.id, expiresAt };
  }

  /** The DPO's list of break-glass uses (the notifications), newest first, and how many are not yet reviewed. */
  async breakGlassUses() {
    return { uses: await this.deps.data.repos.caseAccess.listBreakGlass(), unreviewed: await this.deps.data.repos.caseAccess.countUnreviewedBreakGlass() };
  }

  async markBreakGlassReviewed(context: RequestContext, id: string): Promise<void> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to review break-glass uses');
    const by = context.actor.userId;
    await this.deps.data.transaction(async (tx) => {
      const row = await tx.caseAccess.markBreakGlassReviewed(id, by, this.deps.now());
      if (!row) throw new ConflictError('This break-glass use has already been reviewed, or does not exist.');
      await this.deps.audit.record(tx.audit, context, {
        what: 'case.break_glass_reviewed',
        subject: `consultation:${row.consultationId}`,
        details: { breakGlassId: id },
      });
    });
  }
}
