import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small S3-compatible server for the tests (issue 15), speaking the real protocol over HTTP to the AWS SDK:
 * SigV4 verified on every request (header or presigned query), PutObject, multipart upload, ranged GET, HEAD,
 * DELETE, ListObjectsV2, SHA-256 checksums checked (BadDigest) and Object Lock (retention and legal hold) enforced.
 * One bucket, one version per key. Chosen over s3rver, which has neither checksums nor Object Lock.
 */
export interface FakeS3Object {
  body: Buffer;
  contentType?: string;
  metadata: Record<string, string>;
  checksumSha256?: string;
  lockMode?: string;
  retainUntil?: Date;
  legalHold: boolean;
  sse?: string;
}

export interface FakeS3Request {
  method: string;
  key: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export interface FakeS3 {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  objects: Map<string, FakeS3Object>;
  requests: FakeS3Request[];
  /** Upload ids of multipart uploads begun and not yet completed or aborted. */
  openUploads(): string[];
  /** Statuses to answer the next requests with (500, 503), before anything else is checked. */
  failNext: number[];
  /** Like stores that keep no checksum: HEAD answers without x-amz-checksum-sha256. */
  keepsChecksums: boolean;
  /** Objects whose key ends so are served with different bytes than were stored, as from a failing disk. */
  corruptReadsOf: string | undefined;
  /** Requests refused for their signature. */
  rejectedSignatures: number;
  close(): Promise<void>;
}

/** `now`: the clock retention dates are judged by, so a test can move past them. */
export async function startFakeS3(options: { bucket?: string; region?: string; now?: () => Date } = {}): Promise<FakeS3> {
  const bucket = options.bucket ?? 'rvr-evidence-test';
  const region = options.region ?? 'eu-west-2';
  const credentials = { accessKeyId: 'AKIATESTRVR', secretAccessKey: randomUUID() };
  const now = options.now ?? (() => new Date());
  const objects = new Map<string, FakeS3Object>();
  const uploads = new Map<string, { key: string; parts: Map<number, { body: Buffer; sha256: Buffer }>; init: Omit<FakeS3Object, 'body'> }>();
  const requests: FakeS3Request[] = [];
  const state = { failNext: [] as number[], keepsChecksums: true, corruptReadsOf: undefined as string | undefined, rejectedSignatures: 0 };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        handle(request, Buffer.concat(chunks), response);
      } catch (error) {
        send(response, 500, 'InternalError', String(error));
      }
    });
  });

  function handle(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const [, bucketName = '', ...keyParts] = url.pathname.split('/');
    const key = keyParts.map(decodeURIComponent).join('/');
    const method = request.method ?? 'GET';
    requests.push({ method, key, query, headers: request.headers });
    const failure = state.failNext.shift();
    if (failure) return send(response, failure, failure === 503 ? 'SlowDown' : 'InternalError', 'Please try again');
    const header = (name: string) => request.headers[name] as string | undefined;
    const checksum = header('x-amz-checksum-sha256');
    const digest = createHash('sha256').update(body).digest();
    if (checksum && Buffer.from(checksum, 'base64').compare(digest) !== 0)
      return send(response, 400, 'BadDigest', 'The SHA-256 you specified did not match the calculated checksum.');
    const contentSha256 = header('x-amz-content-sha256') ?? '';
    if (/^[0-9a-f]{64}$/.test(contentSha256) && digest.toString('hex') !== contentSha256)
      return send(response, 400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
    // Signatures are checked against the real clock (as S3 would); `now` is the clock the locks are judged by.
    const problem = verifySignature(request, url, credentials, region, new Date());
    if (problem) {
      state.rejectedSignatures++;
      return send(response, 403, 'SignatureDoesNotMatch', problem);
    }
    if (bucketName !== bucket) return send(response, 404, 'NoSuchBucket', `No bucket ${bucketName}`);
    const lockOf = (object: FakeS3Object) => object.legalHold || (object.retainUntil !== undefined && object.retainUntil > now());

    if (method === 'GET' && key === '') {
      const prefix = query.prefix ?? '';
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const contents = keys.map((k) => `<Contents><Key>${escapeXml(k)}</Key><Size>${objects.get(k)!.body.length}</Size></Contents>`).join('');
      return xml(
        response,
        200,
        `<ListBucketResult><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
      );
    }
    const initFromHeaders = (): Omit<FakeS3Object, 'body'> => ({
      contentType: header('content-type'),
      metadata: Object.fromEntries(
        Object.entries(request.headers)
          .filter(([n]) => n.startsWith('x-amz-meta-'))
          .map(([n, v]) => [n.slice(11), String(v)]),
      ),
      lockMode: header('x-amz-object-lock-mode'),
      retainUntil: header('x-amz-object-lock-retain-until-date') ? new Date(header('x-amz-object-lock-retain-until-date')!) : undefined,
      legalHold: header('x-amz-object-lock-legal-hold') === 'ON',
      sse: header('x-amz-server-side-encryption'),
    });
    const existing = objects.get(key);
    if (method === 'POST' && 'uploads' in query) {
      if (existing && lockOf(existing)) return send(response, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
      const uploadId = randomUUID();
      uploads.set(uploadId, { key, parts: new Map(), init: initFromHeaders() });
      return xml(
        response,
        200,
        `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (query.uploadId) {
      const upload = uploads.get(query.uploadId);
      if (!upload || upload.key !== key) return send(response, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      if (method === 'PUT') {
        upload.parts.set(Number(query.partNumber), { body, sha256: digest });
        response.setHeader('etag', `"${createHash('md5').update(body).digest('hex')}"`);
        response.setHeader('x-amz-checksum-sha256', digest.toString('base64'));
        return end(response, 200);
      }
      if (method === 'DELETE') {
        uploads.delete(query.uploadId);
        return end(response, 204);
      }
      if (method === 'POST') {
        const listed = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        const parts = listed.map((n) => upload.parts.get(n));
        if (listed.length === 0 || parts.some((p) => !p)) return send(response, 400, 'InvalidPart', 'One or more of the specified parts could not be found.');
        const composite = createHash('sha256')
          .update(Buffer.concat(parts.map((p) => p!.sha256)))
          .digest('base64');
        objects.set(key, { ...upload.init, body: Buffer.concat(parts.map((p) => p!.body)), checksumSha256: `${composite}-${parts.length}` });
        uploads.delete(query.uploadId);
        return xml(
          response,
          200,
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>"x-${parts.length}"</ETag></CompleteMultipartUploadResult>`,
        );
      }
    }
    if (method === 'PUT' && 'retention' in query) {
      if (!existing) return send(response, 404, 'NoSuchKey', 'The specified key does not exist.');
      const mode = /<Mode>([A-Z]+)<\/Mode>/.exec(body.toString('utf8'))?.[1];
      const until = new Date(/<RetainUntilDate>([^<]+)<\/RetainUntilDate>/.exec(body.toString('utf8'))?.[1] ?? '');
      if (Number.isNaN(until.getTime())) return send(response, 400, 'MalformedXML', 'RetainUntilDate');
      if (existing.lockMode === 'COMPLIANCE' && existing.retainUntil && until < existing.retainUntil)
        return send(response, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
      Object.assign(existing, { lockMode: mode, retainUntil: until });
      return end(response, 200);
    }
    if (method === 'PUT' && 'legal-hold' in query) {
      if (!existing) return send(response, 404, 'NoSuchKey', 'The specified key does not exist.');
      existing.legalHold = /<Status>ON<\/Status>/.test(body.toString('utf8'));
      return end(response, 200);
    }
    if (method === 'PUT') {
      if (existing && lockOf(existing)) return send(response, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
      objects.set(key, { ...initFromHeaders(), body, checksumSha256: digest.toString('base64') });
      response.setHeader('etag', `"${createHash('md5').update(body).digest('hex')}"`);
      response.setHeader('x-amz-checksum-sha256', digest.toString('base64'));
      return end(response, 200);
    }
    if (!existing) return method === 'HEAD' ? end(response, 404) : send(response, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (method === 'DELETE') {
      if (lockOf(existing)) return send(response, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
      objects.delete(key);
      return end(response, 204);
    }
    response.setHeader('accept-ranges', 'bytes');
    response.setHeader('content-type', existing.contentType ?? 'application/octet-stream');
    response.setHeader('etag', `"${createHash('md5').update(existing.body).digest('hex')}"`);
    for (const [name, value] of Object.entries(existing.metadata)) response.setHeader(`x-amz-meta-${name}`, value);
    if (existing.lockMode) response.setHeader('x-amz-object-lock-mode', existing.lockMode);
    if (existing.retainUntil) response.setHeader('x-amz-object-lock-retain-until-date', existing.retainUntil.toISOString());
    response.setHeader('x-amz-object-lock-legal-hold', existing.legalHold ? 'ON' : 'OFF');
    if (existing.sse) response.setHeader('x-amz-server-side-encryption', existing.sse);
    if (header('x-amz-checksum-mode') === 'ENABLED' && existing.checksumSha256 && state.keepsChecksums)
      response.setHeader('x-amz-checksum-sha256', existing.checksumSha256);
    const range = /^bytes=(\d+)-(\d*)$/.exec(header('range') ?? '');
    const served = state.corruptReadsOf && key.endsWith(state.corruptReadsOf) ? Buffer.concat([existing.body, Buffer.from('!')]) : existing.body;
    const size = served.length;
    if (method === 'HEAD') {
      response.setHeader('content-length', size);
      return end(response, 200);
    }
    if (range) {
      const start = Number(range[1]);
      const last = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1);
      if (start >= size) return send(response, 416, 'InvalidRange', 'The requested range is not satisfiable');
      response.setHeader('content-range', `bytes ${start}-${last}/${size}`);
      response.writeHead(206, { 'content-length': last - start + 1 });
      return void response.end(served.subarray(start, last + 1));
    }
    response.writeHead(200, { 'content-length': size });
    response.end(served);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region,
    credentials,
    objects,
    requests,
    openUploads: () => [...uploads.keys()],
    get failNext() {
      return state.failNext;
    },
    set failNext(value: number[]) {
      state.failNext = value;
    },
    get keepsChecksums() {
      return state.keepsChecksums;
    },
    set keepsChecksums(value: boolean) {
      state.keepsChecksums = value;
    },
    get corruptReadsOf() {
      return state.corruptReadsOf;
    },
    set corruptReadsOf(value: string | undefined) {
      state.corruptReadsOf = value;
    },
    get rejectedSignatures() {
      return state.rejectedSignatures;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SigV4 as S3 checks it, from the header or from a presigned URL's query; returns what is wrong, or undefined. */
function verifySignature(
  request: http.IncomingMessage,
  url: URL,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
  now: Date,
): string | undefined {
  const presigned = url.searchParams.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256';
  let credential: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string;
  if (presigned) {
    credential = url.searchParams.get('X-Amz-Credential') ?? '';
    signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') ?? '';
    signature = url.searchParams.get('X-Amz-Signature') ?? '';
    amzDate = url.searchParams.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (parseAmzDate(amzDate) + expires * 1000 < now.getTime()) return 'Request has expired';
  } else {
    const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(request.headers.authorization ?? '');
    if (!match) return 'No SigV4 Authorization header';
    [, credential = '', signedHeaders = '', signature = ''] = match;
    amzDate = String(request.headers['x-amz-date'] ?? '');
    payloadHash = String(request.headers['x-amz-content-sha256'] ?? '');
  }
  const [accessKeyId, day, credentialRegion, service] = credential.split('/');
  if (accessKeyId !== credentials.accessKeyId) return 'Unknown access key';
  if (credentialRegion !== region || service !== 's3') return `Wrong scope ${credential}`;
  if (Math.abs(parseAmzDate(amzDate) - now.getTime()) > 15 * 60_000 && !presigned) return 'Request time too skewed';
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return 'host is not signed';
  const canonicalQuery = [...url.searchParams]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([n, v]) => [uriEncode(n), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
  const rawPath = (request.url ?? '/').split('?')[0]!;
  const canonical = [
    request.method,
    rawPath,
    canonicalQuery,
    names
      .map(
        (n) =>
          `${n}:${String(request.headers[n] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`)
    .update(day ?? '')
    .digest();
  for (const part of [region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(toSign).digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? undefined
    : 'The request signature we calculated does not match the signature you provided.';
}

function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : Number.NaN;
}

function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function xml(response: http.ServerResponse, status: number, content: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${content}`);
}

function send(response: http.ServerResponse, status: number, code: string, message: string): void {
  xml(response, status, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>`);
}

function end(response: http.ServerResponse, status: number): void {
  response.writeHead(status);
  response.end();
}
