import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import type { EvidenceDisposalService } from '../evidence/evidence-disposal.service.js';
import { requireReason } from '../evidence/evidence-shared.js';
import type { ErasureRow } from './erasure.queries.js';

/**
 * A DPO-ordered erasure of one consultation (DP-10 s.47, issue 16 §2): its evidence files and its personal data in
 * every table, as the inventory says. Refused, with nothing changed, while a legal hold stands (the data must be kept
 * for evidence: restrict it instead, DP-10) or while the evidence store's lock keeps any of its files (the record
 * waits with its evidence: ADR 0016). Otherwise the files are marked for deletion, the rows erased, the certificate
 * stored and the erasure audited in one transaction; the files are then deleted through the store (a crash is
 * finished on the next start, as for disposal).
 */
export class DpoErasureService {
  constructor(private readonly deps: { data: DataAccess; audit: AuditTrail; log: Logger; now: () => Date; disposal: EvidenceDisposalService }) {}

  async erase(context: RequestContext, input: { reference?: string; justification?: string }): Promise<ErasureRow> {
    const reference = (input.reference ?? '').trim();
    if (!reference) throw new ValidationError('Enter the consultation’s reference', { reference: 'Enter the consultation’s reference' });
    const justification = requireReason(input.justification, 'justification', 'the ground for the erasure (DPA 2018 s.47)');
    const found = await this.deps.data.repos.erasure.findByReference(reference);
    if (!found) throw new ValidationError('There is no consultation with that reference', { reference: 'There is no consultation with that reference' });
    const erasureId = randomUUID();
    const { row, marked } = await this.deps.data.transaction(async (tx) => {
      await tx.evidence.lockCase(found.id);
      if (await tx.erasure.findForConsultation(found.id))
        throw new ValidationError('This consultation’s personal data has already been erased', { reference: 'Already erased' });
      const holds = (await tx.evidence.listHolds(found.id)).filter((h) => !h.releasedAt);
      if (holds.length > 0) {
        const message = `A legal hold stands (${holds.map((h) => h.type).join(', ')}): the material must be kept, so restrict it instead of erasing (DP-10); erase once the hold is released`;
        throw new ValidationError(message, { reference: message });
      }
      const present = (await tx.evidence.listByConsultation(found.id)).filter((i) => i.state === 'present');
      const locked: string[] = [];
      for (const item of present) {
        const refusal = await this.deps.disposal.locks.refusalDetail(item);
        if (refusal) locked.push(`${item.kind} ${item.id}: ${refusal.reason}`);
      }
      if (locked.length > 0) {
        const message = `The evidence store still locks ${locked.length} of its files, so nothing was erased (the record waits with its evidence): ${locked.join('; ')}`;
        throw new ValidationError(message, { reference: message });
      }
      for (const item of present) {
        await tx.evidence.markDisposing(item.id, erasureId);
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.disposing',
          subject: `evidence:${item.id}`,
          justification,
          details: { erasureId, sha256: item.sha256, basis: 'dpo_erasure' },
        });
      }
      const row = await this.deps.disposal.eraser.eraseInTransaction(tx, context, found.id, { kind: 'dpo_request', justification }, erasureId);
      return { row, marked: present.map((i) => i.id) };
    });
    for (const id of marked)
      await this.deps.disposal
        .finishRemoval(context, id)
        .catch((error: unknown) => this.deps.log.error({ err: error, evidenceId: id }, 'an evidence file could not be deleted; it will be retried'));
    return row;
  }

  async find(id: string): Promise<ErasureRow> {
    const row = await this.deps.data.repos.erasure.find(id);
    if (!row) throw new NotFoundError('There is no erasure with that id');
    return row;
  }

  listRecent(): Promise<ErasureRow[]> {
    return this.deps.data.repos.erasure.listRecent(20);
  }
}
