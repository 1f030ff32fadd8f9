import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { collateralMarks } from './video.schema.js';

export type CollateralMarkRow = typeof collateralMarks.$inferSelect;

/** Others present during the call (RVR-13): the officer's marks, one row per range. */
export class CollateralMarksRepository {
  constructor(private readonly db: Executor) {}

  async create(row: { callId: string; consultationId: string; kind: string; startedAt: Date; startedBy: string }): Promise<CollateralMarkRow> {
    const [created] = await this.db.insert(collateralMarks).values(row).returning();
    return created!;
  }

  async findOpen(callId: string, kind: string): Promise<CollateralMarkRow | undefined> {
    const [row] = await this.db
      .select()
      .from(collateralMarks)
      .where(and(eq(collateralMarks.callId, callId), eq(collateralMarks.kind, kind), isNull(collateralMarks.endedAt)));
    return row;
  }

  async end(id: string, at: Date, endedBy: string): Promise<CollateralMarkRow | undefined> {
    const [row] = await this.db
      .update(collateralMarks)
      .set({ endedAt: at, endedBy })
      .where(and(eq(collateralMarks.id, id), isNull(collateralMarks.endedAt)))
      .returning();
    return row;
  }

  /** Every mark of the call still open ends now (the call ended); returns those ended. */
  async endOpen(callId: string, at: Date, endedBy: string): Promise<CollateralMarkRow[]> {
    return this.db
      .update(collateralMarks)
      .set({ endedAt: at, endedBy })
      .where(and(eq(collateralMarks.callId, callId), isNull(collateralMarks.endedAt)))
      .returning();
  }

  async listByCall(callId: string): Promise<CollateralMarkRow[]> {
    return this.db.select().from(collateralMarks).where(eq(collateralMarks.callId, callId)).orderBy(asc(collateralMarks.startedAt), asc(collateralMarks.kind));
  }

  async listByConsultation(consultationId: string): Promise<CollateralMarkRow[]> {
    return this.db
      .select()
      .from(collateralMarks)
      .where(eq(collateralMarks.consultationId, consultationId))
      .orderBy(asc(collateralMarks.startedAt), asc(collateralMarks.kind));
  }
}
