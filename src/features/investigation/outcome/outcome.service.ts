import type { Repositories } from '../../../data-access.js';
import { OUTCOME_LABELS, outcomeForCad, validateOutcome, type OutcomeInput, type OutcomeKind } from '../../../domain/outcomes.js';
import type { RequestContext } from '../../../platform/context.js';
import { ValidationError } from '../../../platform/errors.js';
import { actingUserId, requireAssignedOfficer, type InvestigationDeps } from '../enquiry/enquiry.service.js';
import { sharedLocation, type SharedLocation } from '../../victim-location/victim-location.service.js';
import type { ConsultationOutcomeRow } from './outcomes.repository.js';

/** Issue 17 §1: an arrest request and an attendance carry where the victim is, if they chose to share it. */
const CARRIES_VICTIM_LOCATION: readonly OutcomeKind[] = ['arrest_requested', 'attendance_escalated'];

/**
 * What came of a consultation (issue 7 item 4): crime recorded, arrest requested, patrol tasked, escalation to
 * attendance, referrals, no further action. Each is its own timestamped row, never edited, and audited.
 * Recording an outcome does not change the consultation's state: the officer chooses that when ending.
 */
export class ConsultationOutcomesService {
  constructor(private readonly deps: InvestigationDeps & { crimeReferencePattern: RegExp }) {}

  async record(context: RequestContext, consultationId: string, input: OutcomeInput): Promise<ConsultationOutcomeRow> {
    const checked = validateOutcome(input, { crimeReferencePattern: this.deps.crimeReferencePattern });
    if (!checked.ok) throw new ValidationError(checked.message, checked.fields);
    return this.deps.data.transaction(async (tx) => {
      await requireAssignedOfficer(tx, context, consultationId, 'outcome.record');
      return this.insert(tx, context, consultationId, checked.kind, checked.details);
    });
  }

  /** The one-action escalation from an "I'm not safe" alert (RVR-11), in the alert's transaction. */
  async recordEmergencyEscalation(tx: Repositories, context: RequestContext, consultationId: string, alertId: string): Promise<ConsultationOutcomeRow> {
    return this.insert(tx, context, consultationId, 'attendance_escalated', { emergency: true, alertId });
  }

  async list(consultationId: string) {
    const rows = await this.deps.data.repos.consultationOutcomes.listByConsultation(consultationId);
    return rows.map((row) => ({ ...row, label: OUTCOME_LABELS[row.kind as OutcomeKind] ?? row.kind, details: row.details as Record<string, unknown> }));
  }

  /** For the CAD API: kinds, times, crime reference and referral type only (no suspect details or locations). */
  async forCad(consultationId: string) {
    return (await this.deps.data.repos.consultationOutcomes.listByConsultation(consultationId)).map(outcomeForCad);
  }

  private async insert(tx: Repositories, context: RequestContext, consultationId: string, kind: OutcomeKind, given: object) {
    const location: SharedLocation | null = CARRIES_VICTIM_LOCATION.includes(kind) ? await sharedLocation(tx, consultationId) : null;
    const details = location ? { ...given, victimLocation: location } : given;
    const row = await tx.consultationOutcomes.create({ consultationId, kind, details, recordedBy: actingUserId(context), recordedAt: this.deps.now() });
    const cad = outcomeForCad(row);
    await this.deps.audit.record(tx.audit, context, {
      what: 'investigation.outcome_recorded',
      subject: `consultation:${consultationId}`,
      // Kind, crime reference and referral type only: suspect details and locations stay in their table.
      details: {
        outcomeId: row.id,
        kind,
        crimeReference: cad.crimeReference,
        referralType: cad.referralType,
        emergency: kind === 'attendance_escalated' ? (details as { emergency?: boolean }).emergency === true : undefined,
        // Issue 17 §1: that the victim's shared location went with it (which one), not the position itself.
        victimLocationReceivedAt: location?.receivedAt,
      },
    });
    return row;
  }
}
