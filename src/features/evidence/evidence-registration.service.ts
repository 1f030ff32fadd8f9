import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Repositories } from '../../data-access.js';
import { systemContext, type RequestContext } from '../../platform/context.js';
import { COLLATERAL_MARK_LABELS, isCollateralMarkKind } from '../../domain/collateral-marks.js';
import type { EvidenceItemRow } from './evidence.repository.js';
import type { EvidenceRetentionService } from './evidence-retention.service.js';
import type { EvidenceDeps } from './evidence-shared.js';

/**
 * Evidence registration: every master a consultation produces (recordings, snapshots, uploads, the call's notes
 * and chat and marks of others present (RVR-13), the confirmed statement, completed forms, court working copies) becomes an item with its hash, once,
 * in the transaction that produced it (EVD-01), read-only in the store (EVD-02), and dated by the retention rules.
 */
export class EvidenceRegistrationService {
  constructor(private readonly deps: Pick<EvidenceDeps, 'data' | 'audit' | 'blobs' | 'now'> & { retention: Pick<EvidenceRetentionService, 'recompute'> }) {}

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
    item: Omit<Parameters<Repositories['evidence']['createItem']>[0], 'ownerId' | 'purposeCode'>,
  ): Promise<EvidenceItemRow> {
    const existing = await tx.evidence.findBySource(item.sourceId);
    if (existing) return existing;
    const consultation = await tx.consultations.findById(item.consultationId);
    // SC-1: the item carries the purpose of the session it was captured in.
    const created = await tx.evidence.createItem({
      ...item,
      ownerId: consultation?.officerId ?? null,
      ...(consultation ? { purposeCode: consultation.purposeCode } : {}),
    });
    // Masters are read-only in the store (EVD-02); the retention dating below also sets the store's lock.
    await this.deps.audit.record(tx.audit, context, {
      what: 'evidence.captured',
      subject: `evidence:${created.id}`,
      details: { consultationId: created.consultationId, kind: created.kind, sha256: created.sha256, sizeBytes: created.sizeBytes },
    });
    await this.deps.retention.recompute(tx, context, created.consultationId, false);
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
    // RVR-13: the officer's marks of others present, with when and who, are part of the call's evidence record.
    const marks = await tx.collateralMarks.listByCall(call.id);
    // Issue 17 §1: the victim's location decisions (with the words shown) and every position they shared, with times.
    const locationDecisions = (await tx.victimLocations.listDecisionsByConsultation(call.consultationId)).filter((d) => d.callId === call.id);
    const positions = await tx.victimLocations.listByCall(call.id);
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
      marks.length > 0
        ? {
            kind: 'marks',
            label: 'Others present during the call (collateral intrusion marks)',
            name: 'others-present.jsonl',
            mediaType: 'text/plain; charset=utf-8',
            text:
              marks
                .map((m) =>
                  JSON.stringify({
                    kind: m.kind,
                    label: isCollateralMarkKind(m.kind) ? COLLATERAL_MARK_LABELS[m.kind] : m.kind,
                    startedAt: m.startedAt.toISOString(),
                    startedBy: `user:${m.startedBy}`,
                    endedAt: m.endedAt?.toISOString() ?? null,
                    endedBy: m.endedBy,
                  }),
                )
                .join('\n') + '\n',
          }
        : undefined,
      locationDecisions.length > 0
        ? {
            kind: 'location',
            label: 'The victim’s location: their decisions and the positions they shared',
            name: 'victim-location.jsonl',
            mediaType: 'text/plain; charset=utf-8',
            text:
              [
                ...locationDecisions.map((d) => ({
                  at: d.decidedAt,
                  line: { type: 'decision', decision: d.decision, wording: d.wording, decidedAt: d.decidedAt.toISOString() },
                })),
                ...positions.map((p) => ({
                  at: p.receivedAt,
                  line: {
                    type: 'position',
                    latitude: p.latitude,
                    longitude: p.longitude,
                    accuracyMetres: p.accuracyMetres,
                    measuredAt: p.measuredAt?.toISOString() ?? null,
                    receivedAt: p.receivedAt.toISOString(),
                  },
                })),
              ]
                .sort((a, b) => a.at.getTime() - b.at.getTime())
                .map((entry) => JSON.stringify(entry.line))
                .join('\n') + '\n',
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

  /**
   * Writes a text master once, read-only; a file left by a rolled-back attempt (never registered) is replaced, and
   * one with the same bytes (already locked by the store) is kept as it is.
   */
  private async writeTextMaster(fileKey: string, text: string): Promise<{ fileKey: string; sha256: string; sizeBytes: number }> {
    const bytes = Buffer.from(text, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const existing = await this.deps.blobs.head(fileKey);
    if (existing?.sha256 !== sha256 || existing.size !== bytes.length)
      await this.deps.blobs.put(fileKey, Readable.from([bytes]), { expectedSha256: sha256, contentType: 'text/plain; charset=utf-8' });
    return { fileKey, sha256, sizeBytes: bytes.length };
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
  /**
   * Registers a redacted copy (EVD-09, issue 15 §2): an item of its own with its own hash, `derivedFrom` the master,
   * in the master's consultation, so the master's retention dates and legal holds cover it.
   */
  async registerRedactedCopy(
    tx: Repositories,
    context: RequestContext,
    copy: {
      consultationId: string;
      redactionId: string;
      label: string;
      fileKey: string;
      mediaType: string;
      sha256: string;
      sizeBytes: number;
      derivedFrom: string;
      requestedBy: string;
    },
  ): Promise<EvidenceItemRow> {
    return this.register(tx, context, {
      consultationId: copy.consultationId,
      callId: null,
      kind: 'redacted_copy',
      sourceId: `redaction:${copy.redactionId}`,
      label: copy.label,
      fileKey: copy.fileKey,
      mediaType: copy.mediaType,
      sha256: copy.sha256,
      sizeBytes: copy.sizeBytes,
      capturedAt: this.deps.now(),
      capturedBy: `user:${copy.requestedBy}`,
      derivedFrom: [copy.derivedFrom],
    });
  }
}
