import { isRealDay } from '../../domain/outcome-measures.js';
import { randomUUID } from 'node:crypto';
import type { DataAccess } from '../../data-access.js';
import { covertHoldRationale, mayReportCovertSurveillance } from '../../domain/covert-surveillance.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { EvidenceHoldsService } from '../evidence/evidence-holds.service.js';
import type { CovertReportRow } from './covert-surveillance.repository.js';

/**
 * Policy 3.4: when a call strays into covert surveillance without authority, the officer who took it or a supervisor
 * reports it to the Covert Authorities Bureau from the consultation; an IPCO legal hold is placed on all of the
 * consultation's material in the same transaction (X-03, EVD-14), and the report joins the IPCO-facing register,
 * where the CAB's reference and the date it went to the Commissioner are recorded. Every step is audited.
 */
export class CovertSurveillanceService {
  constructor(private readonly deps: { data: DataAccess; audit: AuditTrail; holds: Pick<EvidenceHoldsService, 'placeHoldIn'>; now: () => Date }) {}

  /** The consultation being reported on, if this person may report on it (the form's page). */
  async reportable(context: RequestContext, consultationId: string) {
    const consultation = await this.deps.data.repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    this.assertMayReport(context, consultation);
    return { consultation, reports: await this.deps.data.repos.covertSurveillance.byConsultation(consultationId) };
  }

  private assertMayReport(context: RequestContext, consultation: { id: string; officerId: string | null }): string {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can make this report');
    const decision = mayReportCovertSurveillance({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId);
    if (!decision.allowed)
      throw new AccessRefusedError(decision.message, {
        subject: `consultation:${consultation.id}`,
        action: 'covert_surveillance.report',
        reason: decision.refusal,
      });
    return context.actor.userId;
  }

  async report(context: RequestContext, consultationId: string, input: { description?: string }): Promise<CovertReportRow> {
    const description = input.description?.trim() ?? '';
    if (description.length < 20 || description.length > 5000)
      throw new ValidationError('Describe what happened in the call (20 to 5,000 characters)', {
        description: 'Describe what happened in the call (20 to 5,000 characters)',
      });
    return this.deps.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const userId = this.assertMayReport(context, consultation);
      const id = randomUUID();
      const reporterRole =
        context.actor.type === 'user' && context.actor.roles.includes('supervisor') && consultation.officerId !== userId ? 'supervisor' : 'rvr_officer';
      // Policy 3.6, EVD-14: the material is secured at once, without waiting for anyone to place a hold by hand.
      const hold = await this.deps.holds.placeHoldIn(tx, context, consultationId, {
        type: 'IPCO',
        rationale: covertHoldRationale(id),
        placedBy: userId,
        automatic: 'covert_surveillance_report',
      });
      const report = await tx.covertSurveillance.create({
        id,
        consultationId,
        description,
        reportedBy: userId,
        reporterRole,
        reportedAt: this.deps.now(),
        holdId: hold.id,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'covert_surveillance.reported',
        subject: `consultation:${consultationId}`,
        details: { reportId: id, holdId: hold.id, reporterRole },
      });
      return report;
    });
  }

  register() {
    return this.deps.data.repos.covertSurveillance.register();
  }

  /** The CAB's reference, and the day the force reported it to the Investigatory Powers Commissioner. */
  async recordProgress(context: RequestContext, id: string, input: { cabReference?: string; ipcoReportedOn?: string }): Promise<void> {
    const cabReference = input.cabReference?.trim() ?? '';
    const ipcoReportedOn = input.ipcoReportedOn?.trim() ?? '';
    const errors: Record<string, string> = {};
    if (cabReference && (cabReference.length < 2 || cabReference.length > 100)) errors.cabReference = 'Enter the CAB reference (2 to 100 characters)';
    const ipcoReportedAt = ipcoReportedOn ? new Date(`${ipcoReportedOn}T12:00:00Z`) : undefined;
    if (ipcoReportedOn && !isRealDay(ipcoReportedOn)) errors.ipcoReportedOn = 'Enter the date it was reported to IPCO as YYYY-MM-DD';
    else if (ipcoReportedAt && ipcoReportedAt.getTime() > this.deps.now().getTime() + 86_400_000) errors.ipcoReportedOn = 'The date cannot be in the future';
    if (!cabReference && !ipcoReportedOn) errors.cabReference = 'Enter the CAB reference or the date it was reported to IPCO';
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the report’s progress', errors);
    await this.deps.data.transaction(async (tx) => {
      const report = await tx.covertSurveillance.find(id, true);
      if (!report) throw new NotFoundError('There is no covert surveillance report with that id');
      if (cabReference && report.cabReference) throw new ConflictError('The CAB reference is already recorded');
      if (ipcoReportedAt && report.ipcoReportedAt) throw new ConflictError('The report to IPCO is already recorded');
      await tx.covertSurveillance.update(id, { ...(cabReference ? { cabReference } : {}), ...(ipcoReportedAt ? { ipcoReportedAt } : {}) });
      await this.deps.audit.record(tx.audit, context, {
        what: 'covert_surveillance.progress_recorded',
        subject: `consultation:${report.consultationId}`,
        details: { reportId: id, ...(cabReference ? { cabReference } : {}), ...(ipcoReportedAt ? { ipcoReportedOn } : {}) },
      });
    });
  }
}
