import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations, incidents } from '../consultations/consultations.schema.js';
import { consultationOutcomes } from '../investigation/investigation.schema.js';
import { evidenceDisposals, evidenceItems, evidenceRetention, evidenceTasks, legalHolds, retentionReviews } from './evidence.schema.js';

export type EvidenceItemRow = typeof evidenceItems.$inferSelect;
export type NewEvidenceItem = typeof evidenceItems.$inferInsert;
export type LegalHoldRow = typeof legalHolds.$inferSelect;
export type RetentionRow = typeof evidenceRetention.$inferSelect;
export type RetentionReviewRow = typeof retentionReviews.$inferSelect;
export type DisposalRow = typeof evidenceDisposals.$inferSelect;
export type EvidenceTaskRow = typeof evidenceTasks.$inferSelect;

/** The evidence list's search and filters (issue 15 §4); every field but the first two is optional. */
export interface EvidenceSearch {
  includeRestricted: boolean;
  limit: number;
  offset?: number;
  /** A CAD, crime or RVR reference, matched whole (as typed or in capitals, so the unique indexes serve it). */
  reference?: string;
  capturedFrom?: Date;
  capturedBefore?: Date;
  kind?: string;
  state?: string;
  officerId?: string;
  /** true: only items a legal hold stands on; false: only items with none. */
  onHold?: boolean;
}

/** One row of the evidence list: the item with its case's references, officer and hold. */
export interface EvidenceListRow {
  id: string;
  consultationId: string;
  label: string;
  kind: string;
  state: string;
  capturedAt: Date;
  sizeBytes: number;
  restrictedAt: Date | null;
  disposalEligibleAt: Date | null;
  consultationReference: string;
  cadReference: string;
  crimeReferences: string | null;
  officerId: string | null;
  officerName: string | null;
  onHold: boolean;
}

/** Evidence items, their consultation's retention facts, legal holds, reviews and disposal certificates. */
export class EvidenceRepository {
  constructor(private readonly db: Executor) {}

  /** Registers an item once per source row: a second call for the same source returns the first. */
  async createItem(item: NewEvidenceItem): Promise<EvidenceItemRow> {
    const [created] = await this.db.insert(evidenceItems).values(item).onConflictDoNothing({ target: evidenceItems.sourceId }).returning();
    return created ?? (await this.findBySource(item.sourceId))!;
  }

  async findItem(id: string): Promise<EvidenceItemRow | undefined> {
    const [row] = await this.db.select().from(evidenceItems).where(eq(evidenceItems.id, id));
    return row;
  }

  async lockItem(id: string): Promise<EvidenceItemRow | undefined> {
    const [row] = await this.db.select().from(evidenceItems).where(eq(evidenceItems.id, id)).for('update');
    return row;
  }

  async findBySource(sourceId: string): Promise<EvidenceItemRow | undefined> {
    const [row] = await this.db.select().from(evidenceItems).where(eq(evidenceItems.sourceId, sourceId));
    return row;
  }

  async listByConsultation(consultationId: string): Promise<EvidenceItemRow[]> {
    return this.db
      .select()
      .from(evidenceItems)
      .where(eq(evidenceItems.consultationId, consultationId))
      .orderBy(asc(evidenceItems.capturedAt), asc(evidenceItems.id));
  }

