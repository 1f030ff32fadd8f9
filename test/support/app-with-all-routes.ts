import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Services } from '../../src/composition.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Role } from '../../src/domain/roles.js';
import type { ApiClient, ApiScope, LinkSession, PrincipalResolvers, ResolvedSession } from '../../src/platform/http/principals.js';
import { CALL_COOKIE } from '../../src/platform/http/request-guard.js';
import { sessionCookieSettings } from '../../src/platform/http/session-cookie.js';
import { createLogger } from '../../src/platform/logging/logger.js';

/**
 * The real app (every route, its access declaration, the request guard, CSRF, cookies, helmet, the views) over fake
 * services: no database, no argon2, no media engine. The pattern of the MoJ template's `appWithAllRoutes({ services })`
 * (hmpps-template-typescript), for the role × route matrix and page tests that run in milliseconds.
 *
 * Every feature service is a fake: any method of any service resolves to `undefined` (nothing found), unless the test
 * stubs it in `services` (a deep partial: plain objects are merged into the fake, anything else replaces it).
 * Live updates are off (`services.live` undefined) unless a test gives a hub.
 */

/** Who the fake principal resolvers say is calling. */
export type FakePrincipal =
  | {
      kind: 'staff';
      roles: Role[];
      username?: string;
      mfaPending?: boolean;
      mfaEnrolmentNeeded?: boolean;
      needsPolicyAcknowledgement?: boolean;
      /** SEC-07: re-authenticated recently on this session (false unless a test says so). */
      stepUpFresh?: boolean;
    }
  | { kind: 'link'; consented: boolean; participantRole?: 'victim' | 'interpreter' }
  | { kind: 'api'; scopes: ApiScope[] };

type Stubs<T> = { [K in keyof T]?: T[K] extends (...args: never[]) => unknown ? T[K] : T[K] extends object ? Stubs<T[K]> | T[K] : T[K] };
export type FakeServices = Stubs<Services>;

export interface AppWithAllRoutes {
  app: FastifyInstance;
  config: Config;
  /** Cookie and Authorization headers that make the fake resolvers answer with this principal. */
  headersFor(principal: FakePrincipal | undefined): Record<string, string>;
  /** app.inject as the principal given to appWithAllRoutes (or another one); the test's headers win, cookies are joined. */
  inject(options: InjectOptions, as?: FakePrincipal): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function appWithAllRoutes(
  options: { services?: FakeServices; principal?: FakePrincipal; env?: Record<string, string> } = {},
): Promise<AppWithAllRoutes> {
  // DATA_DIR is never written: nothing here records media or exports.
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '/nonexistent/rvr-fake-services', SMS_PROVIDER: 'outbox', ...options.env });
  const logger = createLogger({ level: 'silent' });
  const principals = new FakePrincipals();
  const fakes = fakeObject('services', { live: undefined, ...options.services, principals }) as Services;
  const app = await buildApp({ config, services: fakes, logger });
  await app.ready();
  const cookieName = sessionCookieSettings(config.publicBaseUrl).name;
  const headersFor = (principal: FakePrincipal | undefined): Record<string, string> => {
    if (!principal) return {};
    const token = principals.tokenFor(principal);
    if (principal.kind === 'api') return { authorization: `Bearer ${token}` };
    if (principal.kind === 'link') return { cookie: `${CALL_COOKIE}=${token}` };
    return { cookie: `${cookieName}=${encodeURIComponent(app.signCookie(token))}` };
  };
  return {
    app,
    config,
    headersFor,
    inject: (injectOptions, as = options.principal) => {
      const own = headersFor(as);
      const given = (injectOptions.headers ?? {}) as Record<string, string>;
      // The test's cookies (a CSRF cookie from a page it fetched) ride along with the principal's.
      const cookie = [own.cookie, given.cookie].filter(Boolean).join('; ');
      return app.inject({ ...injectOptions, headers: { ...own, ...given, ...(cookie ? { cookie } : {}) } });
    },
    close: () => app.close(),
  };
}

