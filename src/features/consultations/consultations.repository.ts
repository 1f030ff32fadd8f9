import { and, asc, desc, eq, inArray, notInArray } from 'drizzle-orm';
import type { ConsultationState } from '../../domain/consultation-state.js';
import { ASSIGNED_STATES } from '../../domain/ownership.js';
import type { Executor } from '../../platform/db/database.js';
import { consultationEvents, consultations, incidents } from './consultations.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

export type ConsultationRow = typeof consultations.$inferSelect;
export type ConsultationEventRow = typeof consultationEvents.$inferSelect;
type Stamp = 'queuedAt' | 'acceptedAt' | 'invitedAt' | 'victimJoinedAt' | 'connectedAt' | 'endedAt';

export interface ConsultationSummary {
  id: string;
  reference: string;
  state: ConsultationState;
  cadReference: string;
  grade: number;
  receivedAt: Date;
  triagedAt: Date;
  queuedAt: Date | null;
  interpreterRequired: boolean;
  officerName: string | null;
}

export class ConsultationsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: {
    reference: string;
    incidentId: string;
    state: ConsultationState;
    interpreterRequired: boolean;
    /** SC-1: the purpose code (PURPOSE_CODES). */
    purposeCode?: string;
    /** Issue 17 §2: 'en' or 'cy' (the column's default is 'en'). */
    language?: string;
    triagedAt: Date;
  }): Promise<ConsultationRow> {
    const [created] = await this.db.insert(consultations).values(row).returning();
    return created!;
  }

  async findById(id: string): Promise<ConsultationRow | undefined> {
    const [row] = await this.db.select().from(consultations).where(eq(consultations.id, id));
    return row;
  }

  /**
   * Applies a transition only if nobody else moved the consultation since it was read (optimistic lock on
   * `version`): of two officers accepting at once, exactly one update matches. Returns the new row or undefined.
   */
  async applyTransition(input: {
    id: string;
    expectedVersion: number;
    to: ConsultationState;
    stamp?: Stamp;
    at: Date;
    officerId?: string | null;
  }): Promise<ConsultationRow | undefined> {
    const changes: Partial<typeof consultations.$inferInsert> = { state: input.to, version: input.expectedVersion + 1 };
    if (input.stamp) changes[input.stamp] = input.at;
    if (input.officerId !== undefined) changes.officerId = input.officerId;
    const [row] = await this.db
      .update(consultations)
      .set(changes)
      .where(and(eq(consultations.id, input.id), eq(consultations.version, input.expectedVersion)))
      .returning();
    return row;
  }

  /** Gives the consultation to another officer, if nobody changed it since it was read (the same optimistic lock). */
  async reassign(input: { id: string; expectedVersion: number; officerId: string }): Promise<ConsultationRow | undefined> {
    const [row] = await this.db
      .update(consultations)
      .set({ officerId: input.officerId, version: input.expectedVersion + 1 })
      .where(and(eq(consultations.id, input.id), eq(consultations.version, input.expectedVersion)))
      .returning();
    return row;
  }

  async insertEvent(event: Omit<typeof consultationEvents.$inferInsert, 'id'>): Promise<ConsultationEventRow> {
    const [row] = await this.db.insert(consultationEvents).values(event).returning();
    return row!;
  }

  async listEvents(consultationId: string): Promise<(ConsultationEventRow & { actorName: string | null })[]> {
    const rows = await this.db
      .select({ event: consultationEvents, actorName: users.displayName })
      .from(consultationEvents)
      .leftJoin(users, eq(users.id, consultationEvents.actorId))
      .where(eq(consultationEvents.consultationId, consultationId))
      .orderBy(asc(consultationEvents.id));
    return rows.map((r) => ({ ...r.event, actorName: r.actorName }));
  }

  /** The RVR queue: longest waiting first. */
  async listQueue(): Promise<ConsultationSummary[]> {
    const rows = await this.summaryQuery().where(eq(consultations.state, 'queued')).orderBy(asc(consultations.queuedAt)).limit(200);
    return rows.map((r) => ({ ...r, state: r.state as ConsultationState }));
  }

  /** An officer's consultations that have not ended. */
  async listOpenForOfficer(officerId: string): Promise<ConsultationSummary[]> {
    const rows = await this.summaryQuery()
      .where(and(eq(consultations.officerId, officerId), inArray(consultations.state, [...ASSIGNED_STATES])))
      .orderBy(asc(consultations.acceptedAt));
    return rows.map((r) => ({ ...r, state: r.state as ConsultationState }));
  }

  /** The consultations a call handler triaged that have not ended. */
  async listOpenTriagedBy(userId: string): Promise<ConsultationSummary[]> {
    const rows = await this.summaryQuery()
      .where(and(eq(incidents.createdBy, userId), notInArray(consultations.state, ['completed', 'abandoned', 'escalated_to_attendance'])))
      .orderBy(desc(consultations.triagedAt))
      .limit(100);
    return rows.map((r) => ({ ...r, state: r.state as ConsultationState }));
  }

  private summaryQuery() {
    return this.db
      .select({
        id: consultations.id,
        reference: consultations.reference,
        state: consultations.state,
        cadReference: incidents.cadReference,
        grade: incidents.grade,
        receivedAt: incidents.receivedAt,
        triagedAt: consultations.triagedAt,
        queuedAt: consultations.queuedAt,
        interpreterRequired: consultations.interpreterRequired,
        officerName: users.displayName,
      })
      .from(consultations)
      .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
      .leftJoin(users, eq(users.id, consultations.officerId))
      .$dynamic();
  }

  async listSummaries(states: readonly ConsultationState[] | 'all', limit = 200): Promise<ConsultationSummary[]> {
    const query = this.summaryQuery();
    const filtered = states === 'all' ? query : query.where(inArray(consultations.state, [...states]));
    const rows = await filtered.orderBy(desc(consultations.triagedAt)).limit(limit);
    return rows.map((r) => ({ ...r, state: r.state as ConsultationState }));
  }
}
