import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RETENTION_SCHEDULE, type RetentionSchedule } from './domain/retention.js';
import { locationLinkTemplateProblem } from './domain/victim-location.js';
import type { EvidenceSinkConfig } from './platform/evidence-sink/create-evidence-sink.js';
import type { StorageConfig } from './platform/storage/create-blob-store.js';
import { parseOidcConfig, type OidcConfig } from './platform/auth/oidc-config.js';
import { parseAuditConfig, type AuditConfig } from './platform/audit/audit-config.js';
import { parseTrustProxy, type TrustProxy } from './platform/http/trust-proxy.js';
import { secretStrengthProblem } from './platform/auth/secret-strength.js';
import { STANDARD_PASSWORD_HASHING, TEST_ONLY_PASSWORD_HASHING, type PasswordHashing } from './platform/auth/password.js';
import type { MetricsConfig } from './platform/metrics/metrics.js';
import type { SmsConfig } from './platform/sms/create-sms-sender.js';
import { parseNodeConfig, type NodeConfig } from './features/media-nodes/node-config.js';
import { CLOCK_STARTS, type ClockStart } from './domain/subject-request-clock.js';
import { parseGovernanceConfig, type GovernanceConfig } from './features/governance/governance-config.js';
import { translator } from './platform/i18n/i18n.js';

export type { MetricsConfig, SmsConfig };

/** One typed configuration, read only from environment variables (README "Configuration"). */
export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  dataDir: string;
  /** undefined means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  /** The owner role's URL, used only to migrate (and grant the application role); undefined: migrate over databaseUrl. */
  databaseMigrationUrl: string | undefined;
  /** The root of the per-purpose keys (ADR 0008): cookie signing, TOTP seed encryption, evidence grants. */
  sessionSecret: string;
  /** During a rotation, the secret before: what it signed or sealed is still accepted, and re-sealed on use. */
  sessionSecretPrevious: string | undefined;
  publicBaseUrl: string;
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  /** SEC-07: how long a step-up re-authentication lets sensitive actions through on that session. */
  stepUpMaxAgeMinutes: number;
  /** Issue 16 §3: how long an investigator's break-glass access to a case they are not assigned lasts. */
  breakGlassMinutes: number;
  /** Every account must enrol and use TOTP (SEC-08); always true in production. */
  mfaRequired: boolean;
  /** argon2id's cost: OWASP's minimum, unless a test run asks for PASSWORD_HASHING=test-only-weak (refused outside NODE_ENV=test). */
  passwordHashing: PasswordHashing;
  /** Failed sign-ins in a row before the account pauses, with the pause doubling each further failure. */
  lockoutThreshold: number;
  signInAttemptsPerMinute: number;
  /** Single sign-on; undefined when OIDC_ISSUER_URL is not set. */
  oidc: OidcConfig | undefined;
  /** The name shown in authenticator apps and page headers, e.g. "Kent Police RVR". */
  serviceName: string;
  sms: SmsConfig;
  call: CallConfig;
  evidence: EvidenceConfig;
  investigation: InvestigationConfig;
  /** EVD-05, SC-11: warn when this server's clock drifts from the database's (and an NTP server's, if set) by more than driftWarnMs. */
  clock: { driftWarnMs: number; ntpServer: string | undefined };
  /** DP-07: the data subject's request clock counts its month from the day of receipt or the day after (SAR_CLOCK_START). */
  subjectRequests: { clockStart: ClockStart };
  supervision: SupervisionConfig;
  outcomes: OutcomesConfig;
  appointments: AppointmentsConfig;
  audit: AuditConfig;
  seedDemoData: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `json` (one object a line, for machines) or `pretty` (pino-pretty, a development dependency: `npm run dev`). */
  logFormat: 'json' | 'pretty';
  bodyLimitBytes: number;
  /** Whose X-Forwarded-For is believed for the client address (TRUST_PROXY); default nobody's. */
  trustProxy: TrustProxy;
  metrics: MetricsConfig;
  /** This process as a node of the installation: id, roles, internal address, cluster secret (ADR 0013). */
  node: NodeConfig;
  /** DP-13, SC-2: live calls need an approved, in-date DPIA (recorded on /admin/dpia); always on in production. */
  dpia: { required: boolean };
  /** Issue 16 §3: purpose codes (SC-1), the protective marking (SEC-05) and the training gate (SC-8). */
  governance: GovernanceConfig;
}

