import { boolean, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';
import { callParticipants, calls } from '../video/video.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

/** A supervisor watching a live call, receive-only, with the justification given (EVD-15, DP-01). */
export const callObservations = pgTable(
  'call_observations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    participantId: uuid('participant_id').references(() => callParticipants.id),
    observerId: uuid('observer_id')
      .notNull()
      .references(() => users.id),
    justification: text('justification').notNull(),
    victimNotified: boolean('victim_notified').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('call_observations_call_idx').on(t.callId)],
);

/** Supervisor quality review (policy 4.0, EVD-15): stored apart from the evidence, which it never alters. */
export const qualityReviews = pgTable(
  'quality_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .unique()
      .references(() => consultations.id),
    /** random | high_risk | random_and_high_risk | requested */
    sampledBecause: text('sampled_because').notNull(),
    sampledAt: timestamp('sampled_at', { withTimezone: true }).notNull(),
    /** The officer whose response is reviewed (feedback is addressed to them). */
    officerId: uuid('officer_id').references(() => users.id),
    /** queued → completed */
    state: text('state').notNull(),
    reviewerId: uuid('reviewer_id').references(() => users.id),
    /** { [checklistItem]: { score: 'met' | 'partly' | 'not_met' | 'not_applicable', note?: string } } */
    scores: jsonb('scores'),
    feedback: text('feedback'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    feedbackSeenAt: timestamp('feedback_seen_at', { withTimezone: true }),
  },
  (t) => [index('quality_reviews_state_idx').on(t.state, t.sampledAt), index('quality_reviews_officer_idx').on(t.officerId)],
);
