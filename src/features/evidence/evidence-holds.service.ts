import { holdReleaseRefusal } from '../../domain/hold-release.js';
import { HOLD_TYPES, type HoldType } from '../../domain/retention.js';
import type { Repositories } from '../../data-access.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { EvidenceRetentionService } from './evidence-retention.service.js';
import { requireReason, type EvidenceDeps } from './evidence-shared.js';

/**
 * Holds and restriction: a legal hold blocks disposal and purge of a consultation's material (X-03, EVD-13,
 * SEC-11); a restricted item is hidden from search and playback, still intact and verified (DP-10).
 */
export class EvidenceHoldsService {
  constructor(private readonly deps: Pick<EvidenceDeps, 'data' | 'audit' | 'now'> & { retention: Pick<EvidenceRetentionService, 'recompute'> }) {}

  private get data() {
    return this.deps.data;
  }

  /** DP-10: restricted instead of erased: hidden from search and playback, still intact and verified. */
  async setRestricted(context: RequestContext, id: string, restricted: boolean, reasonInput: string) {
    const reason = requireReason(reasonInput, 'reason', restricted ? 'the reason for the restriction' : 'the reason for lifting the restriction');
    await this.data.transaction(async (tx) => {
      const item = await tx.evidence.lockItem(id);
      if (!item) throw new NotFoundError('There is no evidence item with that id');
      if (item.state !== 'present') throw new ConflictError('This item has been disposed of');
      if (Boolean(item.restrictedAt) === restricted) throw new ConflictError(restricted ? 'The item is already restricted' : 'The item is not restricted');
      await tx.evidence.setRestriction(id, restricted ? { at: this.deps.now(), reason } : null);
      // A working copy shows the same content: it is restricted (and released) with its master (DP-10).
      if (restricted)
        for (const copy of (await tx.evidence.listByConsultation(item.consultationId)).filter(
          (i) => Array.isArray(i.derivedFrom) && (i.derivedFrom as string[]).includes(id) && !i.restrictedAt,
        )) {
          await tx.evidence.setRestriction(copy.id, { at: this.deps.now(), reason: `Made from restricted item ${id}: ${reason}` });
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.restricted',
            subject: `evidence:${copy.id}`,
            justification: reason,
            details: { with: id },
          });
        }
      await this.deps.audit.record(tx.audit, context, {
        what: restricted ? 'evidence.restricted' : 'evidence.unrestricted',
        subject: `evidence:${id}`,
        justification: reason,
      });
    });
  }

  /** Places a legal hold on all of a consultation's material: disposal and purge are blocked while it stands. */
  async placeHold(context: RequestContext, consultationId: string, input: { type?: string; rationale?: string }) {
    const type = HOLD_TYPES.find((h) => h.type === input.type)?.type;
    if (!type) throw new ValidationError('Choose the type of hold', { type: 'Choose the type of hold' });
    const rationale = requireReason(input.rationale, 'rationale', 'the rationale for the hold');
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can place a hold');
    const userId = context.actor.userId;
    return this.data.transaction((tx) => this.placeHoldIn(tx, context, consultationId, { type, rationale, placedBy: userId }));
  }

  /**
   * The hold itself, in the caller's transaction: also placed automatically with a report that needs the material
   * kept (policy 3.4: covert surveillance without authority, an IPCO hold), so both land or neither does.
   */
  async placeHoldIn(
    tx: Repositories,
    context: RequestContext,
    consultationId: string,
    hold: { type: HoldType; rationale: string; placedBy: string; automatic?: string },
  ) {
    if (!(await tx.evidence.lockCase(consultationId))) throw new NotFoundError('No consultation with that id');
    const placed = await tx.evidence.createHold({
      consultationId,
      type: hold.type,
      rationale: hold.rationale,
      placedBy: hold.placedBy,
      placedAt: this.deps.now(),
    });
    await this.deps.audit.record(tx.audit, context, {
      what: 'evidence.hold_placed',
      subject: `consultation:${consultationId}`,
      justification: hold.rationale,
      details: { holdId: placed.id, type: hold.type, ...(hold.automatic ? { automatic: hold.automatic } : {}) },
    });
    await this.deps.retention.recompute(tx, context, consultationId, true);
    return placed;
  }

  /**
   * Releases a hold. EVD-13: a COMPLAINT, CONDUCT or DSI hold only by Professional Standards; SEC-11: never by the
   * person who placed it. A refusal is logged in its own transaction (who tried, which hold, why refused), then a 403.
   */
  async releaseHold(context: RequestContext, holdId: string, rationaleInput: string) {
    const rationale = requireReason(rationaleInput, 'rationale', 'the rationale for releasing the hold');
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can release a hold');
    const releaser = { userId: context.actor.userId, roles: context.actor.roles };
    const userId = releaser.userId;
    const outcome = await this.data.transaction(async (tx) => {
      const hold = await tx.evidence.findHold(holdId);
      if (!hold) throw new NotFoundError('There is no hold with that id');
      if (hold.releasedAt) throw new ConflictError('That hold has already been released');
      const refusal = holdReleaseRefusal(hold, releaser);
      if (refusal) return { refused: { hold, refusal } };
      await tx.evidence.releaseHold(holdId, { releasedBy: userId, releasedAt: this.deps.now(), releaseRationale: rationale });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.hold_released',
        subject: `consultation:${hold.consultationId}`,
        justification: rationale,
        details: { holdId, type: hold.type, placedBy: hold.placedBy },
      });
      await this.deps.retention.recompute(tx, context, hold.consultationId, true);
      return { hold };
    });
    if (outcome.refused) {
      const { hold, refusal } = outcome.refused;
      await this.data.transaction((tx) =>
        this.deps.audit.record(tx.audit, context, {
          what: 'evidence.hold_release_refused',
          subject: `consultation:${hold.consultationId}`,
          justification: rationale,
          details: { holdId, type: hold.type, placedBy: hold.placedBy, reason: refusal },
        }),
      );
      throw new ForbiddenError(refusal);
    }
    return outcome.hold;
  }
}
