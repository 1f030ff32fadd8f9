import { asc, desc, gt, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents } from '../db/schema.js';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;

// Any constant works; it names "the audit chain" for pg_advisory_xact_lock.
const AUDIT_CHAIN_LOCK = 7_400_101;

export class AuditRepository {
  constructor(private readonly db: Executor) {}

  /** Serialises appends until the surrounding transaction ends, so two writers never fork the chain. */
  async lockChain(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  }

  async lastHash(): Promise<string | undefined> {
    const [row] = await this.db.select({ hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
    return row?.hash;
  }

  async insert(row: NewAuditRow): Promise<AuditRow> {
    const [inserted] = await this.db.insert(auditEvents).values(row).returning();
    return inserted!;
  }

  /** Events after `afterSeq`, oldest first, a page at a time (the chain can be far larger than memory). */
  async pageAfter(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
  }

  async exists(what: string): Promise<boolean> {
    const rows = await this.db
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(sql`${auditEvents.what} = ${what}`)
      .limit(1);
    return rows.length > 0;
  }

  async recent(limit: number): Promise<AuditRow[]> {
    return this.db.select().from(auditEvents).orderBy(desc(auditEvents.seq)).limit(limit);
  }
}
