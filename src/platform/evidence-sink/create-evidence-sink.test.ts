import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEvidenceSink } from './create-evidence-sink.js';
import { FolderEvidenceSink } from './folder-sink.js';
import { HttpEvidenceSink } from './http-sink.js';
import { S3EvidenceSink } from './s3-sink.js';

describe('createEvidenceSink', () => {
  it('builds the configured sink, describing it without its secrets', () => {
    const folder = createEvidenceSink({ kind: 'folder', root: '/var/lib/rvr/exports' });
    assert.ok(folder instanceof FolderEvidenceSink);
    assert.equal(folder.describe(), 'folder /var/lib/rvr/exports');

    const secretAccessKey = 'very-secret-access-key';
    const s3 = createEvidenceSink({
      kind: 's3',
      endpoint: 'https://s3.eu-west-2.amazonaws.com',
      region: 'eu-west-2',
      bucket: 'force-evidence',
      prefix: 'rvr/',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey },
    });
    assert.ok(s3 instanceof S3EvidenceSink);
    assert.equal(s3.name, 's3');
    assert.doesNotMatch(s3.describe(), new RegExp(secretAccessKey));

    const secret = 'x'.repeat(40);
    const httpSink = createEvidenceSink({ kind: 'http', url: 'https://dems-gateway.example/evidence', secret, attempts: 2, baseDelayMs: 10 });
    assert.ok(httpSink instanceof HttpEvidenceSink);
    assert.doesNotMatch(httpSink.describe(), new RegExp(secret));
  });

  it('fails at start-up on bad settings', () => {
    assert.throws(() => createEvidenceSink({ kind: 'folder', root: '' }), /root is required/);
    assert.throws(() => createEvidenceSink({ kind: 'http', url: 'not a url', secret: 'x'.repeat(40) }), /absolute URL/);
    assert.throws(
      () =>
        createEvidenceSink({ kind: 's3', endpoint: 'https://s3.example', region: '', bucket: 'b-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      /region is required/,
    );
  });
});
