import type { Readable } from 'node:stream';

export interface StoredBlob {
  key: string;
  size: number;
  /** Lowercase hex SHA-256 of the bytes stored, computed while they streamed in. */
  sha256: string;
}

/** What the store's own lock says about an object (S3 Object Lock; emulated by the local store). */
export interface BlobLock {
  mode: 'COMPLIANCE' | 'GOVERNANCE';
  /** The object cannot be deleted or overwritten before this time (none: no retention set). */
  retainUntil?: Date;
  /** A legal hold keeps the object whatever its retention date, until the flag is cleared. */
  legalHold: boolean;
}

export interface BlobHead {
  key: string;
  size: number;
  /** The SHA-256 recorded when it was stored, if the store keeps one. */
  sha256?: string;
  lock: BlobLock;
}

export interface PutOptions {
  contentType?: string;
  /** When known (a scratch file hashed before upload), the store refuses the bytes unless they hash to this. */
  expectedSha256?: string;
  /** Locked from the first byte: retention until this time (extends any default). */
  retainUntil?: Date;
}

/** A byte range, both ends included, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where evidence masters, working copies and export staging live (issue 15): local disk by default and in tests,
 * S3 (with Object Lock) in a cluster. Features reach evidence bytes only through this port.
 */
export interface BlobStore {
  /** Where the blobs are, for logs; never includes a secret. */
  readonly description: string;
  readonly driver: 'local' | 's3';
  /** Writes the whole stream, hashing as it goes; the blob appears under `key` only once complete and verified. */
  put(key: string, content: Readable, options?: PutOptions): Promise<StoredBlob>;
  /** Reads the blob, or the bytes of `range`. Throws BlobNotFoundError when there is no such blob. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<BlobHead | undefined>;
  exists(key: string): Promise<boolean>;
  /** Deletes the blob; throws BlobLockedError (and deletes nothing) while its lock forbids it. Absent is not an error. */
  delete(key: string): Promise<void>;
  /** Extends the retention to `retainUntil`; never shortens it (a shorter date is ignored). */
  extendRetention(key: string, retainUntil: Date): Promise<void>;
  /** Sets or clears the legal-hold flag. Only the platform's hold rules call this (RET-07). */
  setLegalHold(key: string, on: boolean): Promise<void>;
  /** Every key under `prefix` (`''` for all), in key order. */
  list(prefix: string): AsyncIterable<string>;
  /** The blob's own file when the store is a local disk (for ffmpeg), else undefined. Never written to. */
  localPath?(key: string): string | undefined;
  /** A short-lived URL a browser may read the blob from directly (S3), or undefined when the store has none (local). */
  presignedGetUrl(key: string, seconds: number): Promise<string | undefined>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No stored file ${key}`);
    this.name = 'BlobNotFoundError';
  }
}

/** The store's lock (retention date or legal hold) forbids deleting or overwriting the object. */
export class BlobLockedError extends Error {
  constructor(
    readonly key: string,
    readonly lock: BlobLock,
  ) {
    super(
      lock.legalHold
        ? `The store keeps ${key} under a legal hold: it cannot be deleted until the hold is released`
        : `The store's ${lock.mode.toLowerCase()} lock keeps ${key} until ${lock.retainUntil?.toISOString() ?? 'a later date'}: it cannot be deleted before then`,
    );
    this.name = 'BlobLockedError';
  }
}

/** The bytes received do not hash to what was expected: nothing was stored. */
export class BlobChecksumError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`The bytes stored for ${key} hash to ${actual}, not the expected ${expected}: nothing was kept`);
    this.name = 'BlobChecksumError';
  }
}

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Keys come from our own code, but a key that could climb out of its root or prefix is refused outright. */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) throw new Error(`Unsafe blob key: ${key}`);
}

/** True when the lock forbids deletion at `now`. */
export function lockForbidsDelete(lock: BlobLock, now: Date): boolean {
  return lock.legalHold || (lock.retainUntil !== undefined && lock.retainUntil.getTime() > now.getTime());
}
