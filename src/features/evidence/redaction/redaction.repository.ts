import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { evidenceRedactions } from './redaction.schema.js';

export type RedactionRow = typeof evidenceRedactions.$inferSelect;

/** Redacted-copy requests: the redaction list, progress, the copy made and the second person's decision (EVD-09). */
export class RedactionsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: typeof evidenceRedactions.$inferInsert): Promise<RedactionRow> {
    const [created] = await this.db.insert(evidenceRedactions).values(row).returning();
    return created!;
  }

  async find(id: string): Promise<RedactionRow | undefined> {
    const [row] = await this.db.select().from(evidenceRedactions).where(eq(evidenceRedactions.id, id));
    return row;
  }

  async lock(id: string): Promise<RedactionRow | undefined> {
    const [row] = await this.db.select().from(evidenceRedactions).where(eq(evidenceRedactions.id, id)).for('update');
    return row;
  }

  async update(id: string, values: Partial<typeof evidenceRedactions.$inferInsert>): Promise<void> {
    await this.db.update(evidenceRedactions).set(values).where(eq(evidenceRedactions.id, id));
  }

  async listForItem(sourceItemId: string): Promise<RedactionRow[]> {
    return this.db.select().from(evidenceRedactions).where(eq(evidenceRedactions.sourceItemId, sourceItemId)).orderBy(desc(evidenceRedactions.requestedAt));
  }

  async listForConsultation(consultationId: string): Promise<RedactionRow[]> {
    return this.db.select().from(evidenceRedactions).where(eq(evidenceRedactions.consultationId, consultationId)).orderBy(desc(evidenceRedactions.requestedAt));
  }

  async listInState(states: string[]): Promise<RedactionRow[]> {
    return this.db.select().from(evidenceRedactions).where(inArray(evidenceRedactions.state, states)).orderBy(asc(evidenceRedactions.requestedAt));
  }

  /** Approved copies of a consultation's items, newest first (the export takes the newest per master). */
  async listApproved(consultationId: string): Promise<RedactionRow[]> {
    return this.db
      .select()
      .from(evidenceRedactions)
      .where(and(eq(evidenceRedactions.consultationId, consultationId), eq(evidenceRedactions.state, 'approved')))
      .orderBy(desc(evidenceRedactions.decidedAt));
  }
}
