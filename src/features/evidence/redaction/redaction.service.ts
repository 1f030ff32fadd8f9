import path from 'node:path';
import type { Logger } from 'pino';
import type { DataAccess } from '../../../data-access.js';
import type { AuditTrail } from '../../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../platform/errors.js';
import { makeRedactedCopy, mediaFacts, redactionStill, type MediaFacts, type RedactionPlan, type RegionRedaction } from '../../../platform/media/redaction.js';
import type { BlobStore } from '../../../platform/storage/blob-store.js';
import { putFile, withLocalCopies } from '../../../platform/storage/local-copies.js';
import type { EvidenceAccessService } from '../evidence-access.service.js';
import type { EvidenceItemRow } from '../evidence.repository.js';
import type { EvidenceRegistrationService } from '../evidence-registration.service.js';
import { requireReason } from '../evidence-shared.js';
import { parseRedactionForm, redactableMedia, type RedactionFormBody } from './redaction-form.js';
import type { RedactionRow } from './redaction.repository.js';
import type { SuggestedRedactionRanges } from './suggested-ranges.js';

export const REDACTION_JOB = 'evidence.redaction';
/** A redaction in one of these states is still being made: shown as under way, resumed after a restart. */
export const UNFINISHED_REDACTION_STATES: readonly string[] = ['queued', 'running'];

/** What is stored in `evidence_redactions.spec`: the plan, the master's facts it was checked against, and its purpose. */
export interface StoredRedaction {
  plan: RedactionPlan;
  facts: MediaFacts;
  purpose: string;
}

export interface RedactionDeps {
  data: DataAccess;
  audit: AuditTrail;
  blobs: BlobStore;
  access: Pick<EvidenceAccessService, 'playback'>;
  registration: Pick<EvidenceRegistrationService, 'registerRedactedCopy'>;
  /** The "others present" marks of the call, offered as starting ranges (the video feature's `CollateralMarkRanges`). */
  suggestions: SuggestedRedactionRanges;
  log: Logger;
  now: () => Date;
}

export type RedactionDecision = 'approve' | 'reject';

/**
 * Redacted copies for disclosure (EVD-08, EVD-09, policy 3.3, issue 15 §2). A person who has opened the master with
 * a reason marks what to hide; ffmpeg makes a new copy in a job (the master is only read, through the store); the copy
 * is an evidence item of its own, `derivedFrom` the master, with the redaction list stored; a second person approves
 * it before an export may carry it (ADR 0015). Every step is in the chain of custody of the master and the copy.
 */
export class RedactionService {
  private enqueue: ((job: string, data: { redactionId: string }) => Promise<unknown>) | undefined;
  private queued: ((job: string, data: { redactionId: string }) => Promise<boolean>) | undefined;

  constructor(private readonly deps: RedactionDeps) {}

  /** With a job queue (the server) copies are made on any node and survive restarts; without one (tests) they run here. */
  useQueue(
    enqueue: (job: string, data: { redactionId: string }) => Promise<unknown>,
    queued?: (job: string, data: { redactionId: string }) => Promise<boolean>,
  ) {
    this.enqueue = enqueue;
    this.queued = queued;
  }

  private get data() {
    return this.deps.data;
  }

  /** The master, if this person's grant from a justified opening is current (viewing frames is viewing the evidence). */
  private async master(context: RequestContext, itemId: string, grant: string): Promise<EvidenceItemRow> {
    const { item } = await this.deps.access.playback(context, itemId, grant);
    if (!redactableMedia(item.mediaType)) throw new ConflictError('Only recordings and photos can be redacted');
    return item;
  }

  private async factsOf(item: EvidenceItemRow, file: string): Promise<MediaFacts> {
    try {
      return await mediaFacts(file, redactableMedia(item.mediaType)!);
    } catch (error) {
      this.deps.log.warn({ err: error, evidenceId: item.id }, 'a master could not be read for redaction');
      throw new ConflictError('This item’s file cannot be read for redaction (it does not decode): tell the evidence manager');
    }
  }

  /** What the form needs: the master, its frame size and length, and the suggested starting ranges. */
  async form(context: RequestContext, itemId: string, grant: string) {
    const item = await this.master(context, itemId, grant);
    const facts = await withLocalCopies(this.deps.blobs, [item.fileKey], ([file]) => this.factsOf(item, file!));
    const suggestions = facts.media === 'image' ? [] : await this.deps.suggestions.forItem(item.id);
    return { item, facts, suggestions };
  }

