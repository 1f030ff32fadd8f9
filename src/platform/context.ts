import type { Role } from '../domain/roles.js';

/** Who is acting. `who` in the audit log is derived from this and never holds personal data. */
export type Actor =
  | { type: 'user'; userId: string; username: string; roles: readonly Role[] }
  | { type: 'system'; name: string }
  | { type: 'cli'; osUser: string }
  /** Someone in a call through a texted link (the victim, an interpreter): known only by their call participant id. */
  | { type: 'link'; participantId: string; role: 'victim' | 'interpreter' };

export interface RequestContext {
  actor: Actor;
  correlationId: string;
  /** The public id of the staff session the request came in on (DP-04), when there is one. */
  sessionId?: string;
  clientIp?: string;
}

export function actorId(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.userId}`;
    case 'system':
      return `system:${actor.name}`;
    case 'cli':
      return `cli:${actor.osUser}`;
    case 'link':
      return `link:${actor.participantId}`;
  }
}

export function systemContext(name: string, correlationId: string): RequestContext {
  return { actor: { type: 'system', name }, correlationId };
}

/** DP-04 actorRole: the roles the actor held when acting (a user may hold several). */
export function actorRole(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return actor.roles.join(',');
    case 'system':
      return 'system';
    case 'cli':
      return 'operator';
    case 'link':
      return actor.role;
  }
}
