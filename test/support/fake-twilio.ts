import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The form fields as sent. */
  form: Record<string, string>;
  /** What the fake answered. */
  status: number;
  /** The message SID, for requests that were accepted. */
  sid?: string;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  received: FakeTwilioRequest[];
  /** The next request gets this status with Twilio's error body for it, whatever it contains. */
  failNext(status: number): void;
  /** The next request is answered only after this long (for timeout tests). */
  delayNext(ms: number): void;
  close(): Promise<void>;
}

const E164 = /^\+[1-9]\d{1,14}$/;

const CANNED_ERRORS: Record<number, { code: number; message: string }> = {
  400: { code: 21211, message: 'Invalid To phone number' },
  429: { code: 20429, message: 'Too Many Requests' },
  500: { code: 20500, message: 'Internal Server Error' },
  503: { code: 20503, message: 'Service Unavailable' },
};

/**
 * A loopback stand-in for Twilio's POST /2010-04-01/Accounts/{AccountSid}/Messages.json: checks HTTP Basic auth,
 * validates the form as Twilio does (echoing the number in its error message, as Twilio does) and answers with
 * Twilio's message and error shapes.
 */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const expectedAuthorization = Buffer.from(`Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`);
  const messagesPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const received: FakeTwilioRequest[] = [];
  const forced: number[] = [];
  const delays: number[] = [];

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const record: FakeTwilioRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
        status: 0,
      };
      received.push(record);
      const reply = (status: number, payload: unknown) => {
        record.status = status;
        const delay = delays.shift() ?? 0;
        const write = () => {
          if (!response.destroyed) response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        };
        if (delay > 0) setTimeout(write, delay).unref();
        else write();
      };
      const fail = (status: number, code: number, message: string) =>
        reply(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

      const forcedStatus = forced.shift();
      if (forcedStatus !== undefined) {
        const canned = CANNED_ERRORS[forcedStatus] ?? { code: 20500, message: `Forced ${forcedStatus}` };
        return fail(forcedStatus, canned.code, canned.message);
      }
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expectedAuthorization.length || !timingSafeEqual(given, expectedAuthorization)) return fail(401, 20003, 'Authenticate');
      if (request.method !== 'POST' || request.url !== messagesPath) return fail(404, 20404, `The requested resource ${request.url ?? ''} was not found`);
      if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
        return fail(400, 20001, 'Content-Type must be application/x-www-form-urlencoded');

      const { To: to, Body: body, From: from, MessagingServiceSid: messagingServiceSid } = record.form;
      if (!to) return fail(400, 21604, "A 'To' phone number is required.");
      if (!E164.test(to)) return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (!body) return fail(400, 21602, 'Message body is required.');
      // Stricter than Twilio (which lets a messaging service override From): our sender must send exactly one.
      if (Boolean(from) === Boolean(messagingServiceSid)) return fail(400, 21603, "Exactly one of 'From' and 'MessagingServiceSid' is required.");
      if (messagingServiceSid && !/^MG[0-9a-f]{32}$/i.test(messagingServiceSid)) return fail(400, 21701, 'The Messaging Service Sid is invalid.');

      const sid = `SM${randomBytes(16).toString('hex')}`;
      record.sid = sid;
      const now = new Date().toUTCString().replace('GMT', '+0000');
      reply(201, {
        account_sid: accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: from ?? null,
        messaging_service_sid: messagingServiceSid ?? null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid,
        status: messagingServiceSid ? 'accepted' : 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountSid,
    authToken,
    received,
    failNext: (status) => void forced.push(status),
    delayNext: (ms) => void delays.push(ms),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
