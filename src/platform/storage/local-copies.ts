import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, PutOptions, StoredBlob } from './blob-store.js';

/**
 * For tools that need files on disk (ffmpeg): the blobs as local paths for the length of `work`. The local store's
 * own files are used as they are (read-only); other stores' blobs are copied to a private temporary folder, removed after.
 */
export async function withLocalCopies<T>(store: BlobStore, keys: string[], work: (files: string[], workDir: string) => Promise<T>): Promise<T> {
  const workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'rvr-work-'));
  try {
    const files: string[] = [];
    for (const [index, key] of keys.entries()) {
      const direct = store.localPath?.(key);
      if (direct) {
        files.push(direct);
        continue;
      }
      const copy = path.join(workDir, `${index}-${path.basename(key)}`);
      await pipeline(await store.get(key), fs.createWriteStream(copy, { flags: 'wx', mode: 0o600 }));
      files.push(copy);
    }
    return await work(files, workDir);
  } finally {
    await fs.promises.rm(workDir, { recursive: true, force: true });
  }
}

/** Puts a file a tool made (in a `withLocalCopies` folder) into the store, verified by `options.expectedSha256`. */
export function putFile(store: BlobStore, key: string, file: string, options: PutOptions): Promise<StoredBlob> {
  return store.put(key, fs.createReadStream(file), options);
}