/** The request guard's port, answering from the principals a test has asked headers for. */
class FakePrincipals implements PrincipalResolvers {
  private readonly byToken = new Map<string, FakePrincipal>();
  private readonly userIds = new Map<FakePrincipal, string>();

  tokenFor(principal: FakePrincipal): string {
    const token = `fake-${randomUUID()}`;
    this.byToken.set(token, principal);
    return token;
  }

  async staffSession(token: string): Promise<ResolvedSession | undefined> {
    const principal = this.byToken.get(token);
    if (principal?.kind !== 'staff') return undefined;
    const username = principal.username ?? `fake-${principal.roles.join('-') || 'no-role'}`;
    return {
      user: { id: this.userId(principal), username, displayName: `Fake ${username}`, roles: principal.roles },
      sessionId: `session-of-${token}`,
      mfaPending: principal.mfaPending ?? false,
      mfaEnrolmentNeeded: principal.mfaEnrolmentNeeded ?? false,
      method: 'password',
      stepUpFresh: principal.stepUpFresh ?? false,
    };
  }

  async needsPolicyAcknowledgement(userId: string): Promise<boolean> {
    for (const [principal, id] of this.userIds) if (id === userId && principal.kind === 'staff') return principal.needsPolicyAcknowledgement ?? false;
    return false;
  }

  async apiClient(bearerKey: string): Promise<ApiClient | undefined> {
    const principal = this.byToken.get(bearerKey);
    return principal?.kind === 'api' ? { id: randomUUID(), name: 'Fake CAD', scopes: principal.scopes } : undefined;
  }

  async linkSession(secret: string | undefined): Promise<LinkSession | undefined> {
    const principal = secret ? this.byToken.get(secret) : undefined;
    if (principal?.kind !== 'link') return undefined;
    const callId = randomUUID();
    // The rows carry only what the guard and the audit context read; a page test that needs more stubs the service.
    return {
      participant: { id: randomUUID(), callId, role: principal.participantRole ?? 'victim' },
      call: { id: callId, state: 'open' },
      consented: principal.consented,
    } as unknown as LinkSession;
  }

  private userId(principal: FakePrincipal): string {
    let id = this.userIds.get(principal);
    if (!id) this.userIds.set(principal, (id = randomUUID()));
    return id;
  }
}

/**
 * A fake of any service object: a stubbed member is returned as given (plain objects are faked in turn, so a test
 * stubs one method of a nested service); any other member is a fake that is both a callable method, resolving to
 * `undefined`, and a further object of fakes. Never thenable, so awaiting a service itself does not hang.
 */
function fakeObject(path: string, stubs: Record<string, unknown> = {}): unknown {
  const members = new Map<PropertyKey, unknown>();
  const target = async () => undefined;
  return new Proxy(target, {
    get(_target, property) {
      if (Object.prototype.hasOwnProperty.call(stubs, property)) {
        const stub = stubs[property as string];
        return isPlainObject(stub) ? member(property, () => fakeObject(`${path}.${String(property)}`, stub)) : stub;
      }
      if (property === 'then' || typeof property === 'symbol') return undefined;
      return member(property, () => fakeObject(`${path}.${String(property)}`));
    },
    apply: () => Promise.resolve(undefined),
  });

  function member(property: PropertyKey, make: () => unknown): unknown {
    if (!members.has(property)) members.set(property, make());
    return members.get(property);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * A link-holder's consent page (GET `page`), then its form posted to /v/call/consent with that page's CSRF token and
 * cookies and the given fields; `again` posts other fields with the same token and cookies.
 */
export async function submitConsentForm(fake: AppWithAllRoutes, fields: Record<string, string>, page = '/v/call') {
  const form = await fake.inject({ method: 'GET', url: page });
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const again = (more: Record<string, string>) =>
    fake.inject({
      method: 'POST',
      url: '/v/call/consent',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: token, ...more }).toString(),
    });
  return { form, answer: await again(fields), again };
}
