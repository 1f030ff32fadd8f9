import { boolean, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

/** The eligibility checklist the call handler completed, the rule-set version applied, and the decision with its reasons. */
export const triages = pgTable('triages', {
  id: uuid('id').primaryKey().defaultRandom(),
  consultationId: uuid('consultation_id')
    .notNull()
    .unique()
    .references(() => consultations.id),
  answers: jsonb('answers').notNull(),
  ruleSetVersion: integer('rule_set_version').notNull(),
  decision: text('decision').notNull(),
  reasons: jsonb('reasons').notNull(),
  overridable: boolean('overridable').notNull(),
  /** RVR-04: the exact words read to the caller, and when each consent was given. */
  videoConsentWording: text('video_consent_wording'),
  videoConsentAt: timestamp('video_consent_at', { withTimezone: true }),
  recordingConsentWording: text('recording_consent_wording'),
  recordingConsentAt: timestamp('recording_consent_at', { withTimezone: true }),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
  decidedBy: uuid('decided_by').references(() => users.id),
  overriddenBy: uuid('overridden_by').references(() => users.id),
  overrideRationale: text('override_rationale'),
  overriddenAt: timestamp('overridden_at', { withTimezone: true }),
});

/** Force configuration of eligibility (which flags exclude, operating hours, consent wording); every change is a new version. */
export const eligibilitySettings = pgTable('eligibility_settings', {
  version: integer('version').primaryKey(),
  settings: jsonb('settings').notNull(),
  createdBy: uuid('created_by').references(() => users.id),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
