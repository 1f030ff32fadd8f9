import { aliasedTable, and, asc, desc, eq, gte, inArray, isNull, ne, notInArray } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { consultations, incidents } from '../consultations/consultations.schema.js';
import { consultationOutcomes, enquiryLines, riskAssessments, safetyAlerts, victimStatements } from '../investigation/investigation.schema.js';
import { officerAvailability } from '../officer/officer.schema.js';
import { callObservations, qualityReviews } from './supervisor.schema.js';
import { callEvents, calls } from '../video/video.schema.js';
import { userRoles, users } from '../../platform/auth/identity.schema.js';

const LIVE_STATES = ['accepted', 'appointment_booked', 'invited', 'victim_joined', 'connected', 'call_interrupted'];
const ENDED_STATES = ['completed', 'abandoned', 'escalated_to_attendance'];

/**
 * The supervisor's read model, across features: the live board (consultations, calls, officers, availability,
 * alerts, quick exits, observers), the review lists, and a consultation and its investigation record as the
 * reviewer sees them. Read-only: it never writes, and each feature's repository still owns its tables.
 */
export class SupervisionQueries {
  constructor(private readonly db: Executor) {}

  // The live board

  /** Consultations an officer holds that have not ended, with their open call (if any). */
  async listOnCall() {
    return this.db
      .select({
        consultationId: consultations.id,
        reference: consultations.reference,
        state: consultations.state,
        officerId: consultations.officerId,
        officerName: users.displayName,
        acceptedAt: consultations.acceptedAt,
        connectedAt: consultations.connectedAt,
        callId: calls.id,
        callOpenedAt: calls.openedAt,
      })
      .from(consultations)
      .leftJoin(users, eq(users.id, consultations.officerId))
      .leftJoin(calls, and(eq(calls.consultationId, consultations.id), eq(calls.state, 'open')))
      .where(inArray(consultations.state, LIVE_STATES))
      .orderBy(asc(consultations.acceptedAt));
  }

  /** Every enabled RVR officer account with its availability (no row yet means offline). */
  async listOfficers() {
    return this.db
      .select({ userId: users.id, displayName: users.displayName, status: officerAvailability.status, since: officerAvailability.updatedAt })
      .from(users)
      .innerJoin(userRoles, and(eq(userRoles.userId, users.id), eq(userRoles.role, 'rvr_officer')))
      .leftJoin(officerAvailability, eq(officerAvailability.userId, users.id))
      .where(isNull(users.disabledAt))
      .orderBy(asc(users.displayName));
  }

  /** "I'm not safe" alerts not yet escalated, on consultations that have not ended. */
  async listOpenSafetyAlerts() {
    return this.db
      .select({
        id: safetyAlerts.id,
        consultationId: safetyAlerts.consultationId,
        reference: consultations.reference,
        raisedAt: safetyAlerts.raisedAt,
        acknowledgedAt: safetyAlerts.acknowledgedAt,
        officerName: users.displayName,
      })
      .from(safetyAlerts)
      .innerJoin(consultations, eq(consultations.id, safetyAlerts.consultationId))
      .leftJoin(users, eq(users.id, consultations.officerId))
      .where(and(isNull(safetyAlerts.escalatedAt), notInArray(consultations.state, ENDED_STATES)))
      .orderBy(asc(safetyAlerts.raisedAt));
  }

  async listQuickExitsSince(since: Date) {
    return this.db
      .select({ callId: callEvents.callId, at: callEvents.at, role: callEvents.role, consultationId: consultations.id, reference: consultations.reference })
      .from(callEvents)
      .innerJoin(calls, eq(calls.id, callEvents.callId))
      .innerJoin(consultations, eq(consultations.id, calls.consultationId))
      .where(and(eq(callEvents.type, 'quick_exit'), gte(callEvents.at, since)))
      .orderBy(desc(callEvents.at))
      .limit(50);
  }

  /** Open observations of calls that are still open, for the board (who is watching which call). */
  async listOpenObservations() {
    return this.db
      .select({ callId: callObservations.callId, observerId: callObservations.observerId, observerName: users.displayName })
      .from(callObservations)
      .innerJoin(calls, and(eq(calls.id, callObservations.callId), eq(calls.state, 'open')))
      .innerJoin(users, eq(users.id, callObservations.observerId))
      .where(isNull(callObservations.endedAt));
  }

  // Quality reviews

