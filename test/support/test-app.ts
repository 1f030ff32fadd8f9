import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { services as buildServices, type Services } from '../../src/composition.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { RequestContext } from '../../src/platform/context.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import type { Role } from '../../src/domain/roles.js';
import type { IntakeInput } from '../../src/features/control-room/triage.service.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { totp } from '../../src/platform/auth/totp.js';
import { OidcClient } from '../../src/platform/auth/oidc-client.js';
import { LiveHub } from '../../src/platform/live/live-hub.js';

export const TEST_PASSWORD = 'correct-horse-battery-staple';

/** What production needs to start, short of a real database (the test supplies its own): fresh random secrets each time. */
export const productionTestEnv = () => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://rvr@db.internal:5432/rvr',
  SESSION_SECRET: randomBytes(32).toString('hex'),
  AUDIT_HMAC_KEY: randomBytes(32).toString('hex'),
  PUBLIC_BASE_URL: 'https://rvr.example.police.uk',
  SEED_DEMO_DATA: 'false',
  SMS_PROVIDER: 'notify',
  NOTIFY_API_KEY: 'unused_in_tests-11111111-1111-4111-8111-111111111111-22222222-2222-4222-8222-222222222222',
  NOTIFY_TEMPLATE_ID: '33333333-3333-4333-8333-333333333333',
});

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  db: TestDatabase;
  close(): Promise<void>;
}

export async function buildTestApp(
  kind: DatabaseKind,
  options: {
    env?: Record<string, string>;
    logDestination?: DestinationStream;
    now?: () => Date;
    /** Another app's database, e.g. to restart the service with different settings; it is left for its owner to drop. */
    database?: TestDatabase;
  } = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-test-'));
  // Tests sign in far more often than a person; the rate-limit test sets its own limit.
  // Test calls stay open without media; a test that checks placement capacity (ADR 0013) sets its own.
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SIGN_IN_ATTEMPTS_PER_MINUTE: '1000',
    MEDIA_NODE_CAPACITY: '10000',
    ...options.env,
  };
  // Cheap argon2 parameters, which config allows only under NODE_ENV=test (the production-settings tests keep the standard ones).
  if (env.NODE_ENV === 'test') env.PASSWORD_HASHING ??= 'test-only-weak';
  const config = loadConfig(env);
  const db = options.database ?? (await createTestDatabase(kind));
  const oidcClient = config.oidc ? await OidcClient.discover(config.oidc) : undefined;
  const logger = createLogger({ level: options.logDestination ? 'trace' : 'silent', destination: options.logDestination });
  const live = new LiveHub(logger);
  await live.start(db.database);
  const services = buildServices({ config, database: db.database, now: options.now, oidcClient, live, logger });
  const app = await buildApp({ config, services, logger });
  await app.ready();
  return {
    app,
    services,
    config,
    db,
    async close() {
      await services.callRooms.shutdown();
      await services.mediaEngine.stop?.();
      // Over injectWS's in-memory streams the server's end of a socket it closed never sees the stream close, so `ws`
      // keeps its 30-second close timer and the file's process waited for it after its last test (~30 s a file).
      for (const socket of app.websocketServer.clients) socket.terminate();
      await app.close();
      await live.close();
      if (!options.database) await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const cliContext: RequestContext = { actor: { type: 'cli', osUser: 'test' }, correlationId: 'test-setup' };

export async function createUser(services: Services, username: string, roles: Role[]) {
  return services.userAdmin.create(cliContext, { username, displayName: `Test ${username}`, password: TEST_PASSWORD, roles });
}

export function contextFor(user: { id: string; username: string; roles: Role[] }): RequestContext {
  return { actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles }, correlationId: `test-${user.username}` };
}

const caseAssigners = new WeakMap<Services, Promise<{ id: string; username: string; roles: Role[] }>>();

/** Issue 16 §3: a supervisor assigns the case to an investigator (per-case access), as the supervisor's page does. */
export async function assignCase(services: Services, consultationId: string, investigatorUsername: string): Promise<void> {
  // One supervisor per app, made once even when fixtures are built side by side.
  let assigner = caseAssigners.get(services);
  if (!assigner) {
    assigner = (async () =>
      (await services.data.repos.users.findByUsername('case-assigner')) ?? (await createUser(services, 'case-assigner', ['supervisor'])))();
    caseAssigners.set(services, assigner);
  }
  const supervisor = await assigner;
  const investigator = await services.data.repos.users.findByUsername(investigatorUsername);
  if (!investigator) throw new Error(`no user ${investigatorUsername}`);
  await services.caseAccess.assign(contextFor(supervisor), consultationId, { investigatorId: investigator.id, reason: 'Assigned for the test' });
}

/** A browser's cookies and CSRF token, for driving the app with inject(). */
export class Browser {
  private readonly cookies = new Map<string, string>();
  csrfToken = '';

  constructor(private readonly app: FastifyInstance) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader, ...headers } });
    this.absorb(response);
    return response;
  }

  /** Posts a form the way a browser would, with the CSRF token from the last page seen. */
  async post(
    url: string,
    form: Record<string, string>,
    options: { withCsrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams({ ...(options.withCsrf === false ? {} : { _csrf: this.csrfToken }), ...form }).toString();
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader, ...options.headers },
    });
    this.absorb(response);
    return response;
  }

  /** Posts JSON the way the call pages' scripts do, with the CSRF token in a header. */
  async postJson(url: string, body: unknown): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': this.csrfToken, cookie: this.cookieHeader },
    });
    this.absorb(response);
    return response;
  }

  async signIn(username: string, password = TEST_PASSWORD): Promise<LightMyRequestResponse> {
    await this.get('/sign-in');
    return this.post('/sign-in', { username, password });
  }

  /** SEC-07: re-authenticate on this session (password, and the code when the account has one) before a sensitive action. */
  async stepUp(password = TEST_PASSWORD, code?: string): Promise<LightMyRequestResponse> {
    await this.get('/account/step-up');
    const response = await this.post('/account/step-up', { password, ...(code === undefined ? {} : { code }) });
    if (response.statusCode !== 303) throw new Error(`step-up refused: ${response.statusCode}`);
    return response;
  }

  private absorb(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now())) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const match = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (match) this.csrfToken = match[1]!;
  }
}

