import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../../platform/auth/identity.schema.js';
import { consultations } from '../../consultations/consultations.schema.js';
import { evidenceItems } from '../evidence.schema.js';

/**
 * A redacted copy for disclosure (EVD-08, EVD-09, issue 15 §2): the redaction list as asked for (rectangles to blur
 * or black out over time ranges, audio to mute or bleep, ranges to cut, each with its reason), who asked, the job's
 * progress, the copy it made (an evidence item of its own, `derivedFrom` the master) and the second person's decision.
 * `state` moves queued → running → awaiting_approval → approved | rejected, or to failed. The master is never changed.
 */
export const evidenceRedactions = pgTable(
  'evidence_redactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    sourceItemId: uuid('source_item_id')
      .notNull()
      .references(() => evidenceItems.id),
    /** The validated redaction list (RedactionSpec), stored as structured JSON. */
    spec: jsonb('spec').notNull(),
    state: text('state').notNull(),
    progress: integer('progress').notNull().default(0),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    resultItemId: uuid('result_item_id').references(() => evidenceItems.id),
    requestedBy: uuid('requested_by')
      .notNull()
      .references(() => users.id),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionReason: text('decision_reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('evidence_redactions_consultation_idx').on(t.consultationId), index('evidence_redactions_source_idx').on(t.sourceItemId)],
);
