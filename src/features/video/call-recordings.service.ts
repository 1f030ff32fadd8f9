import fs from 'node:fs';
import path from 'node:path';
import { systemContext } from '../../platform/context.js';
import { remuxWebm } from '../../platform/media/ffmpeg.js';
import { sha256File } from '../../platform/media/sha256-file.js';
import { recordCallEvent, type CallDeps, type CallService } from './call.service.js';
import type { RecordingResult, RecordingStart } from './media/media-room.js';

/**
 * Recording bookkeeping: the segments the media plane records (hooks called by CallRooms), each hashed as it lies
 * on disk and registered as evidence, and the crash recovery that makes unfinished segments playable after a restart.
 */
export class CallRecordingsService {
  constructor(
    private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'mediaRoot' | 'evidence' | 'log' | 'now'> & {
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
      const file = path.join(this.deps.mediaRoot, fileKey);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      return file;
    });
  }

  /** A finished segment: hashed as it lies on disk and the hash recorded with it (the master is never changed after). */
  async recordingFinished(result: RecordingResult, file: string): Promise<void> {
    const fileKey = path.relative(this.deps.mediaRoot, file).split(path.sep).join('/');
    const recording = await this.data.repos.recordings.findByFileKey(fileKey);
    if (!recording) return;
    if (!result.finalisedByRecorder && result.packets > 0) await this.repairInPlace(file);
    const exists = fs.existsSync(file);
    const hashed = exists && result.packets > 0 ? await sha256File(file) : undefined;
    if (exists && !hashed) await fs.promises.rm(file, { force: true });
    await this.data.transaction(async (tx) => {
      const at = this.deps.now();
      await tx.recordings.finish(recording.id, {
        status: hashed ? (result.finalisedByRecorder ? 'finalised' : 'repaired') : 'empty',
        endedAt: at,
        firstPacketAt: result.firstPacketAt ?? null,
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
      const file = path.join(this.deps.mediaRoot, recording.fileKey);
      const hasMedia = fs.existsSync(file) && fs.statSync(file).size > 200;
      let hashed: { sha256: string; size: number } | undefined;
      let rawSha256: string | undefined;
      if (hasMedia) {
        rawSha256 = (await sha256File(file)).sha256;
        try {
          await this.repairInPlace(file);
          hashed = await sha256File(file);
        } catch (error) {
          this.deps.log.error({ err: error, recordingId: recording.id }, 'an unfinished recording could not be repaired; the raw file is kept');
        }
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

  private async repairInPlace(file: string): Promise<void> {
    const raw = file.replace(/\.webm$/, '.unfinished.webm');
    await fs.promises.rename(file, raw);
    await remuxWebm(raw, file);
  }
}
