import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { assertAssignedOfficer, lockOpenCall, recordCallEvent, type CallDeps, type CallService } from './call.service.js';

/** Stills of the victim's video the officer takes during a call, kept as evidence. */
export class CallSnapshotsService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'blobs' | 'evidence' | 'now'> & { calls: Pick<CallService, 'requireCall'> }) {}

  private get data() {
    return this.deps.data;
  }

  /** A still of the victim's video, as the officer's page captured it: type checked by its bytes, hashed, kept. */
  async saveSnapshot(context: RequestContext, callId: string, image: Buffer) {
    const mediaType = imageType(image);
    if (!mediaType) throw new ValidationError('The snapshot must be a JPEG or PNG image');
    const call = await this.deps.calls.requireCall(callId);
    const consultation = (await this.data.repos.consultations.findById(call.consultationId))!;
    assertAssignedOfficer(context, consultation, 'call.snapshot');
    const at = this.deps.now();
    const fileKey = `calls/${callId}/snapshot-${at.getTime()}-${randomUUID().slice(0, 8)}.${mediaType === 'image/png' ? 'png' : 'jpg'}`;
    const { sha256, size } = await this.deps.blobs.put(fileKey, Readable.from([image]), { contentType: mediaType });
    try {
      return await this.data.transaction(async (tx) => {
        await lockOpenCall(tx, callId);
        const snapshot = await tx.recordings.createSnapshot({
          callId,
          consultationId: call.consultationId,
          fileKey,
          mediaType,
          sha256,
          sizeBytes: size,
          takenBy: context.actor.type === 'user' ? context.actor.userId : null,
          takenAt: at,
        });
        await recordCallEvent(this.deps, tx, context, callId, 'snapshot_taken', { snapshotId: snapshot.id, sha256 });
        await this.deps.evidence.registerSnapshot(tx, context, snapshot);
        return snapshot;
      });
    } catch (error) {
      // No row, no file: a refused snapshot leaves nothing half-written.
      await this.deps.blobs.delete(fileKey).catch(() => undefined);
      throw error;
    }
  }
}

/** JPEG and PNG by their first bytes, never by what the sender claims. */
export function imageType(bytes: Buffer): 'image/jpeg' | 'image/png' | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}