  /**
   * The evidence list (issue 15 §4): one page of items, newest first, with the total that match. Restricted items are
   * hidden from normal search (DP-10) unless asked for. A reference is matched whole against the CAD reference and the
   * RVR reference (unique indexes) and the crime references recorded as outcomes (found through their kind index).
   */
  async search(options: EvidenceSearch): Promise<{ rows: EvidenceListRow[]; total: number }> {
    const where = and(...this.searchConditions(options));
    const activeHold = sql<boolean>`exists (select 1 from ${legalHolds} where ${legalHolds.consultationId} = ${evidenceItems.consultationId} and ${legalHolds.releasedAt} is null)`;
    const crimeReferences = sql<
      string | null
    >`(select string_agg(distinct ${consultationOutcomes.details} ->> 'crimeReference', ', ') from ${consultationOutcomes} where ${consultationOutcomes.consultationId} = ${evidenceItems.consultationId} and ${consultationOutcomes.kind} = 'crime_recorded')`;
    const [rows, [counted]] = await Promise.all([
      this.db
        .select({
          id: evidenceItems.id,
          consultationId: evidenceItems.consultationId,
          label: evidenceItems.label,
          kind: evidenceItems.kind,
          state: evidenceItems.state,
          capturedAt: evidenceItems.capturedAt,
          sizeBytes: evidenceItems.sizeBytes,
          restrictedAt: evidenceItems.restrictedAt,
          disposalEligibleAt: evidenceItems.disposalEligibleAt,
          consultationReference: consultations.reference,
          cadReference: incidents.cadReference,
          crimeReferences,
          officerId: consultations.officerId,
          officerName: users.displayName,
          onHold: activeHold,
        })
        .from(evidenceItems)
        .innerJoin(consultations, eq(consultations.id, evidenceItems.consultationId))
        .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
        .leftJoin(users, eq(users.id, consultations.officerId))
        .where(where)
        .orderBy(desc(evidenceItems.capturedAt), asc(evidenceItems.id))
        .limit(options.limit)
        .offset(options.offset ?? 0),
      this.db
        .select({ total: count() })
        .from(evidenceItems)
        .innerJoin(consultations, eq(consultations.id, evidenceItems.consultationId))
        .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
        .where(where),
    ]);
    return { rows, total: counted?.total ?? 0 };
  }

  private searchConditions(options: EvidenceSearch): (SQL | undefined)[] {
    const reference = options.reference?.trim();
    const spellings = reference ? [...new Set([reference, reference.toUpperCase()])] : [];
    const crimeCases = this.db
      .select({ id: consultationOutcomes.consultationId })
      .from(consultationOutcomes)
      .where(and(eq(consultationOutcomes.kind, 'crime_recorded'), inArray(sql`${consultationOutcomes.details} ->> 'crimeReference'`, spellings)));
    const heldCases = this.db.select({ id: legalHolds.consultationId }).from(legalHolds).where(isNull(legalHolds.releasedAt));
    return [
      options.includeRestricted ? undefined : isNull(evidenceItems.restrictedAt),
      reference
        ? or(inArray(incidents.cadReference, spellings), inArray(consultations.reference, spellings), inArray(evidenceItems.consultationId, crimeCases))
        : undefined,
      options.capturedFrom ? gte(evidenceItems.capturedAt, options.capturedFrom) : undefined,
      options.capturedBefore ? lt(evidenceItems.capturedAt, options.capturedBefore) : undefined,
      options.kind ? eq(evidenceItems.kind, options.kind) : undefined,
      options.state ? eq(evidenceItems.state, options.state) : undefined,
      options.officerId ? eq(consultations.officerId, options.officerId) : undefined,
      options.onHold === undefined
        ? undefined
        : options.onHold
          ? inArray(evidenceItems.consultationId, heldCases)
          : sql`${evidenceItems.consultationId} not in ${heldCases}`,
    ];
  }

  /** The officers of consultations that have evidence, for the list's officer filter. */
  async listOfficersWithEvidence(): Promise<{ id: string; displayName: string }[]> {
    return this.db
      .selectDistinct({ id: users.id, displayName: users.displayName })
      .from(consultations)
      .innerJoin(users, eq(users.id, consultations.officerId))
      .where(sql`exists (select 1 from ${evidenceItems} where ${evidenceItems.consultationId} = ${consultations.id})`)
      .orderBy(asc(users.displayName), asc(users.id));
  }

  /** Staff names for the chain of custody (issue 15 §4): the audit keeps `user:<id>`, the page shows the name. */
  async displayNames(userIds: string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db.select({ id: users.id, displayName: users.displayName }).from(users).where(inArray(users.id, userIds));
    return new Map(rows.map((r) => [r.id, r.displayName]));
  }

