import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { WebSocket } from 'ws';
import { ObservationService } from '../../src/features/supervisor/observation.service.js';
import { safetyAlerts } from '../../src/features/investigation/investigation.schema.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

/** A signalling socket opened through the app (cookies and permission checks included), keeping what it is sent. */
async function openSocket(t: TestApp, url: string, cookie: string) {
  const received: Record<string, unknown>[] = [];
  let closeCode: number | undefined;
  const ws: WebSocket = await t.app.injectWS(
    url,
    { headers: { cookie } },
    {
      onInit: (socket) => {
        socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
        socket.on('close', (code: number) => (closeCode = code));
      },
    },
  );
  const waitFor = async <T>(what: string, find: () => T | undefined): Promise<T> => {
    for (let i = 0; i < 300; i++) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${url}: no ${what}; got ${received.map((m) => m.type).join(', ')} (closed ${closeCode})`);
  };
  return {
    ws,
    received,
    send: (message: unknown) => ws.send(JSON.stringify(message)),
    next: (type: string, where: (m: Record<string, unknown>) => boolean = () => true) =>
      waitFor(type, () => [...received].reverse().find((m) => m.type === type && where(m))),
    closed: () => waitFor('close', () => closeCode),
  };
}

const attr = (html: string, testid: string, name: string) =>
  [...html.matchAll(new RegExp(`data-testid="${testid}"[^>]*?${name}="([^"]*)"`, 'g'))].map((m) => m[1]);

