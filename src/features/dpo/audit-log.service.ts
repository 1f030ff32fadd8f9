import type { Logger } from 'pino';
import type { DataAccess } from '../../data-access.js';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import type { AuditFilter, AuditRow } from '../../platform/audit/audit.repository.js';
import type { AuditTrail, ChainVerification } from '../../platform/audit/audit-trail.js';
import { AuditCheckpointFile, parseCheckpoints, signCheckpoint, type AuditCheckpoint } from '../../platform/audit/checkpoints.js';

export interface AuditLogOptions {
  /** AUDIT_CHECKPOINT_FILE: where signed checkpoints are appended and read back by `verify`. */
  checkpointFile?: AuditCheckpointFile;
  /** Each checkpoint is also written to the application log, which leaves the machine (DP-01, issue 12). */
  log?: Logger;
  now?: () => Date;
}

export type CheckpointReason = 'startup' | 'scheduled' | 'shutdown' | 'cli';

/** Reading the audit log is itself recorded in it (DP-01: access to the log is logged). */
export class AuditLogService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly options: AuditLogOptions = {},
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

  /**
   * Recomputes the keyed chain and holds it to the signed checkpoints (the configured file, or `checkpointsFrom`: a
   * copy of that file or an export of the application log), so that deleting the newest events is detected too.
   */
  async verify(context: RequestContext, options: { checkpointsFrom?: string } = {}): Promise<ChainVerification> {
    const file = options.checkpointsFrom ? new AuditCheckpointFile(options.checkpointsFrom) : this.options.checkpointFile;
    let result: ChainVerification;
    if (!file) {
      result = await this.audit.verify(this.data.repos.audit);
    } else {
      const text = await file.read();
      if (text === undefined && options.checkpointsFrom) throw new ValidationError(`There is no checkpoint file at ${options.checkpointsFrom}`);
      const parsed = parseCheckpoints(text ?? '', this.audit.keys, file.path);
      result = await this.audit.verify(this.data.repos.audit, { checkpoints: { source: file.path, list: parsed.checkpoints } });
      if (parsed.problems.length > 0) {
        const problems = `${parsed.problems.length} checkpoint line(s) are not valid: ${parsed.problems.slice(0, 3).join('; ')}`;
        result = result.ok
          ? { ok: false, checked: result.checked, reason: problems, checkpoints: result.checkpoints }
          : { ...result, reason: `${result.reason}; also ${problems}` };
      }
    }
    await this.data.transaction((tx) => this.audit.record(tx.audit, context, { what: 'audit.verified', details: { ...result } }));
    return result;
  }

  /**
   * Signs where the chain stands now and writes it outside the database: appended to the checkpoint file and to the
   * application log. Not itself an audit event (that would move the head it describes).
   */
  async writeCheckpoint(reason: CheckpointReason): Promise<AuditCheckpoint> {
    const file = this.options.checkpointFile;
    if (!file) throw new Error('No audit checkpoint file is configured');
    const head = await this.data.repos.audit.head();
    const checkpoint = signCheckpoint(this.audit.keys.current, head, (this.options.now ?? (() => new Date()))());
    await file.append(checkpoint);
    this.options.log?.info(
      { auditCheckpoint: checkpoint, reason, file: file.path },
      `audit checkpoint: ${checkpoint.count} events up to event ${checkpoint.seq}`,
    );
    return checkpoint;
  }
}

function describeFilter(filter: AuditFilter): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]),
  );
}
