import { doublePrecision, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { consultations } from '../consultations/consultations.schema.js';
import { callParticipants, calls } from '../video/video.schema.js';

/**
 * The victim's decisions on sharing their location during a call (issue 17 §1, RVR-04 style: recorded with the
 * words shown). Append-only: the latest row is the decision in force (shared, declined = "not now", stopped).
 */
export const locationConsents = pgTable(
  'location_consents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    participantId: uuid('participant_id')
      .notNull()
      .references(() => callParticipants.id),
    decision: text('decision').notNull(),
    wording: text('wording').notNull(),
    /** Issue 17 §2: the language the question was shown in ('en' or 'cy'); `wording` is the text in that language. */
    language: text('language').notNull().default('en'),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('location_consents_participant_idx').on(t.participantId, t.decidedAt)],
);

/**
 * Each position the victim's browser sent while they shared (issue 17 §1): the victim's personal data, erased with
 * the consultation (ADR 0016) and otherwise kept with it (the call record is evidence).
 */
export const victimLocations = pgTable(
  'victim_locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    participantId: uuid('participant_id')
      .notNull()
      .references(() => callParticipants.id),
    latitude: doublePrecision('latitude').notNull(),
    longitude: doublePrecision('longitude').notNull(),
    /** The browser's accuracy: radius in metres (95 %). */
    accuracyMetres: doublePrecision('accuracy_metres').notNull(),
    /** When the phone measured it (its own clock, so only a hint); receivedAt is the server's time (EVD-05). */
    measuredAt: timestamp('measured_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('victim_locations_consultation_idx').on(t.consultationId, t.receivedAt),
    index('victim_locations_participant_idx').on(t.participantId, t.receivedAt),
  ],
);
