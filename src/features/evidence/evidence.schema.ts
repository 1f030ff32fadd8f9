import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';
import { calls } from '../video/video.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

/**
 * Anything kept as evidence: a recording segment, a snapshot, the officer's notes, a working copy (EVD-01).
 * The master file under `file_key` is written once and never modified; `sha256` is its hash when closed.
 */
export const evidenceItems = pgTable(
  'evidence_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id').references(() => calls.id),
    /** recording | snapshot | notes | working_copy */
    kind: text('kind').notNull(),
    /** The row this item was made from (a recording or snapshot id), so an item is registered once. */
    sourceId: text('source_id').notNull().unique(),
    label: text('label').notNull(),
    fileKey: text('file_key').notNull().unique(),
    mediaType: text('media_type').notNull(),
    sha256: text('sha256').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    capturedAt: timestamp('captured_at', { withTimezone: true }).notNull(),
    capturedBy: text('captured_by').notNull(),
    ownerId: uuid('owner_id').references(() => users.id),
    classification: text('classification').notNull().default('OFFICIAL-SENSITIVE'),
    /** SC-1: the purpose of the session the item was captured in (copied from its consultation). */
    purposeCode: text('purpose_code').notNull().default('DA_RVR_INVESTIGATION'),
    derivedFrom: jsonb('derived_from'),
    /** present → disposing → disposed (two steps, so a crash between deleting the file and the row is resumed). */
    state: text('state').notNull().default('present'),
    restrictedAt: timestamp('restricted_at', { withTimezone: true }),
    restrictionReason: text('restriction_reason'),
    retentionBasis: text('retention_basis').notNull().default('Not yet assessed'),
    reviewDueAt: timestamp('review_due_at', { withTimezone: true }),
    disposalEligibleAt: timestamp('disposal_eligible_at', { withTimezone: true }),
    /** unverified | ok | mismatch | missing: the latest scheduled re-hash of the master (EVD-02). */
    integrity: text('integrity').notNull().default('unverified'),
    integrityCheckedAt: timestamp('integrity_checked_at', { withTimezone: true }),
    disposedAt: timestamp('disposed_at', { withTimezone: true }),
    disposalId: uuid('disposal_id'),
  },
  (t) => [index('evidence_items_consultation_idx').on(t.consultationId), index('evidence_items_disposal_idx').on(t.state, t.disposalEligibleAt)],
);

/** The retention facts of one consultation's material: MOPI group, CPIA case status, evidential or not (RET-07..RET-22). */
export const evidenceRetention = pgTable('evidence_retention', {
  consultationId: uuid('consultation_id')
    .primaryKey()
    .references(() => consultations.id),
  evidential: boolean('evidential').notNull().default(true),
  mopiGroup: text('mopi_group'),
  caseStatus: jsonb('case_status').notNull(),
  complaintOrClaim: boolean('complaint_or_claim').notNull().default(false),
  clearPeriodStart: timestamp('clear_period_start', { withTimezone: true }),
  /** RET-08 group 1 / RET-22: the subject's date of birth (noon UTC of the day), entered by records staff. */
  subjectDateOfBirth: timestamp('subject_date_of_birth', { withTimezone: true }),
  /** RET-06: a child under 10 is involved (victim, witness, informant or suspect): forces a manual review. */
  childUnder10: boolean('child_under_10').notNull().default(false),
  /** RET-12: new information about the nominal asked for a review; cleared by the next review. */
  reviewRequestedAt: timestamp('review_requested_at', { withTimezone: true }),
  lastReviewRetainUntil: timestamp('last_review_retain_until', { withTimezone: true }),
  /** When the latest NRAC review found no reason to keep the material (group 2 and undetected need one). */
  nracDisposeDecidedAt: timestamp('nrac_dispose_decided_at', { withTimezone: true }),
  scheduleVersion: text('schedule_version').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  updatedBy: uuid('updated_by').references(() => users.id),
});

/** A legal hold on a consultation's material: blocks disposal and purge whatever the dates say. */
export const legalHolds = pgTable(
  'legal_holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    type: text('type').notNull(),
    rationale: text('rationale').notNull(),
    placedBy: uuid('placed_by')
      .notNull()
      .references(() => users.id),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    releasedBy: uuid('released_by').references(() => users.id),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    releaseRationale: text('release_rationale'),
  },
  (t) => [index('legal_holds_consultation_idx').on(t.consultationId)],
);

/** A recorded retention review: reviewer, NRAC answers, decision and rationale (RET-03, RET-13). */
export const retentionReviews = pgTable(
  'retention_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    reviewerId: uuid('reviewer_id')
      .notNull()
      .references(() => users.id),
    answers: jsonb('answers').notNull(),
    decision: text('decision').notNull(),
    rationale: text('rationale').notNull(),
    nextReviewAt: timestamp('next_review_at', { withTimezone: true }),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('retention_reviews_consultation_idx').on(t.consultationId)],
);

/** One run of the disposal job: what was (or, in a dry run, would be) disposed, as a certificate (DP-03). */
export const evidenceDisposals = pgTable('evidence_disposals', {
  id: uuid('id').primaryKey().defaultRandom(),
  dryRun: boolean('dry_run').notNull(),
  ranAt: timestamp('ran_at', { withTimezone: true }).notNull(),
  ranBy: text('ran_by').notNull(),
  items: jsonb('items').notNull(),
  /** The certificate exactly as issued (JSON text), and its SHA-256. */
  certificate: text('certificate').notNull(),
  certificateSha256: text('certificate_sha256').notNull(),
});

/**
 * Long-running evidence work, visible while it runs: a court working copy (ffmpeg) or an export to the force's
 * evidence system. `state` moves queued → running → done | failed (working copy) or queued → sending →
 * delivered → verified | failed (export), then purged once the local copies are deleted (RET-23).
 */
export const evidenceTasks = pgTable(
  'evidence_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    state: text('state').notNull(),
    progress: integer('progress').notNull().default(0),
    itemIds: jsonb('item_ids').notNull(),
    resultItemId: uuid('result_item_id'),
    sink: text('sink'),
    manifestSha256: text('manifest_sha256'),
    receipt: jsonb('receipt'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    requestedBy: uuid('requested_by').references(() => users.id),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    purgeAfter: timestamp('purge_after', { withTimezone: true }),
    purgedAt: timestamp('purged_at', { withTimezone: true }),
  },
  (t) => [index('evidence_tasks_consultation_idx').on(t.consultationId), index('evidence_tasks_state_idx').on(t.state)],
);
