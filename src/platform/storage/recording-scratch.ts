import { createReadStream } from 'node:fs';
import fs from 'node:fs';
import path from 'node:path';
import { remuxWebm } from '../media/ffmpeg.js';
import { sha256File } from '../media/sha256-file.js';
import { assertSafeKey, type BlobStore } from './blob-store.js';

export interface FinishedSegment {
  sha256: string;
  size: number;
  /** When the recorder never finalised the file: the hash of the raw bytes, kept in the store beside the playable copy. */
  rawSha256?: string;
}

/** The raw file a repaired recording keeps beside its playable master (it goes with the master on disposal). */
export function rawKeyOf(fileKey: string): string {
  return fileKey.replace(/\.webm$/, '.unfinished.webm');
}

/**
 * The media node's scratch folder (issue 15): a segment is written here while it records, and only once finished is
 * it (repaired if the recorder could not finalise it) hashed, streamed to the store with that hash to be verified
 * on arrival, and removed from here. A node lost mid-call loses at most the segment in progress.
 */
export class RecordingScratch {
  constructor(readonly root: string) {}

  /** The scratch file a new segment is written to; its folder is made. */
  async prepare(fileKey: string): Promise<string> {
    const file = this.pathOf(fileKey);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    return file;
  }

  keyOf(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }

  /** Bytes written so far (0 when there is no scratch file). */
  async sizeOf(fileKey: string): Promise<number> {
    return (await fs.promises.stat(this.pathOf(fileKey)).catch(() => undefined))?.size ?? 0;
  }

  /**
   * Moves a finished segment into the store: remuxed first when `repair` (the recorder stopped without writing its
   * cues), hashed, streamed with the hash so the store verifies what it received, then the scratch copy removed.
   * Returns undefined (and removes the scratch file) when there is nothing worth keeping.
   */
  async moveToStore(store: BlobStore, fileKey: string, options: { keep: boolean; repair: boolean; contentType: string }): Promise<FinishedSegment | undefined> {
    const file = this.pathOf(fileKey);
    const raw = this.pathOf(rawKeyOf(fileKey));
    // A crash between renaming and remuxing leaves only the raw file: it is the segment.
    if (!fs.existsSync(file) && fs.existsSync(raw)) await fs.promises.rename(raw, file);
    if (!fs.existsSync(file)) return undefined;
    if (!options.keep) {
      await fs.promises.rm(file, { force: true });
      return undefined;
    }
    let rawSha256: string | undefined;
    if (options.repair) {
      await fs.promises.rename(file, raw);
      rawSha256 = (await sha256File(raw)).sha256;
      try {
        await remuxWebm(raw, file);
      } catch (error) {
        // Not playable, but never lost: the raw bytes go to the store as they are.
        await store.put(rawKeyOf(fileKey), createReadStream(raw), { expectedSha256: rawSha256, contentType: options.contentType });
        await fs.promises.rm(raw, { force: true });
        throw error;
      }
      await store.put(rawKeyOf(fileKey), createReadStream(raw), { expectedSha256: rawSha256, contentType: options.contentType });
    }
    const hashed = await sha256File(file);
    await store.put(fileKey, createReadStream(file), { expectedSha256: hashed.sha256, contentType: options.contentType });
    await fs.promises.rm(file, { force: true });
    await fs.promises.rm(raw, { force: true });
    return { ...hashed, rawSha256 };
  }

  private pathOf(fileKey: string): string {
    assertSafeKey(fileKey);
    return path.join(this.root, fileKey);
  }
}
