import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { NotifySmsSender } from '../../src/platform/sms/notify-sms-sender.js';
import { OUTBOX_CAPACITY, OutboxSmsSender } from '../../src/platform/sms/outbox-sms-sender.js';
import { SmsDeliveryError, type SmsMessage } from '../../src/platform/sms/sms-sender.js';
import { TwilioSmsSender } from '../../src/platform/sms/twilio-sms-sender.js';
import { startFakeNotify, type FakeNotify } from '../support/fake-notify.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';

const MESSAGE: SmsMessage = {
  to: '+447700900123',
  body: 'Your video call with the police: https://rvr.example/join/secret-token-abc',
  reference: 'invite-0f6c1a2b',
};

/** Sends and expects a delivery error that leaks neither the number nor the text. */
async function deliveryError(send: Promise<unknown>, message: SmsMessage = MESSAGE): Promise<SmsDeliveryError> {
  const error = await send.then(
    () => assert.fail('expected the send to fail'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof SmsDeliveryError, `expected SmsDeliveryError, got ${String(error)}`);
  const everything = `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}`;
  const digits = message.to.replace(/\D/g, '');
  for (const personal of [message.to, digits, digits.slice(-10), message.body, 'secret-token-abc']) {
    assert.ok(!everything.includes(personal), `error leaks personal data (${personal}): ${error.message}`);
  }
  return error;
}

/** A URL on which nothing listens: a port we held and then released. */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('outbox SMS sender', () => {
  it('keeps what it sends, newest first, with the time it was sent', async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z');
    const outbox = new OutboxSmsSender(() => new Date((clock += 1000)));
    const first = await outbox.send({ to: '+447700900001', body: 'first', reference: 'r1' });
    const second = await outbox.send({ to: '+447700900002', body: 'second', reference: 'r2' });

    assert.equal(outbox.provider, 'outbox');
    assert.equal(first.provider, 'outbox');
    const entries = outbox.list();
    assert.deepEqual(
      entries.map((entry) => [entry.id, entry.to, entry.body, entry.reference, entry.sentAt.toISOString()]),
      [
        [second.providerMessageId, '+447700900002', 'second', 'r2', '2026-03-01T10:00:02.000Z'],
        [first.providerMessageId, '+447700900001', 'first', 'r1', '2026-03-01T10:00:01.000Z'],
      ],
    );
    assert.notEqual(first.providerMessageId, second.providerMessageId);

    entries[0]!.body = 'rewritten';
    entries[0]!.sentAt.setFullYear(2000);
    assert.equal(outbox.list()[0]!.body, 'second', 'list() hands out copies');
    assert.equal(outbox.list()[0]!.sentAt.toISOString(), '2026-03-01T10:00:02.000Z');

    outbox.clear();
    assert.deepEqual(outbox.list(), []);
  });

  it(`keeps only the newest ${OUTBOX_CAPACITY}`, async () => {
    const outbox = new OutboxSmsSender();
    for (let i = 0; i < OUTBOX_CAPACITY + 5; i++) await outbox.send({ to: '+447700900123', body: `text ${i}`, reference: `r${i}` });
    const entries = outbox.list();
    assert.equal(entries.length, OUTBOX_CAPACITY);
    assert.equal(entries[0]!.reference, `r${OUTBOX_CAPACITY + 4}`);
    assert.equal(entries.at(-1)!.reference, 'r5');
  });
});

