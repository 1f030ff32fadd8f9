import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { enquiryLines } from '../investigation.schema.js';

export type EnquiryLineRow = typeof enquiryLines.$inferSelect;

/** The lines of enquiry of each consultation (RVR-08): one row per consultation and line, replaced on each update. */
export class EnquiryLinesRepository {
  constructor(private readonly db: Executor) {}

  async listByConsultation(consultationId: string): Promise<EnquiryLineRow[]> {
    return this.db.select().from(enquiryLines).where(eq(enquiryLines.consultationId, consultationId)).orderBy(asc(enquiryLines.line));
  }

  async save(row: {
    consultationId: string;
    line: string;
    status: string;
    reason: string | null;
    evidenceItemIds: string[];
    updatedBy: string | null;
    updatedAt: Date;
  }): Promise<EnquiryLineRow> {
    const { status, reason, evidenceItemIds, updatedBy, updatedAt } = row;
    const [saved] = await this.db
      .insert(enquiryLines)
      .values(row)
      .onConflictDoUpdate({ target: [enquiryLines.consultationId, enquiryLines.line], set: { status, reason, evidenceItemIds, updatedBy, updatedAt } })
      .returning();
    return saved!;
  }
}
