import type { Repositories } from '../../data-access.js';
import {
  computeRetention,
  isCaseOpen,
  londonWallClock,
  nracDecision,
  addCalendarYears,
  type CaseStatus,
  type HoldType,
  type MopiGroup,
  type NracAnswers,
  type RetentionOutcome,
} from '../../domain/retention.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { EvidenceStoreLocks } from './evidence-locks.js';
import { requireReason, type EvidenceDeps } from './evidence-shared.js';

export interface RetentionFactsInput {
  evidential: boolean;
  mopiGroup?: MopiGroup;
  caseStatus: CaseStatus;
  complaintOrClaim: boolean;
  /** RET-08 group 1, RET-22: the subject's date of birth; undefined keeps the recorded one, null clears it. */
  subjectDateOfBirth?: Date | null;
  /** RET-06: a child under 10 is involved; undefined keeps the recorded answer. */
  childUnder10?: boolean;
  /** RET-12: new information about the nominal arrived on this day: restarts the clear period and asks for a review. */
  newInformationAt?: Date;
}

const DEFAULT_CASE_STATUS: CaseStatus = { kind: 'under_investigation' };

/** A case status as stored (jsonb keeps its dates as ISO strings) back to the rules' own shape, with Dates. */
export function storedCaseStatus(stored: unknown): CaseStatus {
  if (!stored || typeof stored !== 'object') return DEFAULT_CASE_STATUS;
  const status = stored as Record<string, unknown>;
  const day = (value: unknown) => (value === undefined || value === null ? undefined : new Date(value as string));
  switch (status.kind) {
    case 'nfa':
      return { kind: 'nfa', decidedAt: day(status.decidedAt)! };
    case 'acquitted':
      return { kind: 'acquitted', at: day(status.at)! };
    case 'convicted':
      return { kind: 'convicted', at: day(status.at)!, custodial: Boolean(status.custodial), releaseDate: day(status.releaseDate) };
    case 'charged':
    case 'appeal_pending':
      return { kind: status.kind };
    default:
      return DEFAULT_CASE_STATUS;
  }
}

const day = (d: Date): string => {
  const w = londonWallClock(d);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
};

/** A basis or block's text with its rule id, said once: "RET-17(a): …" already names it, others get "(RET-21)". */
function withRule(ruleId: string, text: string): string {
  const said = text.replace(/\.$/, '');
  return said.includes(ruleId) ? said : `${said} (${ruleId})`;
}

/**
 * The retention basis as one plain statement (issue 15 §4): each basis and block once, never a basis repeated as its
 * own block ("RET-07 …; Blocked (RET-07) …"). Either what keeps the material with no date, and what the dated bases
 * say meanwhile, or the disposal date and the bases it is the latest of (X-03).
 */
export function describeRetentionBasis(outcome: Pick<RetentionOutcome, 'bases' | 'blockedBy' | 'disposalEligibleAt'>): string {
  const open = [...new Set(outcome.blockedBy.filter((b) => b.until === null).map((b) => withRule(b.ruleId, b.reason)))];
  const dated = [...new Set(outcome.bases.filter((b) => b.date !== null).map((b) => withRule(b.ruleId, b.explanation)))];
  if (open.length > 0) return `Kept with no disposal date while: ${open.join('; ')}${dated.length > 0 ? ` (meanwhile ${dated.join('; ')})` : ''}.`;
  if (outcome.disposalEligibleAt && dated.length > 0) return `Disposal from ${day(outcome.disposalEligibleAt)}, the latest of: ${dated.join('; ')}.`;
  return '';
}

/**
 * Retention: a consultation's facts (MOPI group, CPIA status, evidential or not) and NRAC reviews date its items
 * through the pure rules in domain/retention (X-03, RET-03, RET-13); holds and registration re-date through `recompute`.
 */
export class EvidenceRetentionService {
  private readonly locks: EvidenceStoreLocks;

