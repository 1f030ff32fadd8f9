import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { hasPermission, type Permission } from '../../domain/permissions.js';
import type { ApiClient, ApiScope, LinkSession, ResolvedSession, SignedInUser } from './principals.js';
import type { RequestContext } from '../context.js';
import { ForbiddenError } from '../errors.js';

/**
 * Every route declares who may use it, in `config.access`; a route without one stops the app starting.
 *   'public'         anyone (sign-in, health, static assets)
 *   'second_factor'  a session that has passed the password step, even if the second factor is still due
 *   'signed_in'      a fully signed-in staff member, whatever their role
 *   { permission }   a fully signed-in staff member holding a role with that permission (src/domain/permissions.ts)
 *   { apiScope }     a CAD system presenting a live API key with that scope (no cookies, no CSRF)
 *   'call_link'      someone holding a live call session from a texted link (the victim, an interpreter) who has
 *                    agreed, on their own page, to the video call and to its recording (RVR-04, SC-3): secure by
 *                    default, so every link route needs consent unless it says otherwise. Refused without consent:
 *                    403 with the reason (JSON), a redirect to the consent step (pages), or, on a WebSocket, the
 *                    upgrade accepted then closed with 4401 "consent-required".
 *   'call_link_before_consent'  the same session before consent, for the few routes a person needs first: the
 *                    consent page itself, giving consent, and "Exit this page" (which must always work; before
 *                    consent it records only that the page was left, marked beforeConsent, and alerts the officer).
 * `beforePolicy: true` lets a signed-in user reach the route before acknowledging the current policy (SC-5).
 */
/**
 * What a route's `:id` names, when it is something inside one case (consultation): the route declares it as
 * `config.caseOf`, and before its handler runs the case is found and per-case access checked (issue 16 §3).
 */
export type CaseRef = 'consultation' | 'call' | 'evidence_item' | 'redaction' | 'evidence_task';

export type Access = 'public' | 'second_factor' | 'signed_in' | 'call_link' | 'call_link_before_consent' | { permission: Permission } | { apiScope: ApiScope };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    beforePolicy?: boolean;
    /**
     * A node-to-node route whose request carries a signed grant in its body and no cookie (ADR 0013): no browser can
     * be tricked into sending it, so it takes no CSRF token.
     */
    signedGrantInBody?: boolean;
    /**
     * SEC-07: a sensitive action (download or export of evidence, releasing a hold, disposal, erasure, changing roles):
     * refused unless the user re-authenticated on this session within STEP_UP_MAX_AGE_MINUTES; they are sent to the
     * step-up page and back (a form is carried and sent again).
     */
    stepUp?: boolean;
    /** Issue 16 §3: the route's `:id` is inside this kind of case object; an investigator needs the case (assigned or break-glass). */
    caseOf?: CaseRef;
  }
  interface FastifyRequest {
    /** The fully signed-in staff member (second factor done), if any. */
    user: SignedInUser | undefined;
    /** The session, including one still waiting for its second factor. */
    staffSession: ResolvedSession | undefined;
    /** The CAD system behind an API key, on API routes. */
    apiClient: ApiClient | undefined;
    /** On 'call_link' and 'call_link_before_consent' routes: the link-holder, their call, and whether they consented. */
    linkSession: LinkSession | undefined;
  }
  interface FastifyReply {
    /** Values every page template sees (set by @fastify/view's `locals` decorator). */
    locals: Record<string, unknown>;
  }
  interface FastifyInstance {
    /** Every route with its declared access, for the role × route matrix test and the docs. */
    routeCatalogue: { method: string; url: string; access: Access; stepUp?: boolean; caseOf?: CaseRef }[];
  }
}

export function assertRouteDeclaresAccess(route: RouteOptions): Access {
  const access = route.config?.access;
  if (access === undefined) throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access`);
  return access;
}

export function permits(access: Access, user: SignedInUser): boolean {
  if (typeof access === 'string') return true;
  return 'permission' in access && hasPermission(user.roles, access.permission);
}

/** The acting user for a service call, with their session and address for the audit log (DP-04). */
export function contextOf(request: FastifyRequest): RequestContext {
  const user = request.user ?? request.staffSession?.user;
  if (!user) throw new ForbiddenError('Sign in to do this');
  return {
    actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles },
    correlationId: request.id,
    sessionId: request.staffSession?.sessionId,
    clientIp: request.ip,
  };
}

export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function redirectTo(reply: FastifyReply, url: string): FastifyReply {
  return reply.redirect(url, 303);
}
