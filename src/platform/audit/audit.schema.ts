import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Append-only (a trigger refuses UPDATE and DELETE) and hash-chained: DPA 2018 s.62 logging (DP-01). */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    what: text('what').notNull(),
    who: text('who').notNull(),
    subject: text('subject'),
    correlationId: text('correlation_id'),
    /** DP-04: the role the actor acted in, their session (public id), address, and the recipient of a disclosure. */
    actorRole: text('actor_role'),
    sessionId: text('session_id'),
    clientIp: text('client_ip'),
    recipient: text('recipient'),
    justification: text('justification'),
    details: jsonb('details')
      .notNull()
      .default(sql`'{}'::jsonb`),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull().unique(),
    /**
     * DP-01 (issue 12): the id of the audit key whose HMAC made `hash` (the key itself is configuration, never stored).
     * NULL for events written before migration 0007, which were plain SHA-256.
     */
    keyId: text('key_id'),
  },
  (t) => [index('audit_events_subject_idx').on(t.subject), index('audit_events_what_idx').on(t.what)],
);
