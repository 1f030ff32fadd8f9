import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  BlobChecksumError,
  BlobLockedError,
  BlobNotFoundError,
  assertSafeKey,
  lockForbidsDelete,
  type BlobHead,
  type BlobStore,
  type ByteRange,
  type PutOptions,
  type StoredBlob,
} from './blob-store.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** A MinIO/Ceph/test server address; unset for AWS itself. */
  endpoint?: string;
  /** Key prefix inside the bucket, e.g. `rvr/`. */
  prefix?: string;
  forcePathStyle?: boolean;
  /** Object Lock mode for new retention; `off` for a bucket without Object Lock (then nothing is locked by the store). */
  lockMode: 'COMPLIANCE' | 'GOVERNANCE' | 'off';
  /** Server-side encryption: S3-managed keys (AES256, the default) or a KMS key. */
  sse?: { kind: 'AES256' } | { kind: 'aws:kms'; kmsKeyId?: string };
  /** Multipart part size (at least 5 MiB on S3). Uploads above it go in parts, each with its own SHA-256 checksum. */
  partSizeBytes?: number;
  /** Static keys for tests; unset, the SDK's standard credential chain is used (env, profile, web identity, ECS/EC2 roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  now?: () => Date;
}

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

/**
 * Evidence in S3 through the AWS SDK (issue 15): streamed uploads (multipart above the part size) hashed with
 * SHA-256 on the way and sent as checksums S3 verifies, server-side encryption, and S3 Object Lock whose retention
 * is only ever extended and whose legal hold follows the platform's holds (RET-07). Deletion asks the lock first.
 */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  readonly driver = 's3' as const;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3BlobStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket))
      throw new Error('STORAGE_S3_BUCKET must be 3-63 lowercase letters, digits, dots or hyphens');
    if (!options.region) throw new Error('STORAGE_S3_REGION is required');
    const prefix = (options.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.prefix) assertSafeKey(this.prefix.slice(0, -1));
    if ((options.partSizeBytes ?? DEFAULT_PART_SIZE) < 5 * 1024 * 1024) throw new Error('The S3 part size must be at least 5 MiB');
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      credentials: options.credentials,
      // Checksums are asked for explicitly (SHA-256), not the SDK's default CRC32 trailers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.description = `S3 bucket ${options.bucket}${options.endpoint ? ` at ${new URL(options.endpoint).origin}` : ''} (region ${options.region}), under ${
      this.prefix || 'the bucket root'
    }, object lock ${options.lockMode}`;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private keyOf(key: string): string {
    assertSafeKey(key);
    return `${this.prefix}${key}`;
  }

  async put(key: string, content: Readable, options: PutOptions = {}): Promise<StoredBlob> {
    const existing = await this.head(key);
    if (existing && lockForbidsDelete(existing.lock, this.now())) {
      content.destroy();
      throw new BlobLockedError(key, existing.lock);
    }
    const hash = createHash('sha256');
    let size = 0;
    let actual = '';
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
      // A mismatch found at the end fails the stream before the last part is sent, so the upload is aborted.
      flush(done) {
        actual = hash.digest('hex');
        if (options.expectedSha256 && options.expectedSha256 !== actual) done(new BlobChecksumError(key, options.expectedSha256, actual));
        else done();
      },
    });
    content.on('error', (error) => hasher.destroy(error));
    const body = content.pipe(hasher).pipe(new PassThrough());
    hasher.on('error', (error) => body.destroy(error));
    const lock =
      this.options.lockMode !== 'off' && options.retainUntil ? { ObjectLockMode: this.options.lockMode, ObjectLockRetainUntilDate: options.retainUntil } : {};
    const upload = new Upload({
      client: this.client,
      partSize: this.options.partSizeBytes ?? DEFAULT_PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.options.bucket,
        Key: this.keyOf(key),
        Body: body,
        ContentType: options.contentType,
        // Each request carries the SHA-256 of its bytes and S3 refuses the request (BadDigest) if they differ;
        // a known whole-file hash is sent as the object's checksum too, and kept as metadata for a multipart upload.
        ChecksumAlgorithm: 'SHA256',
        ...(options.expectedSha256 ? { Metadata: { sha256: options.expectedSha256 } } : {}),
        ...this.encryption(),
        ...lock,
      },
    });
    try {
      await upload.done();
    } catch (error) {
      if (error instanceof BlobChecksumError) throw error;
      if (isBadDigest(error)) throw new BlobChecksumError(key, options.expectedSha256 ?? '(per part)', actual || '(different)');
      throw error;
    }
    return { key, size, sha256: actual };
  }

  private encryption(): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
    const sse = this.options.sse ?? { kind: 'AES256' };
    return sse.kind === 'aws:kms' ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: sse.kmsKeyId } : { ServerSideEncryption: 'AES256' };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      return response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key), ChecksumMode: 'ENABLED' }));
      const checksum = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-') ? Buffer.from(head.ChecksumSHA256, 'base64') : undefined;
      return {
        key,
        size: head.ContentLength ?? 0,
        sha256: head.Metadata?.sha256 ?? (checksum?.length === 32 ? checksum.toString('hex') : undefined),
        lock: {
          mode: head.ObjectLockMode === 'GOVERNANCE' ? 'GOVERNANCE' : 'COMPLIANCE',
          retainUntil: head.ObjectLockRetainUntilDate ? new Date(head.ObjectLockRetainUntilDate) : undefined,
          legalHold: head.ObjectLockLegalHoldStatus === 'ON',
        },
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async delete(key: string): Promise<void> {
    const head = await this.head(key);
    if (!head) return;
    if (lockForbidsDelete(head.lock, this.now())) throw new BlobLockedError(key, head.lock);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }));
    } catch (error) {
      // S3 itself refuses a locked version (AccessDenied): said in the same words as our own check.
      if (statusOf(error) === 403) throw new BlobLockedError(key, head.lock);
      throw error;
    }
  }

  async extendRetention(key: string, retainUntil: Date): Promise<void> {
    if (this.options.lockMode === 'off') return;
    const head = await this.head(key);
    if (!head) throw new BlobNotFoundError(key);
    if (head.lock.retainUntil && head.lock.retainUntil >= retainUntil) return;
    await this.client.send(
      new PutObjectRetentionCommand({
        Bucket: this.options.bucket,
        Key: this.keyOf(key),
        Retention: { Mode: head.lock.retainUntil ? head.lock.mode : this.options.lockMode, RetainUntilDate: retainUntil },
      }),
    );
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    if (this.options.lockMode === 'off') return;
    await this.client.send(new PutObjectLegalHoldCommand({ Bucket: this.options.bucket, Key: this.keyOf(key), LegalHold: { Status: on ? 'ON' : 'OFF' } }));
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: `${this.prefix}${prefix}`, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key.slice(this.prefix.length);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async presignedGetUrl(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.options.bucket, Key: this.keyOf(key) }), { expiresIn: seconds });
  }

  close(): void {
    this.client.destroy();
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}

function isBadDigest(error: unknown): boolean {
  const name = (error as { name?: string; Code?: string })?.name;
  return name === 'BadDigest' || name === 'XAmzContentSHA256Mismatch' || name === 'InvalidDigest';
}
