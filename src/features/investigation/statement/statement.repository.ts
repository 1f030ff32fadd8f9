import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { consultations } from '../../consultations/consultations.schema.js';
import { victimStatements, victimStatementVersions } from '../investigation.schema.js';

export type VictimStatementRow = typeof victimStatements.$inferSelect;
export type VictimStatementVersionRow = typeof victimStatementVersions.$inferSelect;
export interface StatementCorrection {
  at: string;
  revision: number;
  text: string;
}

/** The victim's statement of each consultation (one per consultation). */
export class VictimStatementsRepository {
  constructor(private readonly db: Executor) {}

  async findByConsultation(consultationId: string): Promise<VictimStatementRow | undefined> {
    const [row] = await this.db.select().from(victimStatements).where(eq(victimStatements.consultationId, consultationId));
    return row;
  }

  /**
   * Locks the consultation row, then reads its statement: saves, shares and confirmations of one statement apply
   * one at a time (the first save creates the row, so there is no statement row to lock yet).
   */
  async lockByConsultation(consultationId: string): Promise<VictimStatementRow | undefined> {
    await this.db.select({ id: consultations.id }).from(consultations).where(eq(consultations.id, consultationId)).for('update');
    const [row] = await this.db.select().from(victimStatements).where(eq(victimStatements.consultationId, consultationId)).for('update');
    return row;
  }

  async create(row: { consultationId: string; text: string; updatedBy: string | null; updatedAt: Date }): Promise<VictimStatementRow> {
    const [created] = await this.db
      .insert(victimStatements)
      .values({ ...row, state: 'draft', revision: 1, corrections: [] })
      .returning();
    return created!;
  }

  /** RET-19: keeps the exact text of a version shown to the victim (append-only: nothing here updates one). */
  async addShownVersion(row: typeof victimStatementVersions.$inferInsert): Promise<VictimStatementVersionRow> {
    const [created] = await this.db.insert(victimStatementVersions).values(row).returning();
    return created!;
  }

  /** Every version shown to the victim, oldest first. */
  async listShownVersions(statementId: string): Promise<VictimStatementVersionRow[]> {
    return this.db
      .select()
      .from(victimStatementVersions)
      .where(eq(victimStatementVersions.statementId, statementId))
      .orderBy(asc(victimStatementVersions.shownAt), asc(victimStatementVersions.revision));
  }

  async update(id: string, values: Partial<typeof victimStatements.$inferInsert>): Promise<VictimStatementRow> {
    const [updated] = await this.db.update(victimStatements).set(values).where(eq(victimStatements.id, id)).returning();
    return updated!;
  }
}
