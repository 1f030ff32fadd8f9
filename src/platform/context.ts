import type { Role } from '../domain/roles.js';

/** Who is acting. `who` in the audit log is derived from this and never holds personal data. */
export type Actor =
  { type: 'user'; userId: string; username: string; roles: readonly Role[] } | { type: 'system'; name: string } | { type: 'cli'; osUser: string };

export interface RequestContext {
  actor: Actor;
  correlationId: string;
}

export function actorId(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.userId}`;
    case 'system':
      return `system:${actor.name}`;
    case 'cli':
      return `cli:${actor.osUser}`;
  }
}

export function systemContext(name: string, correlationId: string): RequestContext {
  return { actor: { type: 'system', name }, correlationId };
}
