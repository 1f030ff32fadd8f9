import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

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
  },
  (t) => [index('sessions_user_idx').on(t.userId), index('sessions_expires_idx').on(t.expiresAt)],
);

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

/** Keys for the CAD integration API: stored hashed, scoped, revocable. */
export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  /** The public part of the key, for lookup; the secret part is only ever stored hashed. */
  prefix: text('prefix').notNull().unique(),
  secretHash: text('secret_hash').notNull(),
  scopes: jsonb('scopes').notNull(),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
});

/** A retried API request with the same Idempotency-Key gets the first answer again, never a second incident. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    apiKeyId: uuid('api_key_id')
      .notNull()
      .references(() => apiKeys.id),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.key] })],
);

/** RVR officer availability: set by the officer, and by the system when a call starts or ends. */
export const officerAvailability = pgTable('officer_availability', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  status: text('status').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

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
  },
  (t) => [
    index('calls_consultation_idx').on(t.consultationId),
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
    firstPacketAt: timestamp('first_packet_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    sha256: text('sha256'),
    sizeBytes: integer('size_bytes'),
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
 * Anything kept as evidence: a recording segment, a snapshot, the officer's notes, a working copy (EVD-01).
 * The master file under `file_key` is written once and never modified; `sha256` is its hash when closed.
 */
export const evidenceItems = pgTable(
  'evidence_items',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id').references(() => calls.id),
    /** recording | snapshot | notes | working_copy */
    kind: text('kind').notNull(),
    /** The row this item was made from (a recording or snapshot id), so an item is registered once. */
    sourceId: text('source_id').notNull().unique(),
    label: text('label').notNull(),
    fileKey: text('file_key').notNull().unique(),
    mediaType: text('media_type').notNull(),
    sha256: text('sha256').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    capturedAt: timestamp('captured_at', { withTimezone: true }).notNull(),
    capturedBy: text('captured_by').notNull(),
    ownerId: uuid('owner_id').references(() => users.id),
    classification: text('classification').notNull().default('OFFICIAL-SENSITIVE'),
    derivedFrom: jsonb('derived_from'),
    /** present → disposing → disposed (two steps, so a crash between deleting the file and the row is resumed). */
    state: text('state').notNull().default('present'),
    restrictedAt: timestamp('restricted_at', { withTimezone: true }),
    restrictionReason: text('restriction_reason'),
    retentionBasis: text('retention_basis').notNull().default('Not yet assessed'),
    reviewDueAt: timestamp('review_due_at', { withTimezone: true }),
    disposalEligibleAt: timestamp('disposal_eligible_at', { withTimezone: true }),
    /** unverified | ok | mismatch | missing: the latest scheduled re-hash of the master (EVD-02). */
    integrity: text('integrity').notNull().default('unverified'),
    integrityCheckedAt: timestamp('integrity_checked_at', { withTimezone: true }),
    disposedAt: timestamp('disposed_at', { withTimezone: true }),
    disposalId: uuid('disposal_id'),
  },
  (t) => [index('evidence_items_consultation_idx').on(t.consultationId), index('evidence_items_disposal_idx').on(t.state, t.disposalEligibleAt)],
);

/** The retention facts of one consultation's material: MOPI group, CPIA case status, evidential or not (RET-07..RET-22). */
export const evidenceRetention = pgTable('evidence_retention', {
  consultationId: uuid('consultation_id')
    .primaryKey()
    .references(() => consultations.id),
  evidential: boolean('evidential').notNull().default(true),
  mopiGroup: text('mopi_group'),
  caseStatus: jsonb('case_status').notNull(),
  complaintOrClaim: boolean('complaint_or_claim').notNull().default(false),
  clearPeriodStart: timestamp('clear_period_start', { withTimezone: true }),
  lastReviewRetainUntil: timestamp('last_review_retain_until', { withTimezone: true }),
  /** When the latest NRAC review found no reason to keep the material (group 2 and undetected need one). */
  nracDisposeDecidedAt: timestamp('nrac_dispose_decided_at', { withTimezone: true }),
  scheduleVersion: text('schedule_version').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  updatedBy: uuid('updated_by').references(() => users.id),
});

/** A legal hold on a consultation's material: blocks disposal and purge whatever the dates say. */
export const legalHolds = pgTable(
  'legal_holds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    type: text('type').notNull(),
    rationale: text('rationale').notNull(),
    placedBy: uuid('placed_by')
      .notNull()
      .references(() => users.id),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull(),
    releasedBy: uuid('released_by').references(() => users.id),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    releaseRationale: text('release_rationale'),
  },
  (t) => [index('legal_holds_consultation_idx').on(t.consultationId)],
);

