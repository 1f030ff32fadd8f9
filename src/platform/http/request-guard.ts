import { Stream } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify';
import type { WebSocket } from 'ws';
import { CONSENT_REQUIRED } from '../../domain/call-consent.js';
import { AppError } from '../errors.js';
import { translator } from '../i18n/i18n.js';
import { permits, redirectTo, wantsJson, type Access } from './access.js';
import { linkLanguage } from './language.js';
import type { PrincipalResolvers } from './principals.js';
import { readSessionToken, type SessionCookieSettings } from './session-cookie.js';

/** The call session cookie of a link-holder: session-scoped, HttpOnly, cleared when the call ends. */
export const CALL_COOKIE = 'rvr_call';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Who is asking, and may they: session → second factor → route access → current policy acknowledged,
 * on every request before its body is even read; then CSRF for state-changing requests once it is.
 */
export function registerRequestGuard(app: FastifyInstance, principals: PrincipalResolvers, cookie: SessionCookieSettings): void {
  app.decorateRequest('user', undefined);
  app.decorateRequest('staffSession', undefined);
  app.decorateRequest('apiClient', undefined);
  app.decorateRequest('linkSession', undefined);

  app.addHook('onRequest', async (request, reply) => {
    if (isStaticAsset(request.url)) return;
    // Cookies ride along on WebSocket handshakes from any site: a call socket opened by another site's page is refused.
    if (isWebSocketUpgrade(request) && !sameOrigin(request)) {
      throw new AppError(403, 'Call connections are only accepted from this service’s own pages.');
    }
    const declared = request.is404 ? undefined : request.routeOptions.config.access;
    if (declared && typeof declared === 'object' && 'apiScope' in declared) {
      const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      const client = bearer ? await principals.apiClient(bearer) : undefined;
      if (!client)
        return reply
          .code(401)
          .send({ error: 'Send a live RVR API key as "Authorization: Bearer rvr_…". This one is missing, unknown or revoked.', correlationId: request.id });
      if (!client.scopes.includes(declared.apiScope)) {
        return reply.code(403).send({ error: `This API key does not have the ${declared.apiScope} scope.`, correlationId: request.id });
      }
      request.apiClient = client;
      return;
    }
    if (declared === 'call_link' || declared === 'call_link_before_consent') {
      request.linkSession = await principals.linkSession(request.cookies[CALL_COOKIE]);
      if (!request.linkSession)
        throw new AppError(401, 'This call has ended or your link has expired. If you still need help, call 101, or 999 in an emergency.').forVictim(
          'server.callEnded',
        );
      // RVR-04, SC-3: nothing of the link-holder's is joined, recorded or stored before both consents.
      if (declared === 'call_link' && !request.linkSession.consented) {
        request.log.info({ participantId: request.linkSession.participant.id, route: request.routeOptions.url }, 'link session refused: no consent yet');
        // A call socket is let through to be accepted and closed with the reason (closeLinkSocketsWithoutConsent).
        if (isWebSocketUpgrade(request)) return;
        return refuseWithoutConsent(request, reply);
      }
      return;
    }
    const token = readSessionToken(request, cookie);
    const session = token ? await principals.staffSession(token) : undefined;
    request.staffSession = session;
    // Unknown URLs answer 404 to everyone.
    const access: Access = request.is404 ? 'public' : (request.routeOptions.config.access ?? 'signed_in');
    if (access === 'public') {
      if (session && !session.mfaPending) request.user = session.user;
      return;
    }
    if (!session) return refuse(request, reply, 401, 'Sign in to use this.', '/sign-in');
    if (session.mfaPending) {
      if (access === 'second_factor') return;
      const next = session.mfaEnrolmentNeeded ? '/account/mfa/setup' : '/sign-in/mfa';
      return refuse(request, reply, 401, 'Finish signing in with your authenticator app first.', next);
    }
    request.user = session.user;
    if (!permits(access, session.user)) {
      throw new AppError(403, 'Your role does not give you access to this page. Ask your supervisor or an administrator if you need it.');
    }
    if (!request.routeOptions.config.beforePolicy && (await principals.needsPolicyAcknowledgement(session.user.id))) {
      return refuse(request, reply, 403, 'Read and acknowledge the current RVR policy before using the service.', '/policy');
    }
  });

  // PostgreSQL text cannot hold NUL, and no person types one: refuse it at the edge rather than fail later.
  // Nothing the service takes is nested more than a few levels; deeper input is refused before any code walks it.
  app.addHook('preValidation', async (request) => {
    const problem = inputProblem(request.body) ?? inputProblem(request.query);
    if (problem === 'too_deep') {
      throw new AppError(400, `What you sent is nested too deeply (more than ${MAX_INPUT_DEPTH} levels of lists or objects). Send a flatter request.`);
    }
    if (problem === 'nul') throw new AppError(400, 'What you sent contains characters that are not allowed. Remove them and try again.');
  });

  // The token travels in the form body, so this runs once the body is parsed (before it is validated).
  app.addHook('preValidation', (request, reply, done) => {
    // API keys are not sent automatically by browsers, so API routes need no CSRF token; nor do node-to-node routes
    // whose only credential is a signed grant in the body.
    if (STATE_CHANGING.has(request.method) && !request.apiClient && !request.routeOptions.config.signedGrantInBody) app.csrfProtection(request, reply, done);
    else done();
  });
}

