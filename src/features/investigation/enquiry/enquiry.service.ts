import type { DataAccess, Repositories } from '../../../data-access.js';
import { ENQUIRY_LINES, enquiryProgress, validateEnquiryLine, type EnquiryLineInput } from '../../../domain/enquiry-lines.js';
import { mayConductConsultation, mayReadConsultationRecord } from '../../../domain/ownership.js';
import type { AuditTrail } from '../../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../../platform/context.js';
import { AccessRefusedError, NotFoundError, ValidationError } from '../../../platform/errors.js';
import type { ConsultationRow } from '../../consultations/consultation.service.js';
import type { EnquiryLineRow } from './enquiry-lines.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Evidence that can show a line: what the officer snapshotted or the victim sent during this consultation's call. */
const LINKABLE_KINDS = ['snapshot', 'upload'];

export interface InvestigationDeps {
  data: DataAccess;
  audit: AuditTrail;
  now: () => Date;
}

/** The consultation, if the acting user is the officer who accepted it: only they record its investigation (RVR-08). */
export async function requireAssignedOfficer(
  tx: Repositories,
  context: RequestContext,
  consultationId: string,
  action = 'investigation.record',
): Promise<ConsultationRow> {
  const consultation = await tx.consultations.findById(consultationId);
  if (!consultation) throw new NotFoundError('No consultation with that id');
  const may =
    context.actor.type === 'user' ? mayConductConsultation({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId) : undefined;
  if (!may?.allowed)
    throw new AccessRefusedError('Only the officer who accepted this consultation can record its investigation.', {
      subject: `consultation:${consultationId}`,
      action,
      reason: 'not_assigned_officer',
    });
  return consultation;
}

/**
 * Who may read a consultation's investigation record (victims' answers, account, suspect details): supervisors and
 * investigators, and of RVR officers only the one who took it (DP-01: need to know).
 */
export function requireInvestigationReader(context: RequestContext, consultation: ConsultationRow, action = 'investigation.view'): void {
  const may =
    context.actor.type === 'user' ? mayReadConsultationRecord({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId) : undefined;
  if (!may?.allowed)
    throw new AccessRefusedError('Only the officer who took this consultation, a supervisor or an investigator can read its investigation record.', {
      subject: `consultation:${consultation.id}`,
      action,
      reason: 'not_a_reader',
    });
}

export function actingUserId(context: RequestContext): string | null {
  return context.actor.type === 'user' ? context.actor.userId : null;
}

/** The lines of enquiry checklist (RVR-08, policy 2.1): each line done, not applicable, or not possible with a reason. */
export class EnquiryLinesService {
  constructor(private readonly deps: InvestigationDeps) {}

  /** The checklist with what is recorded, for the officer's call page, with the photos that may be linked. */
  async officerPanel(context: RequestContext, consultationId: string) {
    const consultation = await requireAssignedOfficer(this.deps.data.repos, context, consultationId, 'enquiry_lines.view');
    const [view, evidence] = await Promise.all([this.view(consultationId), this.deps.data.repos.evidence.listByConsultation(consultationId)]);
    const photos = evidence
      .filter((item) => LINKABLE_KINDS.includes(item.kind) && item.state === 'present')
      .map((item) => ({ id: item.id, label: item.label, capturedAt: item.capturedAt, sha256: item.sha256 }));
    return { consultation, ...view, photos };
  }

  /** Checks the reader may see the record and logs the reading (DP-01) before anything is read; returns the consultation. */
  async openRecord(context: RequestContext, consultationId: string): Promise<ConsultationRow> {
    return this.deps.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      requireInvestigationReader(context, consultation);
      await this.deps.audit.record(tx.audit, context, { what: 'investigation.viewed', subject: `consultation:${consultationId}` });
      return consultation;
    });
  }

  /** The checklist as recorded (read-only), for anyone who may read the investigation. */
  async view(consultationId: string) {
    const recorded = await this.deps.data.repos.enquiryLines.listByConsultation(consultationId);
    const byLine = new Map<string, EnquiryLineRow>(recorded.map((r) => [r.line, r]));
    const lines = ENQUIRY_LINES.map((definition) => {
      const row = byLine.get(definition.id);
      return {
        ...definition,
        status: row?.status ?? null,
        reason: row?.reason ?? null,
        evidenceItemIds: (row?.evidenceItemIds as string[] | null) ?? [],
        updatedAt: row?.updatedAt ?? null,
      };
    });
    return { lines, progress: enquiryProgress(recorded) };
  }

  async save(context: RequestContext, consultationId: string, input: EnquiryLineInput): Promise<EnquiryLineRow> {
    const checked = validateEnquiryLine(input);
    if (!checked.ok) throw new ValidationError(checked.message, checked.fields);
    const { update } = checked;
    const badId = update.evidenceItemIds.find((id) => !UUID.test(id));
    if (badId !== undefined)
      throw new ValidationError('Choose photos from the list on this page', { evidenceItemIds: 'Choose photos from the list on this page' });
    const foreign = await this.deps.data.transaction(async (tx) => {
      await requireAssignedOfficer(tx, context, consultationId, 'enquiry_lines.save');
      for (const id of update.evidenceItemIds) {
        const item = await tx.evidence.findItem(id);
        if (!item || item.consultationId !== consultationId || !LINKABLE_KINDS.includes(item.kind)) return id;
      }
      const saved = await tx.enquiryLines.save({ consultationId, ...update, updatedBy: actingUserId(context), updatedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what: 'investigation.enquiry_line_recorded',
        subject: `consultation:${consultationId}`,
        details: { line: update.line, status: update.status, reasonGiven: update.reason !== null, evidenceItemIds: update.evidenceItemIds },
      });
      return saved;
    });
    if (typeof foreign !== 'string') return foreign;
    // Linking another consultation's evidence is refused and kept on record (it may be a mistake, or tampering).
    await this.deps.data.transaction((tx) =>
      this.deps.audit.record(tx.audit, context, {
        what: 'investigation.enquiry_evidence_refused',
        subject: `consultation:${consultationId}`,
        details: { line: update.line, evidenceItemId: foreign },
      }),
    );
    const message = 'Only photos and videos from this consultation can be linked. Choose them from the list on this page.';
    throw new ValidationError(message, { evidenceItemIds: message });
  }
}