/** Evidence, retention and disposal (issue 6). */
export interface EvidenceConfig {
  /** The MOPI/CPIA/NPCC periods in force (RET-08..RET-22), versioned so each decision names the schedule it used. */
  retentionSchedule: RetentionSchedule;
  /** When the integrity job re-hashes every master, and when the disposal job runs (cron, Europe/London). */
  integrityCron: string;
  disposalCron: string;
  /** Where exports go: a folder (default `DATA_DIR/exports`), S3-compatible storage, or an HTTP receiver (EVD-06). */
  sink: EvidenceSinkConfig;
  /** Where the masters are kept: local disk (default) or S3 with Object Lock (issue 15). */
  storage: StorageConfig;
  /** RET-23: days after the receiver's hashes are confirmed before the platform's own copies are purged. */
  purgeAfterDays: number;
  /**
   * Whether verified exports lead to the purge at all. Default: yes for S3 and HTTP (the receiver hashed what it
   * holds), no for a folder drop, whose hashes only show the copy was written; set true once the DEMS ingests it.
   */
  purgeExported: boolean;
  /**
   * EVD-08: what an export carries by default while the case is pre-charge (under investigation or NFA): `redacted`
   * (approved redacted copies in place of their masters), `master` or `both`. After charge the default is `both`; the
   * disclosure officer may choose otherwise for any export (ADR 0015).
   */
  exportPreChargeDefault: ExportCarry;
}

/** What an evidence export carries: approved redacted copies instead of their masters, the masters only, or both. */
export type ExportCarry = 'redacted' | 'master' | 'both';
export const EXPORT_CARRIES: readonly ExportCarry[] = ['redacted', 'master', 'both'];

/** The officer's investigation (issue 7): risk scoring and outcome validation. */
export interface InvestigationConfig {
  /** DASH-05: yes-counts from which the actuarial grade is Medium and High (local bands, not national). */
  dashMediumFrom: number;
  dashHighFrom: number;
  /** DASH-03(c): DA incidents in 12 months that make a MARAC referral on potential escalation. */
  maracEscalationIncidents: number;
  /** The force's crime reference format, checked when a crime is recorded. */
  crimeReferencePattern: RegExp;
}

/** Supervision (issue 7): quality review sampling and live observation. */
export interface SupervisionConfig {
  /** EVD-15: the share of ended consultations queued for review at random (every High-risk one is queued too). */
  reviewSamplePercent: number;
  /** Whether the victim's page says a supervisor is watching (default yes). */
  tellVictimWhenObserved: boolean;
}

/** The trial's outcome measures (issue 7): the satisfaction survey. */
export interface OutcomesConfig {
  surveyDelayMinutes: number;
  surveyTtlHours: number;
  /** Policy 2.2: the trial's standard arm is surveyed too, this long after triage (the in-person attendance comes first). */
  surveyStandardArmDelayHours: number;
  /** The survey text; `{link}` is replaced by the link. Neutral: it must not reveal police involvement (RVR-11). */
  surveyText: string;
  /** The same in Welsh, for a caller who chose Welsh at triage (issue 17 §2). */
  surveyTextCy: string;
}

/**
 * Issue 17 §4 (policy 4.0): a video appointment for later. The texts are neutral (RVR-11): `{time}` is replaced by the
 * slot in UK time, `{link}` by the link.
 */
export interface AppointmentsConfig {
  reminderMinutes: number;
  windowBeforeMinutes: number;
  windowAfterMinutes: number;
  maxDaysAhead: number;
  maxChangeRequests: number;
  bookingText: string;
  reminderText: string;
  /** Issue 17 §2: the same texts in Welsh, for a caller who chose Cymraeg at triage. */
  bookingTextCy: string;
  reminderTextCy: string;
}

export const DEFAULT_APPOINTMENT_BOOKING_TEXT = 'Your video appointment is on {time}. Details, or to ask for another time: {link}';
export const DEFAULT_APPOINTMENT_REMINDER_TEXT = 'Your video call is at {time}. Here is the link for your video call: {link}';

// Issue 17 §2: the default texts are the message catalogs' (src/platform/i18n/locales), in English and Welsh.
export const DEFAULT_SURVEY_TEXT = translator('en')('sms.survey');
export const DEFAULT_SURVEY_TEXT_CY = translator('cy')('sms.survey');
export const DEFAULT_CRIME_REFERENCE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9/-]{3,29}$';

