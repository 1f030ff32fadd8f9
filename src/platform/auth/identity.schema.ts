import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.js';

export const roles = pgTable('roles', {
  name: text('name').primaryKey(),
  description: text('description').notNull(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull().unique(),
    displayName: text('display_name').notNull(),
    /** Null for accounts that only sign in through the force's identity provider (OIDC). */
    passwordHash: text('password_hash'),
    isDemo: boolean('is_demo').notNull().default(false),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    /** TOTP secret, encrypted (AES-256-GCM, key derived from SESSION_SECRET); set once enrolment is confirmed. */
    mfaSecret: text('mfa_secret'),
    mfaEnrolledAt: timestamp('mfa_enrolled_at', { withTimezone: true }),
    /** A secret shown for enrolment but not yet confirmed with a code. */
    mfaPendingSecret: text('mfa_pending_secret'),
    /** The last TOTP time step accepted: a code can be used once (no replay within its 30 s window). */
    mfaLastStep: integer('mfa_last_step'),
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastSignInAt: timestamp('last_sign_in_at', { withTimezone: true }),
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_oidc_identity_idx').on(t.oidcIssuer, t.oidcSubject)],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role')
      .notNull()
      .references(() => roles.name),
  },
  (t) => [primaryKey({ columns: [t.userId, t.role] })],
);

/**
 * A role an administrator asked to give that needs a second administrator's approval (issue 12 item 6): admin, dpo,
 * evidence_manager, professional_standards. Approved only by an administrator who is neither the requester nor the
 * recipient; every step is audited. At most one pending request per account and role.
 */
export const roleGrantRequests = pgTable(
  'role_grant_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role')
      .notNull()
      .references(() => roles.name),
    requestedBy: uuid('requested_by')
      .notNull()
      .references(() => users.id),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    /** pending → approved | refused (by another administrator) | withdrawn (by the requester). */
    state: text('state').notNull().default('pending'),
    decidedBy: uuid('decided_by').references(() => users.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    decisionReason: text('decision_reason'),
  },
  (t) => [
    uniqueIndex('role_grant_requests_one_pending_idx')
      .on(t.userId, t.role)
      .where(sql`state = 'pending'`),
    index('role_grant_requests_state_idx').on(t.state),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie token: a database read never yields a usable session. */
    tokenHash: text('token_hash').primaryKey(),
    /** A public handle for listing and ending a session (never the token). */
    id: uuid('id').notNull().defaultRandom().unique(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    endedReason: text('ended_reason'),
    userAgent: text('user_agent'),
    clientIp: text('client_ip'),
    /** How the password step was passed: local password or single sign-on. */
    method: text('method').notNull().default('password'),
    /** Null while the second factor is still to be given; the session can then only reach the MFA pages. */
    mfaVerifiedAt: timestamp('mfa_verified_at', { withTimezone: true }),
    /** SEC-07: when the user last re-authenticated on this session (step-up); sensitive routes need it recent. */
    steppedUpAt: timestamp('stepped_up_at', { withTimezone: true }),
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

/** The force's RVR policy / SOP; each user acknowledges the current version before using RVR (SC-5). */
export const policyVersions = pgTable('policy_versions', {
  id: uuid('id').primaryKey().defaultRandom(),
  version: integer('version').notNull().unique(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  url: text('url'),
  publishedBy: uuid('published_by').references(() => users.id),
  publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
});

export const policyAcknowledgements = pgTable(
  'policy_acknowledgements',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    policyVersionId: uuid('policy_version_id')
      .notNull()
      .references(() => policyVersions.id),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.policyVersionId] })],
);