  /** A JPEG of the master at `atSeconds`, with `boxes` burnt in (the preview of what the copy will hide at that moment). */
  async still(
    context: RequestContext,
    itemId: string,
    grant: string,
    atSeconds: number,
    boxes: Omit<RegionRedaction, 'startSeconds' | 'endSeconds' | 'reason'>[] = [],
  ): Promise<Buffer> {
    const item = await this.master(context, itemId, grant);
    return withLocalCopies(this.deps.blobs, [item.fileKey], async ([file], workDir) => {
      const facts = await this.factsOf(item, file!);
      if (!facts.hasVideo) throw new ConflictError('This item has no picture');
      if (facts.durationSeconds !== undefined && (atSeconds < 0 || atSeconds > facts.durationSeconds))
        throw new ValidationError(`Choose a time between 0 and ${facts.durationSeconds.toFixed(2)} seconds`, { at: 'Choose a time within the recording' });
      const plan: RedactionPlan = {
        media: facts.media,
        regions: boxes.map((b) => ({ ...b, startSeconds: atSeconds, endSeconds: atSeconds, reason: 'preview' })),
        audio: [],
        cuts: [],
      };
      const output = path.join(workDir, 'still.jpg');
      try {
        return await redactionStill(file!, facts, plan, atSeconds, output);
      } catch (error) {
        this.deps.log.warn({ err: error, evidenceId: item.id }, 'a still of a master could not be taken');
        throw new ConflictError('A still of this moment could not be taken from the file: try another time, or tell the evidence manager');
      }
    });
  }

  /** Checks the form against the master; throws a ValidationError with an error beside each field at fault. */
  async check(context: RequestContext, itemId: string, grant: string, body: RedactionFormBody) {
    const { item, facts, suggestions } = await this.form(context, itemId, grant);
    const parsed = parseRedactionForm(body, facts);
    return { item, facts, suggestions, ...parsed };
  }

