import { and, asc, desc, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { systemOwnerAppointments, trainingRecords } from './governance.schema.js';

export type TrainingRecordRow = typeof trainingRecords.$inferSelect;
export type SystemOwnerAppointmentRow = typeof systemOwnerAppointments.$inferSelect;

// Names "the system owner" for pg_advisory_xact_lock: one transfer at a time.
const SYSTEM_OWNER_LOCK = 7_400_160;

/** SC-4 and SC-8: staff training records and the system owner's appointments. */
export class GovernanceRepository {
  constructor(private readonly db: Executor) {}

  async addTraining(row: typeof trainingRecords.$inferInsert): Promise<TrainingRecordRow> {
    const [inserted] = await this.db.insert(trainingRecords).values(row).returning();
    return inserted!;
  }

  async trainingOf(userId: string): Promise<TrainingRecordRow[]> {
    return this.db.select().from(trainingRecords).where(eq(trainingRecords.userId, userId)).orderBy(desc(trainingRecords.completedOn), asc(trainingRecords.id));
  }

  async allTraining(): Promise<TrainingRecordRow[]> {
    return this.db.select().from(trainingRecords).orderBy(asc(trainingRecords.userId), desc(trainingRecords.completedOn));
  }

  async lockSystemOwner(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${SYSTEM_OWNER_LOCK})`);
  }

  /** The accepted appointment that has not ended: the system owner now. */
  async currentOwner(): Promise<SystemOwnerAppointmentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(systemOwnerAppointments)
      .where(and(isNotNull(systemOwnerAppointments.acceptedAt), isNull(systemOwnerAppointments.endedAt)))
      .orderBy(desc(systemOwnerAppointments.acceptedAt))
      .limit(1);
    return row;
  }

  /** A proposal neither accepted, declined nor withdrawn. */
  async pendingProposal(): Promise<SystemOwnerAppointmentRow | undefined> {
    const [row] = await this.db
      .select()
      .from(systemOwnerAppointments)
      .where(and(isNull(systemOwnerAppointments.acceptedAt), isNull(systemOwnerAppointments.declinedAt), isNull(systemOwnerAppointments.endedAt)))
      .orderBy(desc(systemOwnerAppointments.proposedAt))
      .limit(1);
    return row;
  }

  async propose(row: { userId: string; proposedBy: string | null; proposedAt: Date; note: string | null }): Promise<SystemOwnerAppointmentRow> {
    const [inserted] = await this.db.insert(systemOwnerAppointments).values(row).returning();
    return inserted!;
  }

  async update(id: string, change: Partial<Pick<SystemOwnerAppointmentRow, 'acceptedAt' | 'declinedAt' | 'endedAt'>>): Promise<void> {
    await this.db.update(systemOwnerAppointments).set(change).where(eq(systemOwnerAppointments.id, id));
  }

  async ownerHistory(limit = 20): Promise<SystemOwnerAppointmentRow[]> {
    return this.db.select().from(systemOwnerAppointments).orderBy(desc(systemOwnerAppointments.proposedAt)).limit(limit);
  }
}
