import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestContext } from '../../platform/context.js';
import { AppError, ConflictError, ForbiddenError, ValidationError } from '../../platform/errors.js';
import { assertConsented, lockOpenCall, recordCallEvent, type CallDeps, type LinkSession } from './call.service.js';
import { imageType } from './call-snapshots.service.js';

/** The photos and videos a victim sends during a call, kept as evidence. */
export class CallUploadsService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'config' | 'mediaRoot' | 'evidence' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  /**
   * A photo or video the victim sends during the call (policy: "send photos or videos"): streamed to disk while
   * hashed and counted, checked as an image or video by its first bytes, and registered as an evidence item.
   * A refused file leaves neither a file nor a row.
   */
  async saveUpload(context: RequestContext, session: LinkSession, content: AsyncIterable<Buffer>): Promise<{ id: string; mediaType: string; sha256: string }> {
    if (session.participant.role !== 'victim') throw new ForbiddenError('Only the victim can send photos or videos here');
    await assertConsented(this.data.repos, session.participant);
    const limit = this.deps.config.uploadMaxBytes;
    const at = this.deps.now();
    const uploadId = randomUUID();
    const partial = path.join(this.deps.mediaRoot, `calls/${session.call.id}/upload-${uploadId}.partial`);
    await fs.promises.mkdir(path.dirname(partial), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const out = fs.createWriteStream(partial, { flags: 'wx', mode: 0o440 });
    try {
      for await (const chunk of content) {
        size += chunk.length;
        if (size > limit)
          throw new AppError(
            413,
            `That file is too big to send here: the limit is ${Math.floor(limit / 1_000_000)} MB. Send a shorter video, or tell the officer.`,
          );
        if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16 - head.length)]);
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      if (size === 0) throw new ValidationError('The file was empty: choose a photo or video and send it again');
      const kind = uploadType(head);
      if (!kind) throw new AppError(415, 'That is not a photo or video we can keep. Send a photo (JPEG, PNG or HEIC) or a video (MP4, MOV or WebM).');
      const fileKey = `calls/${session.call.id}/upload-${at.getTime()}-${uploadId.slice(0, 8)}.${kind.extension}`;
      await fs.promises.rename(partial, path.join(this.deps.mediaRoot, fileKey));
      const sha256 = hash.digest('hex');
      try {
        return await this.data.transaction(async (tx) => {
          const call = await lockOpenCall(tx, session.call.id);
          const count = (await tx.evidence.listByConsultation(call.consultationId)).filter((i) => i.kind === 'upload').length;
          if (count >= this.deps.config.uploadMaxPerCall)
            throw new ConflictError(`You have sent the most files this call can take (${this.deps.config.uploadMaxPerCall}). Tell the officer.`);
          const item = await this.deps.evidence.registerUpload(tx, context, {
            uploadId,
            consultationId: call.consultationId,
            callId: call.id,
            fileKey,
            mediaType: kind.mediaType,
            sha256,
            sizeBytes: size,
            receivedAt: at,
            participantId: session.participant.id,
          });
          await recordCallEvent(
            this.deps,
            tx,
            context,
            call.id,
            'upload_received',
            { evidenceId: item.id, mediaType: kind.mediaType, sha256 },
            session.participant,
          );
          return { id: item.id, mediaType: kind.mediaType, sha256 };
        });
      } catch (error) {
        await fs.promises.rm(path.join(this.deps.mediaRoot, fileKey), { force: true });
        throw error;
      }
    } catch (error) {
      out.destroy();
      await fs.promises.rm(partial, { force: true });
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
