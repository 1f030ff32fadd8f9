import type { DataAccess, Repositories } from '../../data-access.js';
import { dpiaState, validateDpia, type DpiaInput, type DpiaRecord, type DpiaState } from '../../domain/dpia.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, ValidationError } from '../../platform/errors.js';
import type { DpiaRow } from './dpia.repository.js';

/** The message a person gets when RVR may not take a live call (DP-13): what is wrong, and who can put it right. */
export class LiveCallsRefusedError extends ConflictError {
  constructor(state: DpiaState) {
    super(`RVR cannot take live calls: ${state.warning ?? 'the DPIA does not allow it.'} An administrator records the DPIA on the DPIA page (Administration).`);
  }
}

const CACHE_MS = 30_000;

/**
 * DP-13, SC-2: the DPIA under which RVR runs, recorded by an administrator (reference, approval, annual review date,
 * each version kept and audited), and the go-live gate: with DPIA_REQUIRED (always in production) a call is not
 * opened and no link is sent without an approved DPIA in date. Warnings from 30 days before the review.
 */
export class DpiaService {
  private cached?: { at: number; row: DpiaRow | undefined };

  constructor(private readonly deps: { data: DataAccess; audit: AuditTrail; now: () => Date; required: boolean }) {}

  get required(): boolean {
    return this.deps.required;
  }

  async current(): Promise<DpiaRow | undefined> {
    const at = Date.now();
    if (this.cached && at - this.cached.at < CACHE_MS) return this.cached.row;
    const row = await this.deps.data.repos.dpia.current();
    this.cached = { at, row };
    return row;
  }

  history(): Promise<DpiaRow[]> {
    return this.deps.data.repos.dpia.history();
  }

  async state(): Promise<DpiaState & { record?: DpiaRecord }> {
    const row = await this.current();
    const record = row ? { reference: row.reference, approvedBy: row.approvedBy, approvedOn: row.approvedOn, reviewDue: row.reviewDue } : undefined;
    return { ...dpiaState(record, this.deps.now()), ...(record ? { record } : {}) };
  }

  /** The warning for the admin and supervisor pages and /health, or undefined (none due, or the gate is off and nothing recorded). */
  async warning(): Promise<string | undefined> {
    const state = await this.state();
    if (!this.deps.required && state.status === 'missing') return undefined;
    return state.warning;
  }

  /**
   * DP-13: refuses a live call (opening a call, sending a link) without an approved, in-date DPIA when the gate is on.
   * Read in the caller's transaction, so a DPIA recorded a moment ago counts at once.
   */
  async assertLiveCallsAllowed(tx?: Repositories): Promise<void> {
    if (!this.deps.required) return;
    const row = tx ? await tx.dpia.current() : await this.deps.data.repos.dpia.current();
    const state = dpiaState(
      row ? { reference: row.reference, approvedBy: row.approvedBy, approvedOn: row.approvedOn, reviewDue: row.reviewDue } : undefined,
      this.deps.now(),
    );
    if (!state.allowsLiveCalls) throw new LiveCallsRefusedError(state);
  }

  async record(context: RequestContext, input: DpiaInput): Promise<DpiaRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can record the DPIA');
    const userId = context.actor.userId;
    const now = this.deps.now();
    const checked = validateDpia(input, now);
    if ('errors' in checked) throw new ValidationError('Check the DPIA details', checked.errors);
    const row = await this.deps.data.transaction(async (tx) => {
      const previous = await tx.dpia.current();
      const created = await tx.dpia.record({ ...checked.record, recordedBy: userId, recordedAt: now });
      await this.deps.audit.record(tx.audit, context, {
        what: 'dpia.recorded',
        subject: `dpia:${created.id}`,
        details: {
          ...checked.record,
          previous: previous ? { reference: previous.reference, approvedOn: previous.approvedOn, reviewDue: previous.reviewDue } : null,
        },
      });
      return created;
    });
    this.cached = undefined;
    return row;
  }
}
