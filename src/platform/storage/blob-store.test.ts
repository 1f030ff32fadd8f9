import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { LocalBlobStore } from './blob-store.js';

describe('LocalBlobStore', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-blobs-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new LocalBlobStore(root);

  it('stores a stream, reports its SHA-256 and size, and reads it back', async () => {
    const body = 'recording bytes '.repeat(1000);
    const stored = await store.put('recordings/a/one.webm', Readable.from([Buffer.from(body)]));
    assert.equal(stored.size, Buffer.byteLength(body));
    assert.equal(stored.sha256, createHash('sha256').update(body).digest('hex'));
    assert.equal(await text(await store.get('recordings/a/one.webm')), body);
    assert.equal(await store.exists('recordings/a/one.webm'), true);
    await store.delete('recordings/a/one.webm');
    assert.equal(await store.exists('recordings/a/one.webm'), false);
  });

  it('leaves no file behind when the source stream fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('camera unplugged'));
      },
    });
    await assert.rejects(store.put('broken/file.webm', failing), /camera unplugged/);
    assert.equal(await store.exists('broken/file.webm'), false);
    assert.deepEqual(fs.readdirSync(path.join(root, 'broken')), []);
  });

  it('refuses keys that could escape its folder', async () => {
    for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', '']) {
      await assert.rejects(store.put(key, Readable.from(['x'])), /Unsafe blob key/);
    }
  });
});
