import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { EvidenceDeliveryError, type DeliveryReceipt, type EvidenceSink } from './evidence-sink.js';
import { MANIFEST_PATH, assertSafeExportId, isSafePackagePath, type ExportPackage, type PackageFile } from './export-package.js';
import { DEFAULT_RETRY_POLICY, checkRetryPolicy, networkReason, withRetries, type RetryPolicy } from './retry.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary credentials (STS, IRSA). */
  sessionToken?: string;
}

export interface S3EvidenceSinkOptions {
  /** e.g. https://s3.eu-west-2.amazonaws.com, or a MinIO / Ceph address. Plain http only on loopback. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Key prefix, e.g. `rvr/exports/`; each package lands under `<prefix><exportId>/`. */
  prefix?: string;
  /** Static keys; unset, the AWS SDK's standard credential chain (environment, profile, web identity, instance role). */
  credentials?: AwsCredentials;
  /** `path` (https://endpoint/bucket/key, the default, what most S3-compatible stores expect) or `virtual-hosted`. */
  addressing?: 'path' | 'virtual-hosted';
  /**
   * How the receipt's hashes are obtained. `checksum` (default) asks S3 for the SHA-256 it computed and checked on
   * upload, and reads the object back when the store keeps no whole-object SHA-256 (a multipart upload keeps a hash
   * of its parts' hashes); `read-back` always downloads and hashes.
   */
  verify?: 'checksum' | 'read-back';
  attempts?: number;
  baseDelayMs?: number;
  /** Per request. Defaults to 15 minutes, to allow for large recordings. */
  timeoutMs?: number;
  /** Files above this go as a multipart upload (no 5 GiB ceiling), each part with its own SHA-256 checksum. */
  partSizeBytes?: number;
  now?: () => Date;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Uploads each package file as an object with the AWS SDK: SHA-256 checksums S3 verifies, multipart for large files. */
export class S3EvidenceSink implements EvidenceSink {
  readonly name = 's3';
  private readonly endpoint: URL;
  private readonly prefix: string;
  private readonly retry: RetryPolicy;
  private readonly client: S3Client;
  private readonly now: () => Date;

