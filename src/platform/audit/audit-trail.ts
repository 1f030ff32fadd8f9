import { actorId, actorRole, type RequestContext } from '../context.js';
import type { AuditRepository, AuditRow } from './audit.repository.js';
import { chainHash, GENESIS_HASH } from './chain.js';

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

export type ChainVerification = { ok: true; checked: number } | { ok: false; checked: number; brokenAt: number; reason: string };

/**
 * The one place where audit events are written (every state change passes through here).
 * `record` must run inside the transaction of the change it describes, so both land or neither does.
 */
export class AuditTrail {
  constructor(private readonly now: () => Date = () => new Date()) {}

  async record(repo: AuditRepository, context: RequestContext, event: AuditEventInput): Promise<AuditRow> {
    await repo.lockChain();
    const prevHash = (await repo.lastHash()) ?? GENESIS_HASH;
    // Millisecond precision: the column stores exactly what was hashed.
    const at = new Date(Math.floor(this.now().getTime()));
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
      details: event.details ?? {},
    };
    return repo.insert({ ...fields, prevHash, hash: chainHash(prevHash, fields) });
  }

  /** Walks the whole chain and names the first event whose link or content does not match. */
  async verify(repo: AuditRepository, pageSize = 1000): Promise<ChainVerification> {
    let expectedPrev = GENESIS_HASH;
    let lastSeq = 0;
    let checked = 0;
    for (;;) {
      const page = await repo.pageAfter(lastSeq, pageSize);
      if (page.length === 0) return { ok: true, checked };
      for (const row of page) {
        if (row.prevHash !== expectedPrev) {
          return {
            ok: false,
            checked,
            brokenAt: row.seq,
            reason: `event ${row.seq} does not link to the event before it (an event was removed, inserted or re-hashed)`,
          };
        }
        const recomputed = chainHash(row.prevHash, row);
        if (recomputed !== row.hash) {
          return {
            ok: false,
            checked,
            brokenAt: row.seq,
            reason: `event ${row.seq} (${row.what}) was changed after it was written: its content no longer matches its hash`,
          };
        }
        expectedPrev = row.hash;
        lastSeq = row.seq;
        checked += 1;
      }
    }
  }
}