  async listPresentAfter(afterId: string | undefined, limit: number): Promise<EvidenceItemRow[]> {
    const present = eq(evidenceItems.state, 'present');
    return this.db
      .select()
      .from(evidenceItems)
      .where(afterId ? and(present, gt(evidenceItems.id, afterId)) : present)
      .orderBy(asc(evidenceItems.id))
      .limit(limit);
  }

  async listIntegrityFailures(): Promise<EvidenceItemRow[]> {
    return this.db
      .select()
      .from(evidenceItems)
      .where(and(eq(evidenceItems.state, 'present'), inArray(evidenceItems.integrity, ['mismatch', 'missing'])))
      .orderBy(asc(evidenceItems.integrityCheckedAt));
  }

  async setIntegrity(id: string, integrity: 'ok' | 'mismatch' | 'missing', at: Date): Promise<void> {
    await this.db.update(evidenceItems).set({ integrity, integrityCheckedAt: at }).where(eq(evidenceItems.id, id));
  }

  async setRestriction(id: string, restriction: { at: Date; reason: string } | null): Promise<void> {
    await this.db
      .update(evidenceItems)
      .set({ restrictedAt: restriction?.at ?? null, restrictionReason: restriction?.reason ?? null })
      .where(eq(evidenceItems.id, id));
  }

  async setRetentionDates(
    consultationId: string,
    values: { retentionBasis: string; reviewDueAt: Date | null; disposalEligibleAt: Date | null },
  ): Promise<void> {
    await this.db
      .update(evidenceItems)
      .set(values)
      .where(and(eq(evidenceItems.consultationId, consultationId), eq(evidenceItems.state, 'present')));
  }

  /** Present, unrestricted items whose disposal date has passed (holds are checked by the caller under lock). */
  async listDisposalCandidates(now: Date): Promise<EvidenceItemRow[]> {
    return this.db
      .select()
      .from(evidenceItems)
      .where(and(eq(evidenceItems.state, 'present'), isNull(evidenceItems.restrictedAt), lte(evidenceItems.disposalEligibleAt, now)))
      .orderBy(asc(evidenceItems.disposalEligibleAt), asc(evidenceItems.id));
  }

  async listByState(state: 'disposing' | 'purging'): Promise<EvidenceItemRow[]> {
    return this.db.select().from(evidenceItems).where(eq(evidenceItems.state, state)).orderBy(asc(evidenceItems.id));
  }

  async markDisposing(id: string, disposalId: string): Promise<void> {
    await this.db
      .update(evidenceItems)
      .set({ state: 'disposing', disposalId })
      .where(and(eq(evidenceItems.id, id), eq(evidenceItems.state, 'present')));
  }

  async markDisposed(id: string, at: Date): Promise<void> {
    await this.db.update(evidenceItems).set({ state: 'disposed', disposedAt: at }).where(eq(evidenceItems.id, id));
  }

  /** Consultations with material due for review: the review queue (RET-13). */
  async listDueForReview(now: Date): Promise<{ consultationId: string; reviewDueAt: Date; items: number }[]> {
    return this.db
      .select({
        consultationId: evidenceItems.consultationId,
        reviewDueAt: sql<Date>`min(${evidenceItems.reviewDueAt})`.mapWith((v: string | Date) => new Date(v)),
        items: sql<number>`count(*)::int`,
      })
      .from(evidenceItems)
      .where(and(eq(evidenceItems.state, 'present'), lte(evidenceItems.reviewDueAt, now)))
      .groupBy(evidenceItems.consultationId)
      .orderBy(sql`min(${evidenceItems.reviewDueAt})`);
  }

  async findRetention(consultationId: string): Promise<RetentionRow | undefined> {
    const [row] = await this.db.select().from(evidenceRetention).where(eq(evidenceRetention.consultationId, consultationId));
    return row;
  }

  async saveRetention(row: typeof evidenceRetention.$inferInsert): Promise<void> {
    const { consultationId, ...values } = row;
    await this.db
      .insert(evidenceRetention)
      .values(row)
      .onConflictDoUpdate({ target: evidenceRetention.consultationId, set: { ...values, consultationId } });
  }

