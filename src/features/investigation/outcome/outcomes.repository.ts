import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { consultationOutcomes } from '../investigation.schema.js';

export type ConsultationOutcomeRow = typeof consultationOutcomes.$inferSelect;

/** What came of each consultation: append-only events (an outcome is never edited; a new one is recorded). */
export class ConsultationOutcomesRepository {
  constructor(private readonly db: Executor) {}

  async create(row: { consultationId: string; kind: string; details: object; recordedBy: string | null; recordedAt: Date }): Promise<ConsultationOutcomeRow> {
    const [created] = await this.db.insert(consultationOutcomes).values(row).returning();
    return created!;
  }

  async listByConsultation(consultationId: string): Promise<ConsultationOutcomeRow[]> {
    return this.db
      .select()
      .from(consultationOutcomes)
      .where(eq(consultationOutcomes.consultationId, consultationId))
      .orderBy(asc(consultationOutcomes.recordedAt), asc(consultationOutcomes.id));
  }
}
