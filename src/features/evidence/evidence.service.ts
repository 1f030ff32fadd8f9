import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataAccess, Repositories } from '../../data-access.js';
import {
  computeRetention,
  HOLD_TYPES,
  nracDecision,
  addCalendarYears,
  type CaseStatus,
  type HoldType,
  type MopiGroup,
  type NracAnswers,
  type RetentionSchedule,
} from '../../domain/retention.js';
import { holdReleaseRefusal } from '../../domain/hold-release.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { sha256File } from '../../platform/media/sha256-file.js';
import type { EvidenceItemRow } from './evidence.repository.js';

export interface EvidenceDeps {
  data: DataAccess;
  audit: AuditTrail;
  mediaRoot: string;
  schedule: RetentionSchedule;
  /** Sign the short-lived playback grants handed out after a justified view: the first signs, any verifies (ADR 0008). */
  grantKeys: readonly [Buffer, ...Buffer[]];
  log: Logger;
  now: () => Date;
  /** Called with each integrity failure (the metric and the alert page read it). */
  onIntegrityFailure?: (item: EvidenceItemRow, problem: 'mismatch' | 'missing') => void;
}

export interface RetentionFactsInput {
  evidential: boolean;
  mopiGroup?: MopiGroup;
  caseStatus: CaseStatus;
  complaintOrClaim: boolean;
}

export interface DisposalOutcome {
  disposalId: string;
  dryRun: boolean;
  items: DisposalCertificateItem[];
  /** Items past their date that a hold kept (logged as refused). */
  held: string[];
}

export interface DisposalCertificateItem {
  id: string;
  consultationId: string;
  kind: string;
  sha256: string;
  sizeBytes: number;
  capturedAt: string;
  disposalEligibleAt: string;
  basis: string;
}

const GRANT_MINUTES = 30;
const MIN_REASON = 10;

function requireReason(value: string | undefined, field: string, what: string): string {
  const reason = (value ?? '').trim();
  if (reason.length < MIN_REASON)
    throw new ValidationError(`Give ${what} (at least ${MIN_REASON} characters)`, { [field]: `Give ${what} (at least ${MIN_REASON} characters)` });
  if (reason.length > 2000) throw new ValidationError(`Keep ${what} under 2,000 characters`, { [field]: `Keep ${what} under 2,000 characters` });
  return reason;
}

const DEFAULT_CASE_STATUS: CaseStatus = { kind: 'under_investigation' };

/** A case status as stored (jsonb keeps its dates as ISO strings) back to the rules' own shape, with Dates. */
export function storedCaseStatus(stored: unknown): CaseStatus {
  if (!stored || typeof stored !== 'object') return DEFAULT_CASE_STATUS;
  const status = stored as Record<string, unknown>;
  const day = (value: unknown) => (value === undefined || value === null ? undefined : new Date(value as string));
  switch (status.kind) {
    case 'nfa':
      return { kind: 'nfa', decidedAt: day(status.decidedAt)! };
    case 'acquitted':
      return { kind: 'acquitted', at: day(status.at)! };
    case 'convicted':
      return { kind: 'convicted', at: day(status.at)!, custodial: Boolean(status.custodial), releaseDate: day(status.releaseDate) };
    case 'charged':
    case 'appeal_pending':
      return { kind: status.kind };
    default:
      return DEFAULT_CASE_STATUS;
  }
}

/**
 * Evidence: every master a consultation produces becomes an item with its hash (EVD-01); opening, playing and
 * downloading are justified and logged as continuity (DP-01, EVD-03); retention dates come from the pure rules
 * in domain/retention; holds block disposal; disposal is two-step so a crash never half-deletes (DP-03).
 */
export class EvidenceService {
  constructor(private readonly deps: EvidenceDeps) {}

  private get data() {
    return this.deps.data;
  }

