import { bigserial, boolean, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../../platform/db/columns.js';
import { users } from '../../platform/auth/identity.schema.js';

export const incidents = pgTable('incidents', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** One RVR consultation per CAD incident: a duplicate reference is refused (409). */
  cadReference: text('cad_reference').notNull().unique(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
  grade: integer('grade').notNull(),
  callerName: text('caller_name').notNull(),
  callerPhone: text('caller_phone').notNull(),
  relationship: text('relationship'),
  location: text('location'),
  needs: text('needs'),
  ageBand: text('age_band'),
  spokenLanguage: text('spoken_language'),
  bslNeeded: boolean('bsl_needed').notNull().default(false),
  hearingNeed: boolean('hearing_need').notNull().default(false),
  summary: text('summary'),
  /** How the incident arrived: the call-handler form, or the CAD API (with the key's name). */
  source: text('source').notNull().default('form'),
  createdBy: uuid('created_by').references(() => users.id),
  createdAt: createdAt(),
});

export const consultations = pgTable(
  'consultations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reference: text('reference').notNull().unique(),
    incidentId: uuid('incident_id')
      .notNull()
      .references(() => incidents.id),
    state: text('state').notNull(),
    officerId: uuid('officer_id').references(() => users.id),
    interpreterRequired: boolean('interpreter_required').notNull().default(false),
    /** SC-1: the purpose the session is for (PURPOSE_CODES); every recording of it carries the same code. */
    purposeCode: text('purpose_code').notNull().default('DA_RVR_INVESTIGATION'),
    /** Issue 17 §2: the caller's language chosen at triage ('en' or 'cy'): the texts' language and the victim page's default. */
    language: text('language').notNull().default('en'),
    /** Bumped on every transition; an update only applies to the version it read (no lost updates). */
    version: integer('version').notNull().default(1),
    triagedAt: timestamp('triaged_at', { withTimezone: true }).notNull().defaultNow(),
    queuedAt: timestamp('queued_at', { withTimezone: true }),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    invitedAt: timestamp('invited_at', { withTimezone: true }),
    victimJoinedAt: timestamp('victim_joined_at', { withTimezone: true }),
    connectedAt: timestamp('connected_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('consultations_state_idx').on(t.state), index('consultations_incident_idx').on(t.incidentId)],
);

export const consultationEvents = pgTable(
  'consultation_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    actorId: uuid('actor_id').references(() => users.id),
    actorRole: text('actor_role').notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('consultation_events_consultation_idx').on(t.consultationId, t.id)],
);
