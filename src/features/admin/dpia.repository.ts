import { desc } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { dpiaRecords } from './dpia.schema.js';

export type DpiaRow = typeof dpiaRecords.$inferSelect;

/** DP-13, SC-2: the recorded DPIA versions; the newest is current. */
export class DpiaRepository {
  constructor(private readonly db: Executor) {}

  async current(): Promise<DpiaRow | undefined> {
    const [row] = await this.db.select().from(dpiaRecords).orderBy(desc(dpiaRecords.recordedAt)).limit(1);
    return row;
  }

  history(limit = 20): Promise<DpiaRow[]> {
    return this.db.select().from(dpiaRecords).orderBy(desc(dpiaRecords.recordedAt)).limit(limit);
  }

  async record(row: typeof dpiaRecords.$inferInsert): Promise<DpiaRow> {
    const [created] = await this.db.insert(dpiaRecords).values(row).returning();
    return created!;
  }
}