  /** Registers a finished recording segment as an item, in the caller's transaction (EVD-01). */
  async registerRecording(
    tx: Repositories,
    context: RequestContext,
    recording: {
      id: string;
      callId: string;
      consultationId: string;
      role: string;
      segment: number;
      fileKey: string;
      sha256: string;
      sizeBytes: number;
      startedAt: Date;
      tracks: unknown;
    },
  ): Promise<EvidenceItemRow> {
    const tracks = Array.isArray(recording.tracks) ? (recording.tracks as string[]) : [];
    return this.register(tx, context, {
      consultationId: recording.consultationId,
      callId: recording.callId,
      kind: 'recording',
      sourceId: `recording:${recording.id}`,
      label: `Recording of the ${recording.role}, segment ${recording.segment}`,
      fileKey: recording.fileKey,
      mediaType: tracks.includes('video') ? 'video/webm' : 'audio/webm',
      sha256: recording.sha256,
      sizeBytes: recording.sizeBytes,
      capturedAt: recording.startedAt,
      capturedBy: 'system:media',
    });
  }

  async registerSnapshot(
    tx: Repositories,
    context: RequestContext,
    snapshot: {
      id: string;
      callId: string;
      consultationId: string;
      fileKey: string;
      mediaType: string;
      sha256: string;
      sizeBytes: number;
      takenAt: Date;
      takenBy: string | null;
    },
  ): Promise<EvidenceItemRow> {
    return this.register(tx, context, {
      consultationId: snapshot.consultationId,
      callId: snapshot.callId,
      kind: 'snapshot',
      sourceId: `snapshot:${snapshot.id}`,
      label: 'Snapshot from the victim’s video',
      fileKey: snapshot.fileKey,
      mediaType: snapshot.mediaType,
      sha256: snapshot.sha256,
      sizeBytes: snapshot.sizeBytes,
      capturedAt: snapshot.takenAt,
      capturedBy: snapshot.takenBy ? `user:${snapshot.takenBy}` : 'system:media',
    });
  }

  private async register(
    tx: Repositories,
    context: RequestContext,
    item: Omit<Parameters<Repositories['evidence']['createItem']>[0], 'ownerId'>,
  ): Promise<EvidenceItemRow> {
    const existing = await tx.evidence.findBySource(item.sourceId);
    if (existing) return existing;
    const consultation = await tx.consultations.findById(item.consultationId);
    const created = await tx.evidence.createItem({ ...item, ownerId: consultation?.officerId ?? null });
    // Masters are read-only on disk: nothing in the platform writes to them again (EVD-02).
    await fs.promises.chmod(path.join(this.deps.mediaRoot, item.fileKey), 0o440).catch(() => undefined);
    await this.deps.audit.record(tx.audit, context, {
      what: 'evidence.captured',
      subject: `evidence:${created.id}`,
      details: { consultationId: created.consultationId, kind: created.kind, sha256: created.sha256, sizeBytes: created.sizeBytes },
    });
    await this.recompute(tx, context, created.consultationId, false);
    return (await tx.evidence.findItem(created.id))!;
  }

  /** Registers any finished recording or snapshot that has no item yet (e.g. made before this feature, or after a crash). */
  async registerMissing(): Promise<number> {
    const context = systemContext('evidence-register', randomUUID());
    const missing = await this.data.repos.recordings.listFinishedWithoutEvidence();
    let registered = 0;
    for (const source of missing) {
      await this.data.transaction(async (tx) => {
        if (source.type === 'recording') await this.registerRecording(tx, context, source.row);
        else await this.registerSnapshot(tx, context, source.row);
      });
      registered += 1;
    }
    return registered;
  }

  async list(context: RequestContext, includeRestricted: boolean) {
    return this.data.repos.evidence.search({ includeRestricted, limit: 200 });
  }

  /** What may be shown before a justified opening: enough to choose the item, no content. */
  async itemHeader(id: string) {
    const item = await this.data.repos.evidence.findItem(id);
    if (!item) throw new NotFoundError('There is no evidence item with that id');
    const consultation = (await this.data.repos.consultations.findById(item.consultationId))!;
    return { item, consultation };
  }

