import type { Logger } from 'pino';
import type { UnitOfWork } from '../db/unit-of-work.js';
import type { AuditRepository } from './audit.repository.js';
import type { RequestContext } from '../context.js';
import type { AccessRefusedError } from '../errors.js';
import type { AuditTrail } from './audit-trail.js';

/**
 * Object-level refusals on record (DP-01, SEC-11): who asked, for what, and why they were refused, so a DPO can
 * see someone probing other officers' consultations. Only signed-in staff are recorded: a stranger's refusal
 * never reaches the chain. Each is one ordinary event, as accountable as any other request a user makes.
 */
export class AccessRefusals {
  constructor(
    private readonly data: UnitOfWork<{ audit: AuditRepository }>,
    private readonly audit: AuditTrail,
    private readonly log: Logger,
  ) {}

  async record(context: RequestContext | undefined, error: AccessRefusedError): Promise<void> {
    if (context?.actor.type !== 'user') return;
    try {
      await this.data.transaction((tx) =>
        this.audit.record(tx.audit, context, {
          what: 'access.refused',
          subject: error.refusal.subject,
          details: { action: error.refusal.action, refusal: error.refusal.reason, message: error.message },
        }),
      );
    } catch (failure) {
      // The refusal itself stands; only its record failed, which the operator must see.
      this.log.error({ err: failure, action: error.refusal.action, refusal: error.refusal.reason }, 'an access refusal could not be audited');
    }
  }
}