/**
 * A call socket of a link-holder who has not consented is accepted and at once closed with 4401 "consent-required",
 * so the page can send the person to the consent step (an HTTP refusal of the upgrade reaches no script). Applied
 * in onRoute to every WebSocket route that needs consent, before @fastify/websocket takes the handler.
 */
export function closeLinkSocketsWithoutConsent(route: RouteOptions): void {
  if (!(route as { websocket?: boolean }).websocket || route.config?.access !== 'call_link') return;
  const handler = route.handler as unknown as (this: unknown, socket: WebSocket, request: FastifyRequest) => unknown;
  route.handler = function (this: unknown, socket: WebSocket, request: FastifyRequest) {
    if (!request.linkSession?.consented) {
      socket.close(CONSENT_REQUIRED.closeCode, CONSENT_REQUIRED.closeReason);
      return;
    }
    return handler.call(this, socket, request);
  } as unknown as RouteHandlerMethod;
}

/** A page or a plain form is sent to the consent step; a script gets 403 with the reason and where to go. */
function refuseWithoutConsent(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if ((request.headers.accept ?? '').includes('text/html')) return redirectTo(reply, CONSENT_REQUIRED.consentUrl);
  // Issue 17 §2: in the link's language (this runs before the page hook).
  const error = translator(linkLanguage(request))('server.consentRequired');
  return reply.code(403).send({ error, consentRequired: true, consentUrl: CONSENT_REQUIRED.consentUrl, correlationId: request.id });
}

function isWebSocketUpgrade(request: FastifyRequest): boolean {
  return request.headers.upgrade?.toLowerCase() === 'websocket';
}

function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** Lists and objects inside one another, counting the body or query itself as the first level. */
export const MAX_INPUT_DEPTH = 32;

/**
 * A NUL character anywhere (keys too), or nesting deeper than MAX_INPUT_DEPTH. Walked with a stack of its own, not
 * by recursion: 40,000 nested brackets fit in a 100 KB body and would overflow the call stack (a 500, not a 400).
 */
export function inputProblem(input: unknown): 'nul' | 'too_deep' | undefined {
  const pending: { value: unknown; depth: number }[] = [{ value: input, depth: 1 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return 'nul';
      continue;
    }
    // A raw upload arrives as a stream (a graph with cycles), and its bytes are the file's own: not walked.
    if (value === null || typeof value !== 'object' || value instanceof Stream || Buffer.isBuffer(value)) continue;
    if (depth > MAX_INPUT_DEPTH) return 'too_deep';
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return 'nul';
      pending.push({ value: item, depth: depth + 1 });
    }
  }
  return undefined;
}

const STATIC_PREFIXES = ['/assets/', '/stylesheets/', '/javascripts/', '/static/'];

/** Static files are public and need no session lookup (a page loads several). */
export function isStaticAsset(url: string): boolean {
  return STATIC_PREFIXES.some((prefix) => url.startsWith(prefix));
}

function refuse(request: FastifyRequest, reply: FastifyReply, status: number, message: string, location: string): FastifyReply {
  if (wantsJson(request)) return reply.code(status).send({ error: message, correlationId: request.id });
  return redirectTo(reply, location);
}
