import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../platform/db/columns.js';
import { users } from '../../platform/auth/identity.schema.js';
import { consultations } from '../consultations/consultations.schema.js';

/**
 * A video appointment for later (issue 17 §4, policy 4.0). One row per booking; a rebooking cancels the earlier row.
 * The victim's appointment page is reached by a texted link whose token is stored only as its hash. Nothing about the
 * victim is kept here beyond the consultation it belongs to: the phone number is read from the incident when texting,
 * and the victim's "another time" is one of the offered times or a time of day from a fixed list (no free text).
 */
export const appointments = pgTable(
  'appointments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** The officer who booked it; null when the call handler booked it at triage and no officer has taken it yet. */
    officerId: uuid('officer_id').references(() => users.id),
    /** The slot, UTC. */
    slot: timestamp('slot', { withTimezone: true }).notNull(),
    /** A code of APPOINTMENT_REASONS. */
    reason: text('reason').notNull(),
    /** booked → reminded → joined; or missed, cancelled (AppointmentStatus). */
    status: text('status').notNull(),
    /** The appointment page's link in the booking text, and in the reminder text (a second token: only hashes are kept). */
    pageTokenHash: text('page_token_hash').notNull().unique(),
    reminderTokenHash: text('reminder_token_hash').unique(),
    bookedBy: uuid('booked_by')
      .notNull()
      .references(() => users.id),
    bookingTextSentAt: timestamp('booking_text_sent_at', { withTimezone: true }),
    reminderSentAt: timestamp('reminder_sent_at', { withTimezone: true }),
    /** The SMS provider's error text when a text could not be sent. */
    sendError: text('send_error'),
    joinedAt: timestamp('joined_at', { withTimezone: true }),
    missedAt: timestamp('missed_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    /** The victim asked for another time from the appointment page: how many times, the last choice, when. */
    changeRequests: integer('change_requests').notNull().default(0),
    requestedSlot: timestamp('requested_slot', { withTimezone: true }),
    requestedBestTime: text('requested_best_time'),
    changeRequestedAt: timestamp('change_requested_at', { withTimezone: true }),
    /** A missed appointment is a follow-up for a supervisor until one records what was done. */
    followUpDoneAt: timestamp('follow_up_done_at', { withTimezone: true }),
    followUpDoneBy: uuid('follow_up_done_by').references(() => users.id),
    followUpNote: text('follow_up_note'),
    createdAt: createdAt(),
  },
  (t) => [index('appointments_status_slot_idx').on(t.status, t.slot), index('appointments_consultation_idx').on(t.consultationId)],
);
