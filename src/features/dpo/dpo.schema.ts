import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';

/**
 * One erasure of a consultation's personal data (issue 16 §2, RET-02, DP-05, DP-10): by the disposal job once all its
 * evidence has gone, or ordered by the DPO. What was erased and what was kept (tables, columns, row counts, file
 * hashes; never content, DP-03) is the stored certificate, written in the same transaction as the erasure itself.
 */
export const personalDataErasures = pgTable(
  'personal_data_erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .unique()
      .references(() => consultations.id),
    /** disposal | dpo_request */
    basis: text('basis').notNull(),
    /** The disposal run that erased it (basis disposal). */
    disposalId: uuid('disposal_id'),
    /** The DPO's reason (basis dpo_request): the s.47 ground. */
    justification: text('justification'),
    erasedBy: text('erased_by').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull(),
    summary: jsonb('summary').notNull(),
    certificate: text('certificate').notNull(),
    certificateSha256: text('certificate_sha256').notNull(),
  },
  (t) => [index('personal_data_erasures_erased_at_idx').on(t.erasedAt)],
);