/** A recorded retention review: reviewer, NRAC answers, decision and rationale (RET-03, RET-13). */
export const retentionReviews = pgTable(
  'retention_reviews',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    reviewerId: uuid('reviewer_id')
      .notNull()
      .references(() => users.id),
    answers: jsonb('answers').notNull(),
    decision: text('decision').notNull(),
    rationale: text('rationale').notNull(),
    nextReviewAt: timestamp('next_review_at', { withTimezone: true }),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('retention_reviews_consultation_idx').on(t.consultationId)],
);

/** One run of the disposal job: what was (or, in a dry run, would be) disposed, as a certificate (DP-03). */
export const evidenceDisposals = pgTable('evidence_disposals', {
  id: uuid('id').primaryKey().defaultRandom(),
  dryRun: boolean('dry_run').notNull(),
  ranAt: timestamp('ran_at', { withTimezone: true }).notNull(),
  ranBy: text('ran_by').notNull(),
  items: jsonb('items').notNull(),
  /** The certificate exactly as issued (JSON text), and its SHA-256. */
  certificate: text('certificate').notNull(),
  certificateSha256: text('certificate_sha256').notNull(),
});

/**
 * Long-running evidence work, visible while it runs: a court working copy (ffmpeg) or an export to the force's
 * evidence system. `state` moves queued → running → done | failed (working copy) or queued → sending →
 * delivered → verified | failed (export), then purged once the local copies are deleted (RET-23).
 */
export const evidenceTasks = pgTable(
  'evidence_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    state: text('state').notNull(),
    progress: integer('progress').notNull().default(0),
    itemIds: jsonb('item_ids').notNull(),
    resultItemId: uuid('result_item_id'),
    sink: text('sink'),
    manifestSha256: text('manifest_sha256'),
    receipt: jsonb('receipt'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    requestedBy: uuid('requested_by').references(() => users.id),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    purgeAfter: timestamp('purge_after', { withTimezone: true }),
    purgedAt: timestamp('purged_at', { withTimezone: true }),
  },
  (t) => [index('evidence_tasks_consultation_idx').on(t.consultationId), index('evidence_tasks_state_idx').on(t.state)],
);

// ---- Issue 7: the officer's investigation, supervision and the outcome measures ----

/**
 * A risk assessment on a pluggable form (DASH2009 now; DARA or a force variant later: DASH-02, DASH-08). The
 * form version is stored with every row and counts are never mixed across versions. A completed or
 * signed-off assessment is never edited: an amendment is a new row (version + 1) that supersedes it, with a reason.
 */
