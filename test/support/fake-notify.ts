import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeNotifyRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The JWT claims when the token's signature verified; undefined otherwise. */
  claims: { iss?: unknown; iat?: unknown } | undefined;
  body: unknown;
  /** What the fake answered. */
  status: number;
  /** The notification id, for requests that were accepted. */
  notificationId?: string;
}

export interface FakeNotify {
  url: string;
  serviceId: string;
  /** A valid API key for this fake service, in Notify's `{key name}-{service id}-{secret key}` form. */
  apiKey: string;
  templateId: string;
  received: FakeNotifyRequest[];
  /** The next request gets this status with Notify's error body for it, whatever it contains. */
  failNext(status: number): void;
  close(): Promise<void>;
}

export interface FakeNotifyOptions {
  keyName?: string;
  /** Defaults to a fresh UUID. */
  templateId?: string;
  fromNumber?: string;
}

const CLOCK_SKEW_SECONDS = 30;

const CANNED_ERRORS: Record<number, { error: string; message: string }> = {
  400: { error: 'BadRequestError', message: 'Bad request' },
  403: { error: 'AuthError', message: 'Invalid token: API key not found' },
  429: { error: 'RateLimitError', message: 'Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds' },
  500: { error: 'Exception', message: 'Internal server error' },
  503: { error: 'Exception', message: 'Service unavailable' },
};

/**
 * A loopback stand-in for GOV.UK Notify's POST /v2/notifications/sms: verifies the client's HS256 JWT against the
 * service's secret key as Notify does, validates the payload and answers with Notify's success and error shapes.
 */
export async function startFakeNotify(options: FakeNotifyOptions = {}): Promise<FakeNotify> {
  const serviceId = randomUUID();
  const secretKey = randomUUID();
  const templateId = options.templateId ?? randomUUID();
  const fromNumber = options.fromNumber ?? 'GOVUK';
  const received: FakeNotifyRequest[] = [];
  const forced: number[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: FakeNotifyRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        claims: undefined,
        body: parseJson(Buffer.concat(chunks).toString('utf8')),
        status: 0,
      };
      received.push(record);
      const reply = (status: number, payload: unknown) => {
        record.status = status;
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const fail = (status: number, error: string, message: string) => reply(status, { status_code: status, errors: [{ error, message }] });

      const forcedStatus = forced.shift();
      if (forcedStatus !== undefined) {
        const canned = CANNED_ERRORS[forcedStatus] ?? { error: 'Exception', message: `Forced ${forcedStatus}` };
        return fail(forcedStatus, canned.error, canned.message);
      }
      if (request.method !== 'POST' || request.url !== '/v2/notifications/sms')
        return fail(404, 'NotFoundError', 'The requested URL was not found on the server.');

      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token) return fail(401, 'AuthError', 'Unauthorized: authentication token must be provided');
      const verified = verifyJwt(token, secretKey);
      if (typeof verified === 'string') return fail(403, 'AuthError', verified);
      record.claims = verified;
      if (verified.iss !== serviceId) return fail(403, 'AuthError', 'Invalid token: service not found');
      if (typeof verified.iat !== 'number' || Math.abs(Date.now() / 1000 - verified.iat) > CLOCK_SKEW_SECONDS) {
        return fail(403, 'AuthError', `Error: Your system clock must be accurate to within ${CLOCK_SKEW_SECONDS} seconds`);
      }

      const body = record.body as { phone_number?: unknown; template_id?: unknown; personalisation?: { body?: unknown }; reference?: unknown } | undefined;
      if (!body || typeof body !== 'object') return fail(400, 'BadRequestError', 'Invalid JSON supplied in POST data');
      if (typeof body.phone_number !== 'string') return fail(400, 'ValidationError', 'phone_number is a required property');
      if (!/^\+?[\d\s()-]{8,20}$/.test(body.phone_number)) return fail(400, 'ValidationError', 'phone_number Not a valid phone number');
      if (typeof body.template_id !== 'string') return fail(400, 'ValidationError', 'template_id is a required property');
      if (body.template_id !== templateId) return fail(400, 'BadRequestError', 'Template not found');
      const text = body.personalisation?.body;
      if (typeof text !== 'string') return fail(400, 'BadRequestError', 'Missing personalisation: body');

      const id = randomUUID();
      record.notificationId = id;
      reply(201, {
        id,
        reference: typeof body.reference === 'string' ? body.reference : null,
        content: { body: text, from_number: fromNumber },
        uri: `${url}/v2/notifications/${id}`,
        template: { id: templateId, version: 1, uri: `${url}/services/${serviceId}/templates/${templateId}` },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    serviceId,
    apiKey: `${options.keyName ?? 'rvr_test_key'}-${serviceId}-${secretKey}`,
    templateId,
    received,
    failNext: (status) => void forced.push(status),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The verified claims, or Notify's message for why the token is refused. */
function verifyJwt(token: string, secret: string): { iss?: unknown; iat?: unknown } | string {
  const parts = token.split('.');
  if (parts.length !== 3) return 'Invalid token: not a JWT';
  const [header, claims, signature] = parts as [string, string, string];
  const parsedHeader = parseJson(Buffer.from(header, 'base64url').toString('utf8')) as { typ?: unknown; alg?: unknown } | undefined;
  if (parsedHeader?.alg !== 'HS256' || parsedHeader.typ !== 'JWT') return 'Invalid token: algorithm used is not HS256';
  const expected = createHmac('sha256', secret).update(`${header}.${claims}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'Invalid token: signature, api token not found';
  const parsedClaims = parseJson(Buffer.from(claims, 'base64url').toString('utf8'));
  if (!parsedClaims || typeof parsedClaims !== 'object') return 'Invalid token: claims are not JSON';
  if (!('iss' in parsedClaims)) return 'Invalid token: iss field not provided';
  return parsedClaims;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