  constructor(private readonly options: S3EvidenceSinkOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new Error('S3 endpoint must be a URL, e.g. https://s3.eu-west-2.amazonaws.com');
    }
    if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && LOOPBACK_HOSTS.has(endpoint.hostname))) {
      throw new Error('S3 endpoint must use https (plain http is allowed only on this machine)');
    }
    if (endpoint.search || endpoint.username) throw new Error('S3 endpoint must not carry a query or credentials');
    this.endpoint = endpoint;
    if (!options.region) throw new Error('S3 region is required');
    // Bucket names go into the host or the path, so their shape is checked rather than trusted.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) throw new Error('S3 bucket name must be 3-63 lowercase letters, digits, dots or hyphens');
    if (options.credentials && (!options.credentials.accessKeyId || !options.credentials.secretAccessKey))
      throw new Error('S3 access key id and secret access key are required together (or neither, for the standard credential chain)');
    const prefix = (options.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.prefix !== '' && !isSafePackagePath(this.prefix.slice(0, -1))) throw new Error(`Unsafe S3 prefix ${JSON.stringify(options.prefix)}`);
    this.retry = { attempts: options.attempts ?? DEFAULT_RETRY_POLICY.attempts, baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs };
    checkRetryPolicy(this.retry, 'S3 sink');
    if ((options.partSizeBytes ?? 16 * 1024 * 1024) < 5 * 1024 * 1024) throw new Error('The S3 part size must be at least 5 MiB');
    this.now = options.now ?? (() => new Date());
    this.client = new S3Client({
      region: options.region,
      endpoint: endpoint.toString(),
      forcePathStyle: options.addressing !== 'virtual-hosted',
      credentials: options.credentials,
      // Our own retry policy decides (and says how often it tried); the SDK's would hide attempts.
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { requestTimeout: options.timeoutMs ?? 15 * 60_000 },
    });
  }

  describe(): string {
    return `S3 bucket ${this.options.bucket} at ${this.endpoint.origin} (region ${this.options.region}), under ${this.prefix || 'the bucket root'}`;
  }

  async deliver(pkg: ExportPackage, signal?: AbortSignal): Promise<DeliveryReceipt> {
    assertSafeExportId(pkg.exportId);
    for (const file of pkg.files) if (!isSafePackagePath(file.path)) throw new Error(`Unsafe package path ${JSON.stringify(file.path)}`);
    const base = `${this.prefix}${pkg.exportId}/`;

    // The manifest goes last, so its presence means a complete earlier delivery.
    const earlier = await this.heldSha256(`${base}${MANIFEST_PATH}`, signal);
    if (earlier !== undefined && earlier !== pkg.manifestSha256) {
      throw new EvidenceDeliveryError(`S3 already holds a different export ${pkg.exportId} under ${base}, so it was left as it is`, false);
    }
    if (earlier === undefined) {
      const ordered = [...pkg.files.filter((file) => file.path !== MANIFEST_PATH), ...pkg.files.filter((file) => file.path === MANIFEST_PATH)];
      for (const file of ordered) await this.put(`${base}${file.path}`, file, signal);
    }

    const receivedSha256: Record<string, string> = {};
    for (const file of pkg.files) {
      const held = await this.heldSha256(`${base}${file.path}`, signal);
      if (held !== undefined) receivedSha256[file.path] = held;
    }
    return { reference: `s3://${this.options.bucket}/${base}`, receivedSha256, deliveredAt: this.now() };
  }

  private async put(key: string, file: PackageFile, signal: AbortSignal | undefined): Promise<void> {
    const single = file.sizeBytes <= (this.options.partSizeBytes ?? 16 * 1024 * 1024);
    await withRetries(`S3 upload of ${key}`, this.retry, signal, () =>
      this.call('PUT', key, signal, async (abortSignal) => {
        const upload = new Upload({
          client: this.client,
          partSize: this.options.partSizeBytes ?? 16 * 1024 * 1024,
          queueSize: 2,
          leavePartsOnError: false,
          params: {
            Bucket: this.options.bucket,
            Key: key,
            Body: file.open(),
            ContentType: file.mediaType,
            // S3 refuses the upload (BadDigest) if the bytes it receives do not hash to this, and keeps it for HEAD;
            // a multipart upload sends each part's SHA-256 instead.
            ChecksumAlgorithm: 'SHA256',
            ...(single ? { ChecksumSHA256: Buffer.from(file.sha256, 'hex').toString('base64') } : {}),
            Metadata: { sha256: file.sha256 },
          },
        });
        abortSignal.addEventListener('abort', () => void upload.abort(), { once: true });
        await upload.done();
      }),
    );
  }

  /** The SHA-256 S3 holds for `key`, or undefined when there is no such object. */
  private async heldSha256(key: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    return withRetries(`S3 check of ${key}`, this.retry, signal, async () => {
      if (this.options.verify !== 'read-back') {
        const head = await this.call('HEAD', key, signal, (abortSignal) =>
          this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal }),
        );
        if (head === undefined) return undefined;
        const checksum = Buffer.from(head.ChecksumSHA256?.includes('-') ? '' : (head.ChecksumSHA256 ?? ''), 'base64');
        if (checksum.length === 32) return checksum.toString('hex');
      }
      return this.call('GET', key, signal, async (abortSignal) => {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), { abortSignal });
        const hash = createHash('sha256');
        try {
          for await (const chunk of response.Body as Readable) hash.update(chunk as Buffer);
        } catch (error) {
          throw new EvidenceDeliveryError(`S3 read-back of ${key} broke off (${networkReason(error)})`, true, undefined, { cause: error });
        }
        return hash.digest('hex');
      });
    });
  }

  /** One SDK call, its failure said in words a person can act on and marked retryable or not; a 404 is `undefined`. */
  private async call<T>(method: 'PUT' | 'HEAD' | 'GET', key: string, signal: AbortSignal | undefined, run: (abortSignal: AbortSignal) => Promise<T>) {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 15 * 60_000);
    const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      return await run(abortSignal);
    } catch (error) {
      if (error instanceof EvidenceDeliveryError) throw error;
      if (signal?.aborted) throw error;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const code = (error as { name?: string }).name;
      if (status === 404 && method !== 'PUT') return undefined;
      if (status === undefined)
        throw new EvidenceDeliveryError(`Could not reach S3 at ${this.endpoint.origin} for ${method} ${key} (${networkReason(error)})`, true, undefined, {
          cause: error,
        });
      const said = `HTTP ${status}${code && code !== 'Unknown' && method !== 'HEAD' ? `, ${code}` : ''}`;
      if (status === 429 || status >= 500) throw new EvidenceDeliveryError(`S3 is unavailable for ${method} ${key} (${said})`, true, status, { cause: error });
      if (status === 401 || status === 403)
        throw new EvidenceDeliveryError(
          `S3 refused ${method} ${key} (${said}); check the access key, secret, region and the bucket policy` +
            (method === 'PUT' ? '' : ' (S3 answers 403 for a missing object unless s3:ListBucket is allowed)'),
          false,
          status,
        );
      throw new EvidenceDeliveryError(`S3 rejected ${method} ${key} (${said}); check the bucket name and endpoint`, false, status, { cause: error });
    }
  }
}
