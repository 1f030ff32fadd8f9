import type { DataAccess, Repositories } from '../../data-access.js';
import { isHighRiskGrade, pickedByRandomSample, sampleReason, withHighRisk, type RandomSource, type SampleReason } from '../../domain/review-sampling.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { mayReviewConsultation } from '../../domain/ownership.js';
import { AccessRefusedError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { ConsultationRow } from '../consultations/consultation.service.js';
import { TERMINAL_STATES, type ConsultationState } from '../../domain/consultation-state.js';
import { parseReviewForm, REVIEW_CHECKLIST, type ReviewForm } from './review-checklist.js';

/** The random sample is of responses an officer completed; an abandoned consultation is reviewed only when High risk. */
const SAMPLED_ENDINGS = ['completed', 'escalated_to_attendance'];

/** Why the reviewer reads the consultation's record: the s.62 consultation log's justification (DP-01). */
export const REVIEW_PURPOSE = 'Supervisor quality review of the RVR response (policy 4.0)';

/**
 * Supervisor quality review (policy 4.0, EVD-15). Ended consultations are sampled at random (configurable %) and
 * every High-risk one is queued; the reviewer scores a checklist and writes feedback for the officer. A review is
 * stored apart from the evidence and never alters it; a completed review cannot be changed.
 */
export class QualityReviewService {
  constructor(
    private readonly deps: {
      data: DataAccess;
      audit: AuditTrail;
      samplePercent: number;
      random: RandomSource;
      now: () => Date;
    },
  ) {}

  /** The `onEnded` handler: runs in the transaction of the consultation's ending. */
  async sampleEnded(tx: Repositories, context: RequestContext, consultation: ConsultationRow, at: Date): Promise<void> {
    if (!consultation.officerId) return;
    const picked = SAMPLED_ENDINGS.includes(consultation.state) && pickedByRandomSample(this.deps.samplePercent, this.deps.random);
    const highRisk = isHighRiskGrade(await tx.supervisionQueries.latestRiskGrade(consultation.id));
    const reason = sampleReason(picked, highRisk);
    if (reason) await this.queue(tx, context, consultation, reason, at);
  }

  /**
   * For the risk assessment, in its own transaction, when an assessment is completed High after the call ended
   * (the DASH form is often finished then): the consultation is queued for review, or its queued review notes high risk.
   */
  async queueIfHighRisk(tx: Repositories, context: RequestContext, consultationId: string, at: Date): Promise<void> {
    const consultation = await tx.consultations.findById(consultationId);
    // Not ended yet: the ending samples it, and will see the High grade then.
    if (!consultation || !TERMINAL_STATES.includes(consultation.state as ConsultationState) || !consultation.officerId) return;
    if (!isHighRiskGrade(await tx.supervisionQueries.latestRiskGrade(consultationId))) return;
    const existing = await tx.supervision.findReviewByConsultation(consultationId);
    if (!existing) return this.queue(tx, context, consultation, 'high_risk', at);
    const reason = withHighRisk(existing.sampledBecause);
    if (existing.state !== 'queued' || reason === existing.sampledBecause) return;
    await tx.supervision.setSampledBecause(existing.id, reason);
    await this.deps.audit.record(tx.audit, context, {
      what: 'quality_review.high_risk_added',
      subject: `consultation:${consultationId}`,
      details: { reviewId: existing.id, sampledBecause: reason },
    });
  }

  private async queue(tx: Repositories, context: RequestContext, consultation: ConsultationRow, reason: SampleReason, at: Date): Promise<void> {
    const review = await tx.supervision.queueReview({
      consultationId: consultation.id,
      sampledBecause: reason,
      sampledAt: at,
      officerId: consultation.officerId,
    });
    if (!review) return;
    await this.deps.audit.record(tx.audit, context, {
      what: 'quality_review.queued',
      subject: `consultation:${consultation.id}`,
      details: { reviewId: review.id, sampledBecause: reason, officerId: consultation.officerId, samplePercent: this.deps.samplePercent },
    });
  }

  list() {
    return this.deps.data.repos.supervisionQueries.listReviews();
  }

  /** The review page: the consultation's summary and investigation record, read with the review as the logged reason (DP-01). */
  async open(context: RequestContext, reviewId: string) {
    return this.deps.data.transaction(async (tx) => {
      const review = await tx.supervision.findReview(reviewId);
      if (!review) throw new NotFoundError('No quality review with that id');
      this.assertMayReview(context, review, 'quality_review.open');
      // One query at a time: a transaction is one connection, and pg refuses overlapping queries on a client (pg@9).
      const consultation = await tx.supervisionQueries.consultationSummary(review.consultationId);
      const record = await tx.supervisionQueries.investigationRecord(review.consultationId);
      const evidence = await tx.evidence.listByConsultation(review.consultationId);
      await this.deps.audit.record(tx.audit, context, {
        what: 'quality_review.opened',
        subject: `consultation:${review.consultationId}`,
        justification: REVIEW_PURPOSE,
        details: { reviewId },
      });
      const recordings = evidence.filter((i) => i.kind === 'recording' && i.state === 'present' && !i.restrictedAt).length;
      return { review, consultation: consultation!, record, recordings, checklist: REVIEW_CHECKLIST };
    });
  }

  /** Completes a queued review. A completed one is never changed: the attempt is refused and logged. */
  async complete(context: RequestContext, reviewId: string, form: ReviewForm): Promise<void> {
    const reviewerId = context.actor.type === 'user' ? context.actor.userId : undefined;
    if (!reviewerId) throw new ForbiddenError('Sign in as a supervisor to review');
    const parsed = parseReviewForm(form);
    const outcome = await this.deps.data.transaction(async (tx) => {
      const review = await tx.supervision.lockReview(reviewId);
      if (!review) throw new NotFoundError('No quality review with that id');
      this.assertMayReview(context, review, 'quality_review.complete');
      if (review.state !== 'queued') return { refused: review };
      if (!parsed.ok) throw new ValidationError('Check the review: some answers are missing', parsed.errors);
      const at = this.deps.now();
      await tx.supervision.completeReview(reviewId, { reviewerId, scores: parsed.value.scores, feedback: parsed.value.feedback, completedAt: at });
      await this.deps.audit.record(tx.audit, context, {
        what: 'quality_review.completed',
        subject: `consultation:${review.consultationId}`,
        // Scores only: the notes and feedback stay in their table.
        details: { reviewId, officerId: review.officerId, scores: Object.fromEntries(Object.entries(parsed.value.scores).map(([k, v]) => [k, v.score])) },
      });
      return { refused: undefined };
    });
    if (outcome.refused) {
      const done = outcome.refused;
      await this.deps.data.transaction((tx) =>
        this.deps.audit.record(tx.audit, context, {
          what: 'quality_review.edit_refused',
          subject: `consultation:${done.consultationId}`,
          details: { reviewId, completedAt: done.completedAt?.toISOString() ?? null },
        }),
      );
      throw new ConflictError('This review has been completed and cannot be changed. Its scores and feedback are kept as they were.');
    }
  }

  /** Policy 4.0: the check on an officer's response is someone else's; a supervisor who answered it does not review it. */
  private assertMayReview(context: RequestContext, review: { consultationId: string; officerId: string | null }, action: string): void {
    const may =
      context.actor.type === 'user'
        ? mayReviewConsultation({ userId: context.actor.userId, roles: context.actor.roles }, review.officerId)
        : ({ allowed: false, refusal: 'not_a_reader', message: 'Sign in as a supervisor to review' } as const);
    if (!may.allowed) throw new AccessRefusedError(may.message, { subject: `consultation:${review.consultationId}`, action, reason: may.refusal });
  }

  /** The feedback addressed to the signed-in officer; what they had not seen is marked seen (and logged). */
  async feedbackFor(context: RequestContext) {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to see your feedback');
    const officerId = context.actor.userId;
    return this.deps.data.transaction(async (tx) => {
      const reviews = await tx.supervisionQueries.listFeedbackFor(officerId);
      const seen = await tx.supervision.markFeedbackSeen(
        reviews.filter((r) => !r.feedbackSeenAt).map((r) => r.id),
        this.deps.now(),
      );
      if (seen.length > 0) {
        await this.deps.audit.record(tx.audit, context, { what: 'quality_review.feedback_seen', subject: `user:${officerId}`, details: { reviewIds: seen } });
      }
      return reviews.map((r) => ({ ...r, isNew: seen.includes(r.id) }));
    });
  }
}
