import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/errors.js';
import { verifyReceipt, type EvidenceSink } from '../../platform/evidence-sink/evidence-sink.js';
import { buildExportPackage } from '../../platform/evidence-sink/export-package.js';
import { makeCourtWorkingCopy, type CallRecording } from '../../platform/media/working-copy.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { putFile, withLocalCopies } from '../../platform/storage/local-copies.js';
import type { ExportCarry } from '../../config.js';
import type { EvidenceItemRow, EvidenceTaskRow } from './evidence.repository.js';
import type { EvidenceDisposalService } from './evidence-disposal.service.js';
import { custodyFields } from '../../domain/custody.js';
import type { EvidenceRegistrationService } from './evidence-registration.service.js';

export const WORKING_COPY_JOB = 'evidence.working-copy';
export const EXPORT_JOB = 'evidence.export';
/** A task in one of these states has not finished: it is shown as under way, and resumed after a restart. */
export const UNFINISHED_TASK_STATES: readonly string[] = ['queued', 'running', 'sending', 'delivered'];

export interface EvidenceWorkDeps {
  data: DataAccess;
  audit: AuditTrail;
  evidence: { registration: Pick<EvidenceRegistrationService, 'registerWorkingCopy'>; disposal: Pick<EvidenceDisposalService, 'finishRemoval' | 'locks'> };
  sink: EvidenceSink;
  /** Masters are read from, and working copies written to, the evidence store (issue 15). */
  blobs: BlobStore;
  forceName: string;
  /** SEC-05: PROTECTIVE_MARKING, written into every export's manifest. */
  protectiveMarking?: string;
  /** RET-23: how long after the receiver's hashes are confirmed the platform's own copies are purged. */
  purgeAfterDays: number;
  /** Off for a folder drop unless asked for: the folder's own hashes prove only that the copy was written (RET-23). */
  purgeEnabled: boolean;
  /** EVD-08: what a pre-charge export carries unless the disclosure officer chooses (ADR 0015). */
  exportPreChargeDefault?: ExportCarry;
  log: Logger;
  now: () => Date;
}

const ROLE_LABELS: Record<string, string> = { officer: 'Officer', victim: 'Victim', interpreter: 'Interpreter' };

/**
 * Evidence work that takes a while and shows its progress: the court working copy (ffmpeg, EVD-09/RET-15) and
 * the export to the force's evidence system, verified by the receiver's hashes before anything is purged (EVD-06, RET-23).
 */
export class EvidenceWorkService {
  private enqueue: ((job: string, data: { taskId: string }) => Promise<unknown>) | undefined;
  private queued: ((job: string, data: { taskId: string }) => Promise<boolean>) | undefined;

  constructor(private readonly deps: EvidenceWorkDeps) {}

  /** With a job queue (the server), tasks run on any node and survive restarts; without one (tests, CLI) they run here. */
  useQueue(enqueue: (job: string, data: { taskId: string }) => Promise<unknown>, queued?: (job: string, data: { taskId: string }) => Promise<boolean>): void {
    this.enqueue = enqueue;
    this.queued = queued;
  }

  private get data() {
    return this.deps.data;
  }

  private async start(job: string, task: EvidenceTaskRow): Promise<EvidenceTaskRow> {
    if (this.enqueue) await this.enqueue(job, { taskId: task.id });
    else void this.run(job, task.id).catch((error: unknown) => this.deps.log.error({ err: error, taskId: task.id }, 'evidence task failed'));
    return task;
  }

  async run(job: string, taskId: string): Promise<void> {
    if (job === WORKING_COPY_JOB) await this.makeWorkingCopy(taskId);
    else await this.export(taskId);
  }

  private async presentMasters(consultationId: string): Promise<EvidenceItemRow[]> {
    const items = await this.data.repos.evidence.listByConsultation(consultationId);
    return items.filter((i) => i.state === 'present' && !i.restrictedAt);
  }

