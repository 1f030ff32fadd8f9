import { createHash, randomUUID } from 'node:crypto';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { NotFoundError } from '../../platform/errors.js';
import { rawKeyOf } from '../../platform/storage/recording-scratch.js';
import { describeActor } from './evidence-access.service.js';
import { PersonalDataEraser, type ErasureCertificate } from '../dpo/personal-data-eraser.js';
import { EvidenceStoreLocks } from './evidence-locks.js';
import type { EvidenceDeps } from './evidence-shared.js';

export interface DisposalOutcome {
  disposalId: string;
  dryRun: boolean;
  items: DisposalCertificateItem[];
  /** Items past their date that a hold kept (logged as refused). */
  held: string[];
  /** Items past their date that the store's object lock still keeps, with the store's reason (logged as refused). */
  locked: LockedItem[];
  /** Every refusal of this run, as the certificate lists it (issue 15 §4). */
  refused: DisposalRefusal[];
  /** Consultations whose personal data this run erased (issue 16 §2): what went, what stayed and why. */
  erasures: ErasureCertificate[];
  /** A dry run: the consultations whose personal data would be erased, and what would go. */
  wouldErase: { consultationId: string; tables: { table: string; action: 'delete' | 'update'; rows: number; columns: string[] }[] }[];
  /** Consultations touched by this run whose personal data must wait, and why (a hold, the store's lock, items not yet due). */
  pendingErasures: { consultationId: string; reason: string }[];
}

/** An item past its date that was not disposed of, why, and when that ends (null: when a hold is released). */
export interface DisposalRefusal {
  id: string;
  consultationId: string;
  label: string;
  kind: string;
  by: 'legal hold' | 'store lock';
  reason: string;
  until: string | null;
}

export interface LockedItem {
  id: string;
  consultationId: string;
  kind: string;
  reason: string;
  /** When the store's retention lock ends; null under the store's legal hold (no end of its own). */
  until: string | null;
}

export interface DisposalCertificateItem {
  id: string;
  consultationId: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
  capturedAt: string;
  disposalEligibleAt: string;
  basis: string;
}

function refusedItem(item: { id: string; consultationId: string; label: string; kind: string }) {
  return { id: item.id, consultationId: item.consultationId, label: item.label, kind: item.kind };
}

/**
 * Disposal and integrity: the scheduled re-hash of every master (EVD-02), and the two-step disposal job with its
 * certificate, so a crash never half-deletes (DP-03, X-03).
 */
export class EvidenceDisposalService {
  readonly locks: EvidenceStoreLocks;
  /** The inventory-driven erasure of a consultation's personal data once its evidence has gone (issue 16 §2). */
  readonly eraser: PersonalDataEraser;

  constructor(private readonly deps: Pick<EvidenceDeps, 'data' | 'audit' | 'blobs' | 'log' | 'now' | 'onIntegrityFailure'>) {
    this.locks = new EvidenceStoreLocks(deps);
    this.eraser = new PersonalDataEraser(deps);
  }

  private get data() {
    return this.deps.data;
  }

