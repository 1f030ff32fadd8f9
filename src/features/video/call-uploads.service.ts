import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../platform/context.js';
import { AppError, ConflictError, ForbiddenError, ValidationError } from '../../platform/errors.js';
import { assertConsented, lockOpenCall, recordCallEvent, type CallDeps, type LinkSession } from './call.service.js';
import { imageType } from './call-snapshots.service.js';

/** The photos and videos a victim sends during a call, kept as evidence. */
export class CallUploadsService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'config' | 'blobs' | 'evidence' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  /** A file whose declared size is over the limit is refused before a byte of it is read (the phone is told at once). */
  assertDeclaredSize(bytes: number): void {
    if (Number.isFinite(bytes) && bytes > this.deps.config.uploadMaxBytes) throw this.tooBig();
  }

  private tooBig(): AppError {
    const limit = this.deps.config.uploadMaxBytes;
    const megabytes = Math.floor(limit / 1_000_000);
    return new AppError(413, `That file is too big to send here: the limit is ${megabytes} MB. Send a shorter video, or tell the officer.`).forVictim(
      'server.upload.tooBig',
      { megabytes },
    );
  }

  /**
   * A photo or video the victim sends during the call (policy: "send photos or videos"): streamed to the store while
   * hashed and counted, checked as an image or video by its first bytes, and registered as an evidence item.
   * A refused file leaves neither a file nor a row.
   */
  async saveUpload(context: RequestContext, session: LinkSession, content: AsyncIterable<Buffer>): Promise<{ id: string; mediaType: string; sha256: string }> {
    if (session.participant.role !== 'victim') throw new ForbiddenError('Only the victim can send photos or videos here').forVictim('server.upload.notVictim');
    await assertConsented(this.data.repos, session.participant);
    const limit = this.deps.config.uploadMaxBytes;
    const tooBig = () => this.tooBig();
    const at = this.deps.now();
    const uploadId = randomUUID();
    // The first bytes say what the file is (and so its name in the store) before anything is stored.
    const source = content[Symbol.asyncIterator]();
    const first: Buffer[] = [];
    let head = Buffer.alloc(0);
    while (head.length < 16) {
      const next = await source.next();
      if (next.done) break;
      first.push(next.value);
      head = Buffer.concat([head, next.value]).subarray(0, 16);
    }
    if (head.length === 0) throw new ValidationError('The file was empty: choose a photo or video and send it again').forVictim('server.upload.empty');
    const kind = uploadType(head);
    if (!kind)
      throw new AppError(415, 'That is not a photo or video we can keep. Send a photo (JPEG, PNG or HEIC) or a video (MP4, MOV or WebM).').forVictim(
        'server.upload.notMedia',
      );
    const fileKey = `calls/${session.call.id}/upload-${at.getTime()}-${uploadId.slice(0, 8)}.${kind.extension}`;
    let size = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      const rest: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => source };
      for (const chunk of first) {
        size += chunk.length;
        if (size > limit) throw tooBig();
        yield chunk;
      }
      for await (const chunk of rest) {
        size += chunk.length;
        if (size > limit) throw tooBig();
        yield chunk;
      }
    }
    // A refused or broken stream leaves nothing in the store (the store writes whole files or none).
    const stored = await this.deps.blobs.put(fileKey, Readable.from(counted()), { contentType: kind.mediaType });
    try {
      return await this.data.transaction(async (tx) => {
        const call = await lockOpenCall(tx, session.call.id);
        const count = (await tx.evidence.listByConsultation(call.consultationId)).filter((i) => i.kind === 'upload').length;
        if (count >= this.deps.config.uploadMaxPerCall)
          throw new ConflictError(`You have sent the most files this call can take (${this.deps.config.uploadMaxPerCall}). Tell the officer.`).forVictim(
            'server.upload.tooMany',
            { max: this.deps.config.uploadMaxPerCall },
          );
        const item = await this.deps.evidence.registerUpload(tx, context, {
          uploadId,
          consultationId: call.consultationId,
          callId: call.id,
          fileKey,
          mediaType: kind.mediaType,
          sha256: stored.sha256,
          sizeBytes: stored.size,
          receivedAt: at,
          participantId: session.participant.id,
        });
        await recordCallEvent(
          this.deps,
          tx,
          context,
          call.id,
          'upload_received',
          { evidenceId: item.id, mediaType: kind.mediaType, sha256: stored.sha256 },
          session.participant,
        );
        return { id: item.id, mediaType: kind.mediaType, sha256: stored.sha256 };
      });
    } catch (error) {
      await this.deps.blobs.delete(fileKey).catch(() => undefined);
      throw error;
    }
  }
}

/** Photos and videos a phone takes, known by their first bytes, never by the name or the type the browser claims. */
export function uploadType(bytes: Buffer): { mediaType: string; extension: string } | undefined {
  const image = imageType(bytes);
  if (image) return { mediaType: image, extension: image === 'image/png' ? 'png' : 'jpg' };
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3) return { mediaType: 'video/webm', extension: 'webm' };
  if (bytes.length >= 12 && bytes.subarray(4, 8).toString('latin1') === 'ftyp') {
    const brand = bytes.subarray(8, 12).toString('latin1');
    if (['heic', 'heix', 'mif1', 'msf1', 'hevc'].includes(brand)) return { mediaType: 'image/heic', extension: 'heic' };
    if (brand === 'qt  ') return { mediaType: 'video/quicktime', extension: 'mov' };
    return { mediaType: 'video/mp4', extension: 'mp4' };
  }
  return undefined;
}
