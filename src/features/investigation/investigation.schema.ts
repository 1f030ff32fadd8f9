import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../platform/db/columns.js';
import { consultations } from '../consultations/consultations.schema.js';
import { evidenceItems } from '../evidence/evidence.schema.js';
import { callParticipants, calls } from '../video/video.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

/**
 * A risk assessment on a pluggable form (DASH2009 now; DARA or a force variant later: DASH-02, DASH-08). The
 * form version is stored with every row and counts are never mixed across versions. A completed or
 * signed-off assessment is never edited: an amendment is a new row (version + 1) that supersedes it, with a reason.
 */
export const riskAssessments = pgTable(
  'risk_assessments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** Which form engine: 'DASH2009'. */
    formVersion: text('form_version').notNull(),
    /** 1 for the first assessment of a consultation; each amendment adds one. */
    version: integer('version').notNull().default(1),
    supersedesId: uuid('supersedes_id'),
    amendmentReason: text('amendment_reason'),
    /** draft → completed → signed_off; a version replaced by an amendment becomes superseded. */
    state: text('state').notNull(),
    /** { [questionId]: { answer: 'yes' | 'no' | 'not_known', comment?: string } } */
    answers: jsonb('answers').notNull(),
    /** Facts beside the form that the MARAC rules need (DASH-03 c/d, DASH-07). */
    priorIncidents12Months: integer('prior_incidents_12_months'),
    lastMaracReferralAt: timestamp('last_marac_referral_at', { withTimezone: true }),
    victimAgeBand: text('victim_age_band'),
    /** The officer's professional judgement: may raise the grade, never lower an actuarial High (DASH-04). */
    grade: text('grade'),
    judgementReferral: boolean('judgement_referral').notNull().default(false),
    judgementReason: text('judgement_reason'),
    /** Computed when completed, stored so a later change of bands does not rewrite history. */
    yesCount: integer('yes_count'),
    actuarialGrade: text('actuarial_grade'),
    maracReferral: boolean('marac_referral'),
    maracReasons: jsonb('marac_reasons'),
    highRiskFlags: jsonb('high_risk_flags'),
    routing: text('routing'),
    /** The scoring settings used (bands, escalation threshold), so the result can be re-derived. */
    scoringSettings: jsonb('scoring_settings'),
    /** Bumped on every save: a save applies only to the revision it read (no lost autosaves). */
    revision: integer('revision').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    completedBy: uuid('completed_by').references(() => users.id),
    signedOffAt: timestamp('signed_off_at', { withTimezone: true }),
    signedOffBy: uuid('signed_off_by').references(() => users.id),
    signOffNote: text('sign_off_note'),
    evidenceItemId: uuid('evidence_item_id').references(() => evidenceItems.id),
  },
  (t) => [uniqueIndex('risk_assessments_version_idx').on(t.consultationId, t.version), index('risk_assessments_state_idx').on(t.state)],
);

/** The lines of enquiry an in-person first response covers (RVR-08): one row per consultation and line. */
export const enquiryLines = pgTable(
  'enquiry_lines',
  {
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    line: text('line').notNull(),
    /** done | not_applicable | not_possible (not_possible needs a reason). */
    status: text('status').notNull(),
    reason: text('reason'),
    /** Snapshot or upload evidence item ids that show this line (injuries photographed). */
    evidenceItemIds: jsonb('evidence_item_ids'),
    updatedBy: uuid('updated_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consultationId, t.line] })],
);

/**
 * The victim's account as the officer typed it, shown to the victim to correct and confirm. The exact
 * text confirmed and its SHA-256 are stored with the typed name (the signature) and become an evidence item.
 */
export const victimStatements = pgTable('victim_statements', {
  id: uuid('id').primaryKey().defaultRandom(),
  consultationId: uuid('consultation_id')
    .notNull()
    .unique()
    .references(() => consultations.id),
  /** draft → shared (on the victim's page) → correction_requested → shared … → confirmed. */
  state: text('state').notNull(),
  text: text('text').notNull(),
  revision: integer('revision').notNull().default(1),
  sharedAt: timestamp('shared_at', { withTimezone: true }),
  /** [{ at, text }]: what the victim asked to be corrected, in their words. */
  corrections: jsonb('corrections').notNull(),
  confirmedText: text('confirmed_text'),
  confirmedSha256: text('confirmed_sha256'),
  signatureName: text('signature_name'),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  evidenceItemId: uuid('evidence_item_id').references(() => evidenceItems.id),
  updatedBy: uuid('updated_by').references(() => users.id),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

/**
 * RET-19 (issue 16 §4): every version of the statement shown to the victim, kept word for word with its SHA-256 (a
 * draft is covered where it differs from the final version). Append-only: one row per share.
 */
export const victimStatementVersions = pgTable(
  'victim_statement_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    statementId: uuid('statement_id')
      .notNull()
      .references(() => victimStatements.id),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    revision: integer('revision').notNull(),
    text: text('text').notNull(),
    sha256: text('sha256').notNull(),
    shownAt: timestamp('shown_at', { withTimezone: true }).notNull(),
    shownBy: uuid('shown_by').references(() => users.id),
  },
  (t) => [index('victim_statement_versions_statement_idx').on(t.statementId, t.shownAt)],
);

/** What came of the consultation: each one a timestamped event, read by the CAD API and the outcome measures. */
export const consultationOutcomes = pgTable(
  'consultation_outcomes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** crime_recorded | arrest_requested | patrol_tasked | attendance_escalated | referral_made | no_further_action */
    kind: text('kind').notNull(),
    details: jsonb('details').notNull(),
    recordedBy: uuid('recorded_by').references(() => users.id),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('consultation_outcomes_consultation_idx').on(t.consultationId, t.recordedAt), index('consultation_outcomes_kind_idx').on(t.kind, t.recordedAt)],
);

/** "I'm not safe" from the victim's page (RVR-11): when it was raised, seen and escalated. */
export const safetyAlerts = pgTable(
  'safety_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id').references(() => calls.id),
    participantId: uuid('participant_id').references(() => callParticipants.id),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by').references(() => users.id),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    escalatedBy: uuid('escalated_by').references(() => users.id),
    outcomeId: uuid('outcome_id').references(() => consultationOutcomes.id),
  },
  (t) => [index('safety_alerts_consultation_idx').on(t.consultationId)],
);