describe('GOV.UK Notify SMS sender (against a local fake Notify)', () => {
  let notify: FakeNotify;
  let sender: NotifySmsSender;
  before(async () => {
    notify = await startFakeNotify();
    sender = new NotifySmsSender({ apiKey: notify.apiKey, templateId: notify.templateId, baseUrl: notify.url });
  });
  after(() => notify.close());

  it('sends with a valid token, our template, the text as ((body)) and our reference', async () => {
    const before = notify.received.length;
    const receipt = await sender.send(MESSAGE);

    assert.equal(notify.received.length, before + 1);
    const request = notify.received.at(-1)!;
    assert.equal(request.status, 201);
    assert.deepEqual(receipt, { provider: 'notify', providerMessageId: request.notificationId });
    assert.equal(request.path, '/v2/notifications/sms');
    assert.deepEqual(request.body, {
      template_id: notify.templateId,
      phone_number: MESSAGE.to,
      personalisation: { body: MESSAGE.body },
      reference: MESSAGE.reference,
    });
    assert.equal(request.claims?.iss, notify.serviceId);
    assert.ok(Math.abs(Date.now() / 1000 - Number(request.claims?.iat)) <= 5);
    assert.equal(sender.provider, 'notify');
  });

  it('reports a wrong API key as not retryable, naming the key but not the number', async () => {
    const wrongSecret = `${notify.apiKey.slice(0, -36)}00000000-0000-4000-8000-000000000000`;
    const wrongKey = new NotifySmsSender({ apiKey: wrongSecret, templateId: notify.templateId, baseUrl: notify.url });
    const error = await deliveryError(wrongKey.send(MESSAGE));
    assert.equal(error.retryable, false);
    assert.equal(error.status, 403);
    assert.match(error.message, /API key/);
    assert.equal(notify.received.at(-1)!.status, 403);
  });

  it('reports an unknown template as not retryable, naming the template', async () => {
    const otherTemplate = new NotifySmsSender({ apiKey: notify.apiKey, templateId: '11111111-2222-4333-8444-555555555555', baseUrl: notify.url });
    const error = await deliveryError(otherTemplate.send(MESSAGE));
    assert.equal(error.retryable, false);
    assert.equal(error.status, 400);
    assert.match(error.message, /Template not found/);
    assert.match(error.message, /template id/);
  });

  it('reports a number Notify rejects as not retryable, without echoing it', async () => {
    const badNumber = { ...MESSAGE, to: '+44 7700 900 123 extension!' };
    const error = await deliveryError(sender.send(badNumber), badNumber);
    assert.equal(error.retryable, false);
    assert.equal(error.status, 400);
    assert.match(error.message, /recipient number/);
  });

  for (const status of [500, 503, 429]) {
    it(`reports HTTP ${status} as retryable, and the next send goes through`, async () => {
      notify.failNext(status);
      const error = await deliveryError(sender.send(MESSAGE));
      assert.equal(error.retryable, true);
      assert.equal(error.status, status);
      const receipt = await sender.send(MESSAGE);
      assert.equal(receipt.provider, 'notify');
    });
  }

  it('reports an unreachable Notify as retryable', async () => {
    const unreachable = new NotifySmsSender({ apiKey: notify.apiKey, templateId: notify.templateId, baseUrl: await closedPortUrl() });
    const error = await deliveryError(unreachable.send(MESSAGE));
    assert.equal(error.retryable, true);
    assert.equal(error.status, undefined);
    assert.match(error.message, /ECONNREFUSED/);
  });

  it('refuses a malformed API key or template id when constructed, without quoting the key', () => {
    assert.throws(
      () => new NotifySmsSender({ apiKey: 'not-a-notify-key', templateId: notify.templateId }),
      (error: Error) => /API key is malformed/.test(error.message) && !error.message.includes('not-a-notify-key'),
    );
    assert.throws(() => new NotifySmsSender({ apiKey: notify.apiKey, templateId: 'welcome-sms' }), /template id/);
  });
});

