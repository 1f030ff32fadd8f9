import type { Logger } from 'pino';
import { lockForbidsDelete, type BlobStore } from '../../platform/storage/blob-store.js';
import { rawKeyOf } from '../../platform/storage/recording-scratch.js';

const DAY_MS = 86_400_000;

interface LockedItem {
  id: string;
  kind: string;
  fileKey: string;
}

/**
 * The store's own lock follows the platform's retention and holds (issue 15, EVD-02, RET-07): each master's
 * retention runs to its disposal date (or, while something without an end blocks it, a rolling minimum renewed by
 * the integrity check), only ever extended; the legal-hold flag is on while any hold stands and cleared only when the
 * platform's hold rules release the last one. A failure here is logged and put right by the next sync: it never
 * undoes the platform's own record (a hold placed is placed, even if the store has not heard of it yet).
 */
export class EvidenceStoreLocks {
  constructor(private readonly deps: { blobs: BlobStore; lockMinimumDays: number; log: Logger; now: () => Date }) {}

  private keysOf(item: LockedItem): string[] {
    return item.kind === 'recording' ? [item.fileKey, rawKeyOf(item.fileKey)] : [item.fileKey];
  }

  retainUntil(disposalEligibleAt: Date | null): Date {
    return disposalEligibleAt ?? new Date(this.deps.now().getTime() + this.deps.lockMinimumDays * DAY_MS);
  }

  async sync(items: LockedItem[], disposalEligibleAt: Date | null, held: boolean): Promise<void> {
    const until = this.retainUntil(disposalEligibleAt);
    for (const item of items)
      for (const key of this.keysOf(item)) {
        try {
          const head = await this.deps.blobs.head(key);
          if (!head) continue;
          if (until > this.deps.now()) await this.deps.blobs.extendRetention(key, until);
          if (head.lock.legalHold !== held) await this.deps.blobs.setLegalHold(key, held);
        } catch (error) {
          this.deps.log.error({ err: error, evidenceId: item.id }, 'the store lock of an evidence file could not be updated; the next sync retries');
        }
      }
  }

  /** Why the store will not let this item go now (its lock), or undefined when it may be deleted. */
  async refusal(item: LockedItem): Promise<string | undefined> {
    for (const key of this.keysOf(item)) {
      const head = await this.deps.blobs.head(key);
      if (!head || !lockForbidsDelete(head.lock, this.deps.now())) continue;
      return head.lock.legalHold
        ? 'the store holds it under a legal hold'
        : `the store's ${head.lock.mode.toLowerCase()} object lock keeps it until ${head.lock.retainUntil!.toISOString()}`;
    }
    return undefined;
  }
}
