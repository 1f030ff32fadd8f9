import { and, asc, count, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Arm } from '../../domain/block-randomisation.js';
import type { Executor } from '../../platform/db/database.js';
import { consultations, incidents } from '../consultations/consultations.schema.js';
import { evaluationAllocations, evaluationNotRandomised, evaluationTrials } from './evaluation.schema.js';

export type TrialRow = typeof evaluationTrials.$inferSelect;
export type AllocationRow = typeof evaluationAllocations.$inferSelect;

export const NOT_RANDOMISED_EVENT = 'evaluation.not_randomised';

/** Starting a trial takes this lock, so two administrators starting at once cannot both succeed. */
const TRIAL_START_LOCK = 7_270_001;

export interface AllocationListRow {
  consultationId: string;
  sequence: number;
  arm: Arm;
  allocatedAt: Date;
  reference: string;
  state: string;
}

/** One allocated call for analysis: pseudonymous (the RVR reference; no names, numbers or addresses). */
export interface AllocationExportRow {
  trialId: string;
  sequence: number;
  arm: Arm;
  allocatedAt: Date;
  reference: string;
  grade: number;
  state: string;
  receivedAt: Date;
  triagedAt: Date;
  queuedAt: Date | null;
  acceptedAt: Date | null;
  connectedAt: Date | null;
  endedAt: Date | null;
  /** Distinct kinds from consultation_outcomes, sorted, joined with ';'. */
  outcomeKinds: string | null;
  /** From the latest risk assessment that is no longer a draft. */
  maracReferral: boolean | null;
  satisfactionRating: number | null;
}

/** Trials and their append-only allocations (the table's trigger refuses UPDATE, DELETE and TRUNCATE). */
export class EvaluationRepository {
  constructor(private readonly db: Executor) {}

