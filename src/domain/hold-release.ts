import { hasPermission } from './permissions.js';
import type { HoldType } from './retention.js';
import type { Role } from './roles.js';

/** EVD-13: complaint, conduct and death-or-serious-injury holds are Professional Standards' to release. */
export const PROFESSIONAL_STANDARDS_HOLDS: readonly HoldType[] = ['COMPLAINT', 'CONDUCT', 'DSI'];

/**
 * Why `releaser` may not release `hold`, or undefined if they may. SEC-11: nobody releases a hold they placed
 * themselves, whatever its type (a second person always agrees that the material may go). EVD-13: a COMPLAINT,
 * CONDUCT or DSI hold is released only by Professional Standards.
 */
export function holdReleaseRefusal(hold: { type: string; placedBy: string }, releaser: { userId: string; roles: readonly Role[] }): string | undefined {
  if (PROFESSIONAL_STANDARDS_HOLDS.includes(hold.type as HoldType) && !hasPermission(releaser.roles, 'evidence.release_conduct_hold'))
    return `Only Professional Standards can release a ${hold.type} hold (EVD-13).`;
  if (hold.placedBy === releaser.userId) return 'You placed this hold, so someone else must release it (SEC-11: no one both places and releases a hold).';
  return undefined;
}
