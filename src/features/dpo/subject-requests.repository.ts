import { and, desc, eq, inArray, isNull, like, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import type { TableInventory } from './personal-data-inventory.js';
import { processingRestrictions, subjectRectifications, subjectRequests } from './subject-requests.schema.js';
import { inventoryRowsOf } from './subject-search.queries.js';

export type SubjectRequestRow = typeof subjectRequests.$inferSelect;
export type RectificationRow = typeof subjectRectifications.$inferSelect;
export type ProcessingRestrictionRow = typeof processingRestrictions.$inferSelect;

/** The incident fields a DPO may correct in place (DP-09); everything else is corrected by a supplementary statement. */
export const RECTIFIABLE_FIELDS = {
  'incidents.caller_name': 'The caller’s name',
  'incidents.location': 'Where the caller was',
  'incidents.needs': 'The caller’s needs',
  'incidents.spoken_language': 'The caller’s language',
  'incidents.summary': 'The call handler’s summary',
} as const;
export type RectifiableField = keyof typeof RECTIFIABLE_FIELDS;

function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** The register of data subjects' requests, rectifications and processing restrictions (issue 16 §1). */
export class SubjectRequestsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: typeof subjectRequests.$inferInsert): Promise<SubjectRequestRow> {
    const [created] = await this.db.insert(subjectRequests).values(row).returning();
    return created!;
  }

  async find(id: string): Promise<SubjectRequestRow | undefined> {
    const [row] = await this.db.select().from(subjectRequests).where(eq(subjectRequests.id, id));
    return row;
  }

  async lock(id: string): Promise<SubjectRequestRow | undefined> {
    const [row] = await this.db.select().from(subjectRequests).where(eq(subjectRequests.id, id)).for('update');
    return row;
  }

  async update(id: string, values: Partial<typeof subjectRequests.$inferInsert>): Promise<void> {
    await this.db.update(subjectRequests).set(values).where(eq(subjectRequests.id, id));
  }

  async list(limit: number): Promise<SubjectRequestRow[]> {
    return this.db.select().from(subjectRequests).orderBy(desc(subjectRequests.receivedOn), desc(subjectRequests.createdAt)).limit(limit);
  }

  /** The highest number used this year in DSR-YYYY-NNNN (serialised by the caller's advisory lock). */
  async lastNumber(year: number): Promise<number> {
    const rows = await this.db
      .select({ reference: subjectRequests.reference })
      .from(subjectRequests)
      .where(like(subjectRequests.reference, `DSR-${year}-%`));
    return rows.reduce((max, r) => Math.max(max, Number(r.reference.split('-')[2]) || 0), 0);
  }

  async lockRegister(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(hashtext('subject_requests.reference'))`);
  }

  async consultationsByIds(ids: string[]): Promise<{ id: string; reference: string; cadReference: string; state: string; triagedAt: Date }[]> {
    if (ids.length === 0) return [];
    const rows = rowsOf<{ id: string; reference: string; cad_reference: string; state: string; triaged_at: Date | string }>(
      await this.db.execute(sql`select c.id, c.reference, i.cad_reference, c.state, c.triaged_at from consultations c join incidents i on i.id = c.incident_id
        where c.id in (${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) order by c.triaged_at`),
    );
    return rows.map((r) => ({ id: r.id, reference: r.reference, cadReference: r.cad_reference, state: r.state, triagedAt: new Date(r.triaged_at) }));
  }

  /** The current value of a rectifiable incident field of the consultation, locked for the correction. */
  async lockIncidentField(consultationId: string, field: RectifiableField): Promise<string | null | undefined> {
    const column = field.split('.')[1]!;
    const [row] = rowsOf<{ value: string | null }>(
      await this.db.execute(
        sql`select ${sql.identifier(column)} as value from incidents where id = (select incident_id from consultations where id = ${consultationId}) for update`,
      ),
    );
    return row ? row.value : undefined;
  }

  async setIncidentField(consultationId: string, field: RectifiableField, value: string): Promise<void> {
    const column = field.split('.')[1]!;
    await this.db.execute(
      sql`update incidents set ${sql.identifier(column)} = ${value} where id = (select incident_id from consultations where id = ${consultationId})`,
    );
  }

  async createRectification(row: typeof subjectRectifications.$inferInsert): Promise<RectificationRow> {
    const [created] = await this.db.insert(subjectRectifications).values(row).returning();
    return created!;
  }

  async listRectifications(consultationIds: string[]): Promise<RectificationRow[]> {
    if (consultationIds.length === 0) return [];
    return this.db
      .select()
      .from(subjectRectifications)
      .where(inArray(subjectRectifications.consultationId, consultationIds))
      .orderBy(subjectRectifications.rectifiedAt);
  }

  async createRestriction(row: typeof processingRestrictions.$inferInsert): Promise<ProcessingRestrictionRow> {
    const [created] = await this.db.insert(processingRestrictions).values(row).returning();
    return created!;
  }

  /** The restriction standing on a consultation, if any (DP-10). */
  async activeRestriction(consultationId: string): Promise<ProcessingRestrictionRow | undefined> {
    const [row] = await this.db
      .select()
      .from(processingRestrictions)
      .where(and(eq(processingRestrictions.consultationId, consultationId), isNull(processingRestrictions.liftedAt)));
    return row;
  }

  async liftRestriction(id: string, values: { liftedBy: string; liftedAt: Date; liftReason: string }): Promise<void> {
    await this.db.update(processingRestrictions).set(values).where(eq(processingRestrictions.id, id));
  }

  async listRestrictions(consultationIds: string[]): Promise<ProcessingRestrictionRow[]> {
    if (consultationIds.length === 0) return [];
    return this.db
      .select()
      .from(processingRestrictions)
      .where(inArray(processingRestrictions.consultationId, consultationIds))
      .orderBy(processingRestrictions.placedAt);
  }

  /** Every row the inventory table holds for the consultation (for the disclosure pack), or undefined when not scoped. */
  async tableRows(entry: TableInventory, consultationId: string): Promise<Record<string, unknown>[] | undefined> {
    const where = inventoryRowsOf(entry, consultationId);
    if (!where) return undefined;
    return rowsOf<Record<string, unknown>>(await this.db.execute(sql`select * from ${sql.identifier(entry.table)} where ${where} order by 1`));
  }

  /** The s.62 log's events about the consultation, its calls and its evidence (DP-06: what was done with the data). */
  async auditEvents(
    consultationId: string,
  ): Promise<{ seq: number; at: Date; what: string; subject: string | null; justification: string | null; recipient: string | null }[]> {
    const rows = rowsOf<{
      seq: number | string;
      at: Date | string;
      what: string;
      subject: string | null;
      justification: string | null;
      recipient: string | null;
    }>(
      await this.db.execute(sql`
        select seq, at, what, subject, justification, recipient from audit_events
        where subject = ${`consultation:${consultationId}`}
           or subject in (select 'call:' || id from calls where consultation_id = ${consultationId})
           or subject in (select 'evidence:' || id from evidence_items where consultation_id = ${consultationId})
        order by seq`),
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq), at: new Date(r.at) }));
  }
}
