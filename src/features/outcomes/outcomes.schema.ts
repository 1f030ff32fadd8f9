import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../platform/db/columns.js';
import { consultations } from '../consultations/consultations.schema.js';

/**
 * The victim satisfaction survey: a single-use link texted after the call. Only the token's hash is stored, and
 * nothing about the victim beyond the consultation it belongs to (the phone number is read when sending).
 */
export const satisfactionSurveys = pgTable(
  'satisfaction_surveys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .unique()
      .references(() => consultations.id),
    tokenHash: text('token_hash').notNull().unique(),
    /** scheduled → sending (while the text is with the provider) → sent → answered; or send_failed / expired. */
    state: text('state').notNull(),
    sendAfter: timestamp('send_after', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    sendError: text('send_error'),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    rating: integer('rating'),
    comment: text('comment'),
    createdAt: createdAt(),
  },
  (t) => [index('satisfaction_surveys_state_idx').on(t.state, t.sendAfter)],
);