  /** Asks for a court working copy (MP4) of a consultation's recordings. */
  async requestWorkingCopy(context: RequestContext, consultationId: string): Promise<EvidenceTaskRow> {
    const recordings = (await this.presentMasters(consultationId)).filter((i) => i.kind === 'recording');
    if (recordings.length === 0) throw new ConflictError('This consultation has no recordings to make a working copy from');
    if (recordings.length > 3)
      throw new ConflictError(
        `This call has ${recordings.length} recording segments (after reconnects); a working copy can combine up to 3. Download the masters instead.`,
      );
    return this.createTask(context, consultationId, 'working_copy', recordings, WORKING_COPY_JOB);
  }

  /** What an export carries when nobody chooses (EVD-08): the pre-charge setting before charge, else both. */
  async defaultCarry(consultationId: string): Promise<ExportCarry> {
    const retention = await this.data.repos.evidence.findRetention(consultationId);
    const status = (retention?.caseStatus as { kind?: string } | undefined)?.kind ?? 'under_investigation';
    const preCharge = status === 'under_investigation' || status === 'nfa';
    return preCharge ? (this.deps.exportPreChargeDefault ?? 'redacted') : 'both';
  }

  /**
   * The items an export carries (EVD-08, EVD-09, ADR 0015). `master`: the masters and court working copies, no
   * redacted copy. `both`: those and every approved redacted copy. `redacted`: each master that has an approved
   * redacted copy is replaced by its newest one, and a court working copy made from such a master is left out (it
   * shows what was redacted); items nobody redacted go as they are. A copy not approved by a second person never goes.
   */
  async exportItems(consultationId: string, carry: ExportCarry): Promise<EvidenceItemRow[]> {
    const present = await this.presentMasters(consultationId);
    const byId = new Map(present.map((i) => [i.id, i]));
    const approvedCopyOf = new Map<string, EvidenceItemRow>();
    for (const redaction of await this.data.repos.redactions.listApproved(consultationId)) {
      const copy = redaction.resultItemId ? byId.get(redaction.resultItemId) : undefined;
      if (copy && !approvedCopyOf.has(redaction.sourceItemId)) approvedCopyOf.set(redaction.sourceItemId, copy);
    }
    const originals = present.filter((i) => i.kind !== 'redacted_copy');
    if (carry === 'master') return originals;
    if (carry === 'both') return [...originals, ...[...approvedCopyOf.values()].sort((a, b) => a.capturedAt.getTime() - b.capturedAt.getTime())];
    const derivedFrom = (item: EvidenceItemRow) => (Array.isArray(item.derivedFrom) ? (item.derivedFrom as string[]) : []);
    return originals
      .filter((i) => !(i.kind === 'working_copy' && derivedFrom(i).some((id) => approvedCopyOf.has(id))))
      .map((i) => approvedCopyOf.get(i.id) ?? i);
  }

  /** Asks for an export of a consultation's material to the evidence system, carrying what `carry` says (or the default). */
  async requestExport(context: RequestContext, consultationId: string, carry?: ExportCarry): Promise<EvidenceTaskRow> {
    // DP-10 (s.47, issue 16 §1): while the DPO restricts processing of this consultation, nothing of it is exported.
    const restriction = await this.data.repos.subjectRequests.activeRestriction(consultationId);
    if (restriction) {
      await this.deps.audit.record(this.data.repos.audit, context, {
        what: 'processing.restriction_enforced',
        subject: `consultation:${consultationId}`,
        details: { refused: 'export', restrictionId: restriction.id },
      });
      throw new ConflictError('Processing of this consultation’s data is restricted by the data protection officer (DPA 2018 s.47): it cannot be exported');
    }
    const chosen = carry ?? (await this.defaultCarry(consultationId));
    const items = await this.exportItems(consultationId, chosen);
    if (items.length === 0) throw new ConflictError('This consultation has no evidence to export');
    const running = (await this.data.repos.evidence.listTasks(consultationId)).find((t) => t.kind === 'export' && UNFINISHED_TASK_STATES.includes(t.state));
    if (running) throw new ConflictError('An export of this consultation is already under way');
    return this.createTask(context, consultationId, 'export', items, EXPORT_JOB, { carry: chosen, chosen: carry !== undefined });
  }