  async lockTrialStarts(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${TRIAL_START_LOCK})`);
  }

  async findActiveTrial(): Promise<TrialRow | undefined> {
    const [row] = await this.db.select().from(evaluationTrials).where(isNull(evaluationTrials.stoppedAt)).orderBy(desc(evaluationTrials.startedAt)).limit(1);
    return row;
  }

  /** The active trial, row-locked until the transaction ends: concurrent intakes take sequence numbers one at a time. */
  async lockActiveTrial(): Promise<TrialRow | undefined> {
    const [row] = await this.db
      .select()
      .from(evaluationTrials)
      .where(isNull(evaluationTrials.stoppedAt))
      .orderBy(desc(evaluationTrials.startedAt))
      .limit(1)
      .for('update');
    return row;
  }

  async findTrial(id: string): Promise<TrialRow | undefined> {
    const [row] = await this.db.select().from(evaluationTrials).where(eq(evaluationTrials.id, id));
    return row;
  }

  listTrials(): Promise<TrialRow[]> {
    return this.db.select().from(evaluationTrials).orderBy(desc(evaluationTrials.startedAt));
  }

  async createTrial(row: { id: string; seed: string; blockSize: number; startedAt: Date; startedBy: string | null; note: string | null }): Promise<TrialRow> {
    const [created] = await this.db.insert(evaluationTrials).values(row).returning();
    return created!;
  }

  /** Stops the trial if it is still running; undefined if it was already stopped (or does not exist). */
  async stopTrial(id: string, stoppedBy: string | null, at: Date): Promise<TrialRow | undefined> {
    const [row] = await this.db
      .update(evaluationTrials)
      .set({ stoppedAt: at, stoppedBy })
      .where(and(eq(evaluationTrials.id, id), isNull(evaluationTrials.stoppedAt)))
      .returning();
    return row;
  }

  /** The next 0-based sequence number of a trial; call with the trial row locked. */
  async nextSequence(trialId: string): Promise<number> {
    const [row] = await this.db
      .select({ next: sql<number>`coalesce(max(${evaluationAllocations.sequence}), -1)::int + 1` })
      .from(evaluationAllocations)
      .where(eq(evaluationAllocations.trialId, trialId));
    return Number(row!.next);
  }

  async insertAllocation(row: AllocationRow): Promise<AllocationRow> {
    const [created] = await this.db.insert(evaluationAllocations).values(row).returning();
    return created!;
  }

  async findAllocation(consultationId: string): Promise<AllocationRow | undefined> {
    const [row] = await this.db.select().from(evaluationAllocations).where(eq(evaluationAllocations.consultationId, consultationId));
    return row;
  }

  async countByArm(trialId: string): Promise<Record<Arm, number>> {
    const rows = await this.db
      .select({ arm: evaluationAllocations.arm, n: count() })
      .from(evaluationAllocations)
      .where(eq(evaluationAllocations.trialId, trialId))
      .groupBy(evaluationAllocations.arm);
    const counts: Record<Arm, number> = { rvr: 0, standard: 0 };
    for (const row of rows) counts[row.arm as Arm] = Number(row.n);
    return counts;
  }

  async listAllocations(trialId: string): Promise<AllocationListRow[]> {
    const rows = await this.db
      .select({
        consultationId: evaluationAllocations.consultationId,
        sequence: evaluationAllocations.sequence,
        arm: evaluationAllocations.arm,
        allocatedAt: evaluationAllocations.allocatedAt,
        reference: consultations.reference,
        state: consultations.state,
      })
      .from(evaluationAllocations)
      .innerJoin(consultations, eq(consultations.id, evaluationAllocations.consultationId))
      .where(eq(evaluationAllocations.trialId, trialId))
      .orderBy(asc(evaluationAllocations.sequence));
    return rows.map((r) => ({ ...r, arm: r.arm as Arm }));
  }

  /** Records a call the trial did not randomise; written with its `evaluation.not_randomised` audit event. */
  async recordNotRandomised(row: { consultationId: string; trialId: string; reason: string; recordedAt: Date }): Promise<void> {
    await this.db.insert(evaluationNotRandomised).values(row);
  }

  /** Eligible, consenting calls that the trial recorded but did not randomise (no RVR officer available). */
  async countNotRandomised(trialId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(evaluationNotRandomised).where(eq(evaluationNotRandomised.trialId, trialId));
    return Number(row!.n);
  }

  async notRandomisedReason(consultationId: string): Promise<{ trialId: string; reason: string } | undefined> {
    const [row] = await this.db
      .select({ trialId: evaluationNotRandomised.trialId, reason: evaluationNotRandomised.reason })
      .from(evaluationNotRandomised)
      .where(eq(evaluationNotRandomised.consultationId, consultationId))
      .orderBy(asc(evaluationNotRandomised.recordedAt))
      .limit(1);
    return row;
  }

  async exportRows(trialId: string): Promise<AllocationExportRow[]> {
    const rows = await this.db
      .select({
        trialId: evaluationAllocations.trialId,
        sequence: evaluationAllocations.sequence,
        arm: evaluationAllocations.arm,
        allocatedAt: evaluationAllocations.allocatedAt,
        reference: consultations.reference,
        grade: incidents.grade,
        state: consultations.state,
        receivedAt: incidents.receivedAt,
        triagedAt: consultations.triagedAt,
        queuedAt: consultations.queuedAt,
        acceptedAt: consultations.acceptedAt,
        connectedAt: consultations.connectedAt,
        endedAt: consultations.endedAt,
        outcomeKinds: sql<
          string | null
        >`(select string_agg(distinct o.kind, ';' order by o.kind) from consultation_outcomes o where o.consultation_id = ${consultations.id})`,
        maracReferral: sql<
          boolean | null
        >`(select r.marac_referral from risk_assessments r where r.consultation_id = ${consultations.id} and r.state <> 'draft' order by r.version desc limit 1)`,
        satisfactionRating: sql<
          number | null
        >`(select s.rating from satisfaction_surveys s where s.consultation_id = ${consultations.id} and s.state = 'answered' and s.rating is not null)`,
      })
      .from(evaluationAllocations)
      .innerJoin(consultations, eq(consultations.id, evaluationAllocations.consultationId))
      .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
      .where(eq(evaluationAllocations.trialId, trialId))
      .orderBy(asc(evaluationAllocations.sequence));
    // Subquery columns arrive as the driver gives them (a PGlite timestamp or number may be a string).
    return rows.map((r) => ({
      ...r,
      arm: r.arm as Arm,
      maracReferral: r.maracReferral === null ? null : r.maracReferral === true || String(r.maracReferral) === 'true',
      satisfactionRating: r.satisfactionRating === null ? null : Number(r.satisfactionRating),
    }));
  }
}