/** The video call (issue 5): links, the victim's page and the media plane. */
export interface CallConfig {
  inviteTtlMinutes: number;
  /** The text message; `{link}` is replaced by the link. Neutral by default: an abuser may read the phone. */
  inviteText: string;
  /** The same in Welsh, for a caller who chose Welsh at triage (issue 17 §2). */
  inviteTextCy: string;
  /** How long a dropped participant may rejoin with their call session before they are treated as gone. */
  reconnectGraceSeconds: number;
  maxCallMinutes: number;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
  icePortRange: [number, number] | undefined;
  maxVideoBitrate: number;
  /** Media worker processes per node (ADR 0012); 0 runs the rooms in the server process itself (benchmarks, debugging). */
  mediaWorkers: number;
  /** On SIGTERM, how long the node waits for its calls to end before stopping them (as interrupted). */
  mediaDrainSeconds: number;
  /** Where "Exit this page" goes (GOV.UK recommends a neutral, popular page). */
  quickExitUrl: string;
  /** Who the victim is told is calling, and the contact point for information and complaints (SC-3). */
  forceName: string;
  privacyContact: string;
  /** The same two on the Welsh pages (issue 17 §2). */
  forceNameCy: string;
  privacyContactCy: string;
  /** Photos and videos the victim sends during the call: the largest file, and how many per call. */
  uploadMaxBytes: number;
  uploadMaxPerCall: number;
  /**
   * Issue 17 §1: the officer's link to the victim's shared location in the force's own mapping system, with {lat},
   * {lon} (and optionally {accuracy}) where the URL-encoded values go; undefined shows no link.
   */
  locationLinkTemplate: string | undefined;
}

export const DEFAULT_INVITE_TEXT = translator('en')('sms.invite');
export const DEFAULT_INVITE_TEXT_CY = translator('cy')('sms.invite');
export const DEFAULT_APPOINTMENT_BOOKING_TEXT_CY = translator('cy')('sms.appointmentBooking');
export const DEFAULT_APPOINTMENT_REMINDER_TEXT_CY = translator('cy')('sms.appointmentReminder');
const DEFAULT_FORCE_NAME = 'your local police force';
const DEFAULT_FORCE_NAME_CY = 'eich heddlu lleol';
const DEFAULT_PRIVACY_CONTACT =
  "To ask for a copy of what we hold about you, or to complain, contact the force's data protection office through its website or on 101.";
const DEFAULT_PRIVACY_CONTACT_CY =
  'I ofyn am gopi o’r hyn sydd gennym amdanoch, neu i gwyno, cysylltwch â swyddfa diogelu data’r heddlu drwy ei wefan neu ar 101.';

