import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobChecksumError,
  BlobLockedError,
  BlobNotFoundError,
  assertSafeKey,
  lockForbidsDelete,
  type BlobHead,
  type BlobLock,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from './blob-store.js';

interface Sidecar {
  sha256: string;
  retainUntil?: string;
  legalHold: boolean;
}

/**
 * The embedded store and the test double: files under one folder, written atomically (rename) and read-only
 * (0440, EVD-02). The lock is kept beside each file in `.locks/` and enforced by this code, not by the disk:
 * it stops the platform deleting early, not a root user (which is what S3 Object Lock in compliance mode adds).
 */
export class LocalBlobStore implements BlobStore {
  readonly description: string;
  readonly driver = 'local' as const;
  private readonly locks: string;

  constructor(
    private readonly root: string,
    private readonly options: { lockMode?: BlobLock['mode'] | 'off'; now?: () => Date } = {},
  ) {
    fs.mkdirSync(root, { recursive: true });
    this.locks = path.join(root, '.locks');
    this.description = `local disk at ${root}`;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async put(key: string, content: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    const target = this.pathOf(key);
    const existing = await this.head(key);
    if (existing && lockForbidsDelete(existing.lock, this.now())) {
      content.destroy();
      throw new BlobLockedError(key, existing.lock);
    }
    await fs.promises.mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${randomUUID()}.partial`;
    const hash = createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    let sha256: string;
    try {
      await pipeline(content, hasher, fs.createWriteStream(partial, { flags: 'wx', mode: 0o640 }));
      sha256 = hash.digest('hex');
      if (options.expectedSha256 && options.expectedSha256 !== sha256) throw new BlobChecksumError(key, options.expectedSha256, sha256);
      await fs.promises.chmod(partial, 0o440);
      // Rename is atomic on one filesystem: readers never see half a file.
      await fs.promises.rm(target, { force: true });
      await fs.promises.rename(partial, target);
    } catch (error) {
      await fs.promises.rm(partial, { force: true });
      throw error;
    }
    await this.writeSidecar(key, { sha256, legalHold: false, retainUntil: options.retainUntil?.toISOString() });
    return { key, size, sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.pathOf(key);
    await fs.promises.access(file).catch(() => {
      throw new BlobNotFoundError(key);
    });
    return fs.createReadStream(file, range ? { start: range.start, end: range.end } : {});
  }

  async head(key: string): Promise<BlobHead | undefined> {
    const stat = await fs.promises.stat(this.pathOf(key)).catch(() => undefined);
    if (!stat?.isFile()) return undefined;
    const sidecar = await this.readSidecar(key);
    const locking = this.options.lockMode !== 'off';
    return {
      key,
      size: stat.size,
      sha256: sidecar?.sha256,
      lock: {
        mode: this.options.lockMode === 'GOVERNANCE' ? 'GOVERNANCE' : 'COMPLIANCE',
        retainUntil: locking && sidecar?.retainUntil ? new Date(sidecar.retainUntil) : undefined,
        legalHold: locking && (sidecar?.legalHold ?? false),
      },
    };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    const head = await this.head(key);
    if (!head) return;
    if (lockForbidsDelete(head.lock, this.now())) throw new BlobLockedError(key, head.lock);
    await fs.promises.rm(this.pathOf(key), { force: true });
    await fs.promises.rm(this.sidecarOf(key), { force: true });
  }

  async extendRetention(key: string, retainUntil: Date): Promise<void> {
    if (this.options.lockMode === 'off') return;
    const head = await this.head(key);
    if (!head) throw new BlobNotFoundError(key);
    if (head.lock.retainUntil && head.lock.retainUntil >= retainUntil) return;
    await this.writeSidecar(key, { sha256: head.sha256 ?? '', legalHold: head.lock.legalHold, retainUntil: retainUntil.toISOString() });
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    if (this.options.lockMode === 'off') return;
    const head = await this.head(key);
    if (!head) throw new BlobNotFoundError(key);
    await this.writeSidecar(key, { sha256: head.sha256 ?? '', legalHold: on, retainUntil: head.lock.retainUntil?.toISOString() });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const entries = await fs.promises.readdir(this.root, { recursive: true, withFileTypes: true });
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
      .filter((key) => !key.startsWith('.locks/') && !key.endsWith('.partial') && key.startsWith(prefix))
      .sort();
    yield* keys;
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  async presignedGetUrl(): Promise<undefined> {
    return undefined;
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, key);
  }

  private sidecarOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.locks, `${key}.json`);
  }

  private async readSidecar(key: string): Promise<Sidecar | undefined> {
    const raw = await fs.promises.readFile(this.sidecarOf(key), 'utf8').catch(() => undefined);
    return raw ? (JSON.parse(raw) as Sidecar) : undefined;
  }

  private async writeSidecar(key: string, sidecar: Sidecar): Promise<void> {
    const file = this.sidecarOf(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${randomUUID()}`;
    await fs.promises.writeFile(partial, JSON.stringify(sidecar));
    await fs.promises.rename(partial, file);
  }
}
