import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError } from '../../platform/errors.js';
import type { Availability } from './availability.repository.js';

/** Officers say when they are available or offline; the system marks them on a call while they have one. */
export class AvailabilityService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  get(userId: string): Promise<Availability> {
    return this.data.repos.availability.get(userId);
  }

  async set(context: RequestContext, userId: string, status: 'available' | 'offline'): Promise<void> {
    await this.data.transaction(async (tx) => {
      if ((await tx.availability.get(userId)) === 'on_call') throw new ConflictError('You are on a call: end or hand back the consultation first.');
      const at = this.now();
      await tx.availability.set(userId, status, at);
      await this.audit.record(tx.audit, context, { what: 'officer.availability', subject: `user:${userId}`, details: { status } });
      await tx.live.notify({ type: 'availability', userId, status, at: at.toISOString() });
    });
  }

  async officerCounts(): Promise<Record<Availability, number>> {
    const officers = await this.data.repos.users.enabledIdsWithRole('rvr_officer');
    return this.data.repos.availability.countByStatus(officers);
  }
}
