import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';
import { users } from '../../platform/auth/identity.schema.js';

/** A randomised evaluation run by the force (policy 2.2): block randomisation with a recorded seed and block size. */
export const evaluationTrials = pgTable('evaluation_trials', {
  id: uuid('id').primaryKey().defaultRandom(),
  seed: text('seed').notNull(),
  blockSize: integer('block_size').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
  startedBy: uuid('started_by').references(() => users.id),
  stoppedAt: timestamp('stopped_at', { withTimezone: true }),
  stoppedBy: uuid('stopped_by').references(() => users.id),
  note: text('note'),
});

/** One allocation per consultation; append-only (a trigger refuses UPDATE and DELETE), so no one can change it afterwards. */
export const evaluationAllocations = pgTable(
  'evaluation_allocations',
  {
    consultationId: uuid('consultation_id')
      .primaryKey()
      .references(() => consultations.id),
    trialId: uuid('trial_id')
      .notNull()
      .references(() => evaluationTrials.id),
    /** 0-based position in the trial's allocation sequence; block = floor(sequence / blockSize). */
    sequence: integer('sequence').notNull(),
    /** rvr | standard */
    arm: text('arm').notNull(),
    allocatedAt: timestamp('allocated_at', { withTimezone: true }).notNull(),
    allocatedBy: uuid('allocated_by').references(() => users.id),
  },
  (t) => [uniqueIndex('evaluation_allocations_sequence_idx').on(t.trialId, t.sequence)],
);

/**
 * An eligible, consenting call that a running trial recorded but did not randomise (no RVR officer available): the
 * evaluation's own state, written in the same transaction as its `evaluation.not_randomised` audit event (the audit
 * log stays the record; migration 0009 filled this table from the events written before it).
 */
export const evaluationNotRandomised = pgTable(
  'evaluation_not_randomised',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    trialId: uuid('trial_id')
      .notNull()
      .references(() => evaluationTrials.id),
    /** no_officer_available */
    reason: text('reason').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('evaluation_not_randomised_trial_idx').on(t.trialId), index('evaluation_not_randomised_consultation_idx').on(t.consultationId, t.recordedAt)],
);