describe('Twilio SMS sender (against a local fake Twilio)', () => {
  let twilio: FakeTwilio;
  const MESSAGING_SERVICE_SID = `MG${'ab'.repeat(16)}`;
  const credentials = () => ({ accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.url });
  before(async () => {
    twilio = await startFakeTwilio();
  });
  after(() => twilio.close());

  it('sends from a number with Basic auth and the form Twilio expects', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), from: '+447700900999' });
    const receipt = await sender.send(MESSAGE);

    const request = twilio.received.at(-1)!;
    assert.equal(request.status, 201);
    assert.match(request.sid!, /^SM[0-9a-f]{32}$/);
    assert.deepEqual(receipt, { provider: 'twilio', providerMessageId: request.sid });
    assert.equal(request.path, `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`);
    assert.equal(request.authorization, `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`);
    assert.match(request.contentType ?? '', /^application\/x-www-form-urlencoded/);
    assert.deepEqual(request.form, { To: MESSAGE.to, Body: MESSAGE.body, From: '+447700900999' });
    assert.equal(sender.provider, 'twilio');
  });

  it('sends through a messaging service instead of a number', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), messagingServiceSid: MESSAGING_SERVICE_SID });
    const receipt = await sender.send(MESSAGE);
    const request = twilio.received.at(-1)!;
    assert.equal(receipt.providerMessageId, request.sid);
    assert.deepEqual(request.form, { To: MESSAGE.to, Body: MESSAGE.body, MessagingServiceSid: MESSAGING_SERVICE_SID });
  });

  it('refuses a sender configuration it cannot use', () => {
    const { accountSid, authToken } = credentials();
    assert.throws(() => new TwilioSmsSender({ accountSid, authToken }), /exactly one of a sender number \(from\) or a messaging service SID/);
    assert.throws(() => new TwilioSmsSender({ accountSid, authToken, from: '+447700900999', messagingServiceSid: MESSAGING_SERVICE_SID }), /not both/);
    assert.throws(() => new TwilioSmsSender({ accountSid: 'AC123/../../evil', authToken, from: '+447700900999' }), /account SID/);
    assert.throws(() => new TwilioSmsSender({ accountSid, authToken: '', from: '+447700900999' }), /auth token/);
    assert.throws(() => new TwilioSmsSender({ accountSid, authToken, messagingServiceSid: 'PN123' }), /messaging service SID/);
    assert.throws(() => new TwilioSmsSender({ accountSid, authToken, from: '+447700900999', timeoutMs: 0 }), /timeout/);
  });

  it('reports wrong credentials as not retryable, with Twilio code 20003', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), authToken: 'wrong-token', from: '+447700900999' });
    const error = await deliveryError(sender.send(MESSAGE));
    assert.equal(error.retryable, false);
    assert.equal(error.status, 401);
    assert.match(error.message, /20003/);
    assert.match(error.message, /auth token/);
  });

  it('reports an invalid number as not retryable, with code 21211 and without the number Twilio echoes', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), from: '+447700900999' });
    const notE164 = { ...MESSAGE, to: '07700 900123' };
    const error = await deliveryError(sender.send(notE164), notE164);
    assert.equal(error.retryable, false);
    assert.equal(error.status, 400);
    assert.match(error.message, /Twilio error 21211/);
    assert.match(error.message, /is not a valid phone number/);
    assert.ok(!error.message.includes('900123'), error.message);
  });

  for (const status of [503, 500, 429]) {
    it(`reports HTTP ${status} as retryable, and the next send goes through`, async () => {
      const sender = new TwilioSmsSender({ ...credentials(), from: '+447700900999' });
      twilio.failNext(status);
      const error = await deliveryError(sender.send(MESSAGE));
      assert.equal(error.retryable, true);
      assert.equal(error.status, status);
      assert.equal((await sender.send(MESSAGE)).provider, 'twilio');
    });
  }

  it('gives up after the timeout and reports it as retryable', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), from: '+447700900999', timeoutMs: 200 });
    twilio.delayNext(5000);
    const started = Date.now();
    const error = await deliveryError(sender.send(MESSAGE));
    assert.ok(Date.now() - started < 2000, 'the send should stop waiting at the timeout');
    assert.equal(error.retryable, true);
    assert.equal(error.status, undefined);
    assert.match(error.message, /did not answer within 200 ms/);
  });

  it('reports an unreachable Twilio as retryable', async () => {
    const sender = new TwilioSmsSender({ ...credentials(), baseUrl: await closedPortUrl(), from: '+447700900999' });
    const error = await deliveryError(sender.send(MESSAGE));
    assert.equal(error.retryable, true);
    assert.equal(error.status, undefined);
    assert.match(error.message, /ECONNREFUSED/);
  });
});
