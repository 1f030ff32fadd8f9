import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import type { Executor } from '../../../platform/db/database.js';
import { consultations } from '../../consultations/consultations.schema.js';
import { riskAssessments } from '../investigation.schema.js';
import { users } from '../../../platform/auth/identity.schema.js';

export type RiskAssessmentRow = typeof riskAssessments.$inferSelect;
export type NewRiskAssessment = typeof riskAssessments.$inferInsert;

export interface AwaitingSignOffRow {
  id: string;
  consultationId: string;
  reference: string;
  formVersion: string;
  version: number;
  grade: string | null;
  maracReferral: boolean | null;
  completedAt: Date | null;
  completedByName: string | null;
}

/** Risk assessments (DASH and its successors): one row per version of a consultation's assessment. */
export class RiskAssessmentRepository {
  constructor(private readonly db: Executor) {}

  /** Creates the first draft (or an amendment); undefined when that version already exists (two tabs at once). */
  async create(row: NewRiskAssessment): Promise<RiskAssessmentRow | undefined> {
    const [created] = await this.db
      .insert(riskAssessments)
      .values(row)
      .onConflictDoNothing({ target: [riskAssessments.consultationId, riskAssessments.version] })
      .returning();
    return created;
  }

  async findById(id: string): Promise<RiskAssessmentRow | undefined> {
    const [row] = await this.db.select().from(riskAssessments).where(eq(riskAssessments.id, id));
    return row;
  }

  async lockById(id: string): Promise<RiskAssessmentRow | undefined> {
    const [row] = await this.db.select().from(riskAssessments).where(eq(riskAssessments.id, id)).for('update');
    return row;
  }

  /** The latest version of a consultation's assessment (the one that stands). */
  async findCurrent(consultationId: string): Promise<RiskAssessmentRow | undefined> {
    const [row] = await this.latest(consultationId);
    return row;
  }

  /** The same, locked for a change in the caller's transaction. */
  async lockCurrent(consultationId: string): Promise<RiskAssessmentRow | undefined> {
    const [row] = await this.latest(consultationId).for('update');
    return row;
  }

  private latest(consultationId: string) {
    return this.db.select().from(riskAssessments).where(eq(riskAssessments.consultationId, consultationId)).orderBy(desc(riskAssessments.version)).limit(1);
  }

  async listByConsultation(consultationId: string): Promise<RiskAssessmentRow[]> {
    return this.db.select().from(riskAssessments).where(eq(riskAssessments.consultationId, consultationId)).orderBy(desc(riskAssessments.version));
  }

  /** Applies a change only to the revision it read (an autosave from a stale page changes nothing); returns the new row. */
  async updateAtRevision(id: string, expectedRevision: number, changes: Partial<NewRiskAssessment>): Promise<RiskAssessmentRow | undefined> {
    const [row] = await this.db
      .update(riskAssessments)
      .set({ ...changes, revision: expectedRevision + 1 })
      .where(and(eq(riskAssessments.id, id), eq(riskAssessments.revision, expectedRevision)))
      .returning();
    return row;
  }

  async markSuperseded(id: string, at: Date): Promise<void> {
    await this.db
      .update(riskAssessments)
      .set({ state: 'superseded', updatedAt: at, revision: sql`${riskAssessments.revision} + 1` })
      .where(and(eq(riskAssessments.id, id), ne(riskAssessments.state, 'draft')));
  }

  /** Completed assessments waiting for a supervisor: High first, then the longest waiting. */
  async listAwaitingSignOff(limit: number): Promise<AwaitingSignOffRow[]> {
    return this.db
      .select({
        id: riskAssessments.id,
        consultationId: riskAssessments.consultationId,
        reference: consultations.reference,
        formVersion: riskAssessments.formVersion,
        version: riskAssessments.version,
        grade: riskAssessments.grade,
        maracReferral: riskAssessments.maracReferral,
        completedAt: riskAssessments.completedAt,
        completedByName: users.displayName,
      })
      .from(riskAssessments)
      .innerJoin(consultations, eq(consultations.id, riskAssessments.consultationId))
      .leftJoin(users, eq(users.id, riskAssessments.completedBy))
      .where(eq(riskAssessments.state, 'completed'))
      .orderBy(sql`case ${riskAssessments.grade} when 'high' then 0 when 'medium' then 1 else 2 end`, asc(riskAssessments.completedAt), asc(riskAssessments.id))
      .limit(limit);
  }
}