  /**
   * The scheduled integrity check (EVD-02): re-hashes every master as read back from the store; a mismatch is
   * reported, never re-hashed into the record. It also puts right a store lock that fell behind the item's date or holds.
   */
  async checkIntegrity(): Promise<{ checked: number; failures: { id: string; problem: 'mismatch' | 'missing' }[] }> {
    const context = systemContext('evidence-integrity', randomUUID());
    const failures: { id: string; problem: 'mismatch' | 'missing' }[] = [];
    let checked = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.data.repos.evidence.listPresentAfter(after, 100);
      if (page.length === 0) break;
      for (const item of page) {
        after = item.id;
        checked += 1;
        const actual = await this.hashStored(item.fileKey).catch(() => undefined);
        const status = !actual ? 'missing' : actual.sha256 === item.sha256 && actual.size === item.sizeBytes ? 'ok' : 'mismatch';
        const now = this.deps.now();
        await this.data.transaction(async (tx) => {
          await tx.evidence.setIntegrity(item.id, status, now);
          if (status !== 'ok')
            await this.deps.audit.record(tx.audit, context, {
              what: 'evidence.integrity_failed',
              subject: `evidence:${item.id}`,
              details: { problem: status, expectedSha256: item.sha256, actualSha256: actual?.sha256 ?? null },
            });
        });
        if (status === 'ok') {
          const held = (await this.data.repos.evidence.listHolds(item.consultationId)).some((h) => !h.releasedAt);
          await this.locks.sync([item], item.disposalEligibleAt, held);
        }
        if (status !== 'ok') {
          failures.push({ id: item.id, problem: status });
          this.deps.log.error({ evidenceId: item.id, problem: status }, 'evidence master failed its integrity check');
          this.deps.onIntegrityFailure?.(item, status);
        }
      }
    }
    return { checked, failures };
  }

  private async hashStored(key: string): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await this.deps.blobs.get(key)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  integrityFailures() {
    return this.data.repos.evidence.listIntegrityFailures();
  }

  /**
   * The disposal job (DP-03, X-03). Each item is first marked `disposing` (with its audit entry), then its file
   * is deleted, then it is marked `disposed`: a crash at any point is finished by `resumeDisposals` on start.
   * A dry run lists what would go and changes nothing but its own certificate and log entry.
   */
  async dispose(context: RequestContext, options: { dryRun: boolean }): Promise<DisposalOutcome> {
    const now = this.deps.now();
    const candidates = await this.data.repos.evidence.listDisposalCandidates(now);
    const disposalId = randomUUID();
    const items: DisposalCertificateItem[] = [];
    const held: string[] = [];
    const locked: LockedItem[] = [];
    const refused: DisposalRefusal[] = [];
    const heldCases = new Set<string>();
    for (const candidate of candidates) {
      const taken = await this.data.transaction(async (tx) => {
        await tx.evidence.lockCase(candidate.consultationId);
        const item = await tx.evidence.lockItem(candidate.id);
        if (!item || item.state !== 'present' || item.restrictedAt || !item.disposalEligibleAt || item.disposalEligibleAt > now) return undefined;
        const holds = (await tx.evidence.listHolds(item.consultationId)).filter((h) => !h.releasedAt);
        if (holds.length > 0) {
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.disposal_refused',
            subject: `evidence:${item.id}`,
            details: { reason: 'legal hold', holds: holds.map((h) => h.type) },
          });
          held.push(item.id);
          refused.push({
            ...refusedItem(item),
            by: 'legal hold',
            reason: `a legal hold stands (${[...new Set(holds.map((h) => h.type))].join(', ')})`,
            until: null,
          });
          heldCases.add(item.consultationId);
          return undefined;
        }
        // The store's lock (issue 15) is asked before anything is marked: what it still keeps is refused, and said so.
        const storeRefusal = await this.locks.refusalDetail(item);
        if (storeRefusal) {
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.disposal_refused',
            subject: `evidence:${item.id}`,
            details: { reason: 'store lock', detail: storeRefusal.reason },
          });
          locked.push({
            id: item.id,
            consultationId: item.consultationId,
            kind: item.kind,
            reason: storeRefusal.reason,
            until: storeRefusal.until?.toISOString() ?? null,
          });
          refused.push({ ...refusedItem(item), by: 'store lock', reason: storeRefusal.lock, until: storeRefusal.until?.toISOString() ?? null });
          return undefined;
        }
        const entry: DisposalCertificateItem = {
          id: item.id,
          consultationId: item.consultationId,
          kind: item.kind,
          sha256: item.sha256,
          sizeBytes: item.sizeBytes,
          capturedAt: item.capturedAt.toISOString(),
          disposalEligibleAt: item.disposalEligibleAt.toISOString(),
          basis: item.retentionBasis,
        };
        if (!options.dryRun) {
          await tx.evidence.markDisposing(item.id, disposalId);
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.disposing',
            subject: `evidence:${item.id}`,
            details: { disposalId, sha256: item.sha256, basis: item.retentionBasis },
          });
        }
        return entry;
      });
      if (!taken) continue;
      items.push(taken);
      // A file that cannot be deleted now stays `disposing` and is finished on the next start; the run goes on.
      if (!options.dryRun)
        await this.finishRemoval(context, candidate.id).catch((error: unknown) =>
          this.deps.log.error({ err: error, evidenceId: candidate.id }, 'an evidence file could not be deleted; it will be retried'),
        );
    }
    const touched = [...new Set([...items.map((i) => i.consultationId), ...locked.map((l) => l.consultationId), ...heldCases])];
    const { erasures, wouldErase, pendingErasures } = options.dryRun
      ? await this.planErasures(touched, items)
      : await this.eraseReadyConsultations(context, disposalId, touched, locked, heldCases);
    // What was refused is named too (issue 15 §4): the certificate says what stayed, why, and until when.
    const certificate = JSON.stringify({ disposalId, dryRun: options.dryRun, ranAt: now.toISOString(), items, refused, erasures, wouldErase, pendingErasures });
    await this.data.transaction(async (tx) => {
      await tx.evidence.createDisposal({
        id: disposalId,
        dryRun: options.dryRun,
        ranAt: now,
        ranBy: context.actor.type === 'user' ? `user:${context.actor.userId}` : `system:${context.actor.type === 'system' ? context.actor.name : 'cli'}`,
        items,
        certificate,
        certificateSha256: createHash('sha256').update(certificate).digest('hex'),
      });
      await this.deps.audit.record(tx.audit, context, {
        what: options.dryRun ? 'evidence.disposal_dry_run' : 'evidence.disposal_run',
        subject: `disposal:${disposalId}`,
        details: { items: items.length, held: held.length, locked: locked.length, erasures: erasures.length, pendingErasures: pendingErasures.length },
      });
    });
    return { disposalId, dryRun: options.dryRun, items, held, locked, refused, erasures, wouldErase, pendingErasures };
  }

  /**
   * Issue 16 §2 (RET-02, DP-05): once none of a consultation's evidence is left present (all disposed, or marked and
   * being deleted) and no hold stands, its personal data in every table is erased as the inventory says, each
   * consultation in one transaction with its certificate and audit entry. An item the store's lock keeps keeps the
   * whole consultation's data too (its DB erasure waits, listed as pending), so the record never outlives, nor
   * is outlived by, its evidence (ADR 0016). Earlier runs' waiting consultations are picked up here too.
   */
  private async eraseReadyConsultations(context: RequestContext, disposalId: string, touched: string[], locked: LockedItem[], heldCases: Set<string>) {
    const erasures: ErasureCertificate[] = [];
    const failed = new Set<string>();
    for (;;) {
      const ready = await this.data.repos.erasure.listReadyForErasure(50);
      const fresh = ready.filter((id) => !erasures.some((e) => e.consultationId === id));
      if (fresh.length === 0) break;
      for (const consultationId of fresh) {
        if (failed.has(consultationId)) continue;
        const row = await this.data
          .transaction(async (tx) => {
            await tx.evidence.lockCase(consultationId);
            // Checked again under the case lock: a hold placed or an item added since the listing keeps it.
            if ((await tx.evidence.listHolds(consultationId)).some((h) => !h.releasedAt)) return undefined;
            if ((await tx.evidence.listByConsultation(consultationId)).some((i) => i.state !== 'disposed' && i.state !== 'disposing')) return undefined;
            if (await tx.erasure.findForConsultation(consultationId)) return undefined;
            return this.eraser.eraseInTransaction(tx, context, consultationId, { kind: 'disposal', disposalId });
          })
          .catch((error: unknown) => {
            // Rolled back whole: nothing of it is half-erased. It stays pending and the next run tries again.
            failed.add(consultationId);
            this.deps.log.error({ err: error, consultationId }, 'a consultation’s personal data could not be erased; the next disposal run retries');
            return undefined;
          });
        if (row) erasures.push(JSON.parse(row.certificate) as ErasureCertificate);
      }
      if (fresh.every((id) => !erasures.some((e) => e.consultationId === id))) break;
    }
    const pendingErasures: { consultationId: string; reason: string }[] = [];
    for (const consultationId of new Set([...touched, ...failed])) {
      if (erasures.some((e) => e.consultationId === consultationId)) continue;
      if (await this.data.repos.erasure.findForConsultation(consultationId)) continue;
      const lock = locked.find((l) => l.consultationId === consultationId);
      pendingErasures.push({
        consultationId,
        reason: failed.has(consultationId)
          ? 'the erasure failed and was rolled back whole; the next run tries again'
          : heldCases.has(consultationId)
            ? 'a legal hold stands'
            : lock
              ? `evidence ${lock.id} is kept by the store: ${lock.reason}`
              : 'some of its evidence is not yet due for disposal',
      });
    }
    return { erasures, wouldErase: [], pendingErasures };
  }

  /** A dry run's view of the erasures: consultations all of whose present evidence this run would dispose of. */
  private async planErasures(touched: string[], items: DisposalCertificateItem[]) {
    const wouldErase: DisposalOutcome['wouldErase'] = [];
    const pendingErasures: DisposalOutcome['pendingErasures'] = [];
    for (const consultationId of touched) {
      const present = (await this.data.repos.evidence.listByConsultation(consultationId)).filter((i) => i.state === 'present');
      if (present.every((p) => items.some((i) => i.id === p.id)))
        wouldErase.push({ consultationId, tables: await this.eraser.plan(this.data.repos, consultationId) });
      else pendingErasures.push({ consultationId, reason: 'some of its evidence would stay (not yet due, held, or kept by the store)' });
    }
    return { erasures: [] as ErasureCertificate[], wouldErase, pendingErasures };
  }

  /** Deletes the file of an item marked `disposing` (or `purging` after an export), then marks it; safe to run again after a crash. */
  async finishRemoval(context: RequestContext, id: string): Promise<boolean> {
    const item = await this.data.repos.evidence.findItem(id);
    if (!item || (item.state !== 'disposing' && item.state !== 'purging')) return false;
    // The store refuses (BlobLockedError) while its lock stands: the item stays marked and is retried on the next start.
    await this.deps.blobs.delete(item.fileKey);
    // A recording repaired after a crash keeps its raw original beside it: it goes with the master.
    if (item.kind === 'recording') await this.deps.blobs.delete(rawKeyOf(item.fileKey));
    const purge = item.state === 'purging';
    await this.data.transaction(async (tx) => {
      if (purge) await tx.evidence.markPurged(id, this.deps.now());
      else await tx.evidence.markDisposed(id, this.deps.now());
      // The erasure log holds ids and hashes, never content (DP-03).
      await this.deps.audit.record(tx.audit, context, {
        what: purge ? 'evidence.purged' : 'evidence.disposed',
        subject: `evidence:${id}`,
        details: purge ? { exportId: item.disposalId, sha256: item.sha256 } : { disposalId: item.disposalId, sha256: item.sha256 },
      });
    });
    return true;
  }

  /** On start: finishes any disposal or purge a crash interrupted (file deleted or not, the row ends removed). */
  async resumeDisposals(): Promise<number> {
    const context = systemContext('evidence-disposal-resume', randomUUID());
    const pending = [...(await this.data.repos.evidence.listByState('disposing')), ...(await this.data.repos.evidence.listByState('purging'))];
    for (const item of pending)
      await this.finishRemoval(context, item.id).catch((error: unknown) =>
        this.deps.log.error({ err: error, evidenceId: item.id }, 'an evidence file could not be deleted (the store refused or failed); it will be retried'),
      );
    return pending.length;
  }

  /** A run's record, with the items it refused (from its certificate; runs before issue 15 §4 have none listed). */
  async certificate(id: string) {
    const disposal = await this.data.repos.evidence.findDisposal(id);
    if (!disposal) throw new NotFoundError('There is no disposal run with that id');
    const issued = JSON.parse(disposal.certificate) as { refused?: DisposalRefusal[] };
    const userId = disposal.ranBy.startsWith('user:') ? disposal.ranBy.slice('user:'.length) : undefined;
    const names = userId ? await this.data.repos.evidence.displayNames([userId]) : new Map<string, string>();
    return { ...disposal, ranByName: describeActor(disposal.ranBy, null, names), refused: issued.refused ?? [] };
  }

  listDisposals() {
    return this.data.repos.evidence.listDisposals(20);
  }
}
