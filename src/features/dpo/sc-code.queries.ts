import { and, count, desc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { auditEvents } from '../../platform/audit/audit.schema.js';
import { policyAcknowledgements, users } from '../../platform/auth/identity.schema.js';

/** SC-10: the records the Surveillance Camera Code self-assessment reads (counts and the last chain verification). */
export class ScCodeQueries {
  constructor(private readonly db: Executor) {}

  /** The last `audit.verified` event: when, and whether the chain held. */
  async lastAuditVerification(): Promise<{ at: Date; ok: boolean } | undefined> {
    const [row] = await this.db
      .select({ at: auditEvents.at, details: auditEvents.details })
      .from(auditEvents)
      .where(eq(auditEvents.what, 'audit.verified'))
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    return row ? { at: row.at, ok: (row.details as { ok?: unknown }).ok === true } : undefined;
  }

  /** SC-5: active (not disabled) accounts, and how many of them acknowledged the given policy version. */
  async policyAcknowledgement(policyVersionId: string | undefined): Promise<{ activeUsers: number; acknowledged: number }> {
    const [active] = await this.db.select({ n: count() }).from(users).where(isNull(users.disabledAt));
    if (!policyVersionId) return { activeUsers: active?.n ?? 0, acknowledged: 0 };
    const [acknowledged] = await this.db
      .select({ n: count() })
      .from(policyAcknowledgements)
      .innerJoin(users, eq(users.id, policyAcknowledgements.userId))
      .where(and(isNull(users.disabledAt), eq(policyAcknowledgements.policyVersionId, policyVersionId)));
    return { activeUsers: active?.n ?? 0, acknowledged: acknowledged?.n ?? 0 };
  }
}
