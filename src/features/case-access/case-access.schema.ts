import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations } from '../consultations/consultations.schema.js';

/**
 * Per-case access (issue 16 §3, SEC-11 need to know, DP-01): an investigator opens only the consultations a
 * supervisor assigned to them. Ending an assignment keeps the row (who gave it, who took it away, when, why).
 */
export const caseAssignments = pgTable(
  'case_assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    assignedBy: uuid('assigned_by')
      .notNull()
      .references(() => users.id),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedBy: uuid('ended_by').references(() => users.id),
    endReason: text('end_reason'),
  },
  (t) => [
    uniqueIndex('case_assignments_one_live_idx')
      .on(t.consultationId, t.userId)
      .where(sql`ended_at IS NULL`),
    index('case_assignments_user_idx').on(t.userId),
  ],
);

/**
 * Break-glass: an investigator opens a case they are not assigned to, in an emergency, with a reason, for a limited
 * time. Every use is audited and is a notification to the DPO, who marks it reviewed.
 */
export const breakGlassGrants = pgTable(
  'break_glass_grants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    reason: text('reason').notNull(),
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** The DPO's notification: unread until a DPO marks the use reviewed. */
    dpoReviewedAt: timestamp('dpo_reviewed_at', { withTimezone: true }),
    dpoReviewedBy: uuid('dpo_reviewed_by').references(() => users.id),
  },
  (t) => [index('break_glass_grants_user_idx').on(t.userId, t.consultationId), index('break_glass_grants_granted_idx').on(t.grantedAt)],
);
