import { and, asc, desc, eq, gt, gte, inArray, like, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { auditEvents } from './audit.schema.js';
import { GENESIS_HASH } from './chain.js';
import type { AuditChainHead } from './checkpoints.js';

export interface AuditFilter {
  /** Event name prefix, e.g. `session.` */
  what?: string;
  /** Actor prefix, e.g. `user:` or a full `user:<id>` */
  who?: string;
  subject?: string;
  from?: Date;
  to?: Date;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

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

  /**
   * The newest event, how many there are and how many are unkeyed, in one statement: one snapshot, and appends are
   * serialised by the chain lock, so what it sees is always a whole prefix of the chain.
   */
  async head(): Promise<AuditChainHead> {
    const result: unknown = await this.db.execute(sql`
      select
        coalesce((select seq from audit_events order by seq desc limit 1), 0)::bigint as seq,
        (select hash from audit_events order by seq desc limit 1) as hash,
        (select count(*) from audit_events)::bigint as count,
        (select count(*) from audit_events where key_id is null)::bigint as unkeyed`);
    const [row] = (result as { rows: { seq: string | number; hash: string | null; count: string | number; unkeyed: string | number }[] }).rows;
    return { seq: Number(row!.seq), hash: row!.hash ?? GENESIS_HASH, count: Number(row!.count), unkeyed: Number(row!.unkeyed) };
  }

  async insert(row: NewAuditRow): Promise<AuditRow> {
    const [inserted] = await this.db.insert(auditEvents).values(row).returning();
    return inserted!;
  }

  /** Events after `afterSeq`, oldest first, a page at a time (the chain can be far larger than memory). */
  async pageAfter(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.db.select().from(auditEvents).where(gt(auditEvents.seq, afterSeq)).orderBy(asc(auditEvents.seq)).limit(limit);
  }

  /** Newest first, filtered; `beforeSeq` pages backwards through the log. */
  async search(filter: AuditFilter, limit: number, beforeSeq?: number): Promise<AuditRow[]> {
    const conditions = [
      filter.what ? like(auditEvents.what, `${escapeLike(filter.what)}%`) : undefined,
      filter.who ? like(auditEvents.who, `${escapeLike(filter.who)}%`) : undefined,
      filter.subject ? eq(auditEvents.subject, filter.subject) : undefined,
      filter.from ? gte(auditEvents.at, filter.from) : undefined,
      filter.to ? lt(auditEvents.at, filter.to) : undefined,
      beforeSeq ? lt(auditEvents.seq, beforeSeq) : undefined,
    ].filter((c) => c !== undefined);
    return this.db
      .select()
      .from(auditEvents)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(auditEvents.seq))
      .limit(limit);
  }

  /** The continuity of an evidence item: events about any of `subjects` whose name starts with `whatPrefix`, oldest first. */
  async listForSubjects(subjects: string[], whatPrefix: string): Promise<AuditRow[]> {
    return this.db
      .select()
      .from(auditEvents)
      .where(and(inArray(auditEvents.subject, subjects), like(auditEvents.what, `${escapeLike(whatPrefix)}%`)))
      .orderBy(asc(auditEvents.seq));
  }

  /**
   * EVD-04: the evidence items a custody entry about `subject` concerns, with their recorded SHA-256 now: the item
   * (`evidence:<id>`) or every item of the consultation (`consultation:<id>`). Read inside the writer's transaction.
   */
  async custodyScope(subject: string | undefined): Promise<{ id: string; sha256: string }[]> {
    const match = /^(evidence|consultation):([0-9a-f-]{36})$/i.exec(subject ?? '');
    if (!match) return [];
    const column = match[1] === 'evidence' ? sql`id` : sql`consultation_id`;
    const result: unknown = await this.db.execute(
      sql`select id::text as id, sha256 from evidence_items where ${column} = ${match[2]}::uuid order by captured_at, id`,
    );
    return (result as { rows: { id: string; sha256: string }[] }).rows.map((r) => ({ id: r.id, sha256: r.sha256 }));
  }

  async exists(what: string): Promise<boolean> {
    const rows = await this.db
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(sql`${auditEvents.what} = ${what}`)
      .limit(1);
    return rows.length > 0;
  }
}
