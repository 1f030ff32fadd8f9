import { custodyAtWrite, isCustodyEvent } from '../../domain/custody.js';
import { actorId, actorRole, type RequestContext } from '../context.js';
import { AuditKeyring } from './audit-keys.js';
import type { AuditRepository, AuditRow } from './audit.repository.js';
import { GENESIS_HASH, keyedChainHash, unkeyedChainHash } from './chain.js';
import type { AuditCheckpoint } from './checkpoints.js';

export interface AuditEventInput {
  /** Dotted event name, e.g. `consultation.transition`, `session.signed_in`. */
  what: string;
  /** What the event is about, as `type:id` (e.g. `consultation:…`). Ids only: never names or numbers. */
  subject?: string;
  /** Why: required for consultation (viewing) and disclosure of personal data or evidence (DP-01). */
  justification?: string;
  /** Who received a disclosure (DP-01). */
  recipient?: string;
  details?: Record<string, unknown>;
}

/** What the checkpoints said, next to what the chain says. */
export interface CheckpointReport {
  /** Where they were read from (a file path). */
  source: string;
  /** Validly signed checkpoints found. */
  found: number;
  /** Checkpoints the chain agrees with. */
  matched: number;
  latest?: { at: string; seq: number; count: number };
}

export type ChainVerification =
  | { ok: true; checked: number; checkpoints?: CheckpointReport }
  | {
      ok: false;
      checked: number;
      /** The first event that fails, when the fault is in one event (not when a checkpoint file is itself altered). */
      brokenAt?: number;
      reason: string;
      checkpoints?: CheckpointReport;
    };

export interface VerifyOptions {
  pageSize?: number;
  /** Signed checkpoints (already checked against the keyring) to hold the chain to: this is what detects truncation. */
  checkpoints?: { source: string; list: AuditCheckpoint[] };
}

/**
 * The one place where audit events are written (every state change passes through here).
 * `record` must run inside the transaction of the change it describes, so both land or neither does.
 */
export class AuditTrail {
  constructor(
    private readonly now: () => Date = () => new Date(),
    readonly keys: AuditKeyring = AuditKeyring.development(),
  ) {}

  async record(repo: AuditRepository, context: RequestContext, event: AuditEventInput): Promise<AuditRow> {
    await repo.lockChain();
    const prevHash = (await repo.lastHash()) ?? GENESIS_HASH;
    // Millisecond precision: the column stores exactly what was hashed.
    const at = new Date(Math.floor(this.now().getTime()));
    const details = await this.withCustody(repo, event);
    const fields = {
      at,
      what: event.what,
      who: actorId(context.actor),
      subject: event.subject ?? null,
      correlationId: context.correlationId,
      actorRole: actorRole(context.actor),
      sessionId: context.sessionId ?? null,
      clientIp: context.clientIp ?? null,
      recipient: event.recipient ?? null,
      justification: event.justification ?? null,
      details,
    };
    const key = this.keys.current;
    return repo.insert({ ...fields, prevHash, keyId: key.id, hash: keyedChainHash(key.chainKey, key.id, prevHash, fields) });
  }

  /**
   * EVD-04: an `evidence.*` event is a custody entry; its reason and the before/after hashes of the items it concerns
   * are stored on it (`details.custody`) as it is written, inside its keyed hash, unless the caller stored them.
   */
  private async withCustody(repo: AuditRepository, event: AuditEventInput): Promise<Record<string, unknown>> {
    const details = event.details ?? {};
    if (!isCustodyEvent(event.what) || 'custody' in details) return details;
    const scope = await repo.custodyScope(event.subject);
    const custody = custodyAtWrite({ what: event.what, subject: event.subject ?? null, justification: event.justification ?? null, details }, scope);
    return { ...details, custody };
  }

