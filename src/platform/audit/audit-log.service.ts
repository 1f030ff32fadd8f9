import type { DataAccess } from '../../composition.js';
import type { RequestContext } from '../context.js';
import type { AuditRow } from './audit.repository.js';
import type { AuditTrail, ChainVerification } from './audit-trail.js';

/** Reading the audit log is itself recorded in it (DP-01: access to the log is logged). */
export class AuditLogService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
  ) {}

  async recent(context: RequestContext, limit: number): Promise<AuditRow[]> {
    return this.data.transaction(async (tx) => {
      const rows = await tx.audit.recent(limit);
      await this.audit.record(tx.audit, context, { what: 'audit.viewed', details: { limit } });
      return rows;
    });
  }

  async verify(context: RequestContext): Promise<ChainVerification> {
    const result = await this.audit.verify(this.data.repos.audit);
    await this.data.transaction((tx) => this.audit.record(tx.audit, context, { what: 'audit.verified', details: { ...result } }));
    return result;
  }
}
