import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EvidenceDeliveryError, verifyReceipt } from './evidence-sink.js';
import type { ExportPackage } from './export-package.js';
import { S3EvidenceSink, type S3EvidenceSinkOptions } from './s3-sink.js';
import { samplePackage } from './test-fixtures.js';

const ACCESS_KEY = 'AKIDEVIDENCETEST';
const SECRET_KEY = 'fake/secret+key/for/the/test/server';
const REGION = 'eu-west-2';
const BUCKET = 'rvr-evidence';

interface StoredObject {
  body: Buffer;
  checksum: string;
  contentType: string;
}

/**
 * A minimal path-style S3: verifies every request's SigV4 Authorization header on its own (not with the code under
 * test), checks the payload against x-amz-content-sha256 and x-amz-checksum-sha256, and keeps objects in memory.
 */
class FakeS3 {
  readonly server = http.createServer((request, response) => void this.handle(request, response));
  readonly objects = new Map<string, StoredObject>();
  readonly log: string[] = [];
  rejectedSignatures = 0;
  /** Like stores that keep no checksum: HEAD answers without x-amz-checksum-sha256. */
  keepsChecksums = true;
  /** Objects whose key ends so are served with different bytes than were stored, as from a failing disk. */
  corruptReadsOf: string | undefined;
  failNext: number[] = [];
  failPutsNext: number[] = [];

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = request.method ?? '';
    const rawPath = (request.url ?? '').split('?')[0]!;
    this.log.push(`${method} ${rawPath}`);
    const error = (status: number, code: string): void => {
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(method === 'HEAD' ? undefined : `<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code} (fake)</Message></Error>`);
    };
    const failure = (method === 'PUT' ? this.failPutsNext.shift() : undefined) ?? this.failNext.shift();
    if (failure) return error(failure, failure === 503 ? 'SlowDown' : 'InternalError');

    const problem = this.signatureProblem(request, method, rawPath);
    if (problem) {
      this.rejectedSignatures++;
      return error(403, problem);
    }
    const prefix = `/${BUCKET}/`;
    if (!rawPath.startsWith(prefix)) return error(404, 'NoSuchBucket');
    const key = rawPath.slice(prefix.length).split('/').map(decodeURIComponent).join('/');