  /** Serialises hold changes and disposal or purge of one consultation's material: both take this lock first. */
  async lockCase(consultationId: string): Promise<boolean> {
    const rows = await this.db.select({ id: consultations.id }).from(consultations).where(eq(consultations.id, consultationId)).for('update');
    return rows.length > 0;
  }

  async createHold(row: typeof legalHolds.$inferInsert): Promise<LegalHoldRow> {
    const [created] = await this.db.insert(legalHolds).values(row).returning();
    return created!;
  }

  async findHold(id: string): Promise<LegalHoldRow | undefined> {
    const [row] = await this.db.select().from(legalHolds).where(eq(legalHolds.id, id)).for('update');
    return row;
  }

  async releaseHold(id: string, values: { releasedBy: string; releasedAt: Date; releaseRationale: string }): Promise<void> {
    await this.db
      .update(legalHolds)
      .set(values)
      .where(and(eq(legalHolds.id, id), isNull(legalHolds.releasedAt)));
  }

  async listHolds(consultationId: string): Promise<LegalHoldRow[]> {
    return this.db.select().from(legalHolds).where(eq(legalHolds.consultationId, consultationId)).orderBy(asc(legalHolds.placedAt));
  }

  async createReview(row: typeof retentionReviews.$inferInsert): Promise<RetentionReviewRow> {
    const [created] = await this.db.insert(retentionReviews).values(row).returning();
    return created!;
  }

  async listReviews(consultationId: string): Promise<RetentionReviewRow[]> {
    return this.db.select().from(retentionReviews).where(eq(retentionReviews.consultationId, consultationId)).orderBy(desc(retentionReviews.decidedAt));
  }

  async createDisposal(row: typeof evidenceDisposals.$inferInsert): Promise<DisposalRow> {
    const [created] = await this.db.insert(evidenceDisposals).values(row).returning();
    return created!;
  }

  async findDisposal(id: string): Promise<DisposalRow | undefined> {
    const [row] = await this.db.select().from(evidenceDisposals).where(eq(evidenceDisposals.id, id));
    return row;
  }

  async listDisposals(limit: number): Promise<DisposalRow[]> {
    return this.db.select().from(evidenceDisposals).orderBy(desc(evidenceDisposals.ranAt)).limit(limit);
  }

  async createTask(row: typeof evidenceTasks.$inferInsert): Promise<EvidenceTaskRow> {
    const [created] = await this.db.insert(evidenceTasks).values(row).returning();
    return created!;
  }

  async findTask(id: string): Promise<EvidenceTaskRow | undefined> {
    const [row] = await this.db.select().from(evidenceTasks).where(eq(evidenceTasks.id, id));
    return row;
  }

  async updateTask(id: string, values: Partial<typeof evidenceTasks.$inferInsert>): Promise<void> {
    await this.db.update(evidenceTasks).set(values).where(eq(evidenceTasks.id, id));
  }

  async listTasks(consultationId: string): Promise<EvidenceTaskRow[]> {
    return this.db.select().from(evidenceTasks).where(eq(evidenceTasks.consultationId, consultationId)).orderBy(desc(evidenceTasks.requestedAt));
  }

  async listTasksInState(states: string[]): Promise<EvidenceTaskRow[]> {
    return this.db.select().from(evidenceTasks).where(inArray(evidenceTasks.state, states)).orderBy(asc(evidenceTasks.requestedAt));
  }

  async markPurging(id: string, exportId: string): Promise<void> {
    await this.db
      .update(evidenceItems)
      .set({ state: 'purging', disposalId: exportId })
      .where(and(eq(evidenceItems.id, id), eq(evidenceItems.state, 'present')));
  }

  async markPurged(id: string, at: Date): Promise<void> {
    await this.db.update(evidenceItems).set({ state: 'purged', disposedAt: at }).where(eq(evidenceItems.id, id));
  }
}