await describeOnDatabase('supervisor: live board and silent observation (policy 4.0, EVD-15, DP-01)', (kind) => {
  let t: TestApp;
  let clock: Date;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let supervisor: Awaited<ReturnType<typeof createUser>>;
  let supervisor2: Awaited<ReturnType<typeof createUser>>;
  let supervisorBrowser: Browser;
  before(async () => {
    clock = new Date(Math.floor(Date.now() / 1000) * 1000);
    t = await buildTestApp(kind, { now: () => clock });
    officer = await createUser(t.services, 'sb-officer', ['rvr_officer']);
    handler = await createUser(t.services, 'sb-handler', ['call_handler']);
    supervisor = await createUser(t.services, 'sb-super', ['supervisor']);
    supervisor2 = await createUser(t.services, 'sb-super2', ['supervisor']);
    await allowRoundTheClock(t.services);
    supervisorBrowser = new Browser(t.app);
    await supervisorBrowser.signIn('sb-super');
  });
  after(() => t.close());

  const advance = (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000));

  /** An accepted consultation with its video call open (the officer's page opened it). */
  const openCall = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    return { consultation, call };
  };

  const endCall = (callId: string) => t.services.callRooms.endCall(contextFor(officer), callId, 'test over');

  it('the board shows the queued call with its wait, the officer on a call and for how long, officers and alerts (injected clock)', async () => {
    const queued = (await newCall(t.services, handler)).consultation;
    advance(30);
    const { consultation: onCall, call } = await openCall();
    advance(150);
    const page = await supervisorBrowser.get('/supervisor/board');
    assert.equal(page.statusCode, 200);
    const fragment = await supervisorBrowser.get('/supervisor/board/live');
    assert.equal(fragment.statusCode, 200);
    for (const html of [page.body, fragment.body]) {
      // The queue: waiting 180 s, over the default 120 s alert threshold.
      assert.deepEqual(attr(html, 'board-queue-row', 'data-consultation'), [queued.id]);
      assert.deepEqual(attr(html, 'board-queue-wait', 'data-seconds'), ['180']);
      assert.deepEqual(attr(html, 'alert-long-wait', 'data-consultation'), [queued.id]);
      // On a call: the officer who accepted, since accepting 150 s ago, with an Observe link for the open call.
      assert.deepEqual(attr(html, 'board-call-row', 'data-consultation'), [onCall.id]);
      assert.deepEqual(attr(html, 'board-call-row', 'data-call'), [call.id]);
      assert.deepEqual(attr(html, 'board-call-duration', 'data-seconds'), ['150']);
      assert.match(html, /data-testid="board-call-officer">Test sb-officer</);
      assert.match(html, new RegExp(`href="/supervisor/calls/${call.id}/observe" data-testid="observe-link"`));
      assert.deepEqual(attr(html, 'board-officer-row', 'data-status'), ['on_call']);
    }
    assert.match(page.body, /data-live-fragment="\/supervisor\/board\/live" data-live-events="call safety_alert"/);
    // The officer page links to the feedback; the supervisor's start page to the board.
    assert.match((await supervisorBrowser.get('/supervisor')).body, /href="\/supervisor\/board"/);
    await endCall(call.id);
    await t.services.consultations.transition(contextFor(handler), queued.id, 'abandoned', 'test over').catch(() => undefined);
  });

  it('an open "I\'m not safe" alert and a recent quick exit are on the board', async () => {
    const { consultation, call } = await openCall();
    await t.db.database.db.insert(safetyAlerts).values({ consultationId: consultation.id, callId: call.id, raisedAt: clock });
    await t.services.data.repos.calls.insertEvent({ callId: call.id, type: 'quick_exit', role: 'victim', at: clock });
    const html = (await supervisorBrowser.get('/supervisor/board/live')).body;
    assert.deepEqual(attr(html, 'alert-safety', 'data-consultation'), [consultation.id]);
    assert.deepEqual(attr(html, 'alert-quick-exit', 'data-consultation'), [consultation.id]);
    await endCall(call.id);
  });

  it('DP-01: observing needs a justification of at least 10 characters; nothing is written without one', async () => {
    const { call } = await openCall();
    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    for (const justification of [undefined, '', '   ', 'too short']) {
      const response = await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, justification === undefined ? {} : { justification });
      assert.equal(response.statusCode, 400, `justification ${JSON.stringify(justification)}`);
      assert.match(response.body, /Give your reason for observing this call/);
    }
    assert.deepEqual(await t.services.observations.listForCall(call.id), []);
    await endCall(call.id);
  });

  it('observing a call that is not live is refused (409); an unknown call is 404', async () => {
    const { call } = await openCall();
    await endCall(call.id);
    await supervisorBrowser.get('/supervisor/board');
    const response = await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check of a live call' });
    assert.equal(response.statusCode, 409);
    assert.deepEqual(await t.services.observations.listForCall(call.id), []);
    const unknown = await supervisorBrowser.post('/supervisor/calls/00000000-0000-4000-8000-000000000000/observe', {
      justification: 'Quality check of a live call',
    });
    assert.equal(unknown.statusCode, 404);
  });

  it('only a supervisor may observe (officer and call handler refused)', async () => {
    const { call } = await openCall();
    for (const username of ['sb-officer', 'sb-handler']) {
      const browser = new Browser(t.app);
      await browser.signIn(username);
      await browser.get('/');
      const response = await browser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check of a live call' });
      assert.equal(response.statusCode, 403, username);
    }
    assert.deepEqual(await t.services.observations.listForCall(call.id), []);
    await endCall(call.id);
  });

  it('EVD-15/DP-04: an observation is recorded with its justification, audited, and the observer is a receive-only participant', async () => {
    const { consultation, call } = await openCall();
    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    const response = await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check: new officer, high-risk call' });
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `/supervisor/calls/${call.id}/observer`);
    const [observation] = await t.services.observations.listForCall(call.id);
    assert.equal(observation!.justification, 'Quality check: new officer, high-risk call');
    assert.equal(observation!.observerId, supervisor.id);
    assert.equal(observation!.victimNotified, true, 'the default is to tell the victim');
    assert.equal(observation!.endedAt, null);
    const participant = (await t.services.data.repos.calls.findParticipant(observation!.participantId!))!;
    assert.equal(participant.role, 'observer');
    assert.equal(participant.userId, supervisor.id);
    const audit = (await t.services.data.repos.audit.pageAfter(0, 100_000)).filter(
      (e) => e.what === 'call.observation_started' && e.subject === `call:${call.id}`,
    );
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.justification, 'Quality check: new officer, high-risk call');
    assert.equal(audit[0]!.who, `user:${supervisor.id}`);
    assert.equal((audit[0]!.details as Record<string, unknown>).consultationId, consultation.id);
    const page = await supervisorBrowser.get(`/supervisor/calls/${call.id}/observer`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-role="observer"/);
    assert.match(page.body, new RegExp(`data-socket="/calls/${call.id}/observe/socket"`));
    assert.match(page.body, /data-testid="observer-video-officer"/);
    assert.match(page.body, /data-testid="observer-video-victim"/);
    assert.doesNotMatch(page.body, /data-chat-form/, 'an observer has no chat form');
    // Issue 18 §3: an interrupted call is said in a banner (the call page's script shows it), with the way back.
    assert.match(
      page.body,
      /data-interrupted hidden data-testid="call-interrupted"[\s\S]*The call was interrupted\. Nothing is being recorded\.[\s\S]*href="\/supervisor\/board"/,
    );
    await endCall(call.id);
    const ended = (await t.services.observations.listForCall(call.id))[0]!;
    assert.ok(ended.endedAt, 'ending the call ends the observation');
  });

  it('the observer socket is refused without an open observation by that supervisor', async () => {
    const { call } = await openCall();
    const other = new Browser(t.app);
    await other.signIn('sb-super2');
    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check of a live call' });
    const refused = await openSocket(t, `/calls/${call.id}/observe/socket`, other.cookieHeader);
    assert.match(String((await refused.next('error')).message), /Start an observation/);
    assert.equal(await refused.closed(), 4003);
    assert.equal((await other.get(`/supervisor/calls/${call.id}/observer`)).statusCode, 403, 'nor can they open the observer page');
    void supervisor2;
    await endCall(call.id);
  });

  it('the observer does not count as in the call, cannot chat or end it; the victim is told; leaving stamps ended_at', async () => {
    const { call } = await openCall();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victimBrowser = new Browser(t.app);
    await victimBrowser.get(`/v/${token}`);
    await victimBrowser.get('/v/call');
    await victimBrowser.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    const officerBrowser = new Browser(t.app);
    await officerBrowser.signIn('sb-officer');
    const officerSocket = await openSocket(t, `/calls/${call.id}/socket`, officerBrowser.cookieHeader);
    await officerSocket.next('hello');
    const victimSocket = await openSocket(t, '/v/socket', victimBrowser.cookieHeader);
    await victimSocket.next('hello');

    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check of a live call' });
    const observer = await openSocket(t, `/calls/${call.id}/observe/socket`, supervisorBrowser.cookieHeader);
    assert.equal((await observer.next('hello')).role, 'observer');
    observer.send({ type: 'join' });
    const offer = await observer.next('offer');
    assert.equal((offer.slots as { upstream: unknown }).upstream, undefined, 'the observer is offered nothing to send');

    // The officer sees the observer in "Who is here"; the victim is told, without the observer in their list.
    await officerSocket.next('state', (m) => (m.participants as { role: string }[]).some((p) => p.role === 'observer'));
    const victimState = await victimSocket.next('state', (m) => m.observed === true);
    assert.ok(!(victimState.participants as { role: string }[]).some((p) => p.role === 'observer'));

    observer.send({ type: 'chat', text: 'hello from the observer' });
    assert.match(String((await observer.next('error')).message), /observer cannot send messages/);
    observer.send({ type: 'end' });
    assert.match(String((await observer.next('error', (m) => /officer/.test(String(m.message)))).message), /Only the officer/);
    assert.deepEqual((await t.services.calls.record.callView(call.id)).chat, []);

    // Leaving ends the observation at once; the call carries on and the victim's notice goes.
    observer.send({ type: 'leave' });
    await observer.closed();
    for (let i = 0; i < 100 && !(await t.services.observations.listForCall(call.id))[0]!.endedAt; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok((await t.services.observations.listForCall(call.id))[0]!.endedAt, 'ended_at is stamped');
    await victimSocket.next('state', (m) => m.observed === false);
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'open');

    // Observed again, then everyone taking part leaves: the observer does not keep the call open.
    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Second look at the same call' });
    const again = await openSocket(t, `/calls/${call.id}/observe/socket`, supervisorBrowser.cookieHeader);
    await again.next('hello');
    victimSocket.send({ type: 'leave' });
    officerSocket.send({ type: 'leave' });
    assert.equal((await again.next('ended')).reason, 'Everyone left the call');
    const observations = await t.services.observations.listForCall(call.id);
    assert.equal(observations.length, 2);
    assert.ok(
      observations.every((o) => o.endedAt),
      'both observations have ended',
    );
    const how = (await t.services.calls.record.callView(call.id)).events
      .filter((e) => e.type === 'observation_ended')
      .map((e) => (e.details as { how: string }).how);
    assert.deepEqual(how, ['left', 'call_ended']);
  });

  it('when the force does not tell the victim, the observation records that and the victim page gets no notice', async () => {
    const { call } = await openCall();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victimBrowser = new Browser(t.app);
    await victimBrowser.get(`/v/${token}`);
    await victimBrowser.get('/v/call');
    await victimBrowser.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    const victimSocket = await openSocket(t, '/v/socket', victimBrowser.cookieHeader);
    await victimSocket.next('hello');
    const silent = new ObservationService({ data: t.services.data, audit: t.services.audit, tellVictimWhenObserved: false, now: () => clock });
    const observation = await silent.start(contextFor(supervisor), call.id, 'Quality check without telling the victim');
    assert.equal(observation.victimNotified, false);
    const { participant } = await silent.requireOpen(contextFor(supervisor), call.id);
    const statesBefore = victimSocket.received.filter((m) => m.type === 'state').length;
    const observerSocket = await openSocket(t, `/calls/${call.id}/observe/socket`, supervisorBrowser.cookieHeader);
    await observerSocket.next('hello');
    for (let i = 0; i < 200 && victimSocket.received.filter((m) => m.type === 'state').length <= statesBefore; i++) await new Promise((r) => setTimeout(r, 10));
    const states = victimSocket.received.filter((m) => m.type === 'state');
    assert.ok(states.length > statesBefore, 'the victim page had a state update after the observer arrived');
    assert.ok(
      states.every((m) => m.observed === false),
      'never told',
    );
    assert.equal(participant.role, 'observer');
    await endCall(call.id);
  });

  it('a socket that closes ends the observation (connection closed)', async () => {
    const { call } = await openCall();
    await supervisorBrowser.get(`/supervisor/calls/${call.id}/observe`);
    await supervisorBrowser.post(`/supervisor/calls/${call.id}/observe`, { justification: 'Quality check of a live call' });
    const officerBrowser = new Browser(t.app);
    await officerBrowser.signIn('sb-officer');
    await (await openSocket(t, `/calls/${call.id}/socket`, officerBrowser.cookieHeader)).next('hello');
    const observer = await openSocket(t, `/calls/${call.id}/observe/socket`, supervisorBrowser.cookieHeader);
    await observer.next('hello');
    observer.ws.terminate();
    for (let i = 0; i < 100 && !(await t.services.observations.listForCall(call.id))[0]!.endedAt; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok((await t.services.observations.listForCall(call.id))[0]!.endedAt);
    assert.equal((await supervisorBrowser.get(`/supervisor/calls/${call.id}/observer`)).statusCode, 403, 'an ended observation cannot be resumed');
    await endCall(call.id);
  });
});
