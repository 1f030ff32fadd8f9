import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { systemContext } from '../../src/platform/context.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

// Issue 18 §3: a call that stops without the officer ending it never leaves the consultation or the officer stuck.
await describeOnDatabase('interrupted and abandoned calls: the consultation waits for its officer, who is free, and resumes', (kind) => {
  let t: TestApp;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind);
    handler = await createUser(t.services, 'ci-handler', ['call_handler']);
    officer = await createUser(t.services, 'ci-officer', ['rvr_officer']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const outbox = () => t.services.smsOutbox!.list();
  const stateOf = async (id: string) => (await t.services.consultations.summary(id)).state;
  const availability = () => t.services.availability.get(officer.id);

  /** A consultation in a connected call: the victim opened the link, consented and joined; media both ways. */
  const connectedCall = async () => {
    const { consultation } = await newCall(t.services, handler, { mobile: '07700 900123' });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]+)/.exec(outbox()[0]!.body)![1]!;
    const victim = new Browser(t.app);
    assert.equal((await victim.get(`/v/${token}`)).statusCode, 303);
    await victim.get('/v/call');
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
    const session = (await t.services.calls.links.resolveLinkSession(victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]))!;
    await t.services.calls.lifecycle.participantJoined(t.services.calls.links.linkContext(session, 'test'), session.participant);
    await t.services.calls.lifecycle.markConnected(call.id);
    assert.equal(await stateOf(consultation.id), 'connected');
    assert.equal(await availability(), 'on_call');
    return { consultation, call, victim };
  };

  it('server lost mid-call: consultation → call interrupted (audited), officer free; "Resume the call" reuses the victim’s session with no new link', async () => {
    const { consultation, call, victim } = await connectedCall();
    const texts = outbox().length;
    assert.equal(
      await t.services.calls.lifecycle.endCall(systemContext('shutdown', 'test'), call.id, 'The server was stopped during the call', 'interrupted'),
      true,
    );
    assert.equal(await stateOf(consultation.id), 'call_interrupted');
    assert.equal(await availability(), 'available', 'the officer can take another call meanwhile');
    const audited = await queryRows<{ details: { from: string; to: string } }>(
      t.db.database,
      sql`select details from audit_events where what = 'consultation.transition' and subject = ${`consultation:${consultation.id}`}`,
    );
    assert.ok(audited.some((r) => r.details.from === 'connected' && r.details.to === 'call_interrupted'));
    // While no call is open the victim's page is told to wait: their session joins nothing.
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/v/call', headers: { cookie: victim.cookieHeader } })).statusCode, 401);

    const resumed = await t.services.calls.resume.resume(contextFor(officer), consultation.id);
    assert.notEqual(resumed.call.id, call.id, 'a resumed call is a new call (a new recording segment)');
    assert.deepEqual(resumed.carriedSessions, ['victim']);
    assert.equal(resumed.newLink, false);
    assert.equal(outbox().length, texts, 'no new text: the victim’s session still works');
    assert.equal(await stateOf(consultation.id), 'invited');
    assert.equal(await availability(), 'on_call');
    // "Tap to rejoin": the same cookie opens the resumed call, consent carried (no consent step again).
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/v/call', headers: { cookie: victim.cookieHeader } })).statusCode, 200);
    const page = await victim.get('/v/call');
    assert.match(page.body, /data-testid="recording-indicator"/);
    const session = (await t.services.calls.links.resolveLinkSession(victim.cookieHeader.match(/rvr_call=([^;]+)/)![1]))!;
    assert.equal(session.call.id, resumed.call.id);
    assert.equal(session.consented, true);
    await t.services.calls.lifecycle.participantJoined(t.services.calls.links.linkContext(session, 'test'), session.participant);
    await t.services.calls.lifecycle.markConnected(resumed.call.id);
    assert.equal(await stateOf(consultation.id), 'connected');
    assert.ok((await t.services.data.repos.calls.listEvents(resumed.call.id)).some((e) => e.type === 'call_resumed'));
    // Resuming again while that call is open rejoins it.
    assert.equal((await t.services.calls.resume.resume(contextFor(officer), consultation.id)).call.id, resumed.call.id);
  });

  it('"Everyone left the call": the consultation is not left connected; a resume texts a new link because the old session ended', async () => {
    const { consultation, call, victim } = await connectedCall();
    const texts = outbox().length;
    await t.services.calls.lifecycle.endCall(systemContext('call-timer', call.id), call.id, 'Everyone left the call');
    assert.equal(await stateOf(consultation.id), 'call_interrupted');
    assert.equal(await availability(), 'available');
    const resumed = await t.services.calls.resume.resume(contextFor(officer), consultation.id);
    assert.deepEqual(resumed.carriedSessions, []);
    assert.equal(resumed.newLink, true);
    assert.equal(outbox().length, texts + 1);
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/v/call', headers: { cookie: victim.cookieHeader } })).statusCode, 401);
  });

  it('restart recovery: the open call is interrupted and the consultation moves on; the officer completes it, is free, and a resume is refused', async () => {
    const { consultation, call, victim } = await connectedCall();
    await t.services.calls.recordings.recoverAfterRestart();
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'interrupted');
    assert.equal(await stateOf(consultation.id), 'call_interrupted');
    // Meanwhile the officer takes a new call from the queue.
    const { consultation: next } = await newCall(t.services, handler, { mobile: '07700 900124' });
    await t.services.consultations.transition(contextFor(officer), next.id, 'accepted');
    await t.services.consultations.transition(contextFor(officer), next.id, 'abandoned', 'Caller hung up');
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'completed');
    assert.equal(await availability(), 'available');
    const participants = await t.services.data.repos.calls.listParticipants(call.id);
    assert.ok(
      participants.every((p) => !p.sessionExpiresAt || p.sessionExpiresAt <= new Date()),
      'the kept link session ends with the consultation',
    );
    await assert.rejects(t.services.calls.resume.resume(contextFor(officer), consultation.id), /completed; there is no call to resume/);
    assert.equal((await t.app.inject({ method: 'HEAD', url: '/v/call', headers: { cookie: victim.cookieHeader } })).statusCode, 401);
  });

  it('a supervisor gives an interrupted call’s consultation to another officer: the new officer is not on a call until they resume it', async () => {
    const { consultation, call } = await connectedCall();
    await t.services.calls.lifecycle.endCall(systemContext('media', 'test'), call.id, 'The media worker stopped', 'interrupted');
    const supervisor = await createUser(t.services, 'ci-supervisor', ['supervisor']);
    const other = await createUser(t.services, 'ci-officer-2', ['rvr_officer']);
    await t.services.availability.set(contextFor(other), other.id, 'available');
    await t.services.consultations.reassign(contextFor(supervisor), consultation.id, other.id, 'Officer went off shift');
    assert.equal(await stateOf(consultation.id), 'call_interrupted');
    assert.equal(await t.services.availability.get(other.id), 'available', 'no live call: the new officer can still take others');
    assert.equal(await availability(), 'available', 'the old officer is free');
    await t.services.calls.resume.resume(contextFor(other), consultation.id);
    assert.equal(await t.services.availability.get(other.id), 'on_call', 'resuming puts the new officer on the call');
    await t.services.consultations.transition(contextFor(other), consultation.id, 'escalated_to_attendance', 'Victim asked for a visit');
  });

  it('an interrupted call’s consultation refuses the plain call page with a way on, and offers complete/escalate, not a bare "invited"', async () => {
    const { consultation, call } = await connectedCall();
    await t.services.calls.lifecycle.endCall(systemContext('media', 'test'), call.id, 'The media worker stopped', 'interrupted');
    await assert.rejects(t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id), /Resume the call/);
    const detail = await t.services.consultations.detail(consultation.id, contextFor(officer));
    assert.deepEqual(detail.options.map((o) => o.to).sort(), ['abandoned', 'completed', 'escalated_to_attendance']);
    // Tidy up: nothing else in this file depends on it, but the officer is left free.
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'escalated_to_attendance', 'Victim asked for a visit');
  });
});
