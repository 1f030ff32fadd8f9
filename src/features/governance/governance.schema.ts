import { date, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';

/**
 * SC-8: a member of staff's training, one row per course completed (course code from TRAINING_REQUIRED_COURSES or
 * any other), recorded by an administrator beside the policy acknowledgement (SC-5). Staff records, not victims'.
 */
export const trainingRecords = pgTable(
  'training_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    course: text('course').notNull(),
    completedOn: date('completed_on', { mode: 'date' }).notNull(),
    /** The last day it is valid; null: it does not expire. */
    expiresOn: date('expires_on', { mode: 'date' }),
    recordedBy: uuid('recorded_by').references(() => users.id),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('training_records_user_idx').on(t.userId)],
);

/**
 * SC-4: the named system owner. A transfer is proposed by an administrator and takes effect only when the nominee
 * accepts it (or is declined by them); each step is a row and an audit event, so it is recorded both ways.
 */
export const systemOwnerAppointments = pgTable(
  'system_owner_appointments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    proposedBy: uuid('proposed_by').references(() => users.id),
    proposedAt: timestamp('proposed_at', { withTimezone: true }).notNull(),
    note: text('note'),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    declinedAt: timestamp('declined_at', { withTimezone: true }),
    /** When the next owner accepted (or the proposal was withdrawn by a newer one). */
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('system_owner_appointments_user_idx').on(t.userId)],
);
