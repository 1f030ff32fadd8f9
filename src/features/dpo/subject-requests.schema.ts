import { date, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations } from '../consultations/consultations.schema.js';

/**
 * The DPO's register of data subjects' requests (issue 16 §1; DP-06 access s.45, DP-09 rectification s.46, DP-10
 * erasure and restriction s.47, DP-07 the clock s.54, DP-08 restrictions on the right s.45(4), DP-11 notice s.48).
 * Dates the law counts in are calendar dates (`date`); the clock itself is src/domain/subject-request-clock.ts.
 */
export const subjectRequests = pgTable(
  'subject_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** DSR-YYYY-NNNN, given by the register. */
    reference: text('reference').notNull().unique(),
    /** access | rectification | erasure | restriction */
    kind: text('kind').notNull(),
    /** The requester as they gave themselves: the data subject (or whoever acts for them). */
    subjectName: text('subject_name').notNull(),
    subjectPhone: text('subject_phone'),
    /** How to reach them in writing, and anything else they gave to find their data. */
    subjectContact: text('subject_contact'),
    /** What the request asks for, in the requester's terms (for rectification: what is wrong). */
    details: text('details'),
    receivedOn: date('received_on', { mode: 'string' }).notNull(),
    /** Identity information was asked for on this day; the clock waits for it (DP-07). */
    identityRequestedOn: date('identity_requested_on', { mode: 'string' }),
    identityReceivedOn: date('identity_received_on', { mode: 'string' }),
    /** How the identity was checked (documents seen, call-back to the number on the record...). */
    identityCheck: text('identity_check'),
    extensionMonths: integer('extension_months').notNull().default(0),
    extensionReason: text('extension_reason'),
    extensionNoticedOn: date('extension_noticed_on', { mode: 'string' }),
    pausedDays: integer('paused_days').notNull().default(0),
    pausedSince: date('paused_since', { mode: 'string' }),
    /** DP-08 s.45(4): the grounds (codes) on which the right is restricted, and why. */
    restrictionGrounds: jsonb('restriction_grounds').notNull().default([]),
    restrictionReason: text('restriction_reason'),
    /** The consultations this request concerns (linked by the DPO after a search). */
    consultationIds: jsonb('consultation_ids').notNull().default([]),
    /** DP-11: granted | partly_granted | refused, the reasons, and when the written notice went. */
    decision: text('decision'),
    decisionReason: text('decision_reason'),
    noticeSentOn: date('notice_sent_on', { mode: 'string' }),
    /** The SHA-256 of the last disclosure pack's manifest (DP-06). */
    disclosureSha256: text('disclosure_sha256'),
    disclosedAt: timestamp('disclosed_at', { withTimezone: true }),
    createdBy: uuid('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('subject_requests_received_idx').on(t.receivedOn)],
);

/**
 * DP-09 (s.46): a correction kept beside the original, with who and why. The corrected field shows the correction; the
 * original stays here, readable to the DPO. A supplementary statement (`mode` supplementary) alters nothing: evidence
 * is never edited (DP-09 [D]).
 */
export const subjectRectifications = pgTable(
  'subject_rectifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    requestId: uuid('request_id')
      .notNull()
      .references(() => subjectRequests.id),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** The field, as `table.column` from the rectifiable list (or `supplementary`). */
    field: text('field').notNull(),
    /** corrected | supplementary */
    mode: text('mode').notNull(),
    originalValue: text('original_value'),
    correctedValue: text('corrected_value').notNull(),
    reason: text('reason').notNull(),
    rectifiedBy: uuid('rectified_by')
      .notNull()
      .references(() => users.id),
    rectifiedAt: timestamp('rectified_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('subject_rectifications_consultation_idx').on(t.consultationId)],
);

/**
 * DP-10 (s.47): processing of a consultation's data restricted (accuracy contested, or kept for evidence instead of
 * erased). While a restriction stands, its material is not exported or shared.
 */
export const processingRestrictions = pgTable(
  'processing_restrictions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    requestId: uuid('request_id').references(() => subjectRequests.id),
    reason: text('reason').notNull(),
    placedBy: uuid('placed_by')
      .notNull()
      .references(() => users.id),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    liftedBy: uuid('lifted_by').references(() => users.id),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
    liftReason: text('lift_reason'),
  },
  (t) => [index('processing_restrictions_consultation_idx').on(t.consultationId)],
);
