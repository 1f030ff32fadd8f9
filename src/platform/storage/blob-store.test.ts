import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { startFakeS3, type FakeS3 } from '../../../test/support/s3-server.js';
import { BlobChecksumError, BlobLockedError, BlobNotFoundError, type BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const DAY = 86_400_000;

/** The same contract for both drivers: what the evidence services rely on (issue 15 §1). */
function contract(name: string, make: () => BlobStore) {
  describe(`${name}: the BlobStore contract`, () => {
    let store: BlobStore;
    before(() => {
      store = make();
    });

    it('stores a stream with its SHA-256 and size, reads it back whole and by range, heads and lists it', async () => {
      const body = 'recording bytes '.repeat(1000);
      const stored = await store.put('calls/a/one.webm', Readable.from([Buffer.from(body)]), { contentType: 'video/webm' });
      assert.deepEqual(stored, { key: 'calls/a/one.webm', size: Buffer.byteLength(body), sha256: sha(body) });
      assert.equal(await text(await store.get('calls/a/one.webm')), body);
      assert.equal(await text(await store.get('calls/a/one.webm', { start: 16, end: 31 })), body.slice(16, 32));
      const head = await store.head('calls/a/one.webm');
      assert.equal(head?.size, Buffer.byteLength(body));
      assert.equal(head?.sha256, sha(body));
      const listed: string[] = [];
      for await (const key of store.list('calls/a/')) listed.push(key);
      assert.deepEqual(listed, ['calls/a/one.webm']);
      await store.delete('calls/a/one.webm');
      assert.equal(await store.exists('calls/a/one.webm'), false);
      await assert.rejects(store.get('calls/a/one.webm'), BlobNotFoundError);
    });

    it('refuses bytes that do not hash to the expected SHA-256, and keeps nothing', async () => {
      await assert.rejects(
        store.put('calls/b/bad.webm', Readable.from([Buffer.from('not what was hashed')]), { expectedSha256: sha('other') }),
        BlobChecksumError,
      );
      assert.equal(await store.exists('calls/b/bad.webm'), false);
    });

    it('leaves nothing behind when the source stream fails midway', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.from('partial'));
          this.destroy(new Error('camera unplugged'));
        },
      });
      await assert.rejects(store.put('broken/file.webm', failing), /camera unplugged/);
      assert.equal(await store.exists('broken/file.webm'), false);
    });

    it('EVD-02/RET-07: a retained or legally held blob cannot be deleted; retention only extends; a released hold lets it go', async () => {
      const until = new Date(Date.now() + 30 * DAY);
      await store.put('calls/c/locked.webm', Readable.from([Buffer.from('master')]), { retainUntil: until });
      assert.equal((await store.head('calls/c/locked.webm'))?.lock.retainUntil?.getTime(), until.getTime());
      await assert.rejects(store.delete('calls/c/locked.webm'), (error: unknown) => error instanceof BlobLockedError && /until/.test(error.message));
      await store.extendRetention('calls/c/locked.webm', new Date(until.getTime() - DAY));
      assert.equal((await store.head('calls/c/locked.webm'))?.lock.retainUntil?.getTime(), until.getTime(), 'never shortened');
      await store.extendRetention('calls/c/locked.webm', new Date(until.getTime() + DAY));
      assert.equal((await store.head('calls/c/locked.webm'))?.lock.retainUntil?.getTime(), until.getTime() + DAY);
      assert.equal(await store.exists('calls/c/locked.webm'), true);

      await store.put('calls/c/held.txt', Readable.from([Buffer.from('statement')]));
      await store.setLegalHold('calls/c/held.txt', true);
      assert.equal((await store.head('calls/c/held.txt'))?.lock.legalHold, true);
      await assert.rejects(store.delete('calls/c/held.txt'), /legal hold/);
      await assert.rejects(store.put('calls/c/held.txt', Readable.from([Buffer.from('overwrite')])), BlobLockedError);
      await store.setLegalHold('calls/c/held.txt', false);
      await store.delete('calls/c/held.txt');
      assert.equal(await store.exists('calls/c/held.txt'), false);
    });

    it('refuses keys that could escape its folder or prefix', async () => {
      for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', '']) {
        await assert.rejects(store.put(key, Readable.from(['x'])), /Unsafe blob key/);
      }
    });
  });
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-blobs-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
contract('LocalBlobStore', () => new LocalBlobStore(root));

