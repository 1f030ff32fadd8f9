import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { EvidenceDeliveryError, type DeliveryReceipt, type EvidenceSink } from './evidence-sink.js';
import { ExportIntegrityError, MANIFEST_PATH, assertSafeExportId, isSafePackagePath, type ExportPackage, type PackageFile } from './export-package.js';
import { DEFAULT_RETRY_POLICY, checkRetryPolicy, networkReason, retryAfterMs, withRetries, type RetryPolicy } from './retry.js';

/*
 * Wire format, version 1: one request per package.
 *
 *   POST <url>
 *   Content-Type: multipart/form-data; boundary=...
 *   Content-Length: <exact>
 *   X-RVR-Export-Id: <exportId>
 *   X-RVR-Manifest-SHA256: <hex>
 *   X-RVR-Timestamp: <Unix seconds>
 *   X-RVR-Signature: sha256=<hex HMAC-SHA256, keyed with the shared secret, of "<X-RVR-Timestamp>." followed by the body>
 *
 * Each package file is one part, manifest.json first, then the others in package order (SHA256SUMS last). A part's
 * field name is the file's package path (e.g. `media/recording-1.webm`), its filename the last segment, its
 * Content-Type the file's media type. The receiver should refuse a signature that does not match and a timestamp more
 * than 5 minutes off, re-hash every file it stores, treat a repeated export id with the same manifest as the same
 * delivery, and answer 2xx with JSON `{ "reference": "<its id>", "sha256": { "<path>": "<hex it computed>", ... } }`.
 * 429 and 5xx are retried with back-off (Retry-After is honoured); any other status is final.
 */

export interface HttpEvidenceSinkOptions {
  /** https, or plain http on this machine. */
  url: string;
  /** Shared with the receiver; at least 32 characters. */
  secret: string;
  attempts?: number;
  baseDelayMs?: number;
  /** Per attempt. Defaults to 30 minutes, to allow for large recordings. */
  timeoutMs?: number;
  now?: () => Date;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MIN_SECRET_LENGTH = 32;
const MAX_DETAIL_LENGTH = 300;

/** Posts each package, signed, to an HTTP receiver in front of the DEMS. */
export class HttpEvidenceSink implements EvidenceSink {
  readonly name = 'http';
  private readonly url: URL;
  private readonly secret: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly now: () => Date;

