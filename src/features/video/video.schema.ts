import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../platform/db/columns.js';
import { consultations } from '../consultations/consultations.schema.js';
import { users } from '../../platform/auth/identity.schema.js';
import { mediaNodes } from '../media-nodes/media-nodes.schema.js';

/** One video call of a consultation (issue 5). At most one is open per consultation at a time. */
export const calls = pgTable(
  'calls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** open → ended, or interrupted when the server stopped under it. */
    state: text('state').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    /** First media both ways between the officer and the victim. */
    connectedAt: timestamp('connected_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedBy: text('ended_by'),
    endReason: text('end_reason'),
    officerNotes: text('officer_notes'),
    notesUpdatedAt: timestamp('notes_updated_at', { withTimezone: true }),
    /** The media node that owns the call's room (ADR 0013); null only for calls opened before media nodes. */
    mediaNodeId: text('media_node_id').references(() => mediaNodes.id),
  },
  (t) => [
    index('calls_consultation_idx').on(t.consultationId),
    index('calls_open_by_node_idx')
      .on(t.mediaNodeId)
      .where(sql`state = 'open'`),
    uniqueIndex('calls_one_open_idx')
      .on(t.consultationId)
      .where(sql`state = 'open'`),
  ],
);

/** A texted link (RVR-07): only the hash of its token is stored; single use, expiring, revocable. */
export const callInvites = pgTable(
  'call_invites',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    role: text('role').notNull(),
    /** For an interpreter: the language or BSL, shown to the officer. Never the phone number. */
    label: text('label'),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    /** Issue 17 §2: the language the text was sent in ('en' or 'cy'). */
    language: text('language').notNull().default('en'),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    sendError: text('send_error'),
    openedAt: timestamp('opened_at', { withTimezone: true }),
    consentAt: timestamp('consent_at', { withTimezone: true }),
    joinedAt: timestamp('joined_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('call_invites_call_idx').on(t.callId)],
);

/** Everyone in a call: staff by their account, link holders by a call-scoped session (cookie secret stored hashed). */
export const callParticipants = pgTable(
  'call_participants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    role: text('role').notNull(),
    userId: uuid('user_id').references(() => users.id),
    inviteId: uuid('invite_id').references(() => callInvites.id),
    sessionHash: text('session_hash').unique(),
    sessionExpiresAt: timestamp('session_expires_at', { withTimezone: true }),
    createdAt: createdAt(),
    joinedAt: timestamp('joined_at', { withTimezone: true }),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }),
    leftAt: timestamp('left_at', { withTimezone: true }),
    leftReason: text('left_reason'),
  },
  (t) => [index('call_participants_call_idx').on(t.callId)],
);

/** The victim's (or interpreter's) own consent on their page, with the exact wording shown (RVR-04, RVR-12). */
export const callConsents = pgTable('call_consents', {
  id: uuid('id').primaryKey().defaultRandom(),
  callId: uuid('call_id')
    .notNull()
    .references(() => calls.id),
  participantId: uuid('participant_id')
    .notNull()
    .references(() => callParticipants.id),
  videoConsent: boolean('video_consent').notNull(),
  recordingConsent: boolean('recording_consent').notNull(),
  wording: text('wording').notNull(),
  /** Issue 17 §2: the language the consent page was shown in ('en' or 'cy'); `wording` is the text in that language. */
  language: text('language').notNull().default('en'),
  givenAt: timestamp('given_at', { withTimezone: true }).notNull(),
});

/** The call's lifecycle with timestamps: link sent/opened, consent, joins, connected, reconnects, quick exit, end. */
export const callEvents = pgTable(
  'call_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    type: text('type').notNull(),
    participantId: uuid('participant_id'),
    role: text('role'),
    details: jsonb('details'),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('call_events_call_idx').on(t.callId, t.id)],
);

/** One recorded segment of one participant's media, written on the server from its first packet (RVR-10). */
export const recordings = pgTable(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    participantId: uuid('participant_id').references(() => callParticipants.id),
    role: text('role').notNull(),
    /** 1, 2, … per role in the call: a reconnect starts a new segment. */
    segment: integer('segment').notNull(),
    fileKey: text('file_key').notNull().unique(),
    tracks: jsonb('tracks').notNull(),
    /** recording → finalised; repaired when it was finished after a restart; empty when no media arrived. */
    status: text('status').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    /** When the server handled the first packet: late when its event loop was busy. Kept beside mediaStartedAt. */
    firstPacketAt: timestamp('first_packet_at', { withTimezone: true }),
    /** When the media started, from the senders' RTCP sender reports (EVD-05): what the court copy aligns and burns in. */
    mediaStartedAt: timestamp('media_started_at', { withTimezone: true }),
    /** How mediaStartedAt was worked out (each track's arrival stamp, report start, sender clock) and whether the two disagreed. */
    mediaClock: jsonb('media_clock'),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    sha256: text('sha256'),
    sizeBytes: integer('size_bytes'),
    /** The node whose disk the segment is written on: only it repairs the segment after a crash (ADR 0013). */
    mediaNodeId: text('media_node_id').references(() => mediaNodes.id),
  },
  (t) => [index('recordings_call_idx').on(t.callId), uniqueIndex('recordings_segment_idx').on(t.callId, t.role, t.segment)],
);

/** A still taken by the officer from the victim's video (injuries, damage), kept with its SHA-256. */
export const snapshots = pgTable(
  'snapshots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    fileKey: text('file_key').notNull().unique(),
    mediaType: text('media_type').notNull(),
    sha256: text('sha256').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    takenBy: uuid('taken_by').references(() => users.id),
    takenAt: timestamp('taken_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('snapshots_call_idx').on(t.callId)],
);

/** The call's text chat, part of the record (it helps deaf victims; policy 4.0). */
export const chatMessages = pgTable(
  'chat_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    participantId: uuid('participant_id').references(() => callParticipants.id),
    role: text('role').notNull(),
    text: text('text').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [index('chat_messages_call_idx').on(t.callId, t.id)],
);

/**
 * Others present during the call (RVR-13, collateral intrusion): a range the officer marked with one tap while the
 * call was live ("child in view/hearing", "another adult in view/hearing", "victim's face not to be shown"). Times
 * are the server's UTC clock; a mark still open when the call ends is ended with it. The starting ranges of a
 * redaction (issue 15 §3).
 */
export const collateralMarks = pgTable(
  'collateral_marks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** child | adult | hide_face (src/domain/collateral-marks.ts). */
    kind: text('kind').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    startedBy: uuid('started_by')
      .notNull()
      .references(() => users.id),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** `user:<id>` when the officer tapped it off, `system:call` when the call's end closed it. */
    endedBy: text('ended_by'),
  },
  (t) => [
    index('collateral_marks_call_idx').on(t.callId, t.startedAt),
    index('collateral_marks_consultation_idx').on(t.consultationId),
    // At most one open mark of a kind per call: a double tap cannot open two.
    uniqueIndex('collateral_marks_one_open_idx')
      .on(t.callId, t.kind)
      .where(sql`ended_at is null`),
  ],
);