export const DEV_SESSION_SECRET = 'dev-only-session-secret-do-not-use-in-production';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? fallback : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = text(name, fallback);
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  };

  const pattern = (name: string, fallback: string): RegExp => {
    const raw = text(name, fallback);
    try {
      return new RegExp(raw);
    } catch {
      problems.push(`${name} must be a regular expression (got "${raw}")`);
      return new RegExp(fallback);
    }
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const production = nodeEnv === 'production';
  const port = integer('PORT', 3000, 0, 65535);
  const host = text('HOST', production ? '0.0.0.0' : 'localhost');
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// connection URL');
  }
  const databaseMigrationUrl = env.DATABASE_MIGRATION_URL?.trim() || undefined;
  if (databaseMigrationUrl && (!/^postgres(ql)?:\/\//.test(databaseMigrationUrl) || !databaseUrl)) {
    problems.push('DATABASE_MIGRATION_URL must be a postgres:// URL for the owner role, and needs DATABASE_URL (the application role) too');
  }
  const nonEvidentialDays = integer('RETENTION_NON_EVIDENTIAL_DAYS', 31, 1, 3650);
  const evidenceSink = parseEvidenceSink(env, problems, path.resolve(text('DATA_DIR', './data')));
  const publicBaseUrl = text('PUBLIC_BASE_URL', `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicBaseUrl);
  } catch {
    problems.push(`PUBLIC_BASE_URL must be an absolute URL such as https://rvr.example.police.uk (got "${publicBaseUrl}")`);
  }
  const sessionSecret = text('SESSION_SECRET', DEV_SESSION_SECRET);
  const sessionSecretPrevious = env.SESSION_SECRET_PREVIOUS?.trim() || undefined;
  if (sessionSecretPrevious !== undefined && sessionSecretPrevious === sessionSecret)
    problems.push('SESSION_SECRET_PREVIOUS must differ from SESSION_SECRET (it is the secret being rotated out)');
  const smsProvider = oneOf('SMS_PROVIDER', ['outbox', 'notify', 'twilio'] as const, 'outbox');
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push(`${name} is required when SMS_PROVIDER=${smsProvider}`);
    return value ?? '';
  };
  const optionalUrl = (name: string): string | undefined => {
    const value = env[name]?.trim() || undefined;
    if (value && !/^https?:\/\//.test(value)) problems.push(`${name} must be an http(s) URL (got "${value}")`);
    return value;
  };
  let sms: SmsConfig = { provider: 'outbox' };
  if (smsProvider === 'notify') {
    sms = { provider: 'notify', apiKey: required('NOTIFY_API_KEY'), templateId: required('NOTIFY_TEMPLATE_ID'), baseUrl: optionalUrl('NOTIFY_BASE_URL') };
  } else if (smsProvider === 'twilio') {
    const from = env.TWILIO_FROM?.trim() || undefined;
    const messagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID?.trim() || undefined;
    if (!from === !messagingServiceSid) problems.push('Set exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID when SMS_PROVIDER=twilio');
    sms = {
      provider: 'twilio',
      accountSid: required('TWILIO_ACCOUNT_SID'),
      authToken: required('TWILIO_AUTH_TOKEN'),
      from,
      messagingServiceSid,
      baseUrl: optionalUrl('TWILIO_BASE_URL'),
    };
  }
  const inviteText = text('INVITE_SMS_TEXT', DEFAULT_INVITE_TEXT);
  if (!inviteText.includes('{link}')) problems.push('INVITE_SMS_TEXT must contain {link}, where the link goes');
  const inviteTextCy = text('INVITE_SMS_TEXT_CY', DEFAULT_INVITE_TEXT_CY);
  if (!inviteTextCy.includes('{link}')) problems.push('INVITE_SMS_TEXT_CY must contain {link}, where the link goes');
  const surveyText = text('SURVEY_SMS_TEXT', DEFAULT_SURVEY_TEXT);
  const locationLinkTemplate = env.LOCATION_LINK_TEMPLATE?.trim() || undefined;
  const locationLinkProblem = locationLinkTemplate ? locationLinkTemplateProblem(locationLinkTemplate) : undefined;
  if (locationLinkProblem) problems.push(locationLinkProblem);
  if (!surveyText.includes('{link}')) problems.push('SURVEY_SMS_TEXT must contain {link}, where the link goes');
  const appointmentBookingText = text('APPOINTMENT_BOOKING_SMS_TEXT', DEFAULT_APPOINTMENT_BOOKING_TEXT);
  const appointmentReminderText = text('APPOINTMENT_REMINDER_SMS_TEXT', DEFAULT_APPOINTMENT_REMINDER_TEXT);
  const appointmentBookingTextCy = text('APPOINTMENT_BOOKING_SMS_TEXT_CY', DEFAULT_APPOINTMENT_BOOKING_TEXT_CY);
  const appointmentReminderTextCy = text('APPOINTMENT_REMINDER_SMS_TEXT_CY', DEFAULT_APPOINTMENT_REMINDER_TEXT_CY);
  for (const [name, value] of [
    ['APPOINTMENT_BOOKING_SMS_TEXT', appointmentBookingText],
    ['APPOINTMENT_REMINDER_SMS_TEXT', appointmentReminderText],
    ['APPOINTMENT_BOOKING_SMS_TEXT_CY', appointmentBookingTextCy],
    ['APPOINTMENT_REMINDER_SMS_TEXT_CY', appointmentReminderTextCy],
  ] as const) {
    if (!value.includes('{link}') || !value.includes('{time}')) problems.push(`${name} must contain {time} and {link}, where the time and the link go`);
  }
  const surveyTextCy = text('SURVEY_SMS_TEXT_CY', DEFAULT_SURVEY_TEXT_CY);
  if (!surveyTextCy.includes('{link}')) problems.push('SURVEY_SMS_TEXT_CY must contain {link}, where the link goes');
  const forceName = text('FORCE_NAME', DEFAULT_FORCE_NAME);
  const privacyContact = text('FORCE_PRIVACY_CONTACT', DEFAULT_PRIVACY_CONTACT);
  let iceServers: CallConfig['iceServers'] = [];
  const rawIce = env.ICE_SERVERS?.trim();
  if (rawIce) {
    try {
      const parsed: unknown = JSON.parse(rawIce);
      if (!Array.isArray(parsed) || !parsed.every((s) => s && typeof s === 'object' && 'urls' in s)) throw new Error('not a list of {urls}');
      iceServers = parsed as CallConfig['iceServers'];
    } catch {
      problems.push(
        'ICE_SERVERS must be JSON like [{"urls":"stun:stun.example.org:3478"},{"urls":"turn:turn.example.org:3478","username":"u","credential":"p"}]',
      );
    }
  }
  let icePortRange: [number, number] | undefined;
  const rawRange = env.ICE_PORT_RANGE?.trim();
  if (rawRange) {
    const match = /^(\d+)-(\d+)$/.exec(rawRange);
    const low = Number(match?.[1]);
    const high = Number(match?.[2]);
    if (!match || low < 1024 || high > 65535 || low > high) problems.push(`ICE_PORT_RANGE must look like 40000-40999 (got "${rawRange}")`);
    else icePortRange = [low, high];
  }
  const quickExitUrl = text('QUICK_EXIT_URL', 'https://www.bbc.co.uk/weather');
  if (!/^https?:\/\//.test(quickExitUrl)) problems.push(`QUICK_EXIT_URL must be an http(s) URL (got "${quickExitUrl}")`);
  const seedDemoData = boolean('SEED_DEMO_DATA', !production);
  const mfaRequired = boolean('MFA_REQUIRED', production);
  const dpiaRequired = boolean('DPIA_REQUIRED', production);
  const logFormat = oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json');
  const passwordHashing = oneOf('PASSWORD_HASHING', ['standard', 'test-only-weak'] as const, 'standard');
  if (passwordHashing !== 'standard' && nodeEnv !== 'test')
    problems.push(`PASSWORD_HASHING=${passwordHashing} is for the test suite only (NODE_ENV=test); leave it unset`);

  if (production) {
    if (!databaseUrl) problems.push('DATABASE_URL is required in production: the embedded PGlite database is for a single development machine');
    if (sessionSecret === DEV_SESSION_SECRET)
      problems.push('SESSION_SECRET is required in production (at least 32 random characters, e.g. `openssl rand -hex 32`)');
    else {
      const weak = secretStrengthProblem('SESSION_SECRET', sessionSecret);
      if (weak) problems.push(weak);
    }
    if (sessionSecretPrevious !== undefined) {
      const weak =
        sessionSecretPrevious === DEV_SESSION_SECRET
          ? 'SESSION_SECRET_PREVIOUS must not be the development secret'
          : secretStrengthProblem('SESSION_SECRET_PREVIOUS', sessionSecretPrevious);
      if (weak) problems.push(weak);
    }
    if (!publicBaseUrl.startsWith('https://')) problems.push('PUBLIC_BASE_URL must be an https:// URL in production');
    if (seedDemoData) problems.push('SEED_DEMO_DATA must be false in production: demo accounts have published passwords');
    if (!dpiaRequired) problems.push('DPIA_REQUIRED cannot be false in production: live calls need an approved, in-date DPIA (DP-13)');
    if (!mfaRequired) problems.push('MFA_REQUIRED cannot be false in production: every account must use a second factor (SEC-08)');
    if (logFormat === 'pretty') problems.push('LOG_FORMAT=pretty is for development (pino-pretty is not installed with --omit=dev); use json in production');
    if (smsProvider === 'outbox') problems.push('SMS_PROVIDER=outbox keeps texts on the server and is refused in production; configure a real provider');
  }

  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  if (trustProxy.problem) problems.push(trustProxy.problem);

  const oidc = parseOidcConfig(env, publicBaseUrl, production);
  problems.push(...oidc.problems);
  const audit = parseAuditConfig(env, { production, dataDir: path.resolve(text('DATA_DIR', './data')), sessionSecret });
  problems.push(...audit.problems);
  const node = parseNodeConfig(env, { production, host, port, otherSecrets: { SESSION_SECRET: sessionSecret, AUDIT_HMAC_KEY: audit.config.hmacKey } });
  problems.push(...node.problems);
  const governance = parseGovernanceConfig(env, { production });
  problems.push(...governance.problems);

  const config: Config = {
    nodeEnv,
    host,
    port,
    dataDir: path.resolve(text('DATA_DIR', './data')),
    databaseUrl,
    databaseMigrationUrl,
    sessionSecret,
    sessionSecretPrevious,
    publicBaseUrl,
    sessionIdleMinutes: integer('SESSION_IDLE_MINUTES', 15, 1, 24 * 60),
    sessionAbsoluteHours: integer('SESSION_ABSOLUTE_HOURS', 12, 1, 7 * 24),
    stepUpMaxAgeMinutes: integer('STEP_UP_MAX_AGE_MINUTES', 5, 1, 60),
    breakGlassMinutes: integer('BREAK_GLASS_MINUTES', 60, 5, 24 * 60),
    mfaRequired,
    passwordHashing: passwordHashing === 'test-only-weak' && nodeEnv === 'test' ? TEST_ONLY_PASSWORD_HASHING : STANDARD_PASSWORD_HASHING,
    lockoutThreshold: integer('LOCKOUT_THRESHOLD', 5, 3, 20),
    signInAttemptsPerMinute: integer('SIGN_IN_ATTEMPTS_PER_MINUTE', 10, 1, 1000),
    serviceName: text('SERVICE_NAME', 'RVR'),
    oidc: oidc.config,
    sms,
    call: {
      inviteTtlMinutes: integer('INVITE_TTL_MINUTES', 15, 1, 24 * 60),
      inviteText,
      inviteTextCy,
      reconnectGraceSeconds: integer('CALL_RECONNECT_GRACE_SECONDS', 60, 5, 3600),
      maxCallMinutes: integer('CALL_MAX_MINUTES', 120, 1, 24 * 60),
      iceServers,
      icePortRange,
      maxVideoBitrate: integer('VIDEO_MAX_BITRATE', 1_500_000, 100_000, 10_000_000),
      // One per core less one (the server process keeps a core for pages, jobs and the database), at least one.
      mediaWorkers: integer('MEDIA_WORKERS', Math.max(1, os.availableParallelism() - 1), 0, 64),
      mediaDrainSeconds: integer('MEDIA_DRAIN_SECONDS', 30, 0, 3600),
      quickExitUrl,
      uploadMaxBytes: integer('UPLOAD_MAX_MB', 50, 1, 2000) * 1_000_000,
      uploadMaxPerCall: integer('UPLOAD_MAX_PER_CALL', 20, 1, 500),
      locationLinkTemplate,
      forceName,
      privacyContact,
      // A force that names itself in English only gets that name on the Welsh pages too, not the generic Welsh one.
      forceNameCy: text('FORCE_NAME_CY', forceName === DEFAULT_FORCE_NAME ? DEFAULT_FORCE_NAME_CY : forceName),
      privacyContactCy: text('FORCE_PRIVACY_CONTACT_CY', privacyContact === DEFAULT_PRIVACY_CONTACT ? DEFAULT_PRIVACY_CONTACT_CY : privacyContact),
    },
    evidence: {
      retentionSchedule: parseRetentionSchedule(env.RETENTION_SCHEDULE, nonEvidentialDays, problems),
      integrityCron: text('EVIDENCE_INTEGRITY_CRON', '15 2 * * *'),
      disposalCron: text('EVIDENCE_DISPOSAL_CRON', '45 2 * * *'),
      sink: evidenceSink,
      storage: parseStorage(env, problems, path.resolve(text('DATA_DIR', './data')), integer, boolean),
      purgeAfterDays: integer('EVIDENCE_PURGE_AFTER_DAYS', 30, 0, 3650),
      purgeExported: boolean('EVIDENCE_PURGE_EXPORTED', evidenceSink.kind !== 'folder'),
      exportPreChargeDefault: oneOf('EVIDENCE_EXPORT_PRE_CHARGE_DEFAULT', EXPORT_CARRIES, 'redacted'),
    },
    investigation: {
      dashMediumFrom: integer('DASH_MEDIUM_FROM', 10, 1, 27),
      dashHighFrom: integer('DASH_HIGH_FROM', 14, 1, 27),
      maracEscalationIncidents: integer('MARAC_ESCALATION_INCIDENTS', 3, 1, 50),
      crimeReferencePattern: pattern('CRIME_REFERENCE_PATTERN', DEFAULT_CRIME_REFERENCE_PATTERN),
    },
    subjectRequests: { clockStart: oneOf('SAR_CLOCK_START', CLOCK_STARTS, 'receipt_day') },
    clock: {
      driftWarnMs: integer('CLOCK_DRIFT_WARN_MS', 1000, 10, 600_000),
      ntpServer: text('CLOCK_NTP_SERVER', '') || undefined,
    },
    supervision: {
      reviewSamplePercent: integer('REVIEW_SAMPLE_PERCENT', 10, 0, 100),
      tellVictimWhenObserved: boolean('OBSERVER_NOTICE', true),
    },
    outcomes: {
      surveyDelayMinutes: integer('SURVEY_DELAY_MINUTES', 60, 0, 7 * 24 * 60),
      surveyTtlHours: integer('SURVEY_TTL_HOURS', 72, 1, 30 * 24),
      surveyStandardArmDelayHours: integer('SURVEY_STANDARD_ARM_DELAY_HOURS', 48, 0, 30 * 24),
      surveyText,
      surveyTextCy,
    },
    appointments: {
      reminderMinutes: integer('APPOINTMENT_REMINDER_MINUTES', 10, 0, 24 * 60),
      windowBeforeMinutes: integer('APPOINTMENT_WINDOW_BEFORE_MINUTES', 15, 0, 24 * 60),
      windowAfterMinutes: integer('APPOINTMENT_WINDOW_AFTER_MINUTES', 30, 1, 24 * 60),
      maxDaysAhead: integer('APPOINTMENT_MAX_DAYS_AHEAD', 14, 1, 90),
      maxChangeRequests: integer('APPOINTMENT_MAX_CHANGE_REQUESTS', 3, 1, 20),
      bookingText: appointmentBookingText,
      reminderText: appointmentReminderText,
      bookingTextCy: appointmentBookingTextCy,
      reminderTextCy: appointmentReminderTextCy,
    },
    audit: audit.config,
    seedDemoData,
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    logFormat,
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 100 * 1024, 1024, 50 * 1024 * 1024),
    trustProxy: trustProxy.value,
    metrics: parseMetrics(env, problems, { production, host, port }),
    node: node.config,
    dpia: { required: dpiaRequired },
    governance: governance.config,
  };
  if (config.investigation.dashMediumFrom >= config.investigation.dashHighFrom)
    problems.push('DASH_MEDIUM_FROM must be lower than DASH_HIGH_FROM (the yes-count bands would overlap)');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * METRICS_TOKEN and/or METRICS_PORT (+ METRICS_HOST). Outside production, with neither, `/metrics` stays open on the
 * service's port for local Prometheus; in production it is then not served at all (the app logs why at start).
 */
function parseMetrics(env: Env, problems: string[], service: { production: boolean; host: string; port: number }): MetricsConfig {
  const token = env.METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined && (token.length < 32 || /\s/.test(token)))
    problems.push('METRICS_TOKEN must be at least 32 characters with no spaces (e.g. `openssl rand -hex 32`)');
  const rawPort = env.METRICS_PORT?.trim() || undefined;
  let port: number | undefined;
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(`METRICS_PORT must be a whole number from 0 to 65535 (got "${rawPort}")`);
      port = undefined;
    } else if (port !== 0 && port === service.port) {
      problems.push('METRICS_PORT must differ from PORT: metrics are served on a port of their own');
    }
  }
  const host = env.METRICS_HOST?.trim() || service.host;
  return { enabled: !service.production || token !== undefined || port !== undefined, token, port, host };
}

