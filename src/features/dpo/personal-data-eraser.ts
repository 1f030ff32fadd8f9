import { createHash, randomUUID } from 'node:crypto';
import type { Repositories } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import type { ErasureRow, TableErasure } from './erasure.queries.js';
import { PERSONAL_DATA_INVENTORY, type TableInventory } from './personal-data-inventory.js';

export type ErasureBasis = { kind: 'disposal'; disposalId: string } | { kind: 'dpo_request'; justification: string };

/** What a certificate says of one erasure: what went, what stayed and why, the files deleted with their hashes. */
export interface ErasureCertificate {
  erasureId: string;
  consultationId: string;
  reference: string;
  basis: ErasureBasis['kind'];
  disposalId: string | null;
  erasedAt: string;
  erasedBy: string;
  erased: (TableErasure & { holds: Record<string, string> })[];
  kept: { table: string; rows: number; columns: { column: string; why: string; note?: string }[] }[];
  files: { evidenceId: string; kind: string; sha256: string; sizeBytes: number; state: string }[];
}

export function actorName(context: RequestContext): string {
  return context.actor.type === 'user' ? `user:${context.actor.userId}` : `system:${context.actor.type === 'system' ? context.actor.name : 'cli'}`;
}

/**
 * Erases one consultation's personal data as the inventory says (issue 16 §2; RET-02, DP-05, DP-10), in the caller's
 * transaction together with its stored certificate and its audit entry: all of it commits, or none of it.
 * Evidence files are not this class's: they are deleted through the evidence store before (disposal) or after (a
 * DPO's erasure marks them `disposing` in the same transaction) — see ADR 0016.
 */
export class PersonalDataEraser {
  constructor(
    private readonly deps: { audit: AuditTrail; now: () => Date },
    private readonly inventory: TableInventory[] = PERSONAL_DATA_INVENTORY,
  ) {}

  async eraseInTransaction(
    tx: Repositories,
    context: RequestContext,
    consultationId: string,
    basis: ErasureBasis,
    erasureId: string = randomUUID(),
  ): Promise<ErasureRow> {
    const consultation = await tx.erasure.lockConsultation(consultationId);
    if (!consultation) throw new Error(`no consultation ${consultationId}`);
    const erasedAt = this.deps.now();
    const erasedTables = await tx.erasure.eraseConsultation(consultationId, this.inventory);
    const counts = await tx.erasure.countRows(consultationId, this.inventory);
    const files = (await tx.evidence.listByConsultation(consultationId)).map((i) => ({
      evidenceId: i.id,
      kind: i.kind,
      sha256: i.sha256,
      sizeBytes: i.sizeBytes,
      state: i.state,
    }));
    const certificate: ErasureCertificate = {
      erasureId,
      consultationId,
      reference: consultation.reference,
      basis: basis.kind,
      disposalId: basis.kind === 'disposal' ? basis.disposalId : null,
      erasedAt: erasedAt.toISOString(),
      erasedBy: actorName(context),
      erased: erasedTables.map((t) => {
        const entry = this.inventory.find((e) => e.table === t.table)!;
        return {
          ...t,
          holds: Object.fromEntries(
            t.columns.map((c) => {
              const tr = entry.columns[c]!;
              return [c, tr.do === 'keep' ? '' : tr.holds];
            }),
          ),
        };
      }),
      kept: this.kept(counts, erasedTables),
      files,
    };
    const text = JSON.stringify(certificate);
    const certificateSha256 = createHash('sha256').update(text).digest('hex');
    const row = await tx.erasure.create({
      id: erasureId,
      consultationId,
      basis: basis.kind,
      disposalId: basis.kind === 'disposal' ? basis.disposalId : null,
      justification: basis.kind === 'dpo_request' ? basis.justification : null,
      erasedBy: certificate.erasedBy,
      erasedAt,
      summary: { erased: erasedTables, files: files.length },
      certificate: text,
      certificateSha256,
    });
    // The erasure log holds ids, counts and hashes, never the erased content (DP-03).
    await this.deps.audit.record(tx.audit, context, {
      what: 'personal_data.erased',
      subject: `consultation:${consultationId}`,
      justification: basis.kind === 'dpo_request' ? basis.justification : undefined,
      details: {
        erasureId,
        basis: basis.kind,
        disposalId: certificate.disposalId,
        tables: erasedTables.map((t) => `${t.table}:${t.action}:${t.rows}`),
        files: files.length,
        certificateSha256,
      },
    });
    return row;
  }

  /** What stays for this consultation, per table with rows, and why (the inventory's keep reasons). */
  private kept(counts: Record<string, number>, erased: TableErasure[]): ErasureCertificate['kept'] {
    const deleted = new Set(erased.filter((e) => e.action === 'delete').map((e) => e.table));
    return this.inventory
      .filter((entry) => entry.scope.via !== 'none' && !deleted.has(entry.table) && (counts[entry.table] ?? 0) > 0)
      .map((entry) => ({
        table: entry.table,
        rows: counts[entry.table] ?? 0,
        columns: Object.entries(entry.columns).flatMap(([column, t]) => (t.do === 'keep' ? [{ column, why: t.why, ...(t.note ? { note: t.note } : {}) }] : [])),
      }));
  }

  /** What an erasure would remove (a dry run): per table, the rows in scope and the columns that would go. */
  async plan(tx: Repositories, consultationId: string): Promise<{ table: string; action: 'delete' | 'update'; rows: number; columns: string[] }[]> {
    const counts = await tx.erasure.countRows(consultationId, this.inventory);
    return this.inventory
      .filter((e) => e.rows !== 'keep' && (counts[e.table] ?? 0) > 0)
      .map((e) => ({
        table: e.table,
        action: e.rows === 'delete' ? ('delete' as const) : ('update' as const),
        rows: counts[e.table] ?? 0,
        columns: Object.entries(e.columns)
          .filter(([, t]) => e.rows === 'delete' || t.do !== 'keep')
          .map(([c]) => c),
      }));
  }
}
