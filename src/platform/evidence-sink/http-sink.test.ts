import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EvidenceDeliveryError, verifyReceipt } from './evidence-sink.js';
import { ExportIntegrityError, type ExportPackage } from './export-package.js';
import { HttpEvidenceSink } from './http-sink.js';
import { samplePackage, sha256 } from './test-fixtures.js';

const SECRET = 'a-shared-secret-of-at-least-32-characters';

interface Received {
  exportId: string | undefined;
  files: Map<string, { fileName: string; type: string; bytes: Buffer }>;
}

/** A stand-in for the DEMS side: checks the signature, parses the multipart body, re-hashes each file. */
class FakeReceiver {
  readonly server = http.createServer((request, response) => void this.handle(request, response));
  requests = 0;
  delivered: Received[] = [];
  /** Answers for the next requests, in order, before behaving normally. */
  script: Array<{ status: number; body?: string; headers?: Record<string, string> }> = [];
  corruptPath: string | undefined;

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/evidence`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    };
    const scripted = this.script.shift();
    if (scripted) return reply(scripted.status, scripted.body ?? '{"error":"scripted"}', scripted.headers);

    const timestamp = String(request.headers['x-rvr-timestamp']);
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return reply(401, { error: 'stale timestamp' });
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex')}`);
    const given = Buffer.from(String(request.headers['x-rvr-signature']));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply(401, { error: 'bad signature' });
    if (Number(request.headers['content-length']) !== body.length) return reply(400, { error: 'length' });

    const form = await new Response(body, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
    const files: Received['files'] = new Map();
    const sha256s: Record<string, string> = {};
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') return reply(400, { error: `${name} is not a file` });
      const bytes = Buffer.from(await value.arrayBuffer());
      files.set(name, { fileName: value.name, type: value.type, bytes });
      sha256s[name] = name === this.corruptPath ? sha256('something else') : sha256(bytes);
    }
    this.delivered.push({ exportId: request.headers['x-rvr-export-id'] as string | undefined, files });
    reply(200, { reference: `DEMS-${this.delivered.length}`, sha256: sha256s });
  }
}