  constructor(private readonly deps: Pick<EvidenceDeps, 'data' | 'audit' | 'schedule' | 'blobs' | 'log' | 'now'>) {
    this.locks = new EvidenceStoreLocks(deps);
  }

  private get data() {
    return this.deps.data;
  }

  /** Records the case's retention facts (MOPI group, CPIA status, evidential or not) and re-dates its items. */
  async setRetentionFacts(context: RequestContext, consultationId: string, facts: RetentionFactsInput) {
    const userId = context.actor.type === 'user' ? context.actor.userId : null;
    const now = this.deps.now();
    // RET-17/RET-18 (issue 16 §4): the non-evidential window must not bypass CPIA while the case is open.
    if (!facts.evidential && isCaseOpen(facts.caseStatus))
      throw new ConflictError(
        'Material of an open case cannot be marked non-evidential: CPIA keeps it until the case is decided (RET-17, RET-18). Record the decision (no further action, acquittal or conviction) first, then mark it non-evidential.',
      );
    if (facts.subjectDateOfBirth && (facts.subjectDateOfBirth.getTime() > now.getTime() || facts.subjectDateOfBirth.getUTCFullYear() < 1900))
      throw new ValidationError('Enter a date of birth in the past (after 1900)', { subjectDateOfBirth: 'Enter a date of birth in the past (after 1900)' });
    if (facts.newInformationAt && facts.newInformationAt.getTime() > now.getTime() + 86_400_000)
      throw new ValidationError('The new information cannot be dated in the future', { newInformationAt: 'The new information cannot be dated in the future' });
    await this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const before = await tx.evidence.findRetention(consultationId);
      // RET-12: new information restarts the clear-period clock (never moves it back) and asks for a review.
      const previousStart = before?.clearPeriodStart ?? null;
      const info = facts.newInformationAt;
      const clearPeriodStart = info && (!previousStart || info.getTime() > previousStart.getTime()) ? info : previousStart;
      await tx.evidence.saveRetention({
        consultationId,
        evidential: facts.evidential,
        mopiGroup: facts.mopiGroup ?? null,
        caseStatus: facts.caseStatus,
        complaintOrClaim: facts.complaintOrClaim,
        clearPeriodStart,
        subjectDateOfBirth: facts.subjectDateOfBirth === undefined ? (before?.subjectDateOfBirth ?? null) : facts.subjectDateOfBirth,
        childUnder10: facts.childUnder10 ?? before?.childUnder10 ?? false,
        reviewRequestedAt: info ? now : (before?.reviewRequestedAt ?? null),
        lastReviewRetainUntil: before?.lastReviewRetainUntil ?? null,
        nracDisposeDecidedAt: before?.nracDisposeDecidedAt ?? null,
        scheduleVersion: this.deps.schedule.version,
        updatedAt: now,
        updatedBy: userId,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_set',
        subject: `consultation:${consultationId}`,
        details: {
          evidential: facts.evidential,
          mopiGroup: facts.mopiGroup ?? null,
          caseStatus: facts.caseStatus.kind,
          complaintOrClaim: facts.complaintOrClaim,
          // Whether a date of birth is recorded, never the date itself (DP-03: no personal data in the chain).
          dateOfBirthRecorded: facts.subjectDateOfBirth === undefined ? Boolean(before?.subjectDateOfBirth) : facts.subjectDateOfBirth !== null,
          childUnder10: facts.childUnder10 ?? before?.childUnder10 ?? false,
          newInformationAt: info?.toISOString() ?? null,
        },
      });
      await this.recompute(tx, context, consultationId, false);
    });
  }

  /** A retention review with the NRAC questions (RET-03, RET-13): any "yes" retains and sets the next review date. */
  async recordReview(context: RequestContext, consultationId: string, answers: NracAnswers, rationaleInput: string) {
    const rationale = requireReason(rationaleInput, 'rationale', 'the rationale for the decision');
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can review retention');
    const reviewerId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const decision = nracDecision(answers);
      const now = this.deps.now();
      const nextReviewAt = decision === 'retain' ? addCalendarYears(now, this.deps.schedule.reviewExtensionYears) : null;
      const review = await tx.evidence.createReview({ consultationId, reviewerId, answers, decision, rationale, nextReviewAt, decidedAt: now });
      const retention = await tx.evidence.findRetention(consultationId);
      await tx.evidence.saveRetention({
        ...(retention ?? this.defaultRetention(consultationId, now)),
        lastReviewRetainUntil: decision === 'retain' ? nextReviewAt : null,
        nracDisposeDecidedAt: decision === 'dispose' ? now : null,
        // RET-12: the review new information asked for is done.
        reviewRequestedAt: null,
        updatedAt: now,
        updatedBy: reviewerId,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_reviewed',
        subject: `consultation:${consultationId}`,
        justification: rationale,
        // The answers (health, children, substance misuse) stay in retention_reviews, not in the permanent chain.
        details: { reviewId: review.id, decision, nextReviewAt: nextReviewAt?.toISOString() ?? null },
      });
      await this.recompute(tx, context, consultationId, false);
      return review;
    });
  }

  private defaultRetention(consultationId: string, now: Date) {
    return {
      consultationId,
      evidential: true,
      mopiGroup: null,
      caseStatus: DEFAULT_CASE_STATUS,
      complaintOrClaim: false,
      clearPeriodStart: null,
      subjectDateOfBirth: null,
      childUnder10: false,
      reviewRequestedAt: null,
      lastReviewRetainUntil: null,
      nracDisposeDecidedAt: null,
      scheduleVersion: this.deps.schedule.version,
      updatedAt: now,
      updatedBy: null,
    };
  }

  /** Re-dates every present item of a consultation from its facts and holds (X-03). */
  async recompute(tx: Repositories, context: RequestContext, consultationId: string, audited: boolean): Promise<void> {
    const retention = await tx.evidence.findRetention(consultationId);
    const holds = (await tx.evidence.listHolds(consultationId)).filter((h) => !h.releasedAt);
    const items = await tx.evidence.listByConsultation(consultationId);
    const present = items.filter((i) => i.state === 'present');
    if (present.length === 0) return;
    const capturedAt = new Date(Math.min(...present.map((i) => i.capturedAt.getTime())));
    const outcome = computeRetention(
      {
        evidential: retention?.evidential ?? true,
        capturedAt,
        mopiGroup: (retention?.mopiGroup as MopiGroup | null) ?? undefined,
        clearPeriodStart: retention?.clearPeriodStart ?? undefined,
        subjectDateOfBirth: retention?.subjectDateOfBirth ?? undefined,
        childUnder10: retention?.childUnder10 ?? false,
        reviewRequestedAt: retention?.reviewRequestedAt ?? undefined,
        caseStatus: storedCaseStatus(retention?.caseStatus),
        complaintOrClaim: retention?.complaintOrClaim ?? false,
        activeHolds: holds.map((h) => h.type as HoldType),
        lastReviewRetainUntil: retention?.lastReviewRetainUntil ?? undefined,
        nracDisposeDecidedAt: retention?.nracDisposeDecidedAt ?? undefined,
      },
      this.deps.schedule,
      this.deps.now(),
    );
    const basis = describeRetentionBasis(outcome);
    await tx.evidence.setRetentionDates(consultationId, {
      retentionBasis: basis || 'Not yet assessed',
      reviewDueAt: outcome.reviewDueAt,
      // Null while anything blocks without an end (a hold, an open case): the disposal job cannot reach it (X-03).
      disposalEligibleAt: outcome.disposalEligibleAt,
    });
    await this.locks.sync(present, outcome.disposalEligibleAt, holds.length > 0);
    if (audited)
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_dated',
        subject: `consultation:${consultationId}`,
        details: { disposalEligibleAt: outcome.disposalEligibleAt?.toISOString() ?? null, blocked: outcome.blockedBy.map((b) => b.basis) },
      });
  }

  reviewQueue() {
    return this.data.repos.evidence.listDueForReview(this.deps.now());
  }
}
