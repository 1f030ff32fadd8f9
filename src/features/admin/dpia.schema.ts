import { date, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';

/**
 * DP-13, SC-2: the DPIA under which RVR runs, one row per recorded version (the newest is current): its reference,
 * its approval (by whom, on which day) and its annual review date. Recorded by an administrator, audited.
 */
export const dpiaRecords = pgTable('dpia_records', {
  id: uuid('id').primaryKey().defaultRandom(),
  reference: text('reference').notNull(),
  approvedBy: text('approved_by'),
  approvedOn: date('approved_on', { mode: 'string' }),
  reviewDue: date('review_due', { mode: 'string' }).notNull(),
  recordedBy: uuid('recorded_by')
    .notNull()
    .references(() => users.id),
  recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
});
