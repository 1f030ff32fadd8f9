import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { rawKeyOf } from '../../platform/storage/recording-scratch.js';
import type { EvidenceItemRow } from './evidence.repository.js';
import { EvidenceStoreLocks } from './evidence-locks.js';

export interface StorageMoveReport {
  dryRun: boolean;
  /** Items copied to the store and verified there (or, in a dry run, that would be). */
  moved: number;
  movedBytes: number;
  /** Items the store already holds with the recorded hash (a run resumed after an interruption). */
  alreadyThere: number;
  /** Items with no local file: nothing to move (the integrity check reports them). */
  missing: string[];
  /** Items that could not be moved, with why; the local copy is kept. */
  failed: { id: string; reason: string }[];
}

/**
 * `rvr storage move` (issue 15): moves the masters an existing installation keeps on local disk into the configured
 * store. Each file is streamed with its recorded SHA-256, which the store verifies on arrival; only then is the lock
 * set, the move logged as custody, and the local copy removed. Resumable (what the store already holds with the
 * right hash is skipped) and with a dry run that changes nothing.
 */
export class EvidenceStorageMoveService {
  private readonly locks: EvidenceStoreLocks;

  constructor(
    private readonly deps: { data: DataAccess; audit: AuditTrail; blobs: BlobStore; log: Logger; now: () => Date },
    private readonly source: BlobStore,
  ) {
    this.locks = new EvidenceStoreLocks(deps);
  }

  async move(context: RequestContext, options: { dryRun: boolean; onProgress?: (line: string) => void }): Promise<StorageMoveReport> {
    const report: StorageMoveReport = { dryRun: options.dryRun, moved: 0, movedBytes: 0, alreadyThere: 0, missing: [], failed: [] };
    let after: string | undefined;
    for (;;) {
      const page = await this.deps.data.repos.evidence.listPresentAfter(after, 100);
      if (page.length === 0) break;
      for (const item of page) {
        after = item.id;
        try {
          await this.moveItem(context, item, options.dryRun, report);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          report.failed.push({ id: item.id, reason });
          options.onProgress?.(`${item.id}: not moved (${reason}); the local copy is kept`);
        }
      }
    }
    return report;
  }

  private async moveItem(context: RequestContext, item: EvidenceItemRow, dryRun: boolean, report: StorageMoveReport): Promise<void> {
    const there = await this.deps.blobs.head(item.fileKey);
    const local = await this.source.head(item.fileKey);
    if (there && there.size === item.sizeBytes && (there.sha256 === undefined || there.sha256 === item.sha256)) {
      // Already there (an earlier run was interrupted after the copy): verified by reading it back before the local copy goes.
      if (there.sha256 === undefined && (await this.hashOf(item.fileKey)) !== item.sha256) throw new Error('the store holds different bytes under its key');
      report.alreadyThere += 1;
      if (!dryRun && local) await this.finish(context, item, false);
      return;
    }
    if (there) throw new Error('the store already holds different bytes under its key; left for a person to look at');
    if (!local) {
      report.missing.push(item.id);
      return;
    }
    const count = () => {
      report.moved += 1;
      report.movedBytes += local.size;
    };
    if (dryRun) return count();
    await this.deps.blobs.put(item.fileKey, await this.source.get(item.fileKey), { expectedSha256: item.sha256, contentType: item.mediaType });
    // A recording repaired after a crash keeps its raw original: it moves with the master, verified the same way.
    if (item.kind === 'recording' && (await this.source.head(rawKeyOf(item.fileKey)))) {
      const rawSha256 = await this.hashOf(rawKeyOf(item.fileKey), this.source);
      await this.deps.blobs.put(rawKeyOf(item.fileKey), await this.source.get(rawKeyOf(item.fileKey)), { expectedSha256: rawSha256 });
    }
    await this.finish(context, item, true);
    count();
  }

  /** Lock as the platform's dates and holds say, log the custody step, then remove the local copies. */
  private async finish(context: RequestContext, item: EvidenceItemRow, copied: boolean): Promise<void> {
    const held = (await this.deps.data.repos.evidence.listHolds(item.consultationId)).some((h) => !h.releasedAt);
    await this.locks.sync([item], item.disposalEligibleAt, held);
    await this.deps.data.transaction(async (tx) => {
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.moved',
        subject: `evidence:${item.id}`,
        details: { from: this.source.description, to: this.deps.blobs.description, sha256: item.sha256, verifiedBy: copied ? 'store checksum' : 'read back' },
      });
    });
    await this.source.delete(item.fileKey);
    if (item.kind === 'recording') await this.source.delete(rawKeyOf(item.fileKey));
  }

  private async hashOf(key: string, store: BlobStore = this.deps.blobs): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of await store.get(key)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}