  /** Asks for a redacted copy: stored with its redaction list and audited, then made by the job (EVD-09). */
  async request(context: RequestContext, itemId: string, grant: string, body: RedactionFormBody): Promise<RedactionRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can ask for a redacted copy');
    const userId = context.actor.userId;
    const { item, facts, plan, purpose, errors } = await this.check(context, itemId, grant, body);
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the redactions', errors);
    const stored: StoredRedaction = { plan, facts, purpose };
    const redaction = await this.data.transaction(async (tx) => {
      const master = await tx.evidence.lockItem(item.id);
      if (master?.state !== 'present' || master.restrictedAt) throw new ConflictError('This item is no longer available (restricted or disposed)');
      const now = this.deps.now();
      const created = await tx.redactions.create({
        consultationId: item.consultationId,
        sourceItemId: item.id,
        spec: stored,
        state: 'queued',
        requestedBy: userId,
        requestedAt: now,
        updatedAt: now,
      });
      // EVD-04: "redact" is a custody event of the master, with the list of what is to be hidden and why.
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.redaction_requested',
        subject: `evidence:${item.id}`,
        justification: purpose,
        details: { redactionId: created.id, regions: plan.regions.length, audio: plan.audio.length, cuts: plan.cuts.length, masterSha256: item.sha256 },
      });
      return created;
    });
    await this.start(redaction.id);
    return redaction;
  }

  private async start(redactionId: string): Promise<void> {
    if (this.enqueue) await this.enqueue(REDACTION_JOB, { redactionId });
    else void this.run(redactionId).catch((error: unknown) => this.deps.log.error({ err: error, redactionId }, 'redaction failed'));
  }

  /** The job: reads the master from the store, writes the copy through it, registers it as an item (never touching the master). */
  async run(redactionId: string): Promise<void> {
    const redaction = await this.data.repos.redactions.find(redactionId);
    if (!redaction || !UNFINISHED_REDACTION_STATES.includes(redaction.state)) return;
    const context = systemContext('evidence-redaction', redaction.id);
    await this.data.repos.redactions.update(redaction.id, { state: 'running', attempts: redaction.attempts + 1, updatedAt: this.deps.now() });
    const stored = redaction.spec as StoredRedaction;
    let fileKey: string | undefined;
    try {
      const master = await this.data.repos.evidence.findItem(redaction.sourceItemId);
      if (master?.state !== 'present' || master.restrictedAt) throw new ConflictError('The master is no longer available (restricted or disposed)');
      const made = await withLocalCopies(this.deps.blobs, [master.fileKey], async ([file], workDir) => {
        const facts = await mediaFacts(file!, stored.plan.media);
        let lastSaved = 0;
        const copy = await makeRedactedCopy(file!, facts, stored.plan, path.join(workDir, 'redacted'), {
          onProgress: (fraction) => {
            const percent = Math.floor(fraction * 100);
            if (percent - lastSaved < 5 && percent < 100) return;
            lastSaved = percent;
            void this.data.repos.redactions.update(redaction.id, { progress: percent, updatedAt: this.deps.now() }).catch(() => undefined);
          },
        });
        fileKey = `consultations/${redaction.consultationId}/redacted-${redaction.id}.${copy.extension}`;
        await putFile(this.deps.blobs, fileKey, copy.path, { expectedSha256: copy.sha256, contentType: copy.mediaType });
        return copy;
      });
      await this.data.transaction(async (tx) => {
        const item = await this.deps.registration.registerRedactedCopy(tx, context, {
          consultationId: redaction.consultationId,
          redactionId: redaction.id,
          label: `Redacted copy of “${master.label}”`,
          fileKey: fileKey!,
          mediaType: made.mediaType,
          sha256: made.sha256,
          sizeBytes: made.sizeBytes,
          derivedFrom: master.id,
          requestedBy: redaction.requestedBy,
        });
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.redacted',
          subject: `evidence:${master.id}`,
          details: { redactionId: redaction.id, copyId: item.id, masterSha256: master.sha256, copySha256: made.sha256, list: stored.plan },
        });
        await tx.redactions.update(redaction.id, { state: 'awaiting_approval', progress: 100, resultItemId: item.id, updatedAt: this.deps.now() });
      });
    } catch (error) {
      // A copy stored but not registered is removed (it has no lock until it is registered).
      if (fileKey) await this.deps.blobs.delete(fileKey).catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      await this.data.transaction(async (tx) => {
        await tx.redactions.update(redaction.id, { state: 'failed', error: message.slice(0, 2000), updatedAt: this.deps.now() });
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.redaction_failed',
          subject: `evidence:${redaction.sourceItemId}`,
          details: { redactionId: redaction.id, reason: message.slice(0, 500) },
        });
      });
      this.deps.log.error({ redactionId: redaction.id, reason: message }, 'redacted copy failed');
    }
  }

  /**
   * The second person's decision (ADR 0015): someone other than the requester, who may redact, approves the copy for
   * disclosure or rejects it, with a reason. Only an approved copy is carried by an export.
   */
  async decide(context: RequestContext, redactionId: string, decision: RedactionDecision, reasonText: string): Promise<RedactionRow> {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can approve a redacted copy');
    const userId = context.actor.userId;
    const reason = requireReason(reasonText, 'reason', decision === 'approve' ? 'what you checked' : 'why it is rejected');
    return this.data.transaction(async (tx) => {
      const redaction = await tx.redactions.lock(redactionId);
      if (!redaction) throw new NotFoundError('There is no such redacted copy');
      if (redaction.requestedBy === userId)
        throw new ForbiddenError('A redacted copy is approved by a second person: someone other than who asked for it must check it');
      if (redaction.state !== 'awaiting_approval' || !redaction.resultItemId) throw new ConflictError('This redacted copy is not waiting for approval');
      const copy = await tx.evidence.findItem(redaction.resultItemId);
      if (copy?.state !== 'present') throw new ConflictError('The redacted copy is no longer available');
      const now = this.deps.now();
      const state = decision === 'approve' ? 'approved' : 'rejected';
      await tx.redactions.update(redaction.id, { state, decidedBy: userId, decidedAt: now, decisionReason: reason, updatedAt: now });
      for (const subject of [`evidence:${copy.id}`, `evidence:${redaction.sourceItemId}`])
        await this.deps.audit.record(tx.audit, context, {
          what: decision === 'approve' ? 'evidence.redaction_approved' : 'evidence.redaction_rejected',
          subject,
          justification: reason,
          details: { redactionId: redaction.id, copyId: copy.id, copySha256: copy.sha256, requestedBy: `user:${redaction.requestedBy}` },
        });
      return (await tx.redactions.find(redaction.id))!;
    });
  }

  async get(redactionId: string) {
    const redaction = await this.data.repos.redactions.find(redactionId);
    if (!redaction) throw new NotFoundError('There is no such redacted copy');
    const master = (await this.data.repos.evidence.findItem(redaction.sourceItemId))!;
    const copy = redaction.resultItemId ? await this.data.repos.evidence.findItem(redaction.resultItemId) : undefined;
    const names = async (id: string | null) => (id ? ((await this.data.repos.users.findById(id))?.displayName ?? 'Unknown') : undefined);
    return {
      redaction,
      stored: redaction.spec as StoredRedaction,
      master,
      copy,
      requestedByName: await names(redaction.requestedBy),
      decidedByName: await names(redaction.decidedBy),
    };
  }

  async forItem(itemId: string) {
    const item = await this.data.repos.evidence.findItem(itemId);
    if (!item) throw new NotFoundError('There is no evidence item with that id');
    return { item, redactions: await this.data.repos.redactions.listForItem(itemId) };
  }

  /** On start: redactions a restart interrupted are queued again (the copy is made afresh from the master). */
  async resumeInterrupted(): Promise<number> {
    let resumed = 0;
    for (const redaction of await this.data.repos.redactions.listInState([...UNFINISHED_REDACTION_STATES])) {
      if (await this.queued?.(REDACTION_JOB, { redactionId: redaction.id })) continue;
      await this.start(redaction.id);
      resumed++;
    }
    return resumed;
  }
}