  private async createTask(
    context: RequestContext,
    consultationId: string,
    kind: 'working_copy' | 'export',
    items: EvidenceItemRow[],
    job: string,
    extra: Record<string, unknown> = {},
  ) {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can ask for this');
    const userId = context.actor.userId;
    const task = await this.data.transaction(async (tx) => {
      const now = this.deps.now();
      const created = await tx.evidence.createTask({
        kind,
        consultationId,
        state: 'queued',
        itemIds: items.map((i) => i.id),
        sink: kind === 'export' ? this.deps.sink.describe() : null,
        requestedBy: userId,
        requestedAt: now,
        updatedAt: now,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: kind === 'export' ? 'evidence.export_requested' : 'evidence.working_copy_requested',
        subject: `consultation:${consultationId}`,
        details: { taskId: created.id, items: created.itemIds, ...extra },
      });
      return created;
    });
    return this.start(job, task);
  }

  /**
   * A consultation's tasks, each verified export with what will really happen to the copies here (issue 15 §4, RET-23):
   * deleted from its date unless a hold stands, or kept because purging after export is off (a folder drop by default).
   */
  async tasks(consultationId: string) {
    const rows = await this.data.repos.evidence.listTasks(consultationId);
    return rows.map((task) => ({
      ...task,
      copiesHere:
        task.kind !== 'export' || task.state !== 'verified' || task.purgedAt
          ? undefined
          : this.deps.purgeEnabled && task.purgeAfter
            ? { purged: true as const, from: task.purgeAfter }
            : { purged: false as const },
    }));
  }

  async task(id: string) {
    const task = await this.data.repos.evidence.findTask(id);
    if (!task) throw new NotFoundError('There is no such task');
    return task;
  }

