import { and, asc, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { safetyAlerts } from '../investigation.schema.js';

export type SafetyAlertRow = typeof safetyAlerts.$inferSelect;

/** "I'm not safe" alerts (RVR-11): when raised, acknowledged and escalated. */
export class SafetyAlertsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: { consultationId: string; callId: string; participantId: string; raisedAt: Date }): Promise<SafetyAlertRow> {
    const [created] = await this.db.insert(safetyAlerts).values(row).returning();
    return created!;
  }

  async lock(id: string): Promise<SafetyAlertRow | undefined> {
    const [row] = await this.db.select().from(safetyAlerts).where(eq(safetyAlerts.id, id)).for('update');
    return row;
  }

  /** The participant's latest alert raised after `since` and not yet escalated (a second press is the same alert). */
  async findRecentOpen(participantId: string, since: Date): Promise<SafetyAlertRow | undefined> {
    const [row] = await this.db
      .select()
      .from(safetyAlerts)
      .where(and(eq(safetyAlerts.participantId, participantId), gt(safetyAlerts.raisedAt, since), isNull(safetyAlerts.escalatedAt)))
      .orderBy(desc(safetyAlerts.raisedAt))
      .limit(1);
    return row;
  }

  async listByConsultation(consultationId: string): Promise<SafetyAlertRow[]> {
    return this.db.select().from(safetyAlerts).where(eq(safetyAlerts.consultationId, consultationId)).orderBy(asc(safetyAlerts.raisedAt));
  }

  async update(id: string, values: Partial<typeof safetyAlerts.$inferInsert>): Promise<SafetyAlertRow> {
    const [updated] = await this.db.update(safetyAlerts).set(values).where(eq(safetyAlerts.id, id)).returning();
    return updated!;
  }
}