let s3: FakeS3;
before(async () => {
  s3 = await startFakeS3();
});
after(() => s3.close());
const s3Store = (partSizeBytes?: number) =>
  new S3BlobStore({
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    credentials: s3.credentials,
    prefix: 'rvr/',
    lockMode: 'COMPLIANCE',
    partSizeBytes,
  });
contract('S3BlobStore against the local S3-compatible server', () => s3Store());

describe('S3BlobStore: what goes over the wire', () => {
  it('sends the SHA-256 checksum, server-side encryption and the Object Lock headers with the upload', async () => {
    const until = new Date(Date.now() + 7 * DAY);
    await s3Store().put('calls/w/one.jpg', Readable.from([Buffer.from('jpeg bytes')]), { retainUntil: until, expectedSha256: sha('jpeg bytes') });
    const put = s3.requests.findLast((r) => r.method === 'PUT' && r.key === 'rvr/calls/w/one.jpg')!;
    assert.equal(put.headers['x-amz-checksum-sha256'], Buffer.from(sha('jpeg bytes'), 'hex').toString('base64'));
    assert.equal(put.headers['x-amz-server-side-encryption'], 'AES256');
    assert.equal(put.headers['x-amz-object-lock-mode'], 'COMPLIANCE');
    assert.equal(new Date(String(put.headers['x-amz-object-lock-retain-until-date'])).getTime(), until.getTime());
    assert.match(String(put.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIATESTRVR\//);
  });

  it('uploads above the part size in parts, each checksummed, and the whole reads back byte for byte', async () => {
    const body = randomBytes(11 * 1024 * 1024 + 12345);
    const stored = await s3Store(5 * 1024 * 1024).put('calls/m/long.webm', Readable.from([body.subarray(0, 4_000_000), body.subarray(4_000_000)]), {
      expectedSha256: sha(body),
    });
    assert.equal(stored.sha256, sha(body));
    const parts = s3.requests.filter((r) => r.method === 'PUT' && r.key === 'rvr/calls/m/long.webm' && r.query.partNumber);
    assert.equal(parts.length, 3);
    for (const part of parts) assert.match(String(part.headers['x-amz-checksum-sha256']), /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(sha(await buffer(await s3Store().get('calls/m/long.webm'))), sha(body));
    assert.equal((await s3Store().head('calls/m/long.webm'))?.sha256, sha(body), 'the whole-file hash is kept as metadata');
  });

  it('a multipart upload whose bytes do not match the expected hash is aborted: no object, no parts left', async () => {
    const body = randomBytes(6 * 1024 * 1024);
    await assert.rejects(s3Store(5 * 1024 * 1024).put('calls/m/bad.webm', Readable.from([body]), { expectedSha256: sha('something else') }), BlobChecksumError);
    assert.equal(s3.objects.has('rvr/calls/m/bad.webm'), false);
    assert.deepEqual(s3.openUploads(), []);
  });

  it('the server refuses a body changed after its checksum was taken (BadDigest), and the store reports a checksum error, keeping nothing', async () => {
    const store = s3Store();
    // A byte flipped between the SDK's checksum and the wire, as a faulty proxy or disk would.
    const client = (store as unknown as { client: S3Client }).client;
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown };
        if (request.body instanceof Uint8Array && request.body.length > 0) request.body = Buffer.from(request.body).fill(0x21, 0, 1);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'flipFirstByte' },
    );
    await assert.rejects(store.put('calls/m/tampered.jpg', Readable.from([Buffer.from('abc')])), BlobChecksumError);
    const refused = s3.requests.findLast((r) => r.key === 'rvr/calls/m/tampered.jpg' && r.method === 'PUT');
    assert.equal(refused?.headers['x-amz-checksum-sha256'], Buffer.from(sha('abc'), 'hex').toString('base64'));
    assert.equal(s3.objects.has('rvr/calls/m/tampered.jpg'), false);
  });

  it('hands out a presigned URL that the server accepts, for playback straight from the store', async () => {
    const store = s3Store();
    await store.put('calls/p/play.webm', Readable.from([Buffer.from('playable')]));
    const url = await store.presignedGetUrl('calls/p/play.webm', 60);
    const response = await fetch(url, { headers: { range: 'bytes=0-3' } });
    assert.equal(response.status, 206);
    assert.equal(await response.text(), 'play');
    const forged = url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000');
    assert.equal((await fetch(forged)).status, 403);
  });
});