  /**
   * Opens an item: logged with the justification (DP-01) as a continuity entry, and returns the item's page
   * data with a playback grant for this user valid for a short while.
   */
  async open(context: RequestContext, id: string, justification: string) {
    const reason = requireReason(justification, 'justification', 'a reason for opening this item');
    return this.data.transaction(async (tx) => {
      const item = await tx.evidence.findItem(id);
      if (!item) throw new NotFoundError('There is no evidence item with that id');
      if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47): it cannot be opened until the restriction is lifted');
      if (item.state !== 'present') throw new ConflictError('This item has been disposed of; its disposal certificate is kept');
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.viewed',
        subject: `evidence:${item.id}`,
        justification: reason,
        details: { kind: item.kind },
      });
      return { item, grant: this.grant(context, item.id) };
    });
  }

  /**
   * Opens every recording of a consultation together, to play in sync: each is a logged, justified view (DP-01),
   * with its offset from the earliest start so the player can place it on one clock.
   */
  async openRecordings(context: RequestContext, consultationId: string, justification: string) {
    const reason = requireReason(justification, 'justification', 'a reason for playing the call');
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const recordings = (await tx.evidence.listByConsultation(consultationId)).filter(
        (i) => i.kind === 'recording' && i.state === 'present' && !i.restrictedAt,
      );
      if (recordings.length === 0) throw new ConflictError('This consultation has no recordings that can be played');
      const starts = await Promise.all(
        recordings.map(async (item) => (await tx.recordings.findById(item.sourceId.replace(/^recording:/, '')))?.firstPacketAt ?? item.capturedAt),
      );
      const earliest = Math.min(...starts.map((d) => d.getTime()));
      const tracks = [];
      for (const [index, item] of recordings.entries()) {
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.viewed',
          subject: `evidence:${item.id}`,
          justification: reason,
          details: { kind: item.kind, playedWith: recordings.length - 1 },
        });
        tracks.push({ item, offsetMs: starts[index]!.getTime() - earliest, grant: encodeURIComponent(this.grant(context, item.id)) });
      }
      return { consultation, tracks };
    });
  }

  /** The consultation's record for the item page: holds, retention facts, reviews and the item's continuity. */
  async itemRecord(id: string) {
    const { item, consultation } = await this.itemHeader(id);
    const repos = this.data.repos;
    const [holds, retention, reviews, continuity, siblings] = await Promise.all([
      repos.evidence.listHolds(item.consultationId),
      repos.evidence.findRetention(item.consultationId),
      repos.evidence.listReviews(item.consultationId),
      repos.audit.listForSubjects([`evidence:${item.id}`, `consultation:${item.consultationId}`], 'evidence.'),
      repos.evidence.listByConsultation(item.consultationId),
    ]);
    return { item, consultation, holds, retention, reviews, continuity, siblings };
  }

  /** A consultation's evidence for the records staff: items, holds, retention facts and reviews. */
  async consultationRecord(consultationId: string) {
    const repos = this.data.repos;
    const consultation = await repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    const [items, holds, retention, reviews] = await Promise.all([
      repos.evidence.listByConsultation(consultationId),
      repos.evidence.listHolds(consultationId),
      repos.evidence.findRetention(consultationId),
      repos.evidence.listReviews(consultationId),
    ]);
    return { consultation, items, holds, retention, reviews };
  }

  private grant(context: RequestContext, itemId: string): string {
    const expires = this.deps.now().getTime() + GRANT_MINUTES * 60_000;
    const who = context.actor.type === 'user' ? context.actor.userId : 'none';
    const payload = `${itemId}.${who}.${expires}`;
    return `${expires}.${createHmac('sha256', this.deps.grantKeys[0]).update(payload).digest('base64url')}`;
  }

  /** The master's path for playback (HTTP ranges), if the grant from a justified opening is this user's and current. */
  async playbackFile(context: RequestContext, id: string, grant: string): Promise<{ file: string; item: EvidenceItemRow }> {
    const [expiresText, signature] = grant.split('.');
    const expires = Number(expiresText);
    const who = context.actor.type === 'user' ? context.actor.userId : 'none';
    const given = Buffer.from(signature ?? '', 'base64url');
    const signedByUs = this.deps.grantKeys.some((key) => {
      const expected = createHmac('sha256', key).update(`${id}.${who}.${expires}`).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!Number.isFinite(expires) || !signedByUs) throw new ForbiddenError('Open the item with a reason before playing it');
    if (expires < this.deps.now().getTime()) throw new ForbiddenError('Your viewing of this item has timed out: open it again with a reason');
    const item = await this.data.repos.evidence.findItem(id);
    if (!item || item.state !== 'present') throw new NotFoundError('There is no evidence item with that id');
    if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47)');
    const file = path.join(this.deps.mediaRoot, item.fileKey);
    await fs.promises.access(file).catch(() => {
      throw new ConflictError('The master file is missing: tell the evidence manager (the integrity check reports it)');
    });
    return { file, item };
  }

  /** A download is a disclosure: logged with the justification and the recipient before a byte leaves (DP-01, EVD-03). */
  async download(context: RequestContext, id: string, input: { justification?: string; recipient?: string }) {
    const reason = requireReason(input.justification, 'justification', 'a reason for the download');
    const recipient = (input.recipient ?? '').trim();
    if (recipient.length < 3 || recipient.length > 300)
      throw new ValidationError('Say who will receive the copy', { recipient: 'Say who will receive the copy (for example “CPS Kent, reviewing lawyer”)' });
    return this.data.transaction(async (tx) => {
      const item = await tx.evidence.findItem(id);
      if (!item) throw new NotFoundError('There is no evidence item with that id');
      if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47): it cannot be disclosed until the restriction is lifted');
      if (item.state !== 'present') throw new ConflictError('This item has been disposed of');
      const file = path.join(this.deps.mediaRoot, item.fileKey);
      await fs.promises.access(file).catch(() => {
        throw new ConflictError('The master file is missing: the integrity alert has been raised');
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.disclosed',
        subject: `evidence:${item.id}`,
        justification: reason,
        recipient,
        details: { kind: item.kind, sha256: item.sha256 },
      });
      return { item, file };
    });
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
    return this.data.transaction(async (tx) => {
      if (!(await tx.evidence.lockCase(consultationId))) throw new NotFoundError('No consultation with that id');
      const hold = await tx.evidence.createHold({ consultationId, type, rationale, placedBy: userId, placedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.hold_placed',
        subject: `consultation:${consultationId}`,
        justification: rationale,
        details: { holdId: hold.id, type },
      });
      await this.recompute(tx, context, consultationId, true);
      return hold;
    });
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
      await this.recompute(tx, context, hold.consultationId, true);
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

  /** Records the case's retention facts (MOPI group, CPIA status, evidential or not) and re-dates its items. */
  async setRetentionFacts(context: RequestContext, consultationId: string, facts: RetentionFactsInput) {
    const userId = context.actor.type === 'user' ? context.actor.userId : null;
    await this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const before = await tx.evidence.findRetention(consultationId);
      await tx.evidence.saveRetention({
        consultationId,
        evidential: facts.evidential,
        mopiGroup: facts.mopiGroup ?? null,
        caseStatus: facts.caseStatus,
        complaintOrClaim: facts.complaintOrClaim,
        clearPeriodStart: before?.clearPeriodStart ?? null,
        lastReviewRetainUntil: before?.lastReviewRetainUntil ?? null,
        nracDisposeDecidedAt: before?.nracDisposeDecidedAt ?? null,
        scheduleVersion: this.deps.schedule.version,
        updatedAt: this.deps.now(),
        updatedBy: userId,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_set',
        subject: `consultation:${consultationId}`,
        details: {
          evidential: facts.evidential,
          mopiGroup: facts.mopiGroup ?? null,
          caseStatus: facts.caseStatus.kind,
          complaintOrClaim: facts.complaintOrClaim,
        },
      });
      await this.recompute(tx, context, consultationId, false);
    });
  }

  /** A retention review with the NRAC questions (RET-03, RET-13): any "yes" retains and sets the next review date. */
  async recordReview(context: RequestContext, consultationId: string, answers: NracAnswers, rationaleInput: string) {
    const rationale = requireReason(rationaleInput, 'rationale', 'the rationale for the decision');
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can review retention');
    const reviewerId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const decision = nracDecision(answers);
      const now = this.deps.now();
      const nextReviewAt = decision === 'retain' ? addCalendarYears(now, this.deps.schedule.reviewExtensionYears) : null;
      const review = await tx.evidence.createReview({ consultationId, reviewerId, answers, decision, rationale, nextReviewAt, decidedAt: now });
      const retention = await tx.evidence.findRetention(consultationId);
      await tx.evidence.saveRetention({
        ...(retention ?? this.defaultRetention(consultationId, now)),
        lastReviewRetainUntil: decision === 'retain' ? nextReviewAt : null,
        nracDisposeDecidedAt: decision === 'dispose' ? now : null,
        updatedAt: now,
        updatedBy: reviewerId,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_reviewed',
        subject: `consultation:${consultationId}`,
        justification: rationale,
        // The answers (health, children, substance misuse) stay in retention_reviews, not in the permanent chain.
        details: { reviewId: review.id, decision, nextReviewAt: nextReviewAt?.toISOString() ?? null },
      });
      await this.recompute(tx, context, consultationId, false);
      return review;
    });
  }

  private defaultRetention(consultationId: string, now: Date) {
    return {
      consultationId,
      evidential: true,
      mopiGroup: null,
      caseStatus: DEFAULT_CASE_STATUS,
      complaintOrClaim: false,
      clearPeriodStart: null,
      lastReviewRetainUntil: null,
      nracDisposeDecidedAt: null,
      scheduleVersion: this.deps.schedule.version,
      updatedAt: now,
      updatedBy: null,
    };
  }

  /** Re-dates every present item of a consultation from its facts and holds. */
  private async recompute(tx: Repositories, context: RequestContext, consultationId: string, audited: boolean): Promise<void> {
    const retention = await tx.evidence.findRetention(consultationId);
    const holds = (await tx.evidence.listHolds(consultationId)).filter((h) => !h.releasedAt);
    const items = await tx.evidence.listByConsultation(consultationId);
    const present = items.filter((i) => i.state === 'present');
    if (present.length === 0) return;
    const capturedAt = new Date(Math.min(...present.map((i) => i.capturedAt.getTime())));
    const outcome = computeRetention(
      {
        evidential: retention?.evidential ?? true,
        capturedAt,
        mopiGroup: (retention?.mopiGroup as MopiGroup | null) ?? undefined,
        clearPeriodStart: retention?.clearPeriodStart ?? undefined,
        caseStatus: storedCaseStatus(retention?.caseStatus),
        complaintOrClaim: retention?.complaintOrClaim ?? false,
        activeHolds: holds.map((h) => h.type as HoldType),
        lastReviewRetainUntil: retention?.lastReviewRetainUntil ?? undefined,
        nracDisposeDecidedAt: retention?.nracDisposeDecidedAt ?? undefined,
      },
      this.deps.schedule,
      this.deps.now(),
    );
    const basis = [
      ...outcome.bases.map((b) => `${b.ruleId}: ${b.explanation}`),
      ...outcome.blockedBy.filter((b) => b.until === null).map((b) => `Blocked (${b.ruleId}): ${b.reason}`),
    ].join('; ');
    await tx.evidence.setRetentionDates(consultationId, {
      retentionBasis: basis || 'Not yet assessed',
      reviewDueAt: outcome.reviewDueAt,
      // Null while anything blocks without an end (a hold, an open case): the disposal job cannot reach it.
      disposalEligibleAt: outcome.disposalEligibleAt,
    });
    if (audited)
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.retention_dated',
        subject: `consultation:${consultationId}`,
        details: { disposalEligibleAt: outcome.disposalEligibleAt?.toISOString() ?? null, blocked: outcome.blockedBy.map((b) => b.basis) },
      });
  }

  /** The scheduled integrity check (EVD-02): re-hashes every master; a mismatch is reported, never re-hashed into the record. */
  async checkIntegrity(): Promise<{ checked: number; failures: { id: string; problem: 'mismatch' | 'missing' }[] }> {
    const context = systemContext('evidence-integrity', randomUUID());
    const failures: { id: string; problem: 'mismatch' | 'missing' }[] = [];
    let checked = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.data.repos.evidence.listPresentAfter(after, 100);
      if (page.length === 0) break;
      for (const item of page) {
        after = item.id;
        checked += 1;
        const file = path.join(this.deps.mediaRoot, item.fileKey);
        const actual = await sha256File(file).catch(() => undefined);
        const status = !actual ? 'missing' : actual.sha256 === item.sha256 && actual.size === item.sizeBytes ? 'ok' : 'mismatch';
        const now = this.deps.now();
        await this.data.transaction(async (tx) => {
          await tx.evidence.setIntegrity(item.id, status, now);
          if (status !== 'ok')
            await this.deps.audit.record(tx.audit, context, {
              what: 'evidence.integrity_failed',
              subject: `evidence:${item.id}`,
              details: { problem: status, expectedSha256: item.sha256, actualSha256: actual?.sha256 ?? null },
            });
        });
        if (status !== 'ok') {
          failures.push({ id: item.id, problem: status });
          this.deps.log.error({ evidenceId: item.id, problem: status }, 'evidence master failed its integrity check');
          this.deps.onIntegrityFailure?.(item, status);
        }
      }
    }
    return { checked, failures };
  }

  integrityFailures() {
    return this.data.repos.evidence.listIntegrityFailures();
  }

  reviewQueue() {
    return this.data.repos.evidence.listDueForReview(this.deps.now());
  }

  /**
   * The disposal job (DP-03, X-03). Each item is first marked `disposing` (with its audit entry), then its file
   * is deleted, then it is marked `disposed`: a crash at any point is finished by `resumeDisposals` on start.
   * A dry run lists what would go and changes nothing but its own certificate and log entry.
   */
  async dispose(context: RequestContext, options: { dryRun: boolean }): Promise<DisposalOutcome> {
    const now = this.deps.now();
    const candidates = await this.data.repos.evidence.listDisposalCandidates(now);
    const disposalId = randomUUID();
    const items: DisposalCertificateItem[] = [];
    const held: string[] = [];
    for (const candidate of candidates) {
      const taken = await this.data.transaction(async (tx) => {
        await tx.evidence.lockCase(candidate.consultationId);
        const item = await tx.evidence.lockItem(candidate.id);
        if (!item || item.state !== 'present' || item.restrictedAt || !item.disposalEligibleAt || item.disposalEligibleAt > now) return undefined;
        const holds = (await tx.evidence.listHolds(item.consultationId)).filter((h) => !h.releasedAt);
        if (holds.length > 0) {
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.disposal_refused',
            subject: `evidence:${item.id}`,
            details: { reason: 'legal hold', holds: holds.map((h) => h.type) },
          });
          held.push(item.id);
          return undefined;
        }
        const entry: DisposalCertificateItem = {
          id: item.id,
          consultationId: item.consultationId,
          kind: item.kind,
          sha256: item.sha256,
          sizeBytes: item.sizeBytes,
          capturedAt: item.capturedAt.toISOString(),
          disposalEligibleAt: item.disposalEligibleAt.toISOString(),
          basis: item.retentionBasis,
        };
        if (!options.dryRun) {
          await tx.evidence.markDisposing(item.id, disposalId);
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.disposing',
            subject: `evidence:${item.id}`,
            details: { disposalId, sha256: item.sha256, basis: item.retentionBasis },
          });
        }
        return entry;
      });
      if (!taken) continue;
      items.push(taken);
      // A file that cannot be deleted now stays `disposing` and is finished on the next start; the run goes on.
      if (!options.dryRun)
        await this.finishRemoval(context, candidate.id).catch((error: unknown) =>
          this.deps.log.error({ err: error, evidenceId: candidate.id }, 'an evidence file could not be deleted; it will be retried'),
        );
    }
    const certificate = JSON.stringify({ disposalId, dryRun: options.dryRun, ranAt: now.toISOString(), items });
    await this.data.transaction(async (tx) => {
      await tx.evidence.createDisposal({
        id: disposalId,
        dryRun: options.dryRun,
        ranAt: now,
        ranBy: context.actor.type === 'user' ? `user:${context.actor.userId}` : `system:${context.actor.type === 'system' ? context.actor.name : 'cli'}`,
        items,
        certificate,
        certificateSha256: createHash('sha256').update(certificate).digest('hex'),
      });
      await this.deps.audit.record(tx.audit, context, {
        what: options.dryRun ? 'evidence.disposal_dry_run' : 'evidence.disposal_run',
        subject: `disposal:${disposalId}`,
        details: { items: items.length, held: held.length },
      });
    });
    return { disposalId, dryRun: options.dryRun, items, held };
  }

  /** Deletes the file of an item marked `disposing` (or `purging` after an export), then marks it; safe to run again after a crash. */
  async finishRemoval(context: RequestContext, id: string): Promise<boolean> {
    const item = await this.data.repos.evidence.findItem(id);
    if (!item || (item.state !== 'disposing' && item.state !== 'purging')) return false;
    const file = path.join(this.deps.mediaRoot, item.fileKey);
    await fs.promises.rm(file, { force: true });
    // A recording repaired after a crash keeps its raw original beside it: it goes with the master.
    if (item.kind === 'recording') await fs.promises.rm(file.replace(/\.webm$/, '.unfinished.webm'), { force: true });
    const purge = item.state === 'purging';
    await this.data.transaction(async (tx) => {
      if (purge) await tx.evidence.markPurged(id, this.deps.now());
      else await tx.evidence.markDisposed(id, this.deps.now());
      // The erasure log holds ids and hashes, never content (DP-03).
      await this.deps.audit.record(tx.audit, context, {
        what: purge ? 'evidence.purged' : 'evidence.disposed',
        subject: `evidence:${id}`,
        details: purge ? { exportId: item.disposalId, sha256: item.sha256 } : { disposalId: item.disposalId, sha256: item.sha256 },
      });
    });
    return true;
  }

  /** On start: finishes any disposal or purge a crash interrupted (file deleted or not, the row ends removed). */
  async resumeDisposals(): Promise<number> {
    const context = systemContext('evidence-disposal-resume', randomUUID());
    const pending = [...(await this.data.repos.evidence.listByState('disposing')), ...(await this.data.repos.evidence.listByState('purging'))];
    for (const item of pending) await this.finishRemoval(context, item.id);
    return pending.length;
  }

  /**
   * When a call ends, the officer's notes and the chat transcript are written once as text masters and kept as
   * items of their own (EVD-01): the record of what was said in writing, as it stood at the end of the call.
   */
  async registerCallRecord(
    tx: Repositories,
    context: RequestContext,
    call: { id: string; consultationId: string; officerNotes: string | null },
  ): Promise<void> {
    const chat = await tx.calls.listChat(call.id);
    const at = this.deps.now();
    const records = [
      call.officerNotes?.trim()
        ? { kind: 'notes', label: 'The officer’s notes', name: 'officer-notes.txt', mediaType: 'text/plain; charset=utf-8', text: call.officerNotes }
        : undefined,
      chat.length > 0
        ? {
            kind: 'chat',
            label: 'Chat transcript',
            name: 'chat.jsonl',
            mediaType: 'text/plain; charset=utf-8',
            text: chat.map((m) => JSON.stringify({ at: m.at.toISOString(), role: m.role, text: m.text })).join('\n') + '\n',
          }
        : undefined,
    ].filter((r) => r !== undefined);
    for (const record of records) {
      const master = await this.writeTextMaster(`calls/${call.id}/${at.getTime()}-${record.name}`, record.text);
      await this.register(tx, context, {
        ...master,
        consultationId: call.consultationId,
        callId: call.id,
        kind: record.kind,
        sourceId: `${record.kind}:${call.id}`,
        label: record.label,
        mediaType: record.mediaType,
        capturedAt: at,
        capturedBy: context.actor.type === 'user' ? `user:${context.actor.userId}` : 'system:call',
      });
    }
  }

  /** A photo or video the victim sent during the call, checked and hashed on arrival (policy: victim uploads). */
  async registerUpload(
    tx: Repositories,
    context: RequestContext,
    upload: {
      uploadId: string;
      consultationId: string;
      callId: string;
      fileKey: string;
      mediaType: string;
      sha256: string;
      sizeBytes: number;
      receivedAt: Date;
      participantId: string;
    },
  ): Promise<EvidenceItemRow> {
    return this.register(tx, context, {
      consultationId: upload.consultationId,
      callId: upload.callId,
      kind: 'upload',
      sourceId: `upload:${upload.uploadId}`,
      label: upload.mediaType.startsWith('video/') ? 'Video sent by the victim' : 'Photo sent by the victim',
      fileKey: upload.fileKey,
      mediaType: upload.mediaType,
      sha256: upload.sha256,
      sizeBytes: upload.sizeBytes,
      capturedAt: upload.receivedAt,
      capturedBy: `link:${upload.participantId}`,
    });
  }

  /**
   * The victim's confirmed statement: the exact text confirmed is the master (UTF-8, read-only), so its hash is the
   * one the victim confirmed (EVD-01/02). In the confirming transaction; a file left by a rolled-back attempt is replaced.
   */
  async registerStatement(
    tx: Repositories,
    context: RequestContext,
    statement: { id: string; consultationId: string; callId: string | null; text: string; confirmedAt: Date },
  ): Promise<EvidenceItemRow> {
    const sourceId = `statement:${statement.id}`;
    const existing = await tx.evidence.findBySource(sourceId);
    if (existing) return existing;
    const master = await this.writeTextMaster(`statements/${statement.consultationId}/statement-${statement.id}.txt`, statement.text);
    return this.register(tx, context, {
      ...master,
      consultationId: statement.consultationId,
      callId: statement.callId,
      kind: 'statement',
      sourceId,
      label: 'The victim’s statement, as confirmed',
      mediaType: 'text/plain; charset=utf-8',
      capturedAt: statement.confirmedAt,
      capturedBy:
        context.actor.type === 'link' ? `link:${context.actor.participantId}` : context.actor.type === 'user' ? `user:${context.actor.userId}` : 'system',
    });
  }

  /**
   * A completed form (a risk assessment, DASH-02): its text rendering, as completed, is the master (UTF-8, read-only,
   * SHA-256), registered once per form in the completing transaction (EVD-01/02).
   */
  async registerForm(
    tx: Repositories,
    context: RequestContext,
    form: { id: string; consultationId: string; label: string; name: string; text: string; completedAt: Date },
  ): Promise<EvidenceItemRow> {
    const sourceId = `form:${form.id}`;
    const existing = await tx.evidence.findBySource(sourceId);
    if (existing) return existing;
    const master = await this.writeTextMaster(`forms/${form.consultationId}/${form.id}-${form.name}`, form.text);
    return this.register(tx, context, {
      ...master,
      consultationId: form.consultationId,
      callId: null,
      kind: 'form',
      sourceId,
      label: form.label,
      mediaType: 'text/plain; charset=utf-8',
      capturedAt: form.completedAt,
      capturedBy: context.actor.type === 'user' ? `user:${context.actor.userId}` : 'system',
    });
  }

  /** Writes a text master once, read-only; a file left by a rolled-back attempt (never registered) is replaced. */
  private async writeTextMaster(fileKey: string, text: string): Promise<{ fileKey: string; sha256: string; sizeBytes: number }> {
    const bytes = Buffer.from(text, 'utf8');
    const file = path.join(this.deps.mediaRoot, fileKey);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.rm(file, { force: true });
    await fs.promises.writeFile(file, bytes, { flag: 'wx', mode: 0o440 });
    return { fileKey, sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length };
  }

  /** Registers a court working copy made from masters: its own hash, and `derivedFrom` naming them (EVD-09). */
  async registerWorkingCopy(
    tx: Repositories,
    context: RequestContext,
    copy: { consultationId: string; taskId: string; fileKey: string; sha256: string; sizeBytes: number; derivedFrom: string[]; requestedBy: string | null },
  ): Promise<EvidenceItemRow> {
    return this.register(tx, context, {
      consultationId: copy.consultationId,
      callId: null,
      kind: 'working_copy',
      sourceId: `working_copy:${copy.taskId}`,
      label: 'Court working copy (MP4, side by side, UTC time shown)',
      fileKey: copy.fileKey,
      mediaType: 'video/mp4',
      sha256: copy.sha256,
      sizeBytes: copy.sizeBytes,
      capturedAt: this.deps.now(),
      capturedBy: copy.requestedBy ? `user:${copy.requestedBy}` : 'system:evidence',
      derivedFrom: copy.derivedFrom,
    });
  }

  async certificate(id: string) {
    const disposal = await this.data.repos.evidence.findDisposal(id);
    if (!disposal) throw new NotFoundError('There is no disposal run with that id');
    return disposal;
  }

  listDisposals() {
    return this.data.repos.evidence.listDisposals(20);
  }
}
