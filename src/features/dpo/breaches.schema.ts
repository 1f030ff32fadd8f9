import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/identity.schema.js';

/**
 * DP-15 (DPA 2018 s.67): the breach register. Every personal-data breach with its facts, effects and remedial action,
 * its assessment of the risk to rights and freedoms, the 72-hour ICO clock (from `aware_at`), the decision to notify
 * (or the reason not to), and the ICO notification. The register is the controller's own record: it describes
 * categories and numbers of data subjects, never names them (the page says so).
 */
export const personalDataBreaches = pgTable(
  'personal_data_breaches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A short title, e.g. "Recording link sent to a wrong number". */
    title: text('title').notNull(),
    /** The nature of the breach: what happened. */
    nature: text('nature').notNull(),
    /** Categories of data subjects and of records concerned. */
    categories: text('categories').notNull(),
    approxSubjects: integer('approx_subjects'),
    approxRecords: integer('approx_records'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }),
    /** When the force became aware: the 72-hour clock starts here. */
    awareAt: timestamp('aware_at', { withTimezone: true }).notNull(),
    recordedBy: uuid('recorded_by')
      .notNull()
      .references(() => users.id),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
    /** unlikely | risk | high_risk (domain/breach-clock.ts), set by the assessment. */
    risk: text('risk'),
    /** Likely consequences and the measures taken or proposed. */
    consequences: text('consequences'),
    measures: text('measures'),
    assessedBy: uuid('assessed_by').references(() => users.id),
    assessedAt: timestamp('assessed_at', { withTimezone: true }),
    /** notify | not_notify */
    decision: text('decision'),
    decisionReason: text('decision_reason'),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    icoNotifiedAt: timestamp('ico_notified_at', { withTimezone: true }),
    icoReference: text('ico_reference'),
    /** DP-15: the reasons for a notification later than 72 hours. */
    lateReason: text('late_reason'),
  },
  (t) => [index('personal_data_breaches_aware_at_idx').on(t.awareAt)],
);

/** DPA 2018 s.68: the communication of a high-risk breach to the data subjects (who, as a group; how; when). */
export const breachSubjectNotifications = pgTable(
  'breach_subject_notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    breachId: uuid('breach_id')
      .notNull()
      .references(() => personalDataBreaches.id),
    /** Who was told, as a group and a number (e.g. "the 3 callers whose links went astray"), never names. */
    subjects: text('subjects').notNull(),
    /** letter | phone | in_person | email | sms */
    method: text('method').notNull(),
    notifiedAt: timestamp('notified_at', { withTimezone: true }).notNull(),
    recordedBy: uuid('recorded_by')
      .notNull()
      .references(() => users.id),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('breach_subject_notifications_breach_idx').on(t.breachId)],
);
