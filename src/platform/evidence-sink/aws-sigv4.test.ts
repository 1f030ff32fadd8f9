import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_SHA256, encodeS3Key, signSigV4 } from './aws-sigv4.js';
import { sha256 } from './test-fixtures.js';

// The worked examples in AWS's "Signature Calculations for the Authorization Header" (S3 API reference).
const example = {
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 's3',
  now: new Date('2013-05-24T00:00:00Z'),
};

describe('signSigV4', () => {
  it('matches AWS’s GET Object example', () => {
    const headers = signSigV4(
      { method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' }, payloadSha256: EMPTY_SHA256 },
      example,
    );
    assert.equal(
      headers['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    assert.equal(headers['x-amz-date'], '20130524T000000Z');
    assert.equal(headers['host'], undefined, 'fetch sets Host itself');
  });

  it('matches AWS’s PUT Object example, with a key that needs encoding', () => {
    const body = 'Welcome to Amazon S3.';
    const headers = signSigV4(
      {
        method: 'PUT',
        url: new URL(`https://examplebucket.s3.amazonaws.com/${encodeS3Key('test$file.text')}`),
        headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
        payloadSha256: sha256(body),
      },
      example,
    );
    assert.equal(
      headers['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('signs the session token of temporary credentials', () => {
    const headers = signSigV4(
      { method: 'GET', url: new URL('https://s3.example/b/k'), headers: {}, payloadSha256: EMPTY_SHA256 },
      { ...example, credentials: { ...example.credentials, sessionToken: 'token' } },
    );
    assert.equal(headers['x-amz-security-token'], 'token');
    assert.match(headers['authorization']!, /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
  });

  it('encodes keys segment by segment, keeping the slashes', () => {
    assert.equal(encodeS3Key("rvr/exp 1/media/a+b(1)!*'~.webm"), 'rvr/exp%201/media/a%2Bb%281%29%21%2A%27~.webm');
  });
});
