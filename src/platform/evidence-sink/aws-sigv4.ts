import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** For temporary credentials (STS, IRSA). */
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  /** Its path must already be encoded with encodeS3Key: S3 signs the path exactly as sent, encoded once. */
  url: URL;
  /** Headers to send and sign besides host and the x-amz-* ones added here. */
  headers: Record<string, string>;
  /** Lowercase hex SHA-256 of the body (of the empty string when there is none). */
  payloadSha256: string;
}

export interface SigV4Context {
  credentials: AwsCredentials;
  region: string;
  service: string;
  now: Date;
}

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** AWS Signature Version 4 in the Authorization header. Returns every header to send, the signed ones included. */
export function signSigV4(request: SigV4Request, context: SigV4Context): Record<string, string> {
  const amzDate = context.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['host'] = request.url.host;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = request.payloadSha256;
  if (context.credentials.sessionToken) headers['x-amz-security-token'] = context.credentials.sessionToken;

  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    request.url.pathname || '/',
    canonicalQuery(request.url.searchParams),
    names.map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    signedHeaders,
    request.payloadSha256,
  ].join('\n');
  const scope = `${day}/${context.region}/${context.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${context.credentials.secretAccessKey}`, day);
  for (const part of [context.region, context.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');

  // Host is set by fetch from the URL; it is signed but not passed on.
  delete headers['host'];
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${context.credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return headers;
}

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An object key as a URL path: each segment encoded, the slashes kept. */
export function encodeS3Key(key: string): string {
  return key.split('/').map(uriEncode).join('/');
}

function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
