import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { callObservations, qualityReviews } from './supervisor.schema.js';

export type ObservationRow = typeof callObservations.$inferSelect;
export type QualityReviewRow = typeof qualityReviews.$inferSelect;
export type ReviewScores = Record<string, { score: string; note?: string }>;

/**
 * Supervision's own tables: call observations and quality reviews. What the supervisor reads of other features
 * (the live board, a consultation as the reviewer sees it) is in `supervision.queries.ts`.
 */
export class SupervisionRepository {
  constructor(private readonly db: Executor) {}

  // Observations

  async createObservation(row: { callId: string; participantId: string; observerId: string; justification: string; victimNotified: boolean; startedAt: Date }) {
    const [created] = await this.db.insert(callObservations).values(row).returning();
    return created!;
  }

  async findOpenObservation(callId: string, observerId: string): Promise<ObservationRow | undefined> {
    const [row] = await this.db
      .select()
      .from(callObservations)
      .where(and(eq(callObservations.callId, callId), eq(callObservations.observerId, observerId), isNull(callObservations.endedAt)))
      .orderBy(desc(callObservations.startedAt))
      .limit(1);
    return row;
  }

  async findObservation(id: string): Promise<ObservationRow | undefined> {
    const [row] = await this.db.select().from(callObservations).where(eq(callObservations.id, id));
    return row;
  }

  /** Stamps the end once; returns the row only if this call ended it. */
  async endObservation(id: string, at: Date): Promise<ObservationRow | undefined> {
    const [row] = await this.db
      .update(callObservations)
      .set({ endedAt: at })
      .where(and(eq(callObservations.id, id), isNull(callObservations.endedAt)))
      .returning();
    return row;
  }

  /** When the call ends: every observation of it still open ends at the same moment. */
  async endOpenObservations(callId: string, at: Date): Promise<void> {
    await this.db
      .update(callObservations)
      .set({ endedAt: at })
      .where(and(eq(callObservations.callId, callId), isNull(callObservations.endedAt)));
  }

  async listObservations(callId: string): Promise<ObservationRow[]> {
    return this.db.select().from(callObservations).where(eq(callObservations.callId, callId)).orderBy(asc(callObservations.startedAt));
  }

  // Quality reviews

  /** Queues a review; a consultation is reviewed once (a second insert does nothing and returns undefined). */
  async queueReview(row: { consultationId: string; sampledBecause: string; sampledAt: Date; officerId: string | null }) {
    const [created] = await this.db
      .insert(qualityReviews)
      .values({ ...row, state: 'queued' })
      .onConflictDoNothing({ target: qualityReviews.consultationId })
      .returning();
    return created;
  }

  async findReviewByConsultation(consultationId: string): Promise<QualityReviewRow | undefined> {
    const [row] = await this.db.select().from(qualityReviews).where(eq(qualityReviews.consultationId, consultationId));
    return row;
  }

  async findReview(id: string): Promise<QualityReviewRow | undefined> {
    const [row] = await this.db.select().from(qualityReviews).where(eq(qualityReviews.id, id));
    return row;
  }

  /** Row-locks the review, so two reviewers completing it at once apply one after the other. */
  async lockReview(id: string): Promise<QualityReviewRow | undefined> {
    const [row] = await this.db.select().from(qualityReviews).where(eq(qualityReviews.id, id)).for('update');
    return row;
  }

  async setSampledBecause(id: string, sampledBecause: string): Promise<void> {
    await this.db.update(qualityReviews).set({ sampledBecause }).where(eq(qualityReviews.id, id));
  }

  async completeReview(id: string, values: { reviewerId: string; scores: ReviewScores; feedback: string; completedAt: Date }): Promise<boolean> {
    const updated = await this.db
      .update(qualityReviews)
      .set({ ...values, state: 'completed' })
      .where(and(eq(qualityReviews.id, id), eq(qualityReviews.state, 'queued')))
      .returning({ id: qualityReviews.id });
    return updated.length > 0;
  }

  async markFeedbackSeen(ids: string[], at: Date): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .update(qualityReviews)
      .set({ feedbackSeenAt: at })
      .where(and(inArray(qualityReviews.id, ids), isNull(qualityReviews.feedbackSeenAt)))
      .returning({ id: qualityReviews.id });
    return rows.map((r) => r.id);
  }
}
