import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

type User = Awaited<ReturnType<typeof createUser>>;

// Issue 12 items 2 and 3: who may act on *which* consultation and call, and who may read a call record.
await describeOnDatabase('object-level ownership of consultations and calls; need to know for call records (issue 12, SEC-11, DP-01, DP-10)', (kind) => {
  let t: TestApp;
  let handler: User;
  let officerA: User;
  let officerB: User;
  let officerC: User;
  let supervisor: User;
  let investigator: User;
  const browsers: Record<string, Browser> = {};
  let address: string | undefined;
  const listening = async () => (address ??= await t.app.listen({ host: '127.0.0.1', port: 0 }));

  before(async () => {
    t = await buildTestApp(kind, { env: { REVIEW_SAMPLE_PERCENT: '100' } });
    handler = await createUser(t.services, 'own-handler', ['call_handler']);
    officerA = await createUser(t.services, 'own-officer-a', ['rvr_officer']);
    officerB = await createUser(t.services, 'own-officer-b', ['rvr_officer']);
    officerC = await createUser(t.services, 'own-officer-c', ['rvr_officer']);
    supervisor = await createUser(t.services, 'own-supervisor', ['supervisor']);
    investigator = await createUser(t.services, 'own-investigator', ['investigator']);
    await createUser(t.services, 'own-dpo', ['dpo']);
    await allowRoundTheClock(t.services);
    for (const name of ['own-handler', 'own-officer-a', 'own-officer-b', 'own-officer-c', 'own-supervisor', 'own-investigator', 'own-dpo']) {
      browsers[name] = new Browser(t.app);
      await browsers[name].signIn(name);
    }
  });
  after(() => t.close());

  const as = (name: string) => browsers[name]!;
  const audits = async (what: string) =>
    queryRows<{ who: string; subject: string | null; justification: string | null; details: Record<string, unknown> }>(
      t.db.database,
      sql`select who, subject, justification, details from audit_events where what = ${what} order by seq`,
    );
  const consultationRow = async (id: string) => (await t.services.data.repos.consultations.findById(id))!;

  /** Accepted by officer A; with `live`, A's call is open, the victim has a link, opened it and consented. */
  const acceptedBy = async (officer: User, options: { live?: boolean } = {}) => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    if (!options.live) return { consultation };
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]+)/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victim = new Browser(t.app);
    assert.equal((await victim.get(`/v/${token}`)).statusCode, 303);
    await victim.get('/v/call');
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
    // A second, unused link for an interpreter: it must stop working with the call.
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'interpreter', phone: '+447700900123', label: 'Polish' });
    const interpreterToken = /\/v\/([A-Za-z0-9_-]+)/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    return { consultation, call, victim, interpreterToken };
  };
  const acceptedByA = async (options: { live?: boolean } = {}) => {
    const accepted = await acceptedBy(officerA, options);
    // Issue 16 §3: the investigator in these tests has the case (a supervisor assigned it).
    await assignCase(t.services, accepted.consultation.id, 'own-investigator');
    return accepted;
  };

  it('another officer can neither re-queue, abandon nor escalate a consultation someone else accepted; each refusal is logged with who, what and why', async () => {
    const { consultation } = await acceptedByA();
    const before = await consultationRow(consultation.id);
    const refusalsBefore = (await audits('access.refused')).length;
    for (const [to, reason] of [
      ['queued', 'taking it myself'],
      ['abandoned', 'not needed'],
      ['escalated_to_attendance', 'send a car'],
    ] as const) {
      const page = await as('own-officer-b').get(`/consultations/${consultation.id}`);
      assert.doesNotMatch(page.body, new RegExp(`id="transition-${to}"`), 'no button is offered for another officer’s consultation');
      const response = await as('own-officer-b').post(`/consultations/${consultation.id}/transitions`, { to, reason });
      assert.equal(response.statusCode, 403, `${to}: ${response.body.slice(0, 200)}`);
      assert.match(response.body, /Another officer has accepted this consultation/);
      const json = await as('own-officer-b').postJson(`/consultations/${consultation.id}/transitions`, { to, reason });
      assert.equal(json.statusCode, 403);
    }
    // The service refuses too, whatever calls it.
    await assert.rejects(t.services.consultations.transition(contextFor(officerB), consultation.id, 'queued', 'x'), /Another officer/);
    const after = await consultationRow(consultation.id);
    assert.deepEqual([after.state, after.officerId, after.version], [before.state, before.officerId, before.version]);
    const refusals = (await audits('access.refused')).slice(refusalsBefore);
    assert.equal(refusals.length, 6, 'each HTTP refusal is on record (the direct service call is not a request)');
    for (const refusal of refusals) {
      assert.equal(refusal.who, `user:${officerB.id}`);
      assert.equal(refusal.subject, `consultation:${consultation.id}`);
      assert.equal(refusal.details.refusal, 'not_assigned_officer');
      assert.match(String(refusal.details.action), /^transition:accepted->/);
    }
    // Nor can B then read A's DASH answers, the caller's details or the call.
    assert.equal((await as('own-officer-b').get(`/consultations/${consultation.id}/risk-assessment`, { accept: 'application/json' })).statusCode, 403);
    assert.equal((await as('own-officer-b').get(`/consultations/${consultation.id}/caller`)).statusCode, 403);
    assert.equal((await as('own-officer-b').post(`/consultations/${consultation.id}/caller`, { justification: 'checking the address' })).statusCode, 403);
    assert.equal((await as('own-officer-b').get(`/consultations/${consultation.id}/call`)).statusCode, 403);
    // The officer who holds it still moves it, without a reason where none is needed.
    assert.equal(
      (await as('own-officer-a').post(`/consultations/${consultation.id}/transitions`, { to: 'queued', reason: 'Called to a collision' })).statusCode,
      303,
    );
  });

  it('a call handler’s part ends at the handover: they route a queued call but cannot move an accepted one', async () => {
    const queued = (await newCall(t.services, handler)).consultation;
    assert.equal(
      (await as('own-handler').post(`/consultations/${queued.id}/transitions`, { to: 'escalated_to_attendance', reason: 'No RVR officer available' }))
        .statusCode,
      303,
    );
    const { consultation } = await acceptedByA();
    const refused = await as('own-handler').post(`/consultations/${consultation.id}/transitions`, { to: 'abandoned', reason: 'x' });
    assert.equal(refused.statusCode, 409);
    assert.equal((await consultationRow(consultation.id)).state, 'accepted');
  });

  it('a supervisor moves another officer’s consultation only with a recorded reason, and the record says whose it was', async () => {
    const { consultation } = await acceptedByA();
    const page = await as('own-supervisor').get(`/consultations/${consultation.id}`);
    assert.match(page.body, /id="reason-queued"/, 'the supervisor is asked for a reason');
    const without = await as('own-supervisor').post(`/consultations/${consultation.id}/transitions`, { to: 'queued' });
    assert.equal(without.statusCode, 409);
    assert.match(without.body, /give your reason/);
    const done = await as('own-supervisor').post(`/consultations/${consultation.id}/transitions`, {
      to: 'queued',
      reason: 'Officer A is needed on a firearms call',
    });
    assert.equal(done.statusCode, 303);
    const row = await consultationRow(consultation.id);
    assert.deepEqual([row.state, row.officerId], ['queued', null]);
    const [event] = (await audits('consultation.transition')).filter((a) => a.subject === `consultation:${consultation.id}`).slice(-1);
    assert.equal(event!.who, `user:${supervisor.id}`);
    assert.equal(event!.justification, 'Officer A is needed on a firearms call');
    assert.equal(event!.details.officerId, officerA.id);
  });

  it('abandoning a live consultation ends its call, revokes its links and ends the link sessions in the same transaction; the victim’s page is told', async () => {
    const { consultation, call, victim, interpreterToken } = await acceptedByA({ live: true });
    const socket = new WebSocket(`${(await listening()).replace('http', 'ws')}/v/socket`, { headers: { cookie: victim!.cookieHeader } });
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    for (let i = 0; i < 100 && !messages.some((m) => m.type === 'hello'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(
      messages.some((m) => m.type === 'hello'),
      'the victim was in the call',
    );

    const response = await as('own-officer-a').post(`/consultations/${consultation.id}/transitions`, { to: 'abandoned', reason: 'Suspect returned home' });
    assert.equal(response.statusCode, 303);
    const ended = (await t.services.data.repos.calls.findById(call!.id))!;
    assert.equal(ended.state, 'ended');
    assert.match(ended.endReason!, /abandoned: Suspect returned home/);
    const invites = await t.services.data.repos.calls.listInvites(call!.id);
    assert.ok(
      invites.every((invite) => invite.revokedAt !== null),
      'every link is revoked',
    );
    const participants = await t.services.data.repos.calls.listParticipants(call!.id);
    assert.ok(
      participants.filter((p) => p.role === 'victim').every((p) => p.sessionExpiresAt! <= new Date()),
      'the victim’s call session has ended',
    );
    // The page the victim has open no longer works, and the unused link is refused.
    assert.notEqual((await victim!.get('/v/call')).statusCode, 200);
    assert.equal((await new Browser(t.app).get(`/v/${interpreterToken}`)).statusCode, 410);
    // The live room closed after the commit and said so, in words fit for the victim's screen. (A deadline, not a wait:
    // 15 s, as a loaded machine took longer than 5 s; unref'd, so it never keeps the file's process alive.)
    assert.equal(await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000).unref())]), 1000);
    const endedMessage = messages.find((m) => m.type === 'ended');
    assert.ok(endedMessage, 'the victim’s page is told the call has ended');
    assert.doesNotMatch(String(endedMessage.reason), /Suspect/);
    assert.equal(t.services.callRooms.activeCallCount, 0);
    // The consultation's ending and the call's ending are one event in time: both or neither.
    const callEnded = (await audits('call.ended')).filter((a) => a.subject === `call:${call!.id}`);
    assert.equal(callEnded.length, 1);
  });

  it('escalating to attendance, or the officer handing a consultation back to the queue, ends its open call too', async () => {
    const live = await acceptedByA({ live: true });
    assert.equal(
      (
        await as('own-officer-a').post(`/consultations/${live.consultation.id}/transitions`, {
          to: 'escalated_to_attendance',
          reason: 'Injuries seen on camera',
        })
      ).statusCode,
      303,
    );
    assert.equal((await t.services.data.repos.calls.findById(live.call!.id))!.state, 'ended');
    const { consultation } = await acceptedByA();
    const call = await t.services.calls.lifecycle.openCall(contextFor(officerA), consultation.id);
    assert.equal((await as('own-officer-a').post(`/consultations/${consultation.id}/transitions`, { to: 'queued', reason: 'Called away' })).statusCode, 303);
    assert.equal((await t.services.data.repos.calls.findById(call.id))!.state, 'ended');
    // The next officer to accept starts a new call of their own.
    await t.services.consultations.transition(contextFor(officerC), consultation.id, 'accepted');
    const next = await t.services.calls.lifecycle.openCall(contextFor(officerC), consultation.id);
    assert.notEqual(next.id, call.id);
  });

  it('if ending the call fails, the consultation is not abandoned either (one transaction)', async () => {
    const { consultation, call } = await acceptedByA({ live: true });
    const original = t.services.evidence.registration.registerCallRecord.bind(t.services.evidence.registration);
    t.services.evidence.registration.registerCallRecord = () => Promise.reject(new Error('evidence store unavailable'));
    try {
      await assert.rejects(t.services.consultations.transition(contextFor(officerA), consultation.id, 'abandoned', 'x'), /evidence store unavailable/);
    } finally {
      t.services.evidence.registration.registerCallRecord = original;
    }
    assert.equal((await consultationRow(consultation.id)).state, 'invited');
    assert.equal((await t.services.data.repos.calls.findById(call!.id))!.state, 'open');
  });

  it('reassignment: an explicit supervisor action with a reason; the old officer is freed and loses the call, the new one takes it', async () => {
    // An officer holding nothing else, so that handing this one over frees them.
    const officerX = await createUser(t.services, `own-officer-x-${kind}`, ['rvr_officer']);
    browsers['own-officer-x'] = new Browser(t.app);
    await browsers['own-officer-x'].signIn(`own-officer-x-${kind}`);
    const { consultation, call } = await acceptedBy(officerX, { live: true });
    await t.services.availability.set(contextFor(officerB), officerB.id, 'available');
    // An officer who never said they are available is offline.
    const offlineOfficer = await createUser(t.services, `own-offline-${kind}-${Date.now()}`, ['rvr_officer']);
    // X's call page socket, to see it closed when the consultation moves to B.
    const officerSocket = new WebSocket(`${(await listening()).replace('http', 'ws')}/calls/${call!.id}/socket`, {
      headers: { cookie: as('own-officer-x').cookieHeader },
    });
    const officerMessages: Record<string, unknown>[] = [];
    officerSocket.on('message', (data: Buffer) => officerMessages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    const officerClosed = new Promise<number>((resolve) => officerSocket.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => officerSocket.once('open', resolve).once('error', reject));

    const page = await as('own-supervisor').get(`/consultations/${consultation.id}`);
    assert.match(page.body, /data-testid="reassign-form"/);
    assert.match(page.body, new RegExp(`value="${officerB.id}"`), 'an available officer is offered');
    assert.doesNotMatch(page.body, new RegExp(`value="${offlineOfficer.id}"`), 'an offline officer is not');
    assert.doesNotMatch((await as('own-officer-x').get(`/consultations/${consultation.id}`)).body, /reassign-form/);

    // Refused: no reason; an offline officer; the officer who has it; someone who is not an officer; not a supervisor.
    const url = `/consultations/${consultation.id}/reassign`;
    assert.equal((await as('own-supervisor').post(url, { officerId: officerB.id })).statusCode, 400);
    const offline = await as('own-supervisor').post(url, { officerId: offlineOfficer.id, reason: 'cover' });
    assert.equal(offline.statusCode, 400);
    assert.match(offline.body, /offline/);
    assert.equal((await as('own-supervisor').post(url, { officerId: officerX.id, reason: 'cover' })).statusCode, 400);
    assert.equal((await as('own-supervisor').post(url, { officerId: investigator.id, reason: 'cover' })).statusCode, 400);
    assert.equal((await as('own-supervisor').post(url, { officerId: 'not-an-id', reason: 'cover' })).statusCode, 400);
    assert.equal((await as('own-officer-b').post(url, { officerId: officerB.id, reason: 'mine now' })).statusCode, 403);
    assert.equal((await consultationRow(consultation.id)).officerId, officerX.id, 'nothing changed');

    const done = await as('own-supervisor').post(url, { officerId: officerB.id, reason: 'Officer X is unwell' });
    assert.equal(done.statusCode, 303, done.body.slice(0, 300));
    const row = await consultationRow(consultation.id);
    assert.deepEqual([row.state, row.officerId], ['invited', officerB.id], 'the consultation keeps its state and moves to B');
    assert.equal(await t.services.availability.get(officerX.id), 'available');
    assert.equal(await t.services.availability.get(officerB.id), 'on_call');
    const [audited] = (await audits('consultation.reassigned')).slice(-1);
    assert.equal(audited!.who, `user:${supervisor.id}`);
    assert.equal(audited!.justification, 'Officer X is unwell');
    assert.deepEqual([audited!.details.fromOfficerId, audited!.details.toOfficerId], [officerX.id, officerB.id]);
    assert.match(
      (await as('own-supervisor').get(`/consultations/${consultation.id}`)).body,
      new RegExp(`reassigned</strong>[^<]*– Reassigned from Test own-officer-x-${kind} to Test own-officer-b: Officer X is unwell`),
    );

    // X's open call page is closed, and X can no longer do anything in the call; B takes the same call over.
    assert.equal(await Promise.race([officerClosed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 15_000).unref())]), 4003);
    assert.ok(officerMessages.some((m) => m.type === 'ended'));
    assert.equal((await as('own-officer-x').get(`/consultations/${consultation.id}/call`)).statusCode, 403);
    assert.equal((await as('own-officer-x').postJson(`/calls/${call!.id}/notes`, { notes: 'still here' })).statusCode, 403);
    assert.equal((await as('own-officer-x').postJson(`/calls/${call!.id}/end`, {})).statusCode, 403);
    assert.equal((await as('own-officer-x').postJson(`/consultations/${consultation.id}/statement`, { text: 'x', revision: 0 })).statusCode, 403);
    const bPage = await as('own-officer-b').get(`/consultations/${consultation.id}/call`);
    assert.equal(bPage.statusCode, 200);
    assert.match(bPage.body, new RegExp(`data-call-id="${call!.id}"`));
    assert.equal((await as('own-officer-b').postJson(`/calls/${call!.id}/notes`, { notes: 'Took over from A' })).statusCode, 200);
    // A consultation nobody holds cannot be reassigned.
    const queued = (await newCall(t.services, handler)).consultation;
    assert.equal((await as('own-supervisor').post(`/consultations/${queued.id}/reassign`, { officerId: officerC.id, reason: 'x' })).statusCode, 409);
  });

  it('the call’s own routes are the assigned officer’s alone: links, notes, snapshots, ending and the socket (refusals logged)', async () => {
    const { call } = await acceptedByA({ live: true });
    const before = (await audits('access.refused')).length;
    const b = as('own-officer-b');
    assert.equal((await b.postJson(`/calls/${call!.id}/invites`, { role: 'victim' })).statusCode, 403);
    assert.equal((await b.postJson(`/calls/${call!.id}/invites/revoke`, { role: 'victim' })).statusCode, 403);
    assert.equal((await b.postJson(`/calls/${call!.id}/notes`, { notes: 'x' })).statusCode, 403);
    const png = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString('base64')}`;
    assert.equal((await b.postJson(`/calls/${call!.id}/snapshots`, { image: png })).statusCode, 403);
    const end = await b.postJson(`/calls/${call!.id}/end`, { reason: 'x' });
    assert.equal(end.statusCode, 403, 'refused as a matter of access, not of input');
    const socket = new WebSocket(`${(await listening()).replace('http', 'ws')}/calls/${call!.id}/socket`, { headers: { cookie: b.cookieHeader } });
    const code = await new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    assert.equal(code, 4003);
    assert.equal((await t.services.data.repos.calls.findById(call!.id))!.state, 'open', 'the call carries on');
    const refusals = (await audits('access.refused')).slice(before);
    assert.deepEqual(
      refusals.map((r) => r.details.action),
      ['call.invite', 'call.revoke_invites', 'call.notes', 'call.snapshot', 'call.end', 'call.join'],
    );
    assert.ok(refusals.every((r) => r.who === `user:${officerB.id}`));
  });

  it('strangers’ refusals never reach the audit chain; signed-in staff refused at role level are not object-level refusals', async () => {
    const { consultation } = await acceptedByA();
    const before = (await audits('access.refused')).length;
    const stranger = await t.app.inject({
      method: 'POST',
      url: `/consultations/${consultation.id}/transitions`,
      payload: { to: 'queued', reason: 'x' },
      headers: { accept: 'application/json' },
    });
    assert.equal(stranger.statusCode, 401);
    const anonymous = await t.app.inject({ method: 'GET', url: `/consultations/${consultation.id}/caller`, headers: { accept: 'application/json' } });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await as('own-dpo').get(`/consultations/${consultation.id}/caller`)).statusCode, 403);
    assert.equal((await audits('access.refused')).length, before);
  });

  it('DP-01: the call record is the assigned officer’s, supervisors’ and investigators’; the notes and chat are opened with a reason and logged', async () => {
    const { consultation, call, victim } = await acceptedByA({ live: true });
    await t.services.calls.chat.saveNotes(contextFor(officerA), call!.id, 'Victim has a cut above the left eye');
    const participant = (await t.services.data.repos.calls.listParticipants(call!.id)).find((p) => p.role === 'victim')!;
    await t.services.calls.chat.postChat(t.services.calls.links.linkContext({ participant }, 'test'), participant, 'He took my phone');
    void victim;
    const url = `/calls/${call!.id}`;
    // Who may read it at all.
    assert.equal((await as('own-handler').get(url)).statusCode, 403);
    const other = await as('own-officer-b').get(url);
    assert.equal(other.statusCode, 403);
    assert.match(other.body, /Only the officer who took this consultation, a supervisor or an investigator/);
    assert.equal((await as('own-officer-b').post(`${url}/record`, { justification: 'curious about it' })).statusCode, 403);
    for (const reader of ['own-officer-a', 'own-supervisor', 'own-investigator']) {
      const page = await as(reader).get(url);
      assert.equal(page.statusCode, 200, reader);
      assert.doesNotMatch(page.body, /cut above the left eye|took my phone/, `${reader}: the notes and chat are not on the page until opened with a reason`);
      assert.match(page.body, /data-testid="open-text-form"/);
      const json = await as(reader).get(url, { accept: 'application/json' });
      assert.equal(json.statusCode, 200);
      assert.doesNotMatch(json.body, /cut above the left eye|took my phone|officerNotes/);
    }
    const viewed = (await audits('call.record_viewed')).filter((a) => a.subject === `call:${call!.id}`);
    assert.ok(viewed.length >= 6, 'each reading of the call record is logged');
    // Opening needs a reason.
    const noReason = await as('own-investigator').post(`${url}/record`, { justification: 'x' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Say why you need to read/);
    const opened = await as('own-investigator').post(`${url}/record`, { justification: 'Preparing the case file for CPS' });
    assert.equal(opened.statusCode, 200);
    assert.match(opened.body, /cut above the left eye/);
    assert.match(opened.body, /He took my phone/);
    const [logged] = (await audits('call.notes_and_chat_viewed')).slice(-1);
    assert.equal(logged!.who, `user:${investigator.id}`);
    assert.equal(logged!.justification, 'Preparing the case file for CPS');
    assert.equal(logged!.subject, `call:${call!.id}`);
    assert.equal(logged!.details.consultationId, consultation.id);
  });

  it('DP-10: restricting the notes or the transcript hides it everywhere: the call record (page and JSON) and the evidence lists', async () => {
    const { call } = await acceptedByA({ live: true });
    await t.services.calls.chat.saveNotes(contextFor(officerA), call!.id, 'Notes that are disputed');
    const participant = (await t.services.data.repos.calls.listParticipants(call!.id)).find((p) => p.role === 'victim')!;
    await t.services.calls.chat.postChat(t.services.calls.links.linkContext({ participant }, 'test'), participant, 'A message under restriction');
    await t.services.callRooms.endCall(contextFor(officerA), call!.id, 'Finished');
    const items = await t.services.data.repos.evidence.listByConsultation(call!.consultationId);
    const chatItem = items.find((i) => i.sourceId === `chat:${call!.id}`)!;
    const notesItem = items.find((i) => i.sourceId === `notes:${call!.id}`)!;
    const dpo = as('own-dpo');
    await dpo.get(`/evidence/items/${chatItem.id}`);
    assert.equal(
      (await dpo.post(`/evidence/items/${chatItem.id}/restriction`, { restricted: 'yes', reason: 'Accuracy disputed by the data subject' })).statusCode,
      303,
    );

    const reader = as('own-supervisor');
    const page = await reader.get(`/calls/${call!.id}`);
    assert.match(page.body, /Part of them is restricted/);
    const opened = await reader.post(`/calls/${call!.id}/record`, { justification: 'Quality review of the call' });
    assert.match(opened.body, /Notes that are disputed/);
    assert.doesNotMatch(opened.body, /A message under restriction/);
    assert.match(opened.body, /data-testid="chat-restricted"/);
    const json = await reader.postJson(`/calls/${call!.id}/record`, { justification: 'Quality review of the call' });
    assert.deepEqual(json.json(), { notes: 'Notes that are disputed', chat: [], withheld: ['chat'] });
    const evidencePage = await as('own-investigator').get(`/evidence/consultations/${call!.consultationId}`);
    assert.doesNotMatch(evidencePage.body, new RegExp(chatItem.id), 'the restricted transcript is not listed for an investigator');
    assert.doesNotMatch((await as('own-investigator').get('/evidence')).body, new RegExp(chatItem.id));

    await dpo.get(`/evidence/items/${notesItem.id}`);
    assert.equal(
      (await dpo.post(`/evidence/items/${notesItem.id}/restriction`, { restricted: 'yes', reason: 'Accuracy disputed by the data subject' })).statusCode,
      303,
    );
    const both = await reader.get(`/calls/${call!.id}`);
    assert.match(both.body, /data-testid="text-restricted"/);
    assert.doesNotMatch(both.body, /open-text-form/);
    const refusedJson = await reader.postJson(`/calls/${call!.id}/record`, { justification: 'Quality review of the call' });
    assert.deepEqual(refusedJson.json(), { notes: null, chat: [], withheld: ['notes', 'chat'] });
  });

  it('no secret, nor a hash of one, is ever returned: link tokens and call sessions stay in the database', async () => {
    const { consultation, call } = await acceptedByA({ live: true });
    const invites = await t.services.data.repos.calls.listInvites(call!.id);
    const participants = await t.services.data.repos.calls.listParticipants(call!.id);
    const secrets = [...invites.map((i) => i.tokenHash), ...participants.map((p) => p.sessionHash).filter((h): h is string => Boolean(h))];
    assert.ok(secrets.length >= 3);
    const bodies: string[] = [];
    for (const reader of ['own-officer-a', 'own-supervisor', 'own-investigator']) {
      bodies.push((await as(reader).get(`/calls/${call!.id}`)).body);
      bodies.push((await as(reader).get(`/calls/${call!.id}`, { accept: 'application/json' })).body);
      bodies.push((await as(reader).get(`/consultations/${consultation.id}`, { accept: 'application/json' })).body);
    }
    bodies.push((await as('own-officer-a').get(`/consultations/${consultation.id}/call`)).body);
    bodies.push((await as('own-officer-a').postJson(`/calls/${call!.id}/record`, { justification: 'Writing up the call' })).body);
    bodies.push(JSON.stringify(await t.services.calls.record.callView(call!.id)));
    for (const body of bodies) {
      assert.doesNotMatch(body, /tokenHash|sessionHash|token_hash|session_hash/);
      for (const secret of secrets) assert.ok(!body.includes(secret), 'a hash of a link token or call session was returned');
    }
  });

  it('caller details: the control room, supervisors, investigators and the officer who accepted; another officer is refused and logged', async () => {
    const { consultation } = await acceptedByA();
    for (const name of ['own-handler', 'own-supervisor', 'own-investigator', 'own-officer-a']) {
      await as(name).get(`/consultations/${consultation.id}/caller`);
      const shown = await as(name).post(`/consultations/${consultation.id}/caller`, { justification: 'Checking the address for safeguarding' });
      assert.equal(shown.statusCode, 200, name);
      assert.match(shown.body, /data-testid="caller-details"/);
    }
    const before = (await audits('access.refused')).length;
    assert.equal((await as('own-officer-b').post(`/consultations/${consultation.id}/caller`, { justification: 'Checking the address' })).statusCode, 403);
    const [refusal] = (await audits('access.refused')).slice(before);
    assert.deepEqual([refusal!.who, refusal!.details.action, refusal!.details.refusal], [`user:${officerB.id}`, 'caller_details.view', 'not_assigned_officer']);
  });

  it('a supervisor never reviews a consultation they answered as its officer', async () => {
    const dual = await createUser(t.services, 'own-dual', ['rvr_officer', 'supervisor']);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(dual), consultation.id, 'accepted');
    const system = { actor: { type: 'system' as const, name: 'test' }, correlationId: 'test' };
    await t.services.consultations.transition(contextFor(dual), consultation.id, 'invited');
    await t.services.consultations.transition(system, consultation.id, 'victim_joined');
    await t.services.consultations.transition(system, consultation.id, 'connected');
    await t.services.consultations.transition(contextFor(dual), consultation.id, 'completed');
    const review = await t.services.data.repos.supervision.findReviewByConsultation(consultation.id);
    if (!review) return assert.fail('the review was not queued');
    const browser = new Browser(t.app);
    await browser.signIn('own-dual');
    assert.equal((await browser.get(`/supervisor/reviews/${review.id}`)).statusCode, 403);
    assert.equal((await browser.post(`/supervisor/reviews/${review.id}`, {})).statusCode, 403);
    assert.equal((await as('own-supervisor').get(`/supervisor/reviews/${review.id}`)).statusCode, 200);
  });
});
