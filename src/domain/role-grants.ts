import type { Role } from './roles.js';

/**
 * Roles an administrator cannot give alone (issue 12 item 6, SEC-11): they open evidence, the audit log, holds or
 * the administration itself. Granting one through the service makes a request that a second administrator approves.
 */
export const ROLES_NEEDING_SECOND_ADMINISTRATOR: readonly Role[] = ['admin', 'dpo', 'evidence_manager', 'professional_standards'];

export function needsSecondAdministrator(role: Role): boolean {
  return ROLES_NEEDING_SECOND_ADMINISTRATOR.includes(role);
}

export interface RoleChangePlan {
  /** The roles the account has once the change is made now. */
  roles: Role[];
  added: Role[];
  removed: Role[];
  /** Roles asked for that wait for a second administrator's approval (not in `roles`). */
  pending: Role[];
}

/**
 * Splits a requested role set into what takes effect now and what waits for approval. Removals always take effect;
 * additions of a role in ROLES_NEEDING_SECOND_ADMINISTRATOR wait when the two-person rule applies to the actor.
 */
export function planRoleChange(current: readonly Role[], requested: readonly Role[], twoPersonRule: boolean): RoleChangePlan {
  const added = requested.filter((role) => !current.includes(role));
  const removed = current.filter((role) => !requested.includes(role));
  const pending = twoPersonRule ? added.filter(needsSecondAdministrator) : [];
  const roles = [...current.filter((role) => !removed.includes(role)), ...added.filter((role) => !pending.includes(role))];
  return { roles, added: added.filter((role) => !pending.includes(role)), removed, pending };
}

/**
 * Why `approverId` may not approve a role grant, or undefined if they may: never the administrator who asked for it,
 * and never the person who would receive it (each grant needs two different people besides the beneficiary's say).
 */
export function roleGrantApprovalRefusal(request: { requestedBy: string; userId: string }, approverId: string): string | undefined {
  if (approverId === request.requestedBy)
    return 'You asked for this role to be given, so another administrator must approve it (two-person rule). You can withdraw it instead.';
  if (approverId === request.userId) return 'This role would be given to you, so another administrator must approve it (two-person rule).';
  return undefined;
}

/**
 * Whether a change would leave no active administrator: it takes one away (disables an active administrator or
 * removes their role) and `activeAdministrators`, counted before the change, is one or none.
 */
export function leavesNoAdministrator(activeAdministrators: number, removesAnActiveAdministrator: boolean): boolean {
  return removesAnActiveAdministrator && activeAdministrators <= 1;
}