/** Enrols a user in TOTP the way the setup page does; returns the secret so a test can make codes. `at` is the app's clock. */
export async function enrolMfa(services: Services, username: string, at: Date = new Date()): Promise<string> {
  const meta = { userAgent: 'test', clientIp: '127.0.0.1', correlationId: 'test-mfa' };
  const outcome = await services.auth.signIn(username, TEST_PASSWORD, meta);
  if (!outcome.ok) throw new Error(`could not sign in as ${username}`);
  const user = (await services.data.repos.users.findByUsername(username))!;
  const { secret } = await services.mfa.beginEnrolment(user.id);
  const confirmed = await services.mfa.confirmEnrolment(outcome.token, user.id, totp(secret, at), contextFor(user));
  if (!confirmed) throw new Error('enrolment was not confirmed');
  return secret;
}

/** Force settings with RVR open round the clock, so tests do not depend on the hour they run at. */
export async function allowRoundTheClock(services: Services): Promise<void> {
  const { settings } = await services.triage.currentSettings();
  await services.triage.saveSettings(cliContext, { ...settings, eligibility: { ...settings.eligibility, operatingHours: null } });
}

let callNumber = 0;

/** An eligible call (it goes straight to the queue) unless `overrides` change that. */
export function callInput(overrides: Partial<IntakeInput> = {}): IntakeInput {
  callNumber += 1;
  return {
    cadReference: `CAD-T-${process.pid}-${callNumber}`,
    receivedAt: new Date(Date.now() - 60_000).toISOString(),
    grade: 2,
    callerName: 'Test Caller',
    mobile: '07700 900001',
    relationship: 'ex_partner',
    ageBand: '18_plus',
    suspectAgeBand: '18_plus',
    consentToVideo: true,
    consentToRecording: true,
    ...overrides,
  };
}

export async function newCall(services: Services, user: { id: string; username: string; roles: Role[] }, overrides: Partial<IntakeInput> = {}) {
  return services.triage.intake(contextFor(user), callInput(overrides), 'test');
}