    if (method === 'PUT') {
      const hash = createHash('sha256').update(body).digest();
      if (hash.toString('hex') !== request.headers['x-amz-content-sha256']) return error(400, 'XAmzContentSHA256Mismatch');
      if (hash.toString('base64') !== request.headers['x-amz-checksum-sha256']) return error(400, 'BadDigest');
      if (Number(request.headers['content-length']) !== body.length) return error(400, 'IncompleteBody');
      this.objects.set(key, { body, checksum: hash.toString('base64'), contentType: String(request.headers['content-type']) });
      response.writeHead(200, { etag: '"fake"' }).end();
      return;
    }
    const stored = this.objects.get(key);
    if (!stored) return error(404, 'NoSuchKey');
    const served = this.corruptReadsOf && key.endsWith(this.corruptReadsOf) ? Buffer.concat([stored.body, Buffer.from('!')]) : stored.body;
    const headers: Record<string, string> = { 'content-length': String(served.length), 'content-type': stored.contentType };
    if (this.keepsChecksums && request.headers['x-amz-checksum-mode'] === 'ENABLED') headers['x-amz-checksum-sha256'] = stored.checksum;
    if (method === 'HEAD') return void response.writeHead(200, headers).end();
    if (method === 'GET') return void response.writeHead(200, headers).end(served);
    error(405, 'MethodNotAllowed');
  }

  /** Undefined when the Authorization header is a valid SigV4 signature of this request. */
  private signatureProblem(request: http.IncomingMessage, method: string, rawPath: string): string | undefined {
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      String(request.headers.authorization ?? ''),
    );
    if (!match) return 'AuthorizationHeaderMalformed';
    const [, accessKey, day, region, signedHeaders, signature] = match as unknown as [string, string, string, string, string, string];
    if (accessKey !== ACCESS_KEY) return 'InvalidAccessKeyId';
    if (region !== REGION) return 'AuthorizationHeaderMalformed';
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    if (!amzDate.startsWith(day)) return 'AuthorizationHeaderMalformed';
    const at = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
    if (!(Math.abs(Date.now() - at) < 15 * 60_000)) return 'RequestTimeTooSkewed';
    const names = signedHeaders.split(';');
    const required = ['host', 'x-amz-content-sha256', 'x-amz-date', ...(method === 'PUT' ? ['x-amz-checksum-sha256', 'content-type'] : [])];
    if (required.some((name) => !names.includes(name))) return 'AccessDenied';
    const canonical = [
      method,
      rawPath,
      '',
      names.map((name) => `${name}:${String(request.headers[name] ?? '').trim()}\n`).join(''),
      signedHeaders,
      String(request.headers['x-amz-content-sha256']),
    ].join('\n');
    const toSign = ['AWS4-HMAC-SHA256', amzDate, `${day}/${region}/s3/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
    const key = ['aws4_request'].reduce(
      (k, part) => createHmac('sha256', k).update(part).digest(),
      ['s3'].reduce(
        (k, part) => createHmac('sha256', k).update(part).digest(),
        createHmac('sha256', createHmac('sha256', `AWS4${SECRET_KEY}`).update(day).digest())
          .update(region)
          .digest(),
      ),
    );
    const expected = createHmac('sha256', key).update(toSign).digest();
    return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? undefined : 'SignatureDoesNotMatch';
  }
}

describe('S3EvidenceSink', () => {
  const s3 = new FakeS3();
  let endpoint: string;
  let pkg: ExportPackage;
  let media: Map<string, Buffer>;
  const sinkWith = (options: Partial<S3EvidenceSinkOptions> = {}): S3EvidenceSink =>
    new S3EvidenceSink({
      endpoint,
      region: REGION,
      bucket: BUCKET,
      prefix: 'rvr/exports',
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      attempts: 3,
      baseDelayMs: 5,
      ...options,
    });
  const reset = (): void => {
    s3.objects.clear();
    s3.log.length = 0;
    s3.rejectedSignatures = 0;
    s3.keepsChecksums = true;
    s3.corruptReadsOf = undefined;
    s3.failNext = [];
    s3.failPutsNext = [];
  };

  before(async () => {
    endpoint = await s3.listen();
    ({ pkg, media } = await samplePackage('exp-s3-1'));
  });
  after(async () => {
    await s3.close();
    await pkg.discard();
  });

  it('uploads every file with a valid SigV4 signature and checksum, the manifest last, and reads back what S3 holds', async () => {
    reset();
    const receipt = await sinkWith().deliver(pkg);
    assert.equal(s3.rejectedSignatures, 0);
    assert.equal(receipt.reference, `s3://${BUCKET}/rvr/exports/exp-s3-1/`);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.deepEqual(s3.objects.get('rvr/exports/exp-s3-1/media/recording-1.webm')?.body, media.get('recording-1.webm'));
    assert.equal(s3.objects.get('rvr/exports/exp-s3-1/media/recording-1.webm')?.contentType, 'video/webm');
    const puts = s3.log.filter((line) => line.startsWith('PUT '));
    assert.equal(puts.length, 5);
    assert.equal(puts.at(-1), `PUT /${BUCKET}/rvr/exports/exp-s3-1/manifest.json`);
    assert.ok(!s3.log.some((line) => line.startsWith('GET ')), 'checksums made a read-back unnecessary');
  });

  it('reads objects back and hashes them when the store keeps no checksums', async () => {
    reset();
    s3.keepsChecksums = false;
    const receipt = await sinkWith().deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.equal(s3.log.filter((line) => line.startsWith('GET ')).length, pkg.files.length);
  });

  it('reports, through verifyReceipt, an object that reads back different', async () => {
    reset();
    const sink = sinkWith({ verify: 'read-back' });
    const first = await sink.deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, first), { ok: true });
    s3.corruptReadsOf = 'media/recording-1.webm';
    const second = await sink.deliver(pkg);
    const result = verifyReceipt(pkg, second);
    assert.ok(!result.ok);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0]!, /^media\/recording-1\.webm: the receiver computed SHA-256/);
  });

  it('does not upload again a package S3 already holds, and refuses a different one under the same export id', async () => {
    reset();
    const sink = sinkWith();
    await sink.deliver(pkg);
    s3.log.length = 0;
    const again = await sink.deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, again), { ok: true });
    assert.ok(!s3.log.some((line) => line.startsWith('PUT ')));

    const { pkg: other } = await samplePackage('exp-s3-1');
    try {
      await assert.rejects(sink.deliver(other), (error: unknown) => {
        assert.ok(error instanceof EvidenceDeliveryError);
        assert.equal(error.retryable, false);
        assert.match(error.message, /already holds a different export exp-s3-1/);
        return true;
      });
    } finally {
      await other.discard();
    }
  });

  it('retries requests S3 was too busy for', async () => {
    reset();
    s3.failNext = [503];
    s3.failPutsNext = [503, 500];
    const receipt = await sinkWith().deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.equal(s3.log.filter((line) => line.startsWith('PUT ')).length, pkg.files.length + 2);
  });

  it('fails without retrying when S3 refuses the signature', async () => {
    reset();
    const sink = sinkWith({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: 'the wrong secret' } });
    await assert.rejects(sink.deliver(pkg), (error: unknown) => {
      assert.ok(error instanceof EvidenceDeliveryError);
      assert.equal(error.retryable, false);
      assert.equal(error.status, 403);
      assert.match(error.message, /S3 refused HEAD rvr\/exports\/exp-s3-1\/manifest\.json \(HTTP 403\).*check the access key/);
      return true;
    });
    assert.equal(s3.rejectedSignatures, 1);
    assert.equal(s3.objects.size, 0);
  });

  it('gives up after the configured attempts when S3 stays unavailable', async () => {
    reset();
    s3.failNext = [500, 500, 500];
    await assert.rejects(sinkWith().deliver(pkg), /S3 check of rvr\/exports\/exp-s3-1\/manifest\.json failed after 3 attempts; the last: .*HTTP 500/);
  });

  it('checks its settings and never shows the secret', () => {
    assert.throws(() => sinkWith({ endpoint: 'http://minio.internal:9000' }), /must use https/);
    assert.throws(() => sinkWith({ bucket: 'Bad_Bucket' }), /bucket name/);
    assert.throws(() => sinkWith({ prefix: 'a/../b' }), /Unsafe S3 prefix/);
    assert.throws(() => sinkWith({ credentials: { accessKeyId: '', secretAccessKey: 'x' } }), /access key id and secret access key are required/);
    const description = sinkWith().describe();
    assert.match(description, /^S3 bucket rvr-evidence at http:\/\/127\.0\.0\.1:\d+ \(region eu-west-2\), under rvr\/exports\/$/);
    assert.doesNotMatch(description, /secret/);
  });
});
