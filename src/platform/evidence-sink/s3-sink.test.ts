import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startFakeS3, type FakeS3 } from '../../../test/support/s3-server.js';
import { EvidenceDeliveryError, verifyReceipt } from './evidence-sink.js';
import { buildExportPackage, type ExportPackage } from './export-package.js';
import { S3EvidenceSink, type S3EvidenceSinkOptions } from './s3-sink.js';
import { sampleInput, samplePackage, sha256 } from './test-fixtures.js';

describe('S3EvidenceSink (AWS SDK) against the local S3-compatible server', () => {
  let s3: FakeS3;
  let pkg: ExportPackage;
  let media: Map<string, Buffer>;
  const sinkWith = (options: Partial<S3EvidenceSinkOptions> = {}): S3EvidenceSink =>
    new S3EvidenceSink({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: s3.bucket,
      prefix: 'rvr/exports',
      credentials: s3.credentials,
      attempts: 3,
      baseDelayMs: 5,
      ...options,
    });
  const reset = (): void => {
    s3.objects.clear();
    s3.requests.length = 0;
    s3.keepsChecksums = true;
    s3.corruptReadsOf = undefined;
    s3.failNext = [];
  };
  const puts = () => s3.requests.filter((r) => r.method === 'PUT');
  const gets = () => s3.requests.filter((r) => r.method === 'GET');

  before(async () => {
    s3 = await startFakeS3();
    ({ pkg, media } = await samplePackage('exp-s3-1'));
  });
  after(async () => {
    await s3.close();
    await pkg.discard();
  });

  it('uploads every file signed and with its SHA-256 checksum, the manifest last, and takes the receipt from what S3 holds', async () => {
    reset();
    const receipt = await sinkWith().deliver(pkg);
    assert.equal(s3.rejectedSignatures, 0);
    assert.equal(receipt.reference, `s3://${s3.bucket}/rvr/exports/exp-s3-1/`);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.deepEqual(s3.objects.get('rvr/exports/exp-s3-1/media/recording-1.webm')?.body, media.get('recording-1.webm'));
    assert.equal(s3.objects.get('rvr/exports/exp-s3-1/media/recording-1.webm')?.contentType, 'video/webm');
    assert.equal(puts().length, 5);
    for (const put of puts()) assert.match(String(put.headers['x-amz-checksum-sha256']), /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(puts().at(-1)?.key, 'rvr/exports/exp-s3-1/manifest.json');
    assert.equal(gets().length, 0, 'checksums made a read-back unnecessary');
  });

  it('sends a file above the part size as a multipart upload (no 5 GiB single-PUT limit) and verifies it by reading it back', async () => {
    reset();
    const { input } = sampleInput('exp-s3-big');
    const big = randomBytes(6 * 1024 * 1024 + 10);
    input.items[0] = { ...input.items[0]!, sha256: sha256(big), sizeBytes: big.length, open: async () => Readable.from([big]) };
    const bigPkg = await buildExportPackage(input);
    try {
      const receipt = await sinkWith({ partSizeBytes: 5 * 1024 * 1024 }).deliver(bigPkg);
      assert.deepEqual(verifyReceipt(bigPkg, receipt), { ok: true });
      const parts = puts().filter((r) => r.key === 'rvr/exports/exp-s3-big/media/recording-1.webm' && r.query.partNumber);
      assert.equal(parts.length, 2);
      assert.equal(gets().length, 1, 'only the multipart object (whose checksum is of its parts) is read back');
      assert.deepEqual(s3.openUploads(), []);
    } finally {
      await bigPkg.discard();
    }
  });

  it('reads objects back and hashes them when the store keeps no checksums', async () => {
    reset();
    s3.keepsChecksums = false;
    const receipt = await sinkWith().deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.equal(gets().length, pkg.files.length);
  });

  it('reports, through verifyReceipt, an object that reads back different', async () => {
    reset();
    const sink = sinkWith({ verify: 'read-back' });
    assert.deepEqual(verifyReceipt(pkg, await sink.deliver(pkg)), { ok: true });
    s3.corruptReadsOf = 'media/recording-1.webm';
    const result = verifyReceipt(pkg, await sink.deliver(pkg));
    assert.ok(!result.ok);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0]!, /^media\/recording-1\.webm: the receiver computed SHA-256/);
  });

  it('does not upload again a package S3 already holds, and refuses a different one under the same export id', async () => {
    reset();
    const sink = sinkWith();
    await sink.deliver(pkg);
    s3.requests.length = 0;
    assert.deepEqual(verifyReceipt(pkg, await sink.deliver(pkg)), { ok: true });
    assert.equal(puts().length, 0);
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
    s3.failNext = [503, 500];
    const receipt = await sinkWith().deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
  });

  it('fails without retrying when S3 refuses the signature', async () => {
    reset();
    const before = s3.rejectedSignatures;
    const sink = sinkWith({ credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: 'the wrong secret' } });
    await assert.rejects(sink.deliver(pkg), (error: unknown) => {
      assert.ok(error instanceof EvidenceDeliveryError);
      assert.equal(error.retryable, false);
      assert.equal(error.status, 403);
      assert.match(error.message, /S3 refused HEAD rvr\/exports\/exp-s3-1\/manifest\.json \(HTTP 403\).*check the access key/);
      return true;
    });
    assert.equal(s3.rejectedSignatures - before, 1);
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
    assert.throws(() => sinkWith({ credentials: { accessKeyId: '', secretAccessKey: 'x' } }), /access key id and secret access key are required together/);
    const description = sinkWith().describe();
    assert.match(description, /^S3 bucket rvr-evidence-test at http:\/\/127\.0\.0\.1:\d+ \(region eu-west-2\), under rvr\/exports\/$/);
    assert.doesNotMatch(description, new RegExp(s3.credentials.secretAccessKey));
  });
});
