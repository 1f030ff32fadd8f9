import type { DataAccess } from '../../composition.js';
import type { RequestContext } from '../context.js';
import { ValidationError } from '../errors.js';
import type { AuditFilter, AuditRow } from './audit.repository.js';
import type { AuditTrail, ChainVerification } from './audit-trail.js';

/** Reading the audit log is itself recorded in it (DP-01: access to the log is logged). */
export class AuditLogService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
  ) {}

  /** DPO search (DP-02): the search itself, with its filters, is logged. */
  async search(context: RequestContext, filter: AuditFilter, limit: number, beforeSeq?: number): Promise<AuditRow[]> {
    return this.data.transaction(async (tx) => {
      const rows = await tx.audit.search(filter, limit, beforeSeq);
      await this.audit.record(tx.audit, context, { what: 'audit.viewed', details: { filter: describeFilter(filter), beforeSeq, shown: rows.length } });
      return rows;
    });
  }

  /**
   * The log as JSON Lines, newest first, within the filter, for the ICO or an investigation (DP-02). Export is a
   * disclosure: it needs a justification and a recipient, and is logged before the first line is produced.
   */
  async *exportJsonLines(context: RequestContext, filter: AuditFilter, justification: string, recipient: string): AsyncGenerator<string> {
    if (!justification.trim() || !recipient.trim()) throw new ValidationError('Say why the log is being exported and who will receive it');
    await this.data.transaction((tx) =>
      this.audit.record(tx.audit, context, { what: 'audit.exported', justification, recipient, details: { filter: describeFilter(filter) } }),
    );
    let beforeSeq: number | undefined;
    for (;;) {
      const page = await this.data.repos.audit.search(filter, 1000, beforeSeq);
      if (page.length === 0) return;
      for (const row of page) yield `${JSON.stringify(row)}\n`;
      beforeSeq = page[page.length - 1]!.seq;
    }
  }

  async verify(context: RequestContext): Promise<ChainVerification> {
    const result = await this.audit.verify(this.data.repos.audit);
    await this.data.transaction((tx) => this.audit.record(tx.audit, context, { what: 'audit.verified', details: { ...result } }));
    return result;
  }
}

function describeFilter(filter: AuditFilter): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]),
  );
}