  constructor(options: HttpEvidenceSinkOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new Error('Evidence receiver URL must be an absolute URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      throw new Error('Evidence receiver URL must use https (plain http is allowed only on this machine)');
    }
    if (url.username || url.password) throw new Error('Evidence receiver URL must not carry credentials; the shared secret signs each request');
    if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`Evidence receiver shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.url = url;
    this.secret = options.secret;
    this.retry = { attempts: options.attempts ?? DEFAULT_RETRY_POLICY.attempts, baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs };
    checkRetryPolicy(this.retry, 'Evidence receiver');
    this.timeoutMs = options.timeoutMs ?? 30 * 60_000;
    this.now = options.now ?? (() => new Date());
  }

  describe(): string {
    // The query may hold a token, so only origin and path are shown.
    return `HTTP receiver ${this.url.origin}${this.url.pathname}`;
  }

  async deliver(pkg: ExportPackage, signal?: AbortSignal): Promise<DeliveryReceipt> {
    assertSafeExportId(pkg.exportId);
    for (const file of pkg.files) if (!isSafePackagePath(file.path)) throw new Error(`Unsafe package path ${JSON.stringify(file.path)}`);
    const body = new MultipartBody(pkg);
    const receipt = await withRetries(`Delivery of export ${pkg.exportId} to ${this.describe()}`, this.retry, signal, () => this.attempt(pkg, body, signal));
    return receipt;
  }

  private async attempt(pkg: ExportPackage, body: MultipartBody, signal: AbortSignal | undefined): Promise<DeliveryReceipt> {
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    // The signature covers the timestamp, so it is recomputed (one more read of the files) on every attempt.
    const mac = createHmac('sha256', this.secret).update(`${timestamp}.`);
    for await (const chunk of body.stream(true)) mac.update(chunk);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const source = Readable.from(body.stream(false));
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${body.boundary}`,
          'content-length': String(body.length),
          accept: 'application/json',
          'x-rvr-export-id': pkg.exportId,
          'x-rvr-manifest-sha256': pkg.manifestSha256,
          'x-rvr-timestamp': timestamp,
          'x-rvr-signature': `sha256=${mac.digest('hex')}`,
        },
        body: Readable.toWeb(source) as ReadableStream<Uint8Array>,
        duplex: 'half',
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      } as RequestInit);
    } catch (error) {
      if (signal?.aborted) throw error;
      const reason = networkReason(error);
      throw new EvidenceDeliveryError(
        `Could not reach the evidence receiver (${reason === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : reason})`,
        true,
        undefined,
        { cause: error },
      );
    } finally {
      // fetch leaves the body unread when it fails or the receiver answers early; this closes the open file.
      source.destroy();
    }
    const status = response.status;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new EvidenceDeliveryError(`the evidence receiver's reply (HTTP ${status}) broke off (${networkReason(error)})`, true, status, { cause: error });
    }
    if (status >= 200 && status < 300) return this.receiptFrom(text, status);
    const detail = text.trim() ? `: ${text.trim().replace(/\s+/g, ' ').slice(0, MAX_DETAIL_LENGTH)}` : '';
    if (status === 429 || status >= 500) {
      throw new EvidenceDeliveryError(`the evidence receiver answered HTTP ${status}${detail}`, true, status, {
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      });
    }
    if (status >= 300 && status < 400) {
      throw new EvidenceDeliveryError(`The evidence receiver redirected the package (HTTP ${status}); configure the URL it redirects to`, false, status);
    }
    if (status === 401 || status === 403) {
      throw new EvidenceDeliveryError(
        `The evidence receiver refused the request (HTTP ${status}${detail}); check the shared secret and that both clocks are right`,
        false,
        status,
      );
    }
    throw new EvidenceDeliveryError(`The evidence receiver rejected the package (HTTP ${status}${detail})`, false, status);
  }

  private receiptFrom(text: string, status: number): DeliveryReceipt {
    let reply: { reference?: unknown; sha256?: unknown } | undefined;
    try {
      reply = JSON.parse(text) as typeof reply;
    } catch {
      reply = undefined;
    }
    const hashes = reply?.sha256;
    // Accepted, so sending again would only repeat the delivery: a person has to look at the receiver instead.
    if (typeof reply?.reference !== 'string' || reply.reference === '' || typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) {
      throw new EvidenceDeliveryError(
        `The evidence receiver accepted the package (HTTP ${status}) but did not reply with a reference and its hashes`,
        false,
        status,
      );
    }
    const receivedSha256: Record<string, string> = {};
    for (const [file, sha256] of Object.entries(hashes as Record<string, unknown>)) receivedSha256[file] = typeof sha256 === 'string' ? sha256 : String(sha256);
    return { reference: reply.reference, receivedSha256, deliveredAt: this.now() };
  }
}

/** The multipart body, streamed from the staged files. Its length is known up front, so no chunked encoding is needed. */
class MultipartBody {
  // 32 random hex characters: the chance of this appearing inside a recording is negligible.
  readonly boundary = `rvr-evidence-${randomBytes(16).toString('hex')}`;
  readonly length: number;
  private readonly parts: Array<{ file: PackageFile; head: Buffer }>;
  private readonly tail: Buffer;

  constructor(pkg: ExportPackage) {
    const ordered = [...pkg.files.filter((file) => file.path === MANIFEST_PATH), ...pkg.files.filter((file) => file.path !== MANIFEST_PATH)];
    this.parts = ordered.map((file) => ({
      file,
      head: Buffer.from(
        `--${this.boundary}\r\n` +
          `Content-Disposition: form-data; name="${file.path}"; filename="${file.path.split('/').pop() ?? file.path}"\r\n` +
          `Content-Type: ${file.mediaType}\r\n\r\n`,
      ),
    }));
    this.tail = Buffer.from(`--${this.boundary}--\r\n`);
    this.length = this.parts.reduce((sum, part) => sum + part.head.length + part.file.sizeBytes + 2, this.tail.length);
  }

  /** With `check`, each file is also re-hashed, so a staged file that changed is caught before anything is sent. */
  async *stream(check: boolean): AsyncGenerator<Buffer> {
    for (const { file, head } of this.parts) {
      yield head;
      const hash = check ? createHash('sha256') : undefined;
      for await (const chunk of file.open()) {
        hash?.update(chunk as Buffer);
        yield chunk as Buffer;
      }
      const actual = hash?.digest('hex');
      if (actual !== undefined && actual !== file.sha256) {
        throw new ExportIntegrityError(
          `Staged file ${file.path} changed after packaging: packaged ${file.sha256}, read ${actual}`,
          file.path,
          file.sha256,
          actual,
        );
      }
      yield CRLF;
    }
    yield this.tail;
  }
}

const CRLF = Buffer.from('\r\n');
