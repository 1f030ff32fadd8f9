import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { WebSocket } from 'ws';
import { statementSha256 } from '../../src/domain/victim-statement.js';
import { hashToken } from '../../src/features/video/call-tokens.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

// Issue 12 item 1 (policy 3.2, RVR-04, RVR-12, SC-3): a link-holder takes part in nothing until they have agreed, on their
// own page, to the video call and to its recording. Item 5 (RVR-07): previewers never use a link up. Item 4: strangers'
// links go to the application log, not the audit chain.

/** The victim's call socket, opened through the app (cookie, origin and consent checks included). */
async function openSocket(t: TestApp, cookie: string) {
  const received: Record<string, unknown>[] = [];
  let closed: { code: number; reason: string } | undefined;
  const ws: WebSocket = await t.app.injectWS(
    '/v/socket',
    { headers: { cookie } },
    {
      onInit: (socket) => {
        socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
        socket.on('close', (code: number, reason: Buffer) => (closed = { code, reason: reason.toString('utf8') }));
      },
    },
  );
  const waitFor = async <T>(what: string, find: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 500; i++) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${what}; got ${received.map((m) => m.type).join(', ')} (closed ${JSON.stringify(closed)})`);
  };
  return {
    received,
    send: (message: unknown) => ws.send(JSON.stringify(message)),
    next: (type: string) => waitFor(type, () => received.find((m) => m.type === type)),
    closed: () => waitFor('close', () => closed),
    close: () => ws.close(),
  };
}

/** A signalling socket handed straight to CallRooms, as if the route's own check had been bypassed. */
class BareSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number, reason?: string) {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closedWith = { code, reason };
    this.emit('close');
  }
  terminate() {
    this.close();
  }
  ping() {}
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

await describeOnDatabase('consent is enforced by the server (issue 12 item 1, RVR-04, SC-3) and links survive previewers (RVR-07)', (kind) => {
  let t: TestApp;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  const logLines: string[] = [];
  // Each test comes from its own address, so the per-address limit on opening links never mixes tests up.
  let address = 0;
  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    t = await buildTestApp(kind, { logDestination: destination });
    handler = await createUser(t.services, 'cc-handler', ['call_handler']);
    officer = await createUser(t.services, 'cc-officer', ['rvr_officer']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const sendLink = async (callId: string, role: 'victim' | 'interpreter' = 'victim') => {
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), callId, role === 'victim' ? { role } : { role, phone: '07700 900321', label: 'Polish' });
    return /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
  };
  /** A call with the officer's link texted and opened by the victim, who is at the consent step. */
  const atConsentStep = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const victim = await openLink(await sendLink(call.id));
    return { consultation, call, victim };
  };
  const openLink = async (token: string) => {
    const browser = new Browser(t.app);
    assert.equal((await browser.get(`/v/${token}`)).statusCode, 303);
    const page = await browser.get('/v/call');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="recording-notice"/, 'the consent step');
    return browser;
  };
  const consent = async (browser: Browser) => assert.equal((await browser.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
  const events = async (callId: string) => (await t.services.calls.record.callView(callId)).events.map((e) => e.type);
  const state = async (consultationId: string) => (await t.services.consultations.summary(consultationId)).state;
  const upload = (browser: Browser, accept: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v/call/uploads',
      payload: PNG,
      headers: { 'content-type': 'application/octet-stream', accept, 'x-csrf-token': browser.csrfToken, cookie: browser.cookieHeader },
    });
  const uploadsOnDisk = (callId: string) => {
    const folder = path.join(t.services.mediaRoot, 'calls', callId);
    return fs.existsSync(folder) ? fs.readdirSync(folder).filter((f) => f.startsWith('upload-')) : [];
  };
  const sharedStatement = async (consultationId: string) => {
    const text = 'He pushed me on Tuesday.';
    await t.services.victimStatements.save(contextFor(officer), consultationId, { text, revision: 0 });
    await t.services.victimStatements.share(contextFor(officer), consultationId, 1);
    return { revision: 1, sha256: statementSha256(text) };
  };
  const refusedForConsent = (response: { statusCode: number; body: string }) => {
    assert.equal(response.statusCode, 403, response.body);
    const body = JSON.parse(response.body) as { error: string; consentRequired: boolean; consentUrl: string };
    assert.equal(body.consentRequired, true);
    assert.equal(body.consentUrl, '/v/call');
    assert.match(body.error, /agree to the video call and to it being recorded/);
  };
  const auditWhat = (what: string) =>
    queryRows<{ details: Record<string, unknown> }>(t.db.database, sql`select details from audit_events where what = ${what}`);

  it('secure by default: every link route needs consent except the consent page, giving consent and "Exit this page"', () => {
    const link = t.app.routeCatalogue.filter((r) => r.access === 'call_link' || r.access === 'call_link_before_consent');
    assert.deepEqual(
      link
        .filter((r) => r.access === 'call_link_before_consent' && r.method !== 'HEAD')
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
      ['GET /v/call', 'POST /v/call/consent', 'POST /v/quick-exit'],
    );
    for (const route of ['GET /v/socket', 'POST /v/call/uploads', 'GET /v/call/statement', 'POST /v/call/statement/confirm', 'POST /v/call/not-safe'])
      assert.ok(
        link.some((r) => `${r.method} ${r.url}` === route && r.access === 'call_link'),
        `${route} needs consent`,
      );
  });

  it('RVR-04: before consent the call socket is accepted then closed with 4401 "consent-required": no hello, no offer, no join, no state change', async () => {
    const { consultation, call, victim } = await atConsentStep();
    const socket = await openSocket(t, victim.cookieHeader);
    socket.send({ type: 'join' });
    assert.deepEqual(await socket.closed(), { code: 4401, reason: 'consent-required' });
    assert.deepEqual(socket.received, [], 'nothing was sent to the page (no hello, no "recording", no offer)');
    const types = await events(call.id);
    assert.ok(!types.includes('joined'), types.join(', '));
    assert.equal(await state(consultation.id), 'invited', 'the consultation did not move to victim_joined');
    const [participant] = (await t.services.calls.record.callView(call.id)).participants.filter((p) => p.role === 'victim');
    assert.equal(participant!.joinedAt, null);
    assert.equal((await t.services.data.repos.recordings.listByCall(call.id)).length, 0, 'nothing recorded');
    // The same route asked without an upgrade refuses with the reason.
    refusedForConsent(await t.app.inject({ method: 'GET', url: '/v/socket', headers: { cookie: victim.cookieHeader, accept: 'application/json' } }));
  });

  it('RVR-04: the media and chat path re-checks consent (defence in depth): a join or chat without it is refused and leaves no record', async () => {
    const { consultation, call, victim } = await atConsentStep();
    const session = (await t.services.calls.links.resolveLinkSession(victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]))!;
    assert.equal(session.consented, false);
    const context = t.services.calls.links.linkContext(session, 'test');
    const bare = new BareSocket();
    t.services.callRooms.attach(bare as unknown as WebSocket, session.participant, context);
    bare.emit('message', Buffer.from(JSON.stringify({ type: 'join' })));
    for (let i = 0; i < 200 && !bare.closedWith; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(bare.closedWith, { code: 4401, reason: 'consent-required' });
    assert.ok(!bare.sent.some((m) => m.type === 'offer'), 'no offer');
    await assert.rejects(t.services.calls.lifecycle.participantJoined(context, session.participant), /agree to the video call/);
    await assert.rejects(t.services.calls.chat.postChat(context, session.participant, 'hello'), /agree to the video call/);
    assert.ok(!(await events(call.id)).includes('joined'));
    assert.equal(await state(consultation.id), 'invited');
    assert.equal((await t.services.calls.record.callView(call.id)).chat.length, 0, 'no chat stored');
  });

  it('RVR-04: before consent an upload is refused with the reason and leaves no file and no row', async () => {
    const { consultation, call, victim } = await atConsentStep();
    refusedForConsent(await upload(victim, 'application/json'));
    refusedForConsent(await upload(victim, '*/*'));
    const asPage = await upload(victim, 'text/html');
    assert.equal(asPage.statusCode, 303);
    assert.equal(asPage.headers.location, '/v/call', 'a page request goes back to the consent step');
    assert.equal((await t.services.data.repos.evidence.listByConsultation(consultation.id)).filter((i) => i.kind === 'upload').length, 0);
    assert.deepEqual(uploadsOnDisk(call.id), []);
    assert.ok(!(await events(call.id)).includes('upload_received'));
  });

  it('RVR-04: before consent the statement cannot be read, corrected or confirmed', async () => {
    const { consultation, victim } = await atConsentStep();
    const seen = await sharedStatement(consultation.id);
    refusedForConsent(await victim.get('/v/call/statement', { accept: 'application/json' }));
    const page = await victim.get('/v/call/statement', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(page.statusCode, 303);
    assert.equal(page.headers.location, '/v/call');
    assert.doesNotMatch(page.body, /pushed me/);
    refusedForConsent(await victim.postJson('/v/call/statement/corrections', { ...seen, correction: 'It was Wednesday' }));
    refusedForConsent(await victim.postJson('/v/call/statement/confirm', { ...seen, signatureName: 'Jane Doe' }));
    const form = await victim.post('/v/call/statement/confirm', { ...seen, revision: '1', signatureName: 'Jane Doe' }, { headers: { accept: 'text/html' } });
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, '/v/call');
    const [statement] = await queryRows<{ state: string; confirmed_at: Date | null }>(
      t.db.database,
      sql`select state, confirmed_at from victim_statements where consultation_id = ${consultation.id}`,
    );
    assert.equal(statement!.state, 'shared');
    assert.equal(statement!.confirmed_at, null);
    // Defence in depth: the statement service refuses a link session without consent, whatever route calls it.
    const session = (await t.services.calls.links.resolveLinkSession(victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]))!;
    const context = t.services.calls.links.linkContext(session, 'test');
    await assert.rejects(t.services.victimStatements.victimView(session), /agree to the video call/);
    await assert.rejects(t.services.victimStatements.confirm(context, session, { ...seen, signatureName: 'Jane Doe' }), /agree to the video call/);
    await assert.rejects(
      t.services.victimStatements.requestCorrection(context, session, { ...seen, correction: 'It was Wednesday' }),
      /agree to the video call/,
    );
  });

  it('RVR-04: before consent "I’m not safe" is refused (it is on the call page, after consent) and raises nothing', async () => {
    const { consultation, victim } = await atConsentStep();
    refusedForConsent(await victim.postJson('/v/call/not-safe', {}));
    const form = await victim.post('/v/call/not-safe', {}, { headers: { accept: 'text/html' } });
    assert.equal(form.statusCode, 303);
    assert.equal(form.headers.location, '/v/call');
    // Defence in depth: the safety service refuses a link session without consent, whatever route calls it.
    const session = (await t.services.calls.links.resolveLinkSession(victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]))!;
    await assert.rejects(t.services.safetyAlerts.raise(t.services.calls.links.linkContext(session, 'test'), session), /agree to the video call/);
    assert.equal((await queryRows(t.db.database, sql`select id from safety_alerts where consultation_id = ${consultation.id}`)).length, 0);
  });

  it('"Exit this page" always works: before consent it records only the exit, marked beforeConsent, and ends the link session', async () => {
    const { call, victim } = await atConsentStep();
    const page = await victim.get('/v/call');
    assert.match(page.body, /<script type="module" src="\/static\/js\/consent-exit.js" nonce="/, 'the consent step sends the exit beacon');
    assert.equal((await t.app.inject({ method: 'GET', url: '/static/js/consent-exit.js' })).statusCode, 200);
    const cookie = victim.cookieHeader;
    const exit = await victim.post('/v/quick-exit', {});
    assert.equal(exit.statusCode, 204);
    const [event] = (await t.services.calls.record.callView(call.id)).events.filter((e) => e.type === 'quick_exit');
    assert.deepEqual(event!.details, { beforeConsent: true });
    const behind = await t.app.inject({ method: 'GET', url: '/v/call', headers: { cookie, accept: 'application/json' } });
    assert.equal(behind.statusCode, 401, 'the page left behind cannot come back');
  });

  it('after both consents every action is allowed: join (offer, joined, victim_joined), chat, upload, statement, "not safe"', async () => {
    const { consultation, call, victim } = await atConsentStep();
    const seen = await sharedStatement(consultation.id);
    await consent(victim);
    const consents = await queryRows<{ participant_id: string; video_consent: boolean; recording_consent: boolean }>(
      t.db.database,
      sql`select participant_id, video_consent, recording_consent from call_consents where call_id = ${call.id}`,
    );
    assert.equal(consents.length, 1);
    assert.ok(consents[0]!.video_consent && consents[0]!.recording_consent);
    const page = await victim.get('/v/call');
    assert.match(page.body, /data-testid="recording-indicator"/, 'the call page, not the consent step');

    const socket = await openSocket(t, victim.cookieHeader);
    assert.equal((await socket.next('hello')).recording, true);
    socket.send({ type: 'join' });
    assert.match(String((await socket.next('offer')).sdp), /^v=0/);
    socket.send({ type: 'chat', text: 'I can hear you' });
    await socket.next('chat');
    assert.ok((await events(call.id)).includes('joined'));
    assert.equal(await state(consultation.id), 'victim_joined');
    assert.deepEqual(
      (await t.services.calls.record.callView(call.id)).chat.map((c) => c.text),
      ['I can hear you'],
    );

    const sent = await upload(victim, 'application/json');
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal(uploadsOnDisk(call.id).length, 1);
    assert.equal(
      (await victim.get('/v/call/statement', { accept: 'application/json' })).json<{ statement: { text: string } }>().statement.text,
      'He pushed me on Tuesday.',
    );
    assert.equal((await victim.postJson('/v/call/statement/confirm', { ...seen, signatureName: 'Jane Doe' })).statusCode, 200);
    assert.equal((await victim.postJson('/v/call/not-safe', {})).statusCode, 201);
    socket.close();
  });

  it('a consent counts only for its own link session and call: not the interpreter’s, not an earlier link’s, not another call’s', async () => {
    const { call, victim } = await atConsentStep();
    // The interpreter agrees; the victim has not.
    const interpreter = await openLink(await sendLink(call.id, 'interpreter'));
    await consent(interpreter);
    refusedForConsent(await upload(victim, 'application/json'));
    assert.equal((await (await openSocket(t, victim.cookieHeader)).closed()).code, 4401);

    // The victim agreed on an earlier link; the officer sent a new one, which is a new link session.
    await consent(victim);
    const again = await openLink(await sendLink(call.id));
    refusedForConsent(await again.postJson('/v/call/not-safe', {}));
    assert.equal((await (await openSocket(t, again.cookieHeader)).closed()).code, 4401);

    // A consent row naming this participant but another call does not count either.
    const other = await atConsentStep();
    const secret = other.victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]!;
    const session = (await t.services.calls.links.resolveLinkSession(secret))!;
    await t.services.data.repos.calls.recordConsent({
      callId: call.id,
      participantId: session.participant.id,
      videoConsent: true,
      recordingConsent: true,
      wording: 'forged',
      givenAt: new Date(),
    });
    assert.equal((await t.services.calls.links.resolveLinkSession(secret))!.consented, false);
    refusedForConsent(await upload(other.victim, 'application/json'));
  });

  it('an interpreter has their own consent step: refused before it, in the call after it', async () => {
    const { call, victim } = await atConsentStep();
    await consent(victim);
    const interpreter = await openLink(await sendLink(call.id, 'interpreter'));
    assert.match((await interpreter.get('/v/call')).body, /data-testid="interpreter-intro"/, 'the interpreter’s own consent step');
    const before = await openSocket(t, interpreter.cookieHeader);
    assert.deepEqual(await before.closed(), { code: 4401, reason: 'consent-required' });
    const refused = await interpreter.post('/v/call/consent', { video: 'yes' });
    assert.equal(refused.statusCode, 400, 'both boxes are needed');
    await consent(interpreter);
    const socket = await openSocket(t, interpreter.cookieHeader);
    assert.equal((await socket.next('hello')).role, 'interpreter');
    socket.send({ type: 'join' });
    await socket.next('offer');
    const joined = (await t.services.calls.record.callView(call.id)).events.filter((e) => e.type === 'joined').map((e) => e.role);
    assert.deepEqual(joined, ['interpreter']);
    const rows = await queryRows<{ role: string }>(
      t.db.database,
      sql`select p.role from call_consents c join call_participants p on p.id = c.participant_id where c.call_id = ${call.id} order by c.given_at`,
    );
    assert.deepEqual(
      rows.map((r) => r.role),
      ['victim', 'interpreter'],
    );
    socket.close();
  });

  it('RVR-07: HEAD and link previewers never use a link up; they get a neutral page and the person’s own visit still works', async () => {
    const { call } = await atConsentStep();
    const token = await sendLink(call.id);
    const remoteAddress = `10.0.0.${++address}`;
    const openedAt = async () => (await t.services.data.repos.calls.listInvites(call.id)).find((i) => i.tokenHash === hashToken(token))!.openedAt;
    const head = await t.app.inject({ method: 'HEAD', url: `/v/${token}`, remoteAddress });
    assert.equal(head.statusCode, 200);
    assert.doesNotMatch(String(head.headers['set-cookie'] ?? ''), /rvr_call=/);
    for (const agent of [
      'WhatsApp/2.23.20.0 A',
      'facebookexternalhit/1.1 Facebot Twitterbot/1.0',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
      'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5',
      'Mozilla/5.0 (Linux; Android 8.0) Chrome/97.0 Mobile Safari/537.36 Google-PageRenderer Google (+https://developers.google.com/+/web/snippet/)',
      'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
    ]) {
      const preview = await t.app.inject({ method: 'GET', url: `/v/${token}`, headers: { 'user-agent': agent }, remoteAddress });
      assert.equal(preview.statusCode, 200, agent);
      assert.match(preview.body, /data-testid="link-preview-title"/);
      assert.doesNotMatch(preview.body, /police|officer|recorded/i, 'nothing on the preview says what the call is');
      assert.doesNotMatch(String(preview.headers['set-cookie'] ?? ''), /rvr_call=/);
    }
    const prefetch = await t.app.inject({ method: 'GET', url: `/v/${token}`, headers: { 'sec-purpose': 'prefetch' }, remoteAddress });
    assert.equal(prefetch.statusCode, 200);
    assert.equal(await openedAt(), null, 'the link is still unused');
    assert.equal((await events(call.id)).filter((type) => type === 'link_opened').length, 1, 'only the earlier link was opened');

    // The person opening it in their browser gets the consent step.
    const person = await t.app.inject({ method: 'GET', url: `/v/${token}`, headers: { 'user-agent': 'Mozilla/5.0 (iPhone) Safari/604.1' }, remoteAddress });
    assert.equal(person.statusCode, 303);
    assert.match(String(person.headers['set-cookie']), /rvr_call=/);
    assert.ok(await openedAt());
  });

  it('RVR-07: someone taken for a previewer can still go on with the page’s Continue button (a deliberate step)', async () => {
    const { call } = await atConsentStep();
    const token = await sendLink(call.id);
    const browser = new Browser(t.app);
    const preview = await browser.get(`/v/${token}`, { 'user-agent': 'WhatsApp/2.23.20.0 A' });
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /data-testid="link-continue"/);
    assert.doesNotMatch(preview.body, new RegExp(token), 'the token is not written into the page');
    const continued = await browser.post(`/v/${token}`, {});
    assert.equal(continued.statusCode, 303);
    assert.equal(continued.headers.location, '/v/call');
    assert.match((await browser.get('/v/call')).body, /data-testid="recording-notice"/);
    assert.equal((await browser.post(`/v/${token}`, {})).statusCode, 410, 'once only');
  });

  it('issue 12 item 4: unknown and malformed links go to the log (rate-limited, no token), not the audit chain; a real link’s refusal stays audited', async () => {
    const refusedBefore = (await auditWhat('call.link_refused')).length;
    const remoteAddress = `10.0.1.${++address}`;
    const unknownToken = 'Q'.repeat(43);
    assert.equal((await t.app.inject({ method: 'GET', url: `/v/${unknownToken}`, remoteAddress })).statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/v/not-a-whole-link', remoteAddress })).statusCode, 404);
    assert.equal((await auditWhat('call.link_refused')).length, refusedBefore, 'a stranger cannot write to the audit chain');
    const logs = () => logLines.filter((l) => l.includes('"msg":"call link refused"'));
    assert.ok(logs().some((l) => l.includes('"refusal":"unknown"')));
    assert.ok(logs().some((l) => l.includes('"refusal":"malformed"')));
    assert.ok(!logLines.join('').includes(unknownToken), 'the token is not in the log');
    assert.ok(!logLines.join('').includes('not-a-whole-link'));
    // A flood from many addresses is capped in the log too.
    for (let i = 0; i < 40; i++) await t.services.calls.links.redeemLink(`${'R'.repeat(42)}${i % 10}`, undefined, 'flood').catch(() => undefined);
    assert.ok(logs().length <= 20, `at most 20 lines a minute, got ${logs().length}`);
    assert.equal((await auditWhat('call.link_refused')).length, refusedBefore);

    // A used link concerns a real call: still audited against it.
    const { call } = await atConsentStep();
    const token = await sendLink(call.id);
    await t.app.inject({ method: 'GET', url: `/v/${token}`, remoteAddress });
    assert.equal((await t.app.inject({ method: 'GET', url: `/v/${token}`, remoteAddress })).statusCode, 410);
    const refusals = await auditWhat('call.link_refused');
    assert.equal(refusals.length, refusedBefore + 1);
    assert.equal(refusals.at(-1)!.details.refusal, 'used');
  });
});
