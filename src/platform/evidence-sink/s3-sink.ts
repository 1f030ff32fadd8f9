import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { EMPTY_SHA256, encodeS3Key, signSigV4, type AwsCredentials } from './aws-sigv4.js';
import { EvidenceDeliveryError, type DeliveryReceipt, type EvidenceSink } from './evidence-sink.js';
import { MANIFEST_PATH, assertSafeExportId, isSafePackagePath, type ExportPackage, type PackageFile } from './export-package.js';
import { DEFAULT_RETRY_POLICY, checkRetryPolicy, networkReason, retryAfterMs, withRetries, type RetryPolicy } from './retry.js';

export interface S3EvidenceSinkOptions {
  /** e.g. https://s3.eu-west-2.amazonaws.com, or a MinIO / Ceph address. Plain http only on loopback. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Key prefix, e.g. `rvr/exports/`; each package lands under `<prefix><exportId>/`. */
  prefix?: string;
  credentials: AwsCredentials;
  /** `path` (https://endpoint/bucket/key, the default, what most S3-compatible stores expect) or `virtual-hosted`. */
  addressing?: 'path' | 'virtual-hosted';
  /**
   * How the receipt's hashes are obtained. `checksum` (default) asks S3 for the SHA-256 it computed and checked on
   * upload, and reads the object back only when the store keeps no checksum; `read-back` always downloads and hashes.
   */
  verify?: 'checksum' | 'read-back';
  attempts?: number;
  baseDelayMs?: number;
  /** Per request. Defaults to 15 minutes, to allow for large recordings. */
  timeoutMs?: number;
  now?: () => Date;
}

/** The largest object one PUT may create; larger needs multipart upload, which this sink does not do. */
export const S3_MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Uploads each package file as an object, signed with SigV4 over plain HTTPS (no SDK). */
export class S3EvidenceSink implements EvidenceSink {
  readonly name = 's3';
  private readonly endpoint: URL;
  private readonly prefix: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
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
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new Error('S3 access key id and secret access key are required');
    const prefix = (options.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.prefix !== '' && !isSafePackagePath(this.prefix.slice(0, -1))) throw new Error(`Unsafe S3 prefix ${JSON.stringify(options.prefix)}`);
    this.retry = { attempts: options.attempts ?? DEFAULT_RETRY_POLICY.attempts, baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs };
    checkRetryPolicy(this.retry, 'S3 sink');
    this.timeoutMs = options.timeoutMs ?? 15 * 60_000;
    this.now = options.now ?? (() => new Date());
  }

  describe(): string {
    return `S3 bucket ${this.options.bucket} at ${this.endpoint.origin} (region ${this.options.region}), under ${this.prefix || 'the bucket root'}`;
  }

  async deliver(pkg: ExportPackage, signal?: AbortSignal): Promise<DeliveryReceipt> {
    assertSafeExportId(pkg.exportId);
    for (const file of pkg.files) {
      if (!isSafePackagePath(file.path)) throw new Error(`Unsafe package path ${JSON.stringify(file.path)}`);
      if (file.sizeBytes > S3_MAX_SINGLE_PUT_BYTES) {
        throw new EvidenceDeliveryError(`${file.path} is ${file.sizeBytes} bytes, more than one S3 upload may carry (5 GiB)`, false);
      }
    }
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
    const headers = {
      'content-type': file.mediaType,
      'content-length': String(file.sizeBytes),
      // S3 refuses the upload (BadDigest) if the bytes it receives do not hash to this, and keeps it for HEAD.
      'x-amz-checksum-sha256': Buffer.from(file.sha256, 'hex').toString('base64'),
    };
    await withRetries(`S3 upload of ${key}`, this.retry, signal, async () => {
      const response = await this.request('PUT', key, headers, file.sha256, signal, () => file.open());
      await response.body?.cancel();
    });
  }

  /** The SHA-256 S3 holds for `key`, or undefined when there is no such object. */
  private async heldSha256(key: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    return withRetries(`S3 check of ${key}`, this.retry, signal, async () => {
      if (this.options.verify !== 'read-back') {
        const head = await this.request('HEAD', key, { 'x-amz-checksum-mode': 'ENABLED' }, EMPTY_SHA256, signal, undefined, [404]);
        if (head.status === 404) return undefined;
        const checksum = Buffer.from(head.headers.get('x-amz-checksum-sha256') ?? '', 'base64');
        if (checksum.length === 32) return checksum.toString('hex');
      }
      const response = await this.request('GET', key, {}, EMPTY_SHA256, signal, undefined, [404]);
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      const hash = createHash('sha256');
      try {
        for await (const chunk of response.body ?? []) hash.update(chunk);
      } catch (error) {
        throw new EvidenceDeliveryError(`S3 read-back of ${key} broke off (${networkReason(error)})`, true, undefined, { cause: error });
      }
      return hash.digest('hex');
    });
  }

  private async request(
    method: 'PUT' | 'HEAD' | 'GET',
    key: string,
    extraHeaders: Record<string, string>,
    payloadSha256: string,
    signal: AbortSignal | undefined,
    body?: () => Readable,
    acceptedStatuses: number[] = [],
  ): Promise<Response> {
    const url = this.urlOf(key);
    const headers = signSigV4(
      { method, url, headers: extraHeaders, payloadSha256 },
      { credentials: this.options.credentials, region: this.options.region, service: 's3', now: this.now() },
    );
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const source = body?.();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: source ? (Readable.toWeb(source) as ReadableStream<Uint8Array>) : undefined,
        duplex: body ? 'half' : undefined,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      } as RequestInit);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new EvidenceDeliveryError(`Could not reach S3 at ${this.endpoint.origin} for ${method} ${key} (${networkReason(error)})`, true, undefined, {
        cause: error,
      });
    } finally {
      // fetch leaves the body unread when it fails or S3 answers early; this closes the open file.
      source?.destroy();
    }
    if ((response.status >= 200 && response.status < 300) || acceptedStatuses.includes(response.status)) return response;
    const detail = s3ErrorDetail(method === 'HEAD' ? '' : await response.text().catch(() => ''));
    const said = `HTTP ${response.status}${detail ? `, ${detail}` : ''}`;
    if (response.status === 429 || response.status >= 500) {
      throw new EvidenceDeliveryError(`S3 is unavailable for ${method} ${key} (${said})`, true, response.status, {
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new EvidenceDeliveryError(
        `S3 refused ${method} ${key} (${said}); check the access key, secret, region and the bucket policy` +
          (method === 'PUT' ? '' : ' (S3 answers 403 for a missing object unless s3:ListBucket is allowed)'),
        false,
        response.status,
      );
    }
    throw new EvidenceDeliveryError(`S3 rejected ${method} ${key} (${said}); check the bucket name and endpoint`, false, response.status);
  }

  private urlOf(key: string): URL {
    const path = encodeS3Key(key);
    const base = this.endpoint.pathname.replace(/\/+$/, '');
    if (this.options.addressing === 'virtual-hosted') {
      const url = new URL(this.endpoint.origin);
      url.hostname = `${this.options.bucket}.${this.endpoint.hostname}`;
      url.pathname = `${base}/${path}`;
      return url;
    }
    const url = new URL(this.endpoint.origin);
    url.pathname = `${base}/${this.options.bucket}/${path}`;
    return url;
  }
}

function s3ErrorDetail(xml: string): string {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(xml)?.[1];
  const message = /<Message>([^<]{1,300})<\/Message>/.exec(xml)?.[1];
  return [code, message].filter(Boolean).join(': ');
}
