import type { Logger } from 'pino';
import { lockForbidsDelete, type BlobStore } from '../../platform/storage/blob-store.js';
import { rawKeyOf } from '../../platform/storage/recording-scratch.js';

interface LockedItem {
  id: string;
  kind: string;
  fileKey: string;
}

/**
 * The store's own lock follows the platform's retention and holds (issue 15, EVD-02, RET-07): once a master has a
 * disposal date its retention runs to that date, only ever extended; the legal-hold flag is on while any hold stands
 * and cleared only when the platform's hold rules release the last one. While nothing dates it (an open case) the
 * platform's rules alone keep it: a rolling lock would outlast the RET-23 purge after export. A failure here is
 * logged and put right by the next sync: it never undoes the platform's own record (a hold placed stays placed).
 */
export class EvidenceStoreLocks {
  constructor(private readonly deps: { blobs: BlobStore; log: Logger; now: () => Date }) {}

  private keysOf(item: LockedItem): string[] {
    return item.kind === 'recording' ? [item.fileKey, rawKeyOf(item.fileKey)] : [item.fileKey];
  }

  async sync(items: LockedItem[], disposalEligibleAt: Date | null, held: boolean): Promise<void> {
    for (const item of items)
      for (const key of this.keysOf(item)) {
        try {
          const head = await this.deps.blobs.head(key);
          if (!head) continue;
          if (disposalEligibleAt && disposalEligibleAt > this.deps.now()) await this.deps.blobs.extendRetention(key, disposalEligibleAt);
          if (head.lock.legalHold !== held) await this.deps.blobs.setLegalHold(key, held);
        } catch (error) {
          this.deps.log.error({ err: error, evidenceId: item.id }, 'the store lock of an evidence file could not be updated; the next sync retries');
        }
      }
  }

  /** Why the store will not let this item go now (its lock), or undefined when it may be deleted. */
  async refusal(item: LockedItem): Promise<string | undefined> {
    return (await this.refusalDetail(item))?.reason;
  }

  /** The store's refusal with when its lock ends (null under the store's legal hold), for the disposal page (issue 16 §2). */
  async refusalDetail(item: LockedItem): Promise<{ reason: string; until: Date | null } | undefined> {
    for (const key of this.keysOf(item)) {
      const head = await this.deps.blobs.head(key);
      if (!head || !lockForbidsDelete(head.lock, this.deps.now())) continue;
      return head.lock.legalHold
        ? { reason: 'the store holds it under a legal hold', until: null }
        : {
            reason: `the store's ${head.lock.mode.toLowerCase()} object lock keeps it until ${head.lock.retainUntil!.toISOString()}`,
            until: head.lock.retainUntil ?? null,
          };
    }
    return undefined;
  }
}
