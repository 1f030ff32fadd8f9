import { systemContext } from '../../platform/context.js';
import { recordCallEvent, type CallDeps, type CallService } from './call.service.js';
import type { RecordingResult, RecordingStart } from './media/media-room.js';

/**
 * Recording bookkeeping: the segments the media plane records (hooks called by CallRooms) into the node's scratch
 * folder, each moved to the evidence store when it finishes (hashed, verified on arrival, then removed from scratch)
 * and registered as evidence, and the crash recovery that makes unfinished segments playable after a restart.
 */
export class CallRecordingsService {
  constructor(
    private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'blobs' | 'scratch' | 'evidence' | 'log' | 'now'> & {
      calls: Pick<CallService, 'endCall'>;
      /** This node: the segments it writes are its own, and only its own are recovered after its restart (ADR 0013). */
      nodeId: string;
    },
  ) {}

  private get data() {
    return this.deps.data;
  }

  async recordingStarted(callId: string, participantId: string, start: RecordingStart): Promise<string> {
    return this.data.transaction(async (tx) => {
      const call = (await tx.calls.lock(callId))!;
      const segment = await tx.recordings.nextSegment(callId, start.role);
      const fileKey = `calls/${callId}/${start.role}-${String(segment).padStart(3, '0')}.webm`;
      const at = this.deps.now();
      const recording = await tx.recordings.create({
        callId,
        consultationId: call.consultationId,
        participantId,
        role: start.role,
        segment,
        fileKey,
        tracks: start.tracks,
        startedAt: at,
        mediaNodeId: this.deps.nodeId,
      });
      await recordCallEvent(this.deps, tx, systemContext('media', 'media'), callId, 'recording_started', {
        recordingId: recording.id,
        role: start.role,
        segment,
        tracks: start.tracks,
      });
      return this.deps.scratch.prepare(fileKey);
    });
  }

  /** A finished segment: moved from scratch to the store, verified by its hash there, and registered (the master is never changed after). */
  async recordingFinished(result: RecordingResult, file: string): Promise<void> {
    const fileKey = this.deps.scratch.keyOf(file);
    const recording = await this.data.repos.recordings.findByFileKey(fileKey);
    if (!recording) return;
    if (result.clock?.flagged)
      this.deps.log.warn(
        { recordingId: recording.id, disagreementMs: result.clock.disagreementMs, source: result.clock.source },
        "a recording's first-packet stamp and its senders' reports disagree; the court copy uses the sender-report start (EVD-05)",
      );
    const hashed = await this.deps.scratch.moveToStore(this.deps.blobs, fileKey, {
      keep: result.packets > 0,
      repair: !result.finalisedByRecorder,
      contentType: contentTypeOf(recording.tracks),
    });
    await this.data.transaction(async (tx) => {
      const at = this.deps.now();
      await tx.recordings.finish(recording.id, {
        status: hashed ? (result.finalisedByRecorder ? 'finalised' : 'repaired') : 'empty',
        endedAt: at,
        firstPacketAt: result.firstPacketAt ?? null,
        mediaStartedAt: result.clock ? new Date(result.clock.startedAt) : null,
        mediaClock: result.clock ?? null,
        durationMs: result.durationMs ?? null,
        sha256: hashed?.sha256 ?? null,
        sizeBytes: hashed?.size ?? null,
      });
      await recordCallEvent(this.deps, tx, systemContext('media', 'media'), recording.callId, 'recording_finished', {
        recordingId: recording.id,
        role: recording.role,
        segment: recording.segment,
        sha256: hashed?.sha256 ?? null,
        durationMs: result.durationMs ?? null,
        // EVD-05: the start the court copy uses, and how far the arrival stamp was from it.
        mediaStartedAt: result.clock?.startedAt ?? null,
        clockSource: result.clock?.source ?? null,
        clockDisagreementMs: result.clock?.disagreementMs ?? null,
        clockFlagged: result.clock?.flagged ?? false,
      });
      if (hashed)
        await this.deps.evidence.registerRecording(tx, systemContext('media', 'media'), { ...recording, sha256: hashed.sha256, sizeBytes: hashed.size });
    });
  }

  /**
   * After a restart, for this node only (ADR 0013): every segment it left marked as recording is made playable
   * (remuxed, which writes the duration and cues the stopped muxer never wrote), hashed and recorded as repaired;
   * the raw file is kept beside it. Every call it owned and left open is marked interrupted. Another node's calls
   * and segments are never touched: that node may be writing them now.
   */
  async recoverAfterRestart(): Promise<{ repaired: number; interrupted: number }> {
    const context = systemContext('startup', 'recovery');
    let repaired = 0;
    for (const recording of await this.data.repos.recordings.listUnfinishedOn(this.deps.nodeId)) {
      const hasMedia = (await this.deps.scratch.sizeOf(recording.fileKey)) > 200;
      let hashed: { sha256: string; size: number } | undefined;
      let rawSha256: string | undefined;
      try {
        const moved = await this.deps.scratch.moveToStore(this.deps.blobs, recording.fileKey, {
          keep: hasMedia,
          repair: true,
          contentType: contentTypeOf(recording.tracks),
        });
        hashed = moved;
        rawSha256 = moved?.rawSha256;
      } catch (error) {
        this.deps.log.error({ err: error, recordingId: recording.id }, 'an unfinished recording could not be repaired; the raw file is kept in the store');
      }
      await this.data.transaction(async (tx) => {
        await tx.recordings.finish(recording.id, {
          status: hashed ? 'repaired' : 'empty',
          endedAt: this.deps.now(),
          firstPacketAt: null,
          durationMs: null,
          sha256: hashed?.sha256 ?? null,
          sizeBytes: hashed?.size ?? null,
        });
        await recordCallEvent(this.deps, tx, context, recording.callId, 'recording_repaired', {
          recordingId: recording.id,
          sha256: hashed?.sha256 ?? null,
          rawSha256: rawSha256 ?? null,
        });
        if (hashed) await this.deps.evidence.registerRecording(tx, context, { ...recording, sha256: hashed.sha256, sizeBytes: hashed.size });
      });
      if (hashed) repaired++;
      this.deps.log.warn(
        { recordingId: recording.id, callId: recording.callId, status: hashed ? 'repaired' : 'empty' },
        hashed ? 'an unfinished recording left by this node was repaired, hashed and registered' : 'an unfinished recording left by this node had no media',
      );
    }
    let interrupted = 0;
    for (const call of await this.data.repos.calls.listOpenOwnedBy(this.deps.nodeId)) {
      if (await this.deps.calls.endCall(context, call.id, 'The server restarted during the call', 'interrupted')) interrupted++;
    }
    return { repaired, interrupted };
  }
}

function contentTypeOf(tracks: unknown): string {
  return Array.isArray(tracks) && tracks.includes('video') ? 'video/webm' : 'audio/webm';
}
