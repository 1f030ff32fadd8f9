import {
  COLLATERAL_MARK_LABELS,
  isCollateralMarkKind,
  markCovers,
  markInRecording,
  type CollateralMarkKind,
  type SecondsRange,
} from '../../domain/collateral-marks.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { assertAssignedOfficer, recordCallEvent, type CallDeps } from './call.service.js';
import type { SuggestedRedactionRanges } from '../evidence/redaction/suggested-ranges.js';
import type { CollateralMarkRow } from './collateral-marks.repository.js';
import type { RecordingRow } from './recordings.repository.js';

/** A mark as pages and the record show it: its kind's words, and who ended it (the officer, or the call's end). */
export interface CollateralMarkView {
  id: string;
  kind: string;
  label: string;
  startedAt: Date;
  startedBy: string;
  endedAt: Date | null;
  endedBy: string | null;
}

export function markView(mark: CollateralMarkRow): CollateralMarkView {
  return {
    id: mark.id,
    kind: mark.kind,
    label: isCollateralMarkKind(mark.kind) ? COLLATERAL_MARK_LABELS[mark.kind] : mark.kind,
    startedAt: mark.startedAt,
    startedBy: `user:${mark.startedBy}`,
    endedAt: mark.endedAt,
    endedBy: mark.endedBy,
  };
}

/** Where a recording's seconds count from: its media start (EVD-05), else its first packet, else its start. */
export function recordingBase(recording: Pick<RecordingRow, 'mediaStartedAt' | 'firstPacketAt' | 'startedAt'>): Date {
  return recording.mediaStartedAt ?? recording.firstPacketAt ?? recording.startedAt;
}

/** The marks that overlap one recording, as seconds from its media start, clamped to its length. */
export function marksInRecording(
  marks: readonly CollateralMarkRow[],
  recording: Pick<RecordingRow, 'callId' | 'mediaStartedAt' | 'firstPacketAt' | 'startedAt' | 'durationMs'>,
): Array<CollateralMarkView & SecondsRange> {
  const times = { mediaStartedAt: recordingBase(recording), durationMs: recording.durationMs ?? 0 };
  return marks
    .filter((m) => m.callId === recording.callId)
    .flatMap((mark) => {
      const range = markInRecording(mark, times);
      return range ? [{ ...markView(mark), ...range }] : [];
    });
}

/**
 * Others present during the call (RVR-13, collateral intrusion): the officer's one-tap marks. Only the call's
 * officer may mark, and only while the call is live; each start and end is a call event on the timeline and an
 * audit event, with the server's UTC time.
 */
export class CollateralMarksService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  /** Starts (`on`) or ends a mark of this kind; a repeated tap that is already so changes nothing. Returns the call's marks. */
  async mark(context: RequestContext, callId: string, kindInput: string, on: boolean): Promise<CollateralMarkView[]> {
    if (!isCollateralMarkKind(kindInput))
      throw new ValidationError('Choose what to mark: a child, another adult, or the victim’s face', { kind: 'Choose what to mark' });
    const kind: CollateralMarkKind = kindInput;
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to mark the call');
    const userId = context.actor.userId;
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.lock(callId);
      if (!call) throw new NotFoundError('No call with that id');
      // Whose is this, may this person act on it: the consultation's officer only (SEC-11), then the call must be live.
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      assertAssignedOfficer(context, consultation, 'call.mark_others_present');
      if (call.state !== 'open')
        throw new ConflictError(
          'This call has ended, so others present can no longer be marked on it. Marks are made during the call; for a recording already made, ask the evidence manager for a redacted copy.',
        );
      const open = await tx.collateralMarks.findOpen(callId, kind);
      if (on && !open) {
        const created = await tx.collateralMarks.create({ callId, consultationId: call.consultationId, kind, startedAt: this.deps.now(), startedBy: userId });
        await recordCallEvent(this.deps, tx, context, callId, 'mark_started', { markId: created.id, kind, label: COLLATERAL_MARK_LABELS[kind] });
      } else if (!on && open) {
        await tx.collateralMarks.end(open.id, this.deps.now(), `user:${userId}`);
        await recordCallEvent(this.deps, tx, context, callId, 'mark_ended', { markId: open.id, kind, label: COLLATERAL_MARK_LABELS[kind] });
      }
      return (await tx.collateralMarks.listByCall(callId)).map(markView);
    });
  }

  async listByCall(callId: string): Promise<CollateralMarkView[]> {
    return (await this.data.repos.collateralMarks.listByCall(callId)).map(markView);
  }
}

/**
 * The marks offered as the starting ranges of a redaction (issue 15 §2–3): for a recording, the marks that overlap
 * it as seconds from its media start, clamped to its length; for a snapshot, the marks that covered the moment it
 * was taken (0–0: the whole still). Other items (uploads, text) get none: a victim's photo may have been taken
 * long before the call, so what was in view during the call says nothing about it.
 */
export class CollateralMarkRanges implements SuggestedRedactionRanges {
  constructor(private readonly deps: Pick<CallDeps, 'data'>) {}

  async forItem(evidenceItemId: string): Promise<Array<{ kind: string; label: string; startSeconds: number; endSeconds: number }>> {
    const repos = this.deps.data.repos;
    const item = await repos.evidence.findItem(evidenceItemId);
    if (!item) throw new NotFoundError('There is no evidence item with that id');
    const [type, sourceId] = item.sourceId.split(':') as [string, string | undefined];
    if (item.kind === 'recording' && type === 'recording' && sourceId) {
      const recording = await repos.recordings.findById(sourceId);
      if (!recording) return [];
      const marks = await repos.collateralMarks.listByCall(recording.callId);
      return marksInRecording(marks, recording).map(({ kind, label, startSeconds, endSeconds }) => ({ kind, label, startSeconds, endSeconds }));
    }
    if (item.kind === 'snapshot' && type === 'snapshot' && sourceId) {
      const snapshot = await repos.recordings.findSnapshot(sourceId);
      if (!snapshot) return [];
      const marks = await repos.collateralMarks.listByCall(snapshot.callId);
      return marks
        .filter((mark) => markCovers(mark, snapshot.takenAt))
        .map((mark) => ({ kind: mark.kind, label: markView(mark).label, startSeconds: 0, endSeconds: 0 }));
    }
    return [];
  }
}