/** STORAGE_DRIVER=local|s3 and its settings (issue 15); each missing or bad setting is named. */
function parseStorage(
  env: Env,
  problems: string[],
  dataDir: string,
  integer: (name: string, fallback: number, min: number, max: number) => number,
  boolean: (name: string, fallback: boolean) => boolean,
): StorageConfig {
  const value = (name: string) => env[name]?.trim() || undefined;
  const driver = value('STORAGE_DRIVER') ?? 'local';
  if (driver !== 'local' && driver !== 's3') problems.push(`STORAGE_DRIVER must be local or s3 (got "${driver}")`);
  const lockMode = value('STORAGE_LOCK_MODE') ?? 'COMPLIANCE';
  if (!['COMPLIANCE', 'GOVERNANCE', 'off'].includes(lockMode)) problems.push(`STORAGE_LOCK_MODE must be COMPLIANCE, GOVERNANCE or off (got "${lockMode}")`);
  const base: StorageConfig = {
    driver: driver === 's3' ? 's3' : 'local',
    localRoot: path.join(dataDir, 'media'),
    scratchRoot: path.resolve(value('STORAGE_SCRATCH_DIR') ?? path.join(dataDir, 'recording-scratch')),
    lockMode: lockMode === 'GOVERNANCE' ? 'GOVERNANCE' : lockMode === 'off' ? 'off' : 'COMPLIANCE',
  };
  if (base.driver !== 's3') return base;
  const bucket = value('STORAGE_S3_BUCKET');
  if (!bucket) problems.push('STORAGE_S3_BUCKET is required when STORAGE_DRIVER is s3');
  const endpoint = value('STORAGE_S3_ENDPOINT');
  if (endpoint && !/^https?:\/\//.test(endpoint)) problems.push('STORAGE_S3_ENDPOINT must be an http(s) URL, e.g. https://minio.internal:9000');
  const sseKind = value('STORAGE_SSE') ?? 'AES256';
  if (sseKind !== 'AES256' && sseKind !== 'aws:kms') problems.push(`STORAGE_SSE must be AES256 or aws:kms (got "${sseKind}")`);
  return {
    ...base,
    s3: {
      bucket: bucket ?? '',
      region: value('STORAGE_S3_REGION') ?? 'eu-west-2',
      endpoint,
      prefix: value('STORAGE_S3_PREFIX'),
      forcePathStyle: boolean('STORAGE_S3_FORCE_PATH_STYLE', endpoint !== undefined),
      sse: sseKind === 'aws:kms' ? { kind: 'aws:kms', kmsKeyId: value('STORAGE_SSE_KMS_KEY_ID') } : { kind: 'AES256' },
      partSizeBytes: integer('STORAGE_S3_PART_MB', 16, 5, 5000) * 1024 * 1024,
    },
  };
}

/** EVIDENCE_SINK=folder|s3|http and its settings; each missing setting is named. */
function parseEvidenceSink(env: Env, problems: string[], dataDir: string): EvidenceSinkConfig {
  const value = (name: string) => env[name]?.trim() || undefined;
  const required = (name: string): string => {
    const v = value(name);
    if (!v) problems.push(`${name} is required when EVIDENCE_SINK is ${env.EVIDENCE_SINK}`);
    return v ?? '';
  };
  // Both keys, or neither: then the AWS SDK's standard chain (environment, profile, web identity, instance role).
  const s3SinkCredentials = () => {
    const accessKeyId = value('EVIDENCE_S3_ACCESS_KEY_ID');
    const secretAccessKey = value('EVIDENCE_S3_SECRET_ACCESS_KEY');
    if (!accessKeyId && !secretAccessKey) return undefined;
    if (!accessKeyId || !secretAccessKey)
      problems.push('EVIDENCE_S3_ACCESS_KEY_ID and EVIDENCE_S3_SECRET_ACCESS_KEY go together (or set neither, for the standard AWS credential chain)');
    return { accessKeyId: accessKeyId ?? '', secretAccessKey: secretAccessKey ?? '' };
  };
  switch (value('EVIDENCE_SINK') ?? 'folder') {
    case 'folder':
      return { kind: 'folder', root: path.resolve(value('EVIDENCE_FOLDER') ?? path.join(dataDir, 'exports')) };
    case 'http': {
      const secret = required('EVIDENCE_HTTP_SECRET');
      if (secret && secret.length < 32) problems.push('EVIDENCE_HTTP_SECRET must be at least 32 characters');
      return { kind: 'http', url: required('EVIDENCE_HTTP_URL'), secret };
    }
    case 's3':
      return {
        kind: 's3',
        endpoint: required('EVIDENCE_S3_ENDPOINT'),
        region: value('EVIDENCE_S3_REGION') ?? 'eu-west-2',
        bucket: required('EVIDENCE_S3_BUCKET'),
        prefix: value('EVIDENCE_S3_PREFIX'),
        credentials: s3SinkCredentials(),
      };
    default:
      problems.push(`EVIDENCE_SINK must be folder, s3 or http (got "${env.EVIDENCE_SINK}")`);
      return { kind: 'folder', root: path.join(dataDir, 'exports') };
  }
}

/**
 * The force's retention schedule (RET-08..RET-22): RETENTION_SCHEDULE is JSON overriding any of the default's
 * periods and naming its own `version`, which is stored with every retention decision.
 */
function parseRetentionSchedule(raw: string | undefined, nonEvidentialDays: number, problems: string[]): RetentionSchedule {
  const withDays = { ...DEFAULT_RETENTION_SCHEDULE, nonEvidentialDays };
  if (nonEvidentialDays !== DEFAULT_RETENTION_SCHEDULE.nonEvidentialDays)
    withDays.version = `${DEFAULT_RETENTION_SCHEDULE.version}+non-evidential-${nonEvidentialDays}d`;
  if (!raw?.trim()) return withDays;
  let given: unknown;
  try {
    given = JSON.parse(raw);
  } catch {
    problems.push('RETENTION_SCHEDULE must be JSON, e.g. {"version":"force-2027-1","group3ClearYears":6}');
    return withDays;
  }
  if (
    typeof given !== 'object' ||
    given === null ||
    typeof (given as { version?: unknown }).version !== 'string' ||
    !(given as { version: string }).version.trim()
  ) {
    problems.push('RETENTION_SCHEDULE must be a JSON object with a "version" naming the schedule');
    return withDays;
  }
  const settings = given as Record<string, unknown>;
  const schedule: RetentionSchedule = { ...withDays, version: settings.version as string };
  const whole = (key: string, value: unknown, max: number): value is number => {
    if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max) return true;
    problems.push(`RETENTION_SCHEDULE.${key} must be a whole number from 0 to ${max}`);
    return false;
  };
  for (const key of [
    'group2ClearYears',
    'group3ClearYears',
    'undetectedYears',
    'nonEvidentialDays',
    'cpiaMonthsAfterConviction',
    'civilMinYears',
    'reviewExtensionYears',
  ] as const) {
    const value = settings[key];
    if (key in settings && whole(key, value, key === 'nonEvidentialDays' ? 3650 : 200)) schedule[key] = value;
  }
  if ('group1' in settings) {
    const group1 = (settings.group1 ?? {}) as Record<string, unknown>;
    const age = group1.retainUntilAgeYears;
    const every = group1.reviewEveryYears;
    if (whole('group1.retainUntilAgeYears', age, 150) && whole('group1.reviewEveryYears', every, 100))
      schedule.group1 = { retainUntilAgeYears: age, reviewEveryYears: every };
  }
  const unknown = Object.keys(settings).filter((key) => !(key in DEFAULT_RETENTION_SCHEDULE));
  if (unknown.length > 0) problems.push(`RETENTION_SCHEDULE has unknown settings: ${unknown.join(', ')}`);
  return schedule;
}