  /**
   * The grade of the latest final risk assessment (completed, signed off, or since superseded by an amendment still in
   * draft): the officer's grade, else the actuarial one. A draft's grade is not final. The outcome measures and the
   * evaluation export read "the latest final assessment" the same way (state <> 'draft').
   */
  async latestRiskGrade(consultationId: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ grade: riskAssessments.grade, actuarialGrade: riskAssessments.actuarialGrade })
      .from(riskAssessments)
      .where(and(eq(riskAssessments.consultationId, consultationId), ne(riskAssessments.state, 'draft')))
      .orderBy(desc(riskAssessments.version))
      .limit(1);
    return row ? (row.grade ?? row.actuarialGrade ?? undefined) : undefined;
  }

  async listReviews() {
    const officer = aliasedTable(users, 'officer');
    return this.db
      .select({
        id: qualityReviews.id,
        consultationId: qualityReviews.consultationId,
        reference: consultations.reference,
        sampledBecause: qualityReviews.sampledBecause,
        sampledAt: qualityReviews.sampledAt,
        state: qualityReviews.state,
        completedAt: qualityReviews.completedAt,
        officerName: officer.displayName,
      })
      .from(qualityReviews)
      .innerJoin(consultations, eq(consultations.id, qualityReviews.consultationId))
      .leftJoin(officer, eq(officer.id, qualityReviews.officerId))
      .orderBy(desc(qualityReviews.state), asc(qualityReviews.sampledAt))
      .limit(500);
  }

  /** Completed reviews addressed to one officer, newest first. */
  async listFeedbackFor(officerId: string) {
    const reviewer = aliasedTable(users, 'reviewer');
    return this.db
      .select({
        id: qualityReviews.id,
        reference: consultations.reference,
        scores: qualityReviews.scores,
        feedback: qualityReviews.feedback,
        completedAt: qualityReviews.completedAt,
        feedbackSeenAt: qualityReviews.feedbackSeenAt,
        reviewerName: reviewer.displayName,
      })
      .from(qualityReviews)
      .innerJoin(consultations, eq(consultations.id, qualityReviews.consultationId))
      .leftJoin(reviewer, eq(reviewer.id, qualityReviews.reviewerId))
      .where(and(eq(qualityReviews.officerId, officerId), eq(qualityReviews.state, 'completed')))
      .orderBy(desc(qualityReviews.completedAt));
  }

  // A consultation as the reviewer sees it

  async consultationSummary(consultationId: string) {
    const [row] = await this.db
      .select({
        id: consultations.id,
        reference: consultations.reference,
        state: consultations.state,
        cadReference: incidents.cadReference,
        grade: incidents.grade,
        receivedAt: incidents.receivedAt,
        queuedAt: consultations.queuedAt,
        acceptedAt: consultations.acceptedAt,
        connectedAt: consultations.connectedAt,
        endedAt: consultations.endedAt,
        officerName: users.displayName,
      })
      .from(consultations)
      .innerJoin(incidents, eq(incidents.id, consultations.incidentId))
      .leftJoin(users, eq(users.id, consultations.officerId))
      .where(eq(consultations.id, consultationId));
    return row;
  }

  /** The investigation record's facts (grades, flags, statuses, outcome kinds): no answers' or statement's text. */
  async investigationRecord(consultationId: string) {
    const [assessment] = await this.db
      .select({
        formVersion: riskAssessments.formVersion,
        version: riskAssessments.version,
        state: riskAssessments.state,
        grade: riskAssessments.grade,
        actuarialGrade: riskAssessments.actuarialGrade,
        yesCount: riskAssessments.yesCount,
        maracReferral: riskAssessments.maracReferral,
        highRiskFlags: riskAssessments.highRiskFlags,
        completedAt: riskAssessments.completedAt,
        signedOffAt: riskAssessments.signedOffAt,
      })
      .from(riskAssessments)
      .where(and(eq(riskAssessments.consultationId, consultationId), ne(riskAssessments.state, 'superseded')))
      .orderBy(desc(riskAssessments.version))
      .limit(1);
    const lines = await this.db
      .select({ line: enquiryLines.line, status: enquiryLines.status, reason: enquiryLines.reason })
      .from(enquiryLines)
      .where(eq(enquiryLines.consultationId, consultationId))
      .orderBy(asc(enquiryLines.line));
    const outcomes = await this.db
      .select({ kind: consultationOutcomes.kind, recordedAt: consultationOutcomes.recordedAt })
      .from(consultationOutcomes)
      .where(eq(consultationOutcomes.consultationId, consultationId))
      .orderBy(asc(consultationOutcomes.recordedAt));
    const [statement] = await this.db
      .select({ state: victimStatements.state, confirmedAt: victimStatements.confirmedAt })
      .from(victimStatements)
      .where(eq(victimStatements.consultationId, consultationId));
    return { assessment, lines, outcomes, statement };
  }
}