describe('HttpEvidenceSink', () => {
  let pkg: ExportPackage;
  let media: Map<string, Buffer>;
  const receiver = new FakeReceiver();
  let url: string;
  const fast = { attempts: 3, baseDelayMs: 5 };

  before(async () => {
    ({ pkg, media } = await samplePackage('exp-http-1'));
    url = await receiver.listen();
  });
  after(async () => {
    await receiver.close();
    await pkg.discard();
  });
  const reset = (): void => {
    receiver.requests = 0;
    receiver.delivered = [];
    receiver.script = [];
    receiver.corruptPath = undefined;
  };

  it('posts the whole package as one signed multipart request and returns the receiver’s hashes', async () => {
    reset();
    const sink = new HttpEvidenceSink({ url, secret: SECRET, ...fast });
    const receipt = await sink.deliver(pkg);
    assert.equal(receipt.reference, 'DEMS-1');
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.equal(receiver.requests, 1);
    const [delivery] = receiver.delivered;
    assert.equal(delivery!.exportId, 'exp-http-1');
    assert.deepEqual([...delivery!.files.keys()], ['manifest.json', 'media/recording-1.webm', 'media/snapshot-1.jpg', 'continuity.jsonl', 'SHA256SUMS']);
    const recording = delivery!.files.get('media/recording-1.webm')!;
    assert.deepEqual(recording.bytes, media.get('recording-1.webm'));
    assert.equal(recording.fileName, 'recording-1.webm');
    assert.equal(recording.type, 'video/webm');
    assert.equal(sink.describe(), `HTTP receiver ${url}`);
  });

  it('retries while the receiver is down and delivers once it is up', async () => {
    const later = new FakeReceiver();
    const probe = new FakeReceiver();
    const port = Number(new URL(await probe.listen()).port);
    await probe.close();
    const sink = new HttpEvidenceSink({ url: `http://127.0.0.1:${port}/evidence`, secret: SECRET, attempts: 8, baseDelayMs: 40 });
    const startedAt = Date.now();
    const up = new Promise<void>((resolve) => setTimeout(() => void later.listen(port).then(() => resolve()), 60));
    try {
      const receipt = await sink.deliver(pkg);
      assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
      // Nothing listened for the first 60 ms, so the earlier attempts were refused and only the last one arrived.
      assert.ok(Date.now() - startedAt >= 60);
      assert.equal(later.requests, 1);
    } finally {
      await up;
      await later.close();
    }
  });

  it('gives up after the configured attempts when the receiver keeps failing, naming the attempts and the status', async () => {
    reset();
    receiver.script = Array.from({ length: 10 }, () => ({ status: 500, body: 'database unavailable' }));
    const sink = new HttpEvidenceSink({ url, secret: SECRET, ...fast });
    await assert.rejects(sink.deliver(pkg), (error: unknown) => {
      assert.ok(error instanceof EvidenceDeliveryError);
      assert.equal(error.retryable, true);
      assert.equal(error.status, 500);
      assert.match(error.message, /Delivery of export exp-http-1 to HTTP receiver .* failed after 3 attempts; the last: .*HTTP 500: database unavailable/);
      return true;
    });
    assert.equal(receiver.requests, 3);
  });

  it('retries after 429, honouring Retry-After', async () => {
    reset();
    receiver.script = [{ status: 429, headers: { 'retry-after': '0' } }];
    const receipt = await new HttpEvidenceSink({ url, secret: SECRET, ...fast }).deliver(pkg);
    assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
    assert.equal(receiver.requests, 2);
  });

  it('does not retry a 400', async () => {
    reset();
    receiver.script = [{ status: 400, body: '{"error":"unknown category"}' }];
    await assert.rejects(new HttpEvidenceSink({ url, secret: SECRET, ...fast }).deliver(pkg), (error: unknown) => {
      assert.ok(error instanceof EvidenceDeliveryError);
      assert.equal(error.retryable, false);
      assert.equal(error.status, 400);
      assert.match(error.message, /rejected the package \(HTTP 400: \{"error":"unknown category"\}\)/);
      return true;
    });
    assert.equal(receiver.requests, 1);
  });

  it('does not retry when the receiver refuses the signature', async () => {
    reset();
    const sink = new HttpEvidenceSink({ url, secret: 'another-secret-that-is-long-enough-to-pass', ...fast });
    await assert.rejects(sink.deliver(pkg), /refused the request \(HTTP 401.*\); check the shared secret and that both clocks are right/);
    assert.equal(receiver.requests, 1);
    assert.equal(receiver.delivered.length, 0);
  });

  it('returns a receipt that verifyReceipt rejects when the receiver computed a different hash', async () => {
    reset();
    receiver.corruptPath = 'media/snapshot-1.jpg';
    const receipt = await new HttpEvidenceSink({ url, secret: SECRET, ...fast }).deliver(pkg);
    const result = verifyReceipt(pkg, receipt);
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.deepEqual(result.problems.length, 1);
    assert.match(result.problems[0]!, /^media\/snapshot-1\.jpg: the receiver computed SHA-256 /);
  });

  it('fails without retrying when a 2xx reply carries no hashes', async () => {
    reset();
    receiver.script = [{ status: 200, body: '{"ok":true}' }];
    await assert.rejects(
      new HttpEvidenceSink({ url, secret: SECRET, ...fast }).deliver(pkg),
      /accepted the package \(HTTP 200\) but did not reply with a reference/,
    );
    assert.equal(receiver.requests, 1);
  });

  it('sends nothing when a staged file changed after packaging', async () => {
    reset();
    const { pkg: tampered } = await samplePackage('exp-http-2');
    try {
      fs.writeFileSync(path.join(tampered.directory, 'media/recording-1.webm'), 'not the recording');
      await assert.rejects(new HttpEvidenceSink({ url, secret: SECRET, ...fast }).deliver(tampered), ExportIntegrityError);
      assert.equal(receiver.requests, 0);
    } finally {
      await tampered.discard();
    }
  });

  it('refuses plain http to another machine, embedded credentials and short secrets', () => {
    assert.throws(() => new HttpEvidenceSink({ url: 'http://dems.example.police.uk/in', secret: SECRET }), /must use https/);
    assert.throws(() => new HttpEvidenceSink({ url: 'https://user:pw@dems.example/in', secret: SECRET }), /must not carry credentials/);
    assert.throws(() => new HttpEvidenceSink({ url: 'https://dems.example/in', secret: 'short' }), /at least 32 characters/);
    assert.throws(() => new HttpEvidenceSink({ url: 'https://dems.example/in', secret: SECRET, attempts: 0 }), /attempts must be a whole number/);
    assert.equal(new HttpEvidenceSink({ url: 'https://dems.example/in?token=abc', secret: SECRET }).describe(), 'HTTP receiver https://dems.example/in');
  });
});
