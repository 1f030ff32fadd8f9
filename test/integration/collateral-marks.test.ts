import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

// Issue 15 §3, RVR-13 (collateral intrusion): the officer marks others present during the call with one tap each; the
// marks are the call's officer's alone to make, only while the call is live, kept with the server's times, audited,
// part of the call's evidence record, shown on the call record and in the synced player, and offered to redaction.

await describeOnDatabase('others present during the call (RVR-13, issue 15 §3)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let officerBrowser: Browser;
  let otherOfficer: Browser;
  let supervisor: Browser;
  let investigator: Browser;
  /** The server's clock, held still where a test needs exact times. */
  let fixedNow: number | undefined;
  before(async () => {
    t = await buildTestApp(kind, { now: () => new Date(fixedNow ?? Date.now()) });
    handler = await createUser(t.services, 'cm-handler', ['call_handler']);
    officer = await createUser(t.services, 'cm-officer', ['rvr_officer']);
    await createUser(t.services, 'cm-officer2', ['rvr_officer']);
    await createUser(t.services, 'cm-supervisor', ['supervisor']);
    await createUser(t.services, 'cm-investigator', ['investigator']);
    await allowRoundTheClock(t.services);
    const signedIn = async (username: string) => {
      const browser = new Browser(t.app);
      await browser.signIn(username);
      return browser;
    };
    officerBrowser = await signedIn('cm-officer');
    otherOfficer = await signedIn('cm-officer2');
    supervisor = await signedIn('cm-supervisor');
    investigator = await signedIn('cm-investigator');
  });
  after(() => t.close());

  /** An accepted consultation with its call open, the officer's call page loaded (its CSRF token kept). */
  const liveCall = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const page = await officerBrowser.get(`/consultations/${consultation.id}/call`);
    assert.equal(page.statusCode, 200, page.body);
    const call = (await t.services.calls.lifecycle.findOpenCall(consultation.id))!;
    return { consultation, call, page };
  };
  const mark = (browser: Browser, callId: string, kind: string, on: boolean) => browser.postJson(`/calls/${callId}/marks`, { kind, on });
  const audits = (what: string, subject: string) =>
    queryRows<{ details: Record<string, unknown> }>(
      t.db.database,
      sql`select details from audit_events where what = ${what} and subject = ${subject} order by seq`,
    );

  it('RVR-13: the call page has a pressed/unpressed toggle for each kind, below the video; one tap starts a mark and the next ends it', async () => {
    const { call, page } = await liveCall();
    for (const kind of ['child', 'adult', 'hide_face']) assert.match(page.body, new RegExp(`data-mark="${kind}" aria-pressed="false"`));
    assert.ok(page.body.indexOf('data-testid="marks"') > page.body.indexOf('class="rvr-stage"'), 'the marks sit below the video, not over it');

    const started = await mark(officerBrowser, call.id, 'child', true);
    assert.equal(started.statusCode, 200, started.body);
    assert.deepEqual(started.json().open, ['child']);
    // A second "on" (a double tap, a second tab) does not open a second range.
    assert.deepEqual((await mark(officerBrowser, call.id, 'child', true)).json().open, ['child']);
    assert.equal((await t.services.data.repos.collateralMarks.listByCall(call.id)).length, 1);
    // The page, reloaded, shows the mark still on.
    const reloaded = await officerBrowser.get(`/consultations/${call.consultationId}/call`);
    assert.match(reloaded.body, /data-mark="child" aria-pressed="true"/);
    assert.match(reloaded.body, /data-mark="adult" aria-pressed="false"/);

    const ended = await mark(officerBrowser, call.id, 'child', false);
    assert.deepEqual(ended.json().open, []);
    const [row] = await t.services.data.repos.collateralMarks.listByCall(call.id);
    assert.ok(row!.endedAt && row!.endedAt >= row!.startedAt);
    assert.equal(row!.endedBy, `user:${officer.id}`);
    assert.equal(row!.startedBy, officer.id);

    // Audited with who, and on the call's timeline.
    const startAudit = await audits('call.mark_started', `call:${call.id}`);
    assert.equal(startAudit.length, 1);
    assert.equal(startAudit[0]!.details.kind, 'child');
    assert.equal((await audits('call.mark_ended', `call:${call.id}`)).length, 1);
    const events = await t.services.data.repos.calls.listEvents(call.id);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('mark_')).map((e) => e.type),
      ['mark_started', 'mark_ended'],
    );

    assert.equal((await mark(officerBrowser, call.id, 'pets', true)).statusCode, 400, 'an unknown kind is refused');
  });

  it('RVR-13/SEC-11: only the call’s officer may mark: another officer, a supervisor and the victim’s link are refused; nothing is written', async () => {
    const { consultation, call } = await liveCall();
    await otherOfficer.get('/');
    assert.equal((await mark(otherOfficer, call.id, 'adult', true)).statusCode, 403);
    await supervisor.get('/');
    assert.equal((await mark(supervisor, call.id, 'adult', true)).statusCode, 403);
    await investigator.get('/');
    assert.equal((await mark(investigator, call.id, 'adult', true)).statusCode, 403);

    // The victim, in the call through their texted link and consented.
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]+)/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victim = new Browser(t.app);
    assert.equal((await victim.get(`/v/${token}`)).statusCode, 303);
    await victim.get('/v/call');
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
    await victim.get('/v/call');
    const byVictim = await mark(victim, call.id, 'hide_face', true);
    assert.ok([401, 403].includes(byVictim.statusCode), `the victim's link is refused (${byVictim.statusCode})`);

    assert.deepEqual(await t.services.data.repos.collateralMarks.listByCall(call.id), []);
    // The other officer passed the role check and was refused by whose the call is: that refusal is on record.
    const refusals = await audits('access.refused', `consultation:${consultation.id}`);
    assert.ok(
      refusals.some((r) => r.details.action === 'call.mark_others_present'),
      'the other officer’s refusal is logged',
    );
  });

  it('RVR-13: an open mark ends when the call ends; after that the officer is refused with a clear message; the marks are in the call’s evidence record', async () => {
    const { consultation, call } = await liveCall();
    assert.equal((await mark(officerBrowser, call.id, 'adult', true)).statusCode, 200);
    assert.equal((await mark(officerBrowser, call.id, 'hide_face', true)).statusCode, 200);
    assert.equal((await mark(officerBrowser, call.id, 'hide_face', false)).statusCode, 200);
    await t.services.callRooms.endCall(contextFor(officer), call.id, 'Finished');

    const marks = await t.services.data.repos.collateralMarks.listByCall(call.id);
    const adult = marks.find((m) => m.kind === 'adult')!;
    const ended = (await t.services.data.repos.calls.findById(call.id))!.endedAt!;
    assert.equal(adult.endedAt?.getTime(), ended.getTime(), 'the open mark ended with the call');
    assert.equal(adult.endedBy, 'system:call');

    const late = await mark(officerBrowser, call.id, 'child', true);
    assert.equal(late.statusCode, 409);
    assert.match(late.json<{ error: string }>().error, /This call has ended/);
    assert.equal((await t.services.data.repos.collateralMarks.listByCall(call.id)).length, 2);

    // Part of the evidence record: a text master with when and who, kept with the call's notes and chat.
    const item = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'marks');
    assert.ok(item, 'the marks are an evidence item');
    assert.equal(item.sourceId, `marks:${call.id}`);
    const chunks: Buffer[] = [];
    for await (const chunk of await t.services.blobs.get(item.fileKey)) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string | null>);
    assert.deepEqual(lines.map((l) => l.kind).sort(), ['adult', 'hide_face']);
    for (const line of lines) {
      assert.equal(line.startedBy, `user:${officer.id}`);
      assert.ok(line.startedAt && line.endedAt);
    }
    assert.equal(lines.find((l) => l.kind === 'adult')!.endedBy, 'system:call');
  });

  it('RVR-13/EVD-05: marks show on the call record and in the synced player, and are the redaction ranges of each recording in its own media time', async () => {
    const T = Date.now() - 120_000;
    fixedNow = T;
    const { consultation, call } = await liveCall();
    const at = (seconds: number) => (fixedNow = T + seconds * 1000);
    let snapshot: { id: string };
    try {
      // Child 10 s–20 s; victim's face 50 s until the call ends at 70 s.
      at(10);
      await mark(officerBrowser, call.id, 'child', true);
      at(15);
      snapshot = await t.services.calls.snapshots.saveSnapshot(
        contextFor(officer),
        call.id,
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]),
      );
      at(20);
      await mark(officerBrowser, call.id, 'child', false);
      at(50);
      await mark(officerBrowser, call.id, 'hide_face', true);
      at(70);
      await t.services.callRooms.endCall(contextFor(officer), call.id, 'Finished');
    } finally {
      fixedNow = undefined;
    }
    // Two recordings: the officer's media from 1 s for 61 s, the victim's from 2 s for 60 s (media time, EVD-05).
    const recordingItem = async (role: string, mediaStart: number, durationMs: number) => {
      const row = await t.services.data.repos.recordings.create({
        callId: call.id,
        consultationId: consultation.id,
        participantId: (await t.services.data.repos.calls.createParticipant({ callId: call.id, role })).id,
        role,
        segment: 1,
        fileKey: `calls/${call.id}/${role}-1.webm`,
        tracks: ['audio', 'video'],
        startedAt: new Date(T + mediaStart * 1000 - 300),
      });
      await t.services.data.repos.recordings.finish(row.id, {
        status: 'finalised',
        endedAt: new Date(T + mediaStart * 1000 + durationMs),
        firstPacketAt: new Date(T + mediaStart * 1000 + 200),
        mediaStartedAt: new Date(T + mediaStart * 1000),
        durationMs,
        sha256: 'a'.repeat(64),
        sizeBytes: 1000,
      });
      const finished = (await t.services.data.repos.recordings.findById(row.id))!;
      return t.services.data.transaction((tx) =>
        t.services.evidence.registration.registerRecording(tx, contextFor(officer), { ...finished, sha256: finished.sha256!, sizeBytes: finished.sizeBytes! }),
      );
    };
    const officerItem = await recordingItem('officer', 1, 61_000);
    const victimItem = await recordingItem('victim', 2, 60_000);

    // Redaction suggestions: seconds from each recording's own media start, clamped to its length.
    const ranges = t.services.calls.markRanges;
    assert.deepEqual(await ranges.forItem(victimItem.id), [
      { kind: 'child', label: 'Child in view or hearing', startSeconds: 8, endSeconds: 18 },
      { kind: 'hide_face', label: 'Victim’s face not to be shown', startSeconds: 48, endSeconds: 60 },
    ]);
    assert.deepEqual(
      (await ranges.forItem(officerItem.id)).map((r) => [r.kind, r.startSeconds, r.endSeconds]),
      [
        ['child', 9, 19],
        ['hide_face', 49, 61],
      ],
    );
    // The snapshot at 15 s was taken while the child mark was on: the whole still.
    const snapshotItem = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.sourceId === `snapshot:${snapshot.id}`)!;
    assert.deepEqual(await ranges.forItem(snapshotItem.id), [{ kind: 'child', label: 'Child in view or hearing', startSeconds: 0, endSeconds: 0 }]);

    // The call record: the marks, where they fall in each recording, and the timeline.
    const record = await supervisor.get(`/calls/${call.id}`);
    assert.equal(record.statusCode, 200);
    assert.match(record.body, /data-testid="marks"/);
    assert.match(record.body, /Child in view or hearing<\/td>/);
    assert.match(record.body, /victim segment 1: 8 s to 18 s/);
    assert.match(record.body, /officer segment 1: 49 s to 61 s/);
    assert.match(record.body, /\(when the call ended\)/);
    assert.match(record.body, /mark started – Child in view or hearing/);
    assert.match(record.body, /mark ended – Victim’s face not to be shown/);

    // The synced player: clock 0 is the officer's media start (1 s), so the child is 9–19 s and the face 49–61 s.
    await assignCase(t.services, consultation.id, 'cm-investigator');
    await investigator.get(`/evidence/consultations/${consultation.id}`);
    const player = await investigator.post(`/evidence/consultations/${consultation.id}/play`, { justification: 'Preparing a redacted copy' });
    assert.equal(player.statusCode, 200, player.body);
    assert.match(player.body, /data-jump="9" data-jump-end="19" data-kind="child"/);
    assert.match(player.body, /data-jump="49" data-jump-end="61" data-kind="hide_face"/);
    assert.match(player.body, /data-mark-track/);
  });
});
