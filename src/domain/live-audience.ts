import { mayConductConsultation } from './ownership.js';
import { hasPermission } from './permissions.js';
import type { Role } from './roles.js';

/** The kinds of event on the staff live stream (`/live/events`); see src/platform/live/live.repository.ts. */
export const LIVE_EVENT_TYPES = ['consultation', 'availability', 'call', 'safety_alert', 'statement', 'victim_location'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** Events about one call or consultation, whose audience depends on who took it. */
export function isAboutOneConsultation(type: LiveEventType): boolean {
  return type === 'call' || type === 'safety_alert' || type === 'statement' || type === 'victim_location';
}

/**
 * Need to know (DP-01, SEC-11) for the live stream. Every event is only an id and a state, but who hears of a
 * safety alert, a call or a statement still says something about a victim:
 *   consultation, availability  the queue and who is free: everyone who works the queue (`consultation.view`:
 *                               call handlers, RVR officers, supervisors)
 *   call, safety_alert,         the officer who took that consultation (`call.conduct`), and supervisors
 *   statement                   (`supervision.board`); not other officers, not call handlers
 */
export function mayReceiveLiveEvent(viewer: { id: string; roles: readonly Role[] }, type: LiveEventType, assignedOfficerId: string | null): boolean {
  switch (type) {
    case 'consultation':
    case 'availability':
      return hasPermission(viewer.roles, 'consultation.view');
    case 'call':
    case 'safety_alert':
    case 'statement':
    case 'victim_location':
      // The same rule as the work itself (src/domain/ownership.ts): the officer who conducts it hears of it.
      return hasPermission(viewer.roles, 'supervision.board') || mayConductConsultation({ userId: viewer.id, roles: viewer.roles }, assignedOfficerId).allowed;
    default:
      // An event type added without a rule here reaches nobody until it has one.
      return false;
  }
}
