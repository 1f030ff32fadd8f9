import type { Logger } from 'pino';
import { isAboutOneConsultation, mayReceiveLiveEvent } from '../../domain/live-audience.js';
import { isRole, type Role } from '../../domain/roles.js';
import type { LiveEvent, LiveRepository } from './live.repository.js';

/** The port the live audience needs from the features: the officer who took a consultation (or its call), if any. */
export type AssignedOfficerLookup = (about: { consultationId: string } | { callId: string }) => Promise<string | null>;

/**
 * Who hears which live event (the rule is src/domain/live-audience.ts). The officer an event is about is looked up
 * once per event, however many streams are open on this node.
 */
export class LiveAudience {
  private readonly officers = new WeakMap<LiveEvent, Promise<string | null>>();

  constructor(
    private readonly repository: LiveRepository,
    private readonly lookUpAssignedOfficer: AssignedOfficerLookup,
    private readonly logger: Logger,
  ) {}

  async mayReceive(viewer: { id: string; roles: readonly Role[] }, event: LiveEvent): Promise<boolean> {
    if (!isAboutOneConsultation(event.type)) return mayReceiveLiveEvent(viewer, event.type, null);
    return mayReceiveLiveEvent(viewer, event.type, await this.assignedOfficer(event));
  }

  /** Who a stream's session belongs to now, with their current roles; undefined once the session has ended. */
  async viewerOf(sessionId: string): Promise<{ id: string; roles: Role[] } | undefined> {
    const viewer = await this.repository.sessionViewer(sessionId, new Date());
    return viewer && { id: viewer.id, roles: viewer.roles.filter(isRole) };
  }

  private assignedOfficer(event: LiveEvent): Promise<string | null> {
    let found = this.officers.get(event);
    if (!found) {
      const about = event.type === 'call' ? { callId: event.id } : 'consultationId' in event ? { consultationId: event.consultationId } : undefined;
      found = about
        ? this.lookUpAssignedOfficer(about).catch((error: unknown) => {
            // Unknown means no officer: then only supervisors hear of it.
            this.logger.warn({ err: error, type: event.type }, 'live event: could not find the assigned officer');
            return null;
          })
        : Promise.resolve(null);
      this.officers.set(event, found);
    }
    return found;
  }
}