export const riskAssessments = pgTable(
  'risk_assessments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** Which form engine: 'DASH2009'. */
    formVersion: text('form_version').notNull(),
    /** 1 for the first assessment of a consultation; each amendment adds one. */
    version: integer('version').notNull().default(1),
    supersedesId: uuid('supersedes_id'),
    amendmentReason: text('amendment_reason'),
    /** draft → completed → signed_off; a version replaced by an amendment becomes superseded. */
    state: text('state').notNull(),
    /** { [questionId]: { answer: 'yes' | 'no' | 'not_known', comment?: string } } */
    answers: jsonb('answers').notNull(),
    /** Facts beside the form that the MARAC rules need (DASH-03 c/d, DASH-07). */
    priorIncidents12Months: integer('prior_incidents_12_months'),
    lastMaracReferralAt: timestamp('last_marac_referral_at', { withTimezone: true }),
    victimAgeBand: text('victim_age_band'),
    /** The officer's professional judgement: may raise the grade, never lower an actuarial High (DASH-04). */
    grade: text('grade'),
    judgementReferral: boolean('judgement_referral').notNull().default(false),
    judgementReason: text('judgement_reason'),
    /** Computed when completed, stored so a later change of bands does not rewrite history. */
    yesCount: integer('yes_count'),
    actuarialGrade: text('actuarial_grade'),
    maracReferral: boolean('marac_referral'),
    maracReasons: jsonb('marac_reasons'),
    highRiskFlags: jsonb('high_risk_flags'),
    routing: text('routing'),
    /** The scoring settings used (bands, escalation threshold), so the result can be re-derived. */
    scoringSettings: jsonb('scoring_settings'),
    /** Bumped on every save: a save applies only to the revision it read (no lost autosaves). */
    revision: integer('revision').notNull().default(1),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    completedBy: uuid('completed_by').references(() => users.id),
    signedOffAt: timestamp('signed_off_at', { withTimezone: true }),
    signedOffBy: uuid('signed_off_by').references(() => users.id),
    signOffNote: text('sign_off_note'),
    evidenceItemId: uuid('evidence_item_id').references(() => evidenceItems.id),
  },
  (t) => [uniqueIndex('risk_assessments_version_idx').on(t.consultationId, t.version), index('risk_assessments_state_idx').on(t.state)],
);

/** The lines of enquiry an in-person first response covers (RVR-08): one row per consultation and line. */
export const enquiryLines = pgTable(
  'enquiry_lines',
  {
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    line: text('line').notNull(),
    /** done | not_applicable | not_possible (not_possible needs a reason). */
    status: text('status').notNull(),
    reason: text('reason'),
    /** Snapshot or upload evidence item ids that show this line (injuries photographed). */
    evidenceItemIds: jsonb('evidence_item_ids'),
    updatedBy: uuid('updated_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consultationId, t.line] })],
);

/**
 * The victim's account as the officer typed it, shown to the victim to correct and confirm. The exact
 * text confirmed and its SHA-256 are stored with the typed name (the signature) and become an evidence item.
 */
export const victimStatements = pgTable('victim_statements', {
  id: uuid('id').primaryKey().defaultRandom(),
  consultationId: uuid('consultation_id')
    .notNull()
    .unique()
    .references(() => consultations.id),
  /** draft → shared (on the victim's page) → correction_requested → shared … → confirmed. */
  state: text('state').notNull(),
  text: text('text').notNull(),
  revision: integer('revision').notNull().default(1),
  sharedAt: timestamp('shared_at', { withTimezone: true }),
  /** [{ at, text }]: what the victim asked to be corrected, in their words. */
  corrections: jsonb('corrections').notNull(),
  confirmedText: text('confirmed_text'),
  confirmedSha256: text('confirmed_sha256'),
  signatureName: text('signature_name'),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  evidenceItemId: uuid('evidence_item_id').references(() => evidenceItems.id),
  updatedBy: uuid('updated_by').references(() => users.id),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  createdAt: createdAt(),
});

/** What came of the consultation: each one a timestamped event, read by the CAD API and the outcome measures. */
export const consultationOutcomes = pgTable(
  'consultation_outcomes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    /** crime_recorded | arrest_requested | patrol_tasked | attendance_escalated | referral_made | no_further_action */
    kind: text('kind').notNull(),
    details: jsonb('details').notNull(),
    recordedBy: uuid('recorded_by').references(() => users.id),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('consultation_outcomes_consultation_idx').on(t.consultationId, t.recordedAt), index('consultation_outcomes_kind_idx').on(t.kind, t.recordedAt)],
);

/** "I'm not safe" from the victim's page (RVR-11): when it was raised, seen and escalated. */
export const safetyAlerts = pgTable(
  'safety_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    consultationId: uuid('consultation_id')
      .notNull()
      .references(() => consultations.id),
    callId: uuid('call_id').references(() => calls.id),
    participantId: uuid('participant_id').references(() => callParticipants.id),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: uuid('acknowledged_by').references(() => users.id),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    escalatedBy: uuid('escalated_by').references(() => users.id),
    outcomeId: uuid('outcome_id').references(() => consultationOutcomes.id),
  },
  (t) => [index('safety_alerts_consultation_idx').on(t.consultationId)],
);

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
