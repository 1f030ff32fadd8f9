import { desc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { consultations } from '../consultations/consultations.schema.js';
import { legalHolds } from '../evidence/evidence.schema.js';
import { covertSurveillanceReports } from './covert-surveillance.schema.js';

export type CovertReportRow = typeof covertSurveillanceReports.$inferSelect;

/** Policy 3.4: reports of covert surveillance without authority, and the IPCO-facing register. */
export class CovertSurveillanceRepository {
  constructor(private readonly db: Executor) {}

  async create(row: typeof covertSurveillanceReports.$inferInsert): Promise<CovertReportRow> {
    const [created] = await this.db.insert(covertSurveillanceReports).values(row).returning();
    return created!;
  }

  async find(id: string, forUpdate = false): Promise<CovertReportRow | undefined> {
    const query = this.db.select().from(covertSurveillanceReports).where(eq(covertSurveillanceReports.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  async update(id: string, values: { cabReference?: string; ipcoReportedAt?: Date }): Promise<void> {
    await this.db.update(covertSurveillanceReports).set(values).where(eq(covertSurveillanceReports.id, id));
  }

  byConsultation(consultationId: string): Promise<CovertReportRow[]> {
    return this.db
      .select()
      .from(covertSurveillanceReports)
      .where(eq(covertSurveillanceReports.consultationId, consultationId))
      .orderBy(desc(covertSurveillanceReports.reportedAt));
  }

  /** The register: each report with its consultation's reference and whether its hold still stands. */
  register(limit = 500) {
    return this.db
      .select({
        report: covertSurveillanceReports,
        consultationReference: consultations.reference,
        holdReleasedAt: legalHolds.releasedAt,
      })
      .from(covertSurveillanceReports)
      .innerJoin(consultations, eq(consultations.id, covertSurveillanceReports.consultationId))
      .innerJoin(legalHolds, eq(legalHolds.id, covertSurveillanceReports.holdId))
      .orderBy(desc(covertSurveillanceReports.reportedAt))
      .limit(limit);
  }
}
