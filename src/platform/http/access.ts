import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Role } from '../../domain/roles.js';
import type { SignedInUser } from '../auth/auth.service.js';
import type { RequestContext } from '../context.js';
import { ForbiddenError } from '../errors.js';

/**
 * Every route declares who may use it, in `config.access`. A route without one makes the app refuse to
 * start, so nothing is ever public by accident.
 *   'public'     anyone (sign-in, health, static assets)
 *   'signed_in'  any staff session
 *   Role[]       a staff session holding at least one of these roles
 */
export type Access = 'public' | 'signed_in' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    user: SignedInUser | undefined;
  }
  interface FastifyReply {
    /** Values every page template sees (set by @fastify/view's `locals` decorator). */
    locals: Record<string, unknown>;
  }
}

export function assertRouteDeclaresAccess(route: RouteOptions): void {
  const access = route.config?.access;
  if (access === undefined) throw new Error(`Route ${String(route.method)} ${route.url} declares no config.access`);
}

export function isAllowed(access: Access, user: SignedInUser | undefined): boolean {
  if (access === 'public') return true;
  if (!user) return false;
  if (access === 'signed_in') return true;
  return user.roles.some((role) => access.includes(role));
}

/** The acting user for a service call; only call on routes that require a session. */
export function contextOf(request: FastifyRequest): RequestContext {
  const user = request.user;
  if (!user) throw new ForbiddenError('Sign in to do this');
  return { actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles }, correlationId: request.id };
}

export function wantsJson(request: FastifyRequest): boolean {
  if (request.url.startsWith('/api/')) return true;
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function redirectToSignIn(reply: FastifyReply): FastifyReply {
  return reply.redirect('/sign-in', 303);
}