  private async fail(task: EvidenceTaskRow, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    await this.data.transaction(async (tx) => {
      await tx.evidence.updateTask(task.id, { state: 'failed', error: message.slice(0, 2000), updatedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, systemContext('evidence-work', task.id), {
        what: task.kind === 'export' ? 'evidence.export_failed' : 'evidence.working_copy_failed',
        subject: `consultation:${task.consultationId}`,
        details: { taskId: task.id, reason: message.slice(0, 500) },
      });
    });
    this.deps.log.error({ taskId: task.id, kind: task.kind, reason: message }, 'evidence task failed');
  }

  private async makeWorkingCopy(taskId: string): Promise<void> {
    const task = await this.task(taskId);
    if (task.state !== 'queued' && task.state !== 'running') return;
    const context = systemContext('evidence-working-copy', task.id);
    await this.data.repos.evidence.updateTask(task.id, { state: 'running', attempts: task.attempts + 1, updatedAt: this.deps.now() });
    const fileKey = `consultations/${task.consultationId}/working-copy-${task.id}.mp4`;
    try {
      const items = await Promise.all((task.itemIds as string[]).map(async (id) => (await this.data.repos.evidence.findItem(id))!));
      const unavailable = items.find((i) => i.state !== 'present' || i.restrictedAt);
      if (unavailable) throw new ConflictError(`Recording ${unavailable.id} is no longer available (restricted or disposed)`);
      const sources = await Promise.all(
        items.map(async (item) => ({ item, recording: await this.data.repos.recordings.findById(item.sourceId.replace(/^recording:/, '')) })),
      );
      // ffmpeg reads files: the masters as local files (copied out of S3 for the job) and the copy made beside them.
      const made = await withLocalCopies(
        this.deps.blobs,
        items.map((i) => i.fileKey),
        async (files, workDir) => {
          const inputs: CallRecording[] = sources.map(({ item, recording }, index) => ({
            path: files[index]!,
            label: `${ROLE_LABELS[recording?.role ?? ''] ?? 'Participant'}${recording && recording.segment > 1 ? ` (part ${recording.segment})` : ''}`,
            // EVD-05: media time (the senders' reports), not when a busy server handled the first packet.
            startedAt: recording?.mediaStartedAt ?? recording?.firstPacketAt ?? item.capturedAt,
            hasVideo: item.mediaType.startsWith('video/'),
            hasAudio: true,
          }));
          const output = path.join(workDir, 'working-copy.mp4');
          let lastSaved = 0;
          const result = await makeCourtWorkingCopy(inputs, {
            outputPath: output,
            onProgress: (fraction) => {
              const percent = Math.floor(fraction * 100);
              if (percent - lastSaved < 5 && percent < 100) return;
              lastSaved = percent;
              void this.data.repos.evidence.updateTask(task.id, { progress: percent, updatedAt: this.deps.now() }).catch(() => undefined);
            },
          });
          await putFile(this.deps.blobs, fileKey, output, { expectedSha256: result.sha256, contentType: 'video/mp4' });
          return result;
        },
      );
      await this.data.transaction(async (tx) => {
        const item = await this.deps.evidence.registration.registerWorkingCopy(tx, context, {
          consultationId: task.consultationId,
          taskId: task.id,
          fileKey,
          sha256: made.sha256,
          sizeBytes: made.sizeBytes,
          derivedFrom: items.map((i) => i.id),
          requestedBy: task.requestedBy,
        });
        for (const source of items)
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.copied',
            subject: `evidence:${source.id}`,
            details: { workingCopyId: item.id, sha256: made.sha256 },
          });
        await tx.evidence.updateTask(task.id, { state: 'done', progress: 100, resultItemId: item.id, updatedAt: this.deps.now() });
      });
    } catch (error) {
      // A copy stored but not registered is removed (it has no lock until it is registered).
      await this.deps.blobs.delete(fileKey).catch(() => undefined);
      await this.fail(task, error);
    }
  }

  private async export(taskId: string): Promise<void> {
    const task = await this.task(taskId);
    if (!['queued', 'sending', 'delivered'].includes(task.state)) return;
    const context = systemContext('evidence-export', task.id);
    await this.data.repos.evidence.updateTask(task.id, { state: 'sending', attempts: task.attempts + 1, updatedAt: this.deps.now() });
    let discard: (() => Promise<void>) | undefined;
    try {
      const repos = this.data.repos;
      const items = await Promise.all((task.itemIds as string[]).map(async (id) => (await repos.evidence.findItem(id))!));
      const blocked = items.find((i) => i.state !== 'present' || i.restrictedAt);
      if (blocked) throw new ConflictError(`Item ${blocked.id} is no longer available to export (restricted or disposed)`);
      const consultation = (await repos.consultations.findById(task.consultationId))!;
      const incident = (await repos.incidents.findById(consultation.incidentId))!;
      const officer = consultation.officerId ? await repos.users.findById(consultation.officerId) : undefined;
      const continuity = await repos.audit.listForSubjects([...items.map((i) => `evidence:${i.id}`), `consultation:${task.consultationId}`], 'evidence.');
      const pkg = await buildExportPackage({
        exportId: task.id,
        createdAt: this.deps.now(),
        force: this.deps.forceName,
        incident: { cadReference: incident.cadReference, receivedAt: incident.receivedAt },
        consultation: {
          id: consultation.id,
          officer: { id: officer?.id ?? '', name: officer?.displayName ?? 'Not assigned' },
          state: consultation.state,
          purposeCode: consultation.purposeCode,
        },
        // SEC-05: the package is marked as configured (PROTECTIVE_MARKING).
        protectiveMarking: this.deps.protectiveMarking,
        items: items.map((item) => ({
          id: item.id,
          kind: item.kind,
          fileName: `${item.kind}-${item.id}.${item.fileKey.split('.').pop()}`,
          mediaType: item.mediaType,
          sha256: item.sha256,
          sizeBytes: item.sizeBytes,
          capturedAt: item.capturedAt,
          capturedBy: item.capturedBy,
          classification: item.classification,
          retentionBasis: item.retentionBasis,
          derivedFrom: Array.isArray(item.derivedFrom) ? (item.derivedFrom as string[]).join(',') : undefined,
          purposeCode: item.purposeCode,
          open: () => this.deps.blobs.get(item.fileKey),
        })),
        // Ids, times, actions and reasons: who/what/why of custody, never the content.
        continuity: continuity.map((e) => ({
          seq: e.seq,
          at: e.at.toISOString(),
          what: e.what,
          who: e.who,
          role: e.actorRole,
          subject: e.subject,
          justification: e.justification,
          recipient: e.recipient,
          hash: e.hash,
          // EVD-04: the reason and the items' before/after hashes on every entry.
          ...custodyFields(
            e,
            items.map((i) => ({ id: i.id, sha256: i.sha256 })),
          ),
        })),
      });
      discard = () => pkg.discard();
      const receipt = await this.deps.sink.deliver(pkg);
      await repos.evidence.updateTask(task.id, {
        state: 'delivered',
        manifestSha256: pkg.manifestSha256,
        receipt: { reference: receipt.reference, receivedSha256: receipt.receivedSha256, deliveredAt: receipt.deliveredAt.toISOString() },
        updatedAt: this.deps.now(),
      });
      const verified = verifyReceipt(pkg, receipt);
      if (!verified.ok) throw new Error(`The receiver's hashes do not match what was sent: ${verified.problems.join('; ')}. The copies here are kept.`);
      await this.data.transaction(async (tx) => {
        const now = this.deps.now();
        await tx.evidence.updateTask(task.id, {
          state: 'verified',
          purgeAfter: new Date(now.getTime() + this.deps.purgeAfterDays * 86_400_000),
          updatedAt: now,
        });
        for (const item of items)
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.exported',
            subject: `evidence:${item.id}`,
            recipient: `${this.deps.sink.name}: ${receipt.reference}`,
            details: { taskId: task.id, sha256: item.sha256, manifestSha256: pkg.manifestSha256, receiverConfirmed: true },
          });
      });
    } catch (error) {
      await this.fail(task, error);
    } finally {
      await discard?.().catch(() => undefined);
    }
  }

  /**
   * RET-23: once an export is verified and its delay has passed, the platform's own copies of its items are deleted
   * (two steps, like disposal), unless a hold stands on the consultation; the DEMS now holds the masters.
   */
  async purgeExported(): Promise<{ purged: number; held: number }> {
    const context = systemContext('evidence-purge', randomUUID());
    const now = this.deps.now();
    let purged = 0;
    let held = 0;
    if (!this.deps.purgeEnabled) return { purged, held };
    for (const task of await this.data.repos.evidence.listTasksInState(['verified'])) {
      let kept = 0;
      if (!task.purgeAfter || task.purgeAfter > now) continue;
      const holds = (await this.data.repos.evidence.listHolds(task.consultationId)).filter((h) => !h.releasedAt);
      if (holds.length > 0) {
        held += 1;
        continue;
      }
      for (const id of task.itemIds as string[]) {
        const marked = await this.data.transaction(async (tx) => {
          await tx.evidence.lockCase(task.consultationId);
          const item = await tx.evidence.lockItem(id);
          if (item?.state !== 'present' || item.restrictedAt) return false;
          if ((await tx.evidence.listHolds(task.consultationId)).some((h) => !h.releasedAt)) return false;
          // The store's object lock may outlast the export: what it still keeps stays until it allows (issue 15).
          if (await this.deps.evidence.disposal.locks.refusal(item)) return false;
          await tx.evidence.markPurging(id, task.id);
          await this.deps.audit.record(tx.audit, context, {
            what: 'evidence.purging',
            subject: `evidence:${id}`,
            details: { exportId: task.id, sha256: item.sha256 },
          });
          return true;
        });
        if (marked && (await this.deps.evidence.disposal.finishRemoval(context, id))) purged += 1;
        else if (!marked) kept += 1;
      }
      // A hold or restriction that came in during the run keeps those items; the export stays verified for the next run.
      if (kept > 0) {
        held += 1;
        continue;
      }
      await this.data.transaction(async (tx) => {
        await tx.evidence.updateTask(task.id, { state: 'purged', purgedAt: now, updatedAt: now });
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.export_purged',
          subject: `consultation:${task.consultationId}`,
          details: { taskId: task.id, items: task.itemIds },
        });
      });
    }
    return { purged, held };
  }

  /** On start: tasks a restart interrupted are queued again (a package is rebuilt from the masters; delivery is idempotent). */
  async resumeInterrupted(): Promise<number> {
    const interrupted = await this.data.repos.evidence.listTasksInState([...UNFINISHED_TASK_STATES]);
    let resumed = 0;
    for (const task of interrupted) {
      const job = task.kind === 'export' ? EXPORT_JOB : WORKING_COPY_JOB;
      // With several nodes, another node may be working this task now (its job is still queued or active): leave it.
      if (await this.queued?.(job, { taskId: task.id })) continue;
      await this.start(job, task);
      resumed++;
    }
    return resumed;
  }
}