  /**
   * Walks the whole chain and names the first event whose link or content does not match, then holds it to the
   * checkpoints: each must find its head event, with the same hash and count, and the newest must not be beyond the
   * end of the log (events deleted from the end still link up; only a checkpoint shows they were there).
   */
  async verify(repo: AuditRepository, options: VerifyOptions = {}): Promise<ChainVerification> {
    const pageSize = options.pageSize ?? 1000;
    const pending = [...(options.checkpoints?.list ?? [])].sort((a, b) => a.seq - b.seq);
    const report: CheckpointReport | undefined = options.checkpoints && {
      source: options.checkpoints.source,
      found: pending.length,
      matched: 0,
      ...(pending.length ? { latest: latestOf(pending) } : {}),
    };
    const result = (outcome: { ok: true } | { ok: false; brokenAt?: number; reason: string }, checked: number): ChainVerification => ({
      ...outcome,
      checked,
      ...(report ? { checkpoints: report } : {}),
    });

    let expectedPrev = GENESIS_HASH;
    let lastSeq = 0;
    let checked = 0;
    let unkeyed = 0;
    let keyedSeen = false;
    const holdTo = (seq: number, hash: string): { brokenAt: number; reason: string } | undefined => {
      while (pending.length && pending[0]!.seq <= seq) {
        const checkpoint = pending.shift()!;
        if (checkpoint.seq < seq) {
          return {
            brokenAt: checkpoint.seq,
            reason: `event ${checkpoint.seq} is missing: the checkpoint of ${checkpoint.at} recorded it as the newest event (${checkpoint.count} events), so events were deleted`,
          };
        }
        if (checkpoint.head !== hash || checkpoint.count !== checked || checkpoint.unkeyed !== unkeyed) {
          return {
            brokenAt: checkpoint.seq,
            reason: `the log does not match the checkpoint of ${checkpoint.at}: it recorded ${checkpoint.count} events ending at event ${checkpoint.seq} with hash ${checkpoint.head.slice(0, 12)}…, the log now has ${checked} events up to there ending with hash ${hash.slice(0, 12)}… (events were deleted, inserted or rewritten)`,
          };
        }
        report!.matched += 1;
      }
      return undefined;
    };

    const emptyCheck = holdTo(0, GENESIS_HASH);
    if (emptyCheck) return result({ ok: false, ...emptyCheck }, 0);
    for (;;) {
      const page = await repo.pageAfter(lastSeq, pageSize);
      if (page.length === 0) break;
      for (const row of page) {
        if (row.prevHash !== expectedPrev) {
          return result(
            {
              ok: false,
              brokenAt: row.seq,
              reason: `event ${row.seq} does not link to the event before it (an event was removed, inserted or re-hashed)`,
            },
            checked,
          );
        }
        const fault = this.checkEventHash(row, keyedSeen);
        if (fault) return result({ ok: false, brokenAt: row.seq, reason: fault }, checked);
        if (row.keyId === null) unkeyed += 1;
        else keyedSeen = true;
        expectedPrev = row.hash;
        lastSeq = row.seq;
        checked += 1;
        const mismatch = holdTo(row.seq, row.hash);
        if (mismatch) return result({ ok: false, ...mismatch }, checked);
      }
    }
    if (pending.length) {
      const newest = latestOf(pending);
      return result(
        {
          ok: false,
          brokenAt: newest.seq,
          reason: `the newest events were deleted: the log ends at event ${lastSeq} (${checked} events), but the checkpoint of ${newest.at} recorded ${newest.count} events up to event ${newest.seq}`,
        },
        checked,
      );
    }
    return result({ ok: true }, checked);
  }

  /** Why this event's hash is not right, or undefined. */
  private checkEventHash(row: AuditRow, keyedSeen: boolean): string | undefined {
    if (row.keyId === null) {
      // The old format is accepted only for the events written before the switch, never after a keyed one:
      // otherwise anyone could rewrite an event and re-hash it without the key.
      if (keyedSeen) {
        return `event ${row.seq} (${row.what}) is in the old unkeyed format after keyed events: it was rewritten by someone without the audit key`;
      }
      if (unkeyedChainHash(row.prevHash, row) !== row.hash) {
        return `event ${row.seq} (${row.what}) was changed after it was written: its content no longer matches its hash`;
      }
      return undefined;
    }
    const key = this.keys.find(row.keyId);
    if (!key) {
      return `event ${row.seq} (${row.what}) was signed with audit key ${row.keyId}, which is not configured: set the key that signed it in AUDIT_HMAC_OLD_KEYS, or the event was forged`;
    }
    if (keyedChainHash(key.chainKey, key.id, row.prevHash, row) !== row.hash) {
      return `event ${row.seq} (${row.what}) was changed after it was written: its content no longer matches its keyed hash`;
    }
    return undefined;
  }
}

function latestOf(checkpoints: AuditCheckpoint[]): { at: string; seq: number; count: number } {
  const newest = checkpoints.reduce((a, b) => (b.seq > a.seq || (b.seq === a.seq && b.at > a.at) ? b : a));
  return { at: newest.at, seq: newest.seq, count: newest.count };
}
