import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { hashToken } from '../../src/features/video/call-tokens.js';
import { decodeErrors, measuredDurationSeconds } from '../../src/platform/media/ffmpeg.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

await describeOnDatabase('video calls: links, consent, signalling and recovery (RVR-07, RVR-10, SC-3)', (kind) => {
  let t: TestApp;
  // Moved forward to test expiry; the test clock otherwise follows real time (the intake form refuses calls "received" in the future).
  let clockOffset = 0;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let otherOfficer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind, { now: () => new Date(Date.now() + clockOffset) });
    handler = await createUser(t.services, 'vc-handler', ['call_handler']);
    officer = await createUser(t.services, 'vc-officer', ['rvr_officer']);
    otherOfficer = await createUser(t.services, 'vc-officer2', ['rvr_officer']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  /** An accepted consultation with its call open; returns the call and a helper to send the victim a link. */
  const openCall = async () => {
    const { consultation } = await newCall(t.services, handler, { mobile: '07700 900777' });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const sendLink = async () => {
      await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
      const body = t.services.smsOutbox!.list()[0]!.body;
      return /\/v\/([A-Za-z0-9_-]+)/.exec(body)![1]!;
    };
    return { consultation, call, sendLink };
  };
  const auditWhat = async (what: string) =>
    queryRows<{ details: Record<string, unknown> }>(t.db.database, sql`select details from audit_events where what = ${what}`);

  it('RVR-07: the link token has 256 random bits, is stored only as a hash, texts the victim neutrally, and moves the consultation to invited', async () => {
    const { consultation, call, sendLink } = await openCall();
    const token = await sendLink();
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const message = t.services.smsOutbox!.list()[0]!;
    assert.equal(message.to, '+447700900777');
    assert.doesNotMatch(message.body, /police/i);
    const rows = await queryRows<{ token_hash: string }>(t.db.database, sql`select token_hash from call_invites where call_id = ${call.id}`);
    assert.deepEqual(
      rows.map((r) => r.token_hash),
      [hashToken(token)],
    );
    const dump = JSON.stringify(await queryRows(t.db.database, sql`select * from audit_events`));
    assert.ok(!dump.includes(token), 'the token is in no audit event');
    assert.equal((await t.services.consultations.summary(consultation.id)).state, 'invited');
  });

  it('RVR-07: a link opens once; reuse, expiry, revocation, a resend and a malformed token are refused; refusals of real links are audited', async () => {
    const { sendLink } = await openCall();
    const first = await sendLink();
    const opened = await t.app.inject({ method: 'GET', url: `/v/${first}` });
    assert.equal(opened.statusCode, 303);
    assert.match(String(opened.headers['set-cookie']), /rvr_call=[A-Za-z0-9_-]{43}; Path=\/v\/; HttpOnly; SameSite=Lax/);
    assert.doesNotMatch(String(opened.headers['set-cookie']), /Max-Age|Expires/, 'a session cookie, gone when the browser closes');
    const reused = await t.app.inject({ method: 'GET', url: `/v/${first}` });
    assert.equal(reused.statusCode, 410);
    assert.match(reused.body, /already been used/);
    assert.match(reused.body, /ask the officer for a new link/i);

    const second = await sendLink();
    const third = await sendLink();
    const revoked = await t.app.inject({ method: 'GET', url: `/v/${second}` });
    assert.equal(revoked.statusCode, 410);
    assert.match(revoked.body, /has been replaced/);

    clockOffset = 16 * 60_000;
    const expired = await t.app.inject({ method: 'GET', url: `/v/${third}` });
    clockOffset = 0;
    assert.equal(expired.statusCode, 410);
    assert.match(expired.body, /has expired/);

    const malformed = await t.app.inject({ method: 'GET', url: '/v/short' });
    assert.equal(malformed.statusCode, 404);
    const unknown = await t.app.inject({ method: 'GET', url: `/v/${'A'.repeat(43)}` });
    assert.equal(unknown.statusCode, 404);
    const refusals = (await auditWhat('call.link_refused')).map((r) => r.details.refusal);
    for (const refusal of ['used', 'revoked', 'expired']) assert.ok(refusals.includes(refusal), `${refusal} is audited`);
    // A token that matches no link concerns no call: it goes to the application log, not the audit chain (call-consent.test.ts).
    for (const refusal of ['malformed', 'unknown']) assert.ok(!refusals.includes(refusal), `${refusal} is not audited`);
  });

  it('SC-3 and RVR-12: the victim sees the recording notice and privacy contact, must tick both consents, and the wording is stored', async () => {
    const { call, sendLink } = await openCall();
    const victim = new Browser(t.app);
    const opened = await victim.get(`/v/${await sendLink()}`);
    assert.equal(opened.statusCode, 303);
    const page = await victim.get('/v/call');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /The call is recorded/);
    assert.match(page.body, /data-testid="privacy-contact"/);
    assert.match(page.body, /Exit this page/);
    assert.equal(page.headers['cache-control'], 'no-store');
    const refused = await victim.post('/v/call/consent', { video: 'yes' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /tick both boxes/i);
    const accepted = await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    assert.equal(accepted.statusCode, 303);
    const consents = await queryRows<{ wording: string }>(t.db.database, sql`select wording from call_consents where call_id = ${call.id}`);
    assert.equal(consents.length, 1);
    assert.match(consents[0]!.wording, /recorded on the police system/);
    const callPage = await victim.get('/v/call');
    assert.match(callPage.body, /data-testid="recording-indicator"/);
  });

  it('shows how to open the link in a real browser when it opens inside an app', async () => {
    const { sendLink } = await openCall();
    const victim = new Browser(t.app);
    await victim.get(`/v/${await sendLink()}`);
    const page = await t.app.inject({
      method: 'GET',
      url: '/v/call',
      headers: {
        cookie: victim.cookieHeader,
        'user-agent':
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBID/phone;FBLC/en_GB;FBOP/5]',
      },
    });
    assert.match(page.body, /data-testid="browser-advice"/);
    assert.match(page.body, /Safari/);
  });

  it('only the officer who accepted can run the call; a text the provider refuses leaves the link on record as not sent', async () => {
    const { call } = await openCall();
    await assert.rejects(t.services.calls.links.sendInvite(contextFor(otherOfficer), call.id, { role: 'victim' }), /Only the officer who accepted/);
    const browser = new Browser(t.app);
    await browser.signIn('vc-officer2');
    const refused = await browser.postJson(`/calls/${call.id}/notes`, { notes: 'x' });
    assert.equal(refused.statusCode, 403);
  });

  it('a snapshot must be an image by its bytes; a refused one leaves no file and no row', async () => {
    const { call } = await openCall();
    const browser = new Browser(t.app);
    await browser.signIn('vc-officer');
    const fake = await browser.postJson(`/calls/${call.id}/snapshots`, {
      image: `data:image/png;base64,${Buffer.from('not really a png').toString('base64')}`,
    });
    assert.equal(fake.statusCode, 400);
    assert.match(fake.body, /JPEG or PNG/);
    const png = pngFrame('color=red:size=32x32');
    const saved = await browser.postJson(`/calls/${call.id}/snapshots`, { image: `data:image/png;base64,${png.toString('base64')}` });
    assert.equal(saved.statusCode, 201);
    const snapshots = await t.services.data.repos.recordings.listSnapshots(call.id);
    assert.equal(snapshots.length, 1);
    assert.equal((await sha256File(path.join(t.services.mediaRoot, snapshots[0]!.fileKey))).sha256, snapshots[0]!.sha256);
    assert.equal(fs.readdirSync(path.join(t.services.mediaRoot, 'calls', call.id)).length, 1);
  });

  it('signalling: malformed, unknown and out-of-order messages are answered with an error and the socket carries on', async () => {
    const { sendLink } = await openCall();
    const victim = new Browser(t.app);
    await victim.get(`/v/${await sendLink()}`);
    await victim.get('/v/call');
    await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const socket = new WebSocket(`${address.replace('http', 'ws')}/v/socket`, { headers: { cookie: victim.cookieHeader } });
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const next = async (type: string) => {
      for (let i = 0; i < 100; i++) {
        const index = messages.findIndex((m) => m.type === type);
        if (index >= 0) return messages.splice(index, 1)[0]!;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no ${type} message`);
    };
    assert.equal((await next('hello')).role, 'victim');
    for (const bad of [
      'not json',
      '[]',
      '{"type":"teleport"}',
      '{"type":"answer","sdp":"x"}',
      '{"type":"chat","text":""}',
      `{"type":"candidate","candidate":{"candidate":1}}`,
    ]) {
      socket.send(bad);
      assert.equal((await next('error')).type, 'error', `"${bad}" is answered with an error`);
    }
    socket.send(JSON.stringify({ type: 'answer', sdp: 'v=0\r\n' }));
    assert.match(String((await next('error')).message), /join/);
    socket.send(JSON.stringify({ type: 'end' }));
    assert.match(String((await next('error')).message), /Only the officer/);
    socket.send(JSON.stringify({ type: 'ping' }));
    assert.equal((await next('pong')).type, 'pong', 'the socket still works');
    socket.close();

    // Another site's page cannot open the socket with the victim's cookie.
    const foreign = new WebSocket(`${address.replace('http', 'ws')}/v/socket`, { headers: { cookie: victim.cookieHeader, origin: 'https://evil.example' } });
    const status = await new Promise<number>((resolve) => foreign.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
    assert.equal(status, 403);
  });

  it('saves the officer’s notes as they type, audited without their content', async () => {
    const { call } = await openCall();
    const browser = new Browser(t.app);
    await browser.signIn('vc-officer');
    const notes = 'Victim has a cut above the left eye.';
    const saved = await browser.postJson(`/calls/${call.id}/notes`, { notes });
    assert.equal(saved.statusCode, 200);
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.officerNotes, notes);
    assert.deepEqual(
      (await auditWhat('call.notes_saved')).map((row) => row.details),
      [{ length: 36 }],
      'the audit event has the length of the notes, not their words',
    );
    const tooLong = await browser.postJson(`/calls/${call.id}/notes`, { notes: 'x'.repeat(20_001) });
    assert.equal(tooLong.statusCode, 400);
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.officerNotes, notes, 'a refused save loses nothing');
  });

  it('rate limits opening links from one address', async () => {
    let limited = false;
    for (let i = 0; i < 40 && !limited; i++) limited = (await t.app.inject({ method: 'GET', url: `/v/${'B'.repeat(43)}` })).statusCode === 429;
    assert.ok(limited, 'the 31st attempt in a minute is refused');
  });

  it('after a restart, an unfinished recording is made playable and hashed (the raw file kept) and the open call is marked interrupted', async () => {
    const { call, consultation } = await openCall();
    const participant = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const file = await t.services.calls.recordings.recordingStarted(call.id, participant.id, {
      participantId: participant.id,
      role: 'officer',
      tracks: ['audio', 'video'],
    });
    // A WebM cut off mid-write, as a crash leaves it: no duration, no cues, a partial last cluster.
    const full = execFileSync('ffmpeg', [
      '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440',
      '-t', '4', '-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libopus', '-f', 'webm', '-live', '1', '-',
    ]); // prettier-ignore
    fs.writeFileSync(file, full.subarray(0, Math.floor(full.length * 0.7)));
    const recovered = await t.services.calls.recordings.recoverAfterRestart();
    assert.ok(recovered.repaired >= 1 && recovered.interrupted >= 1);
    const [recording] = await t.services.data.repos.recordings.listByCall(call.id);
    assert.equal(recording!.status, 'repaired');
    // Issue 15: moved from the node's scratch folder into the store (local disk here), the scratch copy removed.
    assert.ok(!fs.existsSync(file), 'the scratch copy is removed once stored');
    const stored = path.join(t.services.mediaRoot, recording!.fileKey);
    assert.equal(recording!.sha256, (await sha256File(stored)).sha256);
    assert.deepEqual(await decodeErrors(stored), []);
    const seconds = (await measuredDurationSeconds(stored)).durationSeconds!;
    assert.ok(seconds > 1.5 && seconds < 4, `the repaired file plays for ${seconds} s`);
    assert.ok(fs.existsSync(stored.replace(/\.webm$/, '.unfinished.webm')), 'the raw file is kept beside it');
    const after = await t.services.data.repos.calls.findById(call.id);
    assert.equal(after!.state, 'interrupted');
    assert.ok((await auditWhat('call.recording_repaired')).some((r) => r.details.recordingId === recording!.id));
    assert.notEqual((await t.services.consultations.summary(consultation.id)).state, 'completed');
  });
});

await describeOnDatabase('video calls: texts through a real provider protocol', (kind) => {
  let t: TestApp;
  let twilio: FakeTwilio;
  before(async () => {
    twilio = await startFakeTwilio();
    t = await buildTestApp(kind, {
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+447700900000',
        TWILIO_BASE_URL: twilio.url,
      },
    });
    await allowRoundTheClock(t.services);
  });
  after(async () => {
    await t.close();
    await twilio.close();
  });

  it('sends the link through Twilio; a provider failure is reported to the officer and the link stays on record as not sent', async () => {
    const handler = await createUser(t.services, 'tw-handler', ['call_handler']);
    const officer = await createUser(t.services, 'tw-officer', ['rvr_officer']);
    const { consultation } = await newCall(t.services, handler, { mobile: '07700 900888' });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const sent = twilio.received.at(-1)!;
    assert.equal(sent.form.To, '+447700900888');
    assert.match(sent.form.Body ?? '', /\/v\/[A-Za-z0-9_-]{43}$/);
    assert.equal(t.services.smsOutbox, undefined);
    twilio.failNext(503);
    await assert.rejects(t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' }), /The text was not sent/);
    const invites = await t.services.data.repos.calls.listInvites(call.id);
    assert.equal(invites.length, 2);
    assert.ok(invites[0]!.revokedAt, 'the first link was replaced');
    assert.ok(invites[1]!.sendError && !invites[1]!.sentAt);
    assert.doesNotMatch(invites[1]!.sendError, /7700/);
  });
});
