import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { decodeErrors, measuredDurationSeconds, probeMedia } from '../src/platform/media/ffmpeg.js';
import { sha256File } from '../src/platform/media/sha256-file.js';
import type { MediaClock } from '../src/features/video/media/media-clock.js';
import type { RecordingRow } from '../src/features/video/recordings.repository.js';
import { callStats, latestLink, officerEndsCall, officerSendsLink, victimJoins, waitForDecodedVideo } from './support/call.js';
import { freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';

/** Every finished recording of the call: a WebM with VP8/Opus that decodes cleanly, whose hash is the one on record. */
async function checkRecordings(server: RunningServer, callId: string) {
  const { services } = server.runtime;
  const recordings = await services.data.repos.recordings.listByCall(callId);
  for (const recording of recordings) {
    assert.ok(['finalised', 'repaired'].includes(recording.status), `${recording.role} segment ${recording.segment} is ${recording.status}`);
    const file = path.join(services.mediaRoot, recording.fileKey);
    const probe = await probeMedia(file);
    assert.match(probe.formatName, /webm/);
    const codecs = probe.streams.map((s) => s.codecName).sort();
    assert.deepEqual(codecs, ['opus', 'vp8'], `${recording.fileKey} has ${codecs.join(',')}`);
    assert.deepEqual(await decodeErrors(file), [], `${recording.fileKey} decodes cleanly`);
    const { sha256, size } = await sha256File(file);
    assert.equal(recording.sha256, sha256, 'the hash on record matches the file');
    assert.equal(recording.sizeBytes, size);
  }
  return recordings;
}

/**
 * EVD-05: the recording's start is media time, from the sender's RTCP reports (source 'sender_reports'): not after the
 * arrival stamp kept beside it, nor much before the recording was opened (a wrong clock rate or NTP reading lands far
 * outside); with `measuredSeconds`, the recorded media fits the interval from that start to the call's end.
 */
function assertMediaTime(recording: RecordingRow, endedAt: Date, measuredSeconds?: number) {
  const clock = recording.mediaClock as MediaClock | null;
  assert.equal(clock?.source, 'sender_reports', `${recording.role}: the start comes from the sender's reports`);
  const start = recording.mediaStartedAt!;
  assert.equal(start.toISOString(), clock.startedAt);
  assert.ok(
    start.getTime() <= recording.firstPacketAt!.getTime() + 100 && start.getTime() >= recording.startedAt.getTime() - 1000,
    `${recording.role}: media start ${start.toISOString()} lies between the recording's opening (${recording.startedAt.toISOString()}) and its first packet's arrival (${recording.firstPacketAt!.toISOString()})`,
  );
  if (measuredSeconds === undefined) return;
  const byMedia = (endedAt.getTime() - start.getTime()) / 1000;
  assert.ok(Math.abs(measuredSeconds - byMedia) <= 1, `${recording.role} recording is ${measuredSeconds} s for ${byMedia} s from its media start`);
}

// One server for the file; each test makes its own consultation and call, and its people leave when it ends.
let server: RunningServer;
const people: Participant[] = [];
before(async () => {
  const port = await freePort();
  server = await startServer({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    CALL_RECONNECT_GRACE_SECONDS: '30',
    QUICK_EXIT_URL: `http://127.0.0.1:${port}/v/ended`,
  });
});
afterEach(async () => {
  await Promise.all(people.splice(0).map((p) => p.close()));
});
after(async () => {
  await server?.stop();
});

describe('the video call (issue 5): link, consent, two-way video recorded on the server', () => {
  it('RVR-07/RVR-10: officer texts the link, the victim consents and joins, both see and hear each other, chat, snapshot, end; recordings pass ffprobe', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    assert.match(services.smsOutbox!.list()[0]!.body, /^Here is the link for your video call: /);
    assert.doesNotMatch(services.smsOutbox!.list()[0]!.body, /police/i, 'the text is neutral by default');

    const victim = await victimJoins(link);
    people.push(victim);
    await victim.page.getByTestId('recording-indicator').waitFor();

    const [officerVideo, victimVideo] = await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(victim.page)]);
    const callStarted = Date.now();
    assert.ok(officerVideo.framesDecoded > 0 && victimVideo.framesDecoded > 0);
    await officer.page.locator('[data-participant-role="victim"][data-participant-state="connected"]').waitFor({ timeout: 10_000 });
    await officer.page.locator('[data-invite-state="joined"]').waitFor({ timeout: 5000 });

    // Trap 1: with REMB from the server the sender climbs well above the 120–190 kbit/s of broken feedback.
    let best = 0;
    for (let i = 0; i < 12 && best < 400; i++) {
      await officer.page.waitForTimeout(1000);
      const stats = await callStats(officer.page);
      best = Math.max(best, stats?.sendKbps ?? 0);
      if (stats) assert.equal(stats.sendWidth, 640);
    }
    assert.ok(best >= 400, `the officer's page sends ${Math.round(best)} kbit/s at 640×480`);
    const heard = await callStats(victim.page);
    assert.ok((heard?.audioReceived ?? 0) > 0, 'the victim receives the officer’s audio');
    assert.ok(((await callStats(officer.page))?.audioReceived ?? 0) > 0, 'the officer receives the victim’s audio');

    // Chat both ways, kept with the record.
    await victim.page.getByTestId('chat-input').fill('Hello, can you hear me?');
    await victim.page.getByTestId('chat-send').click();
    await officer.page.locator('[data-chat-role="victim"]', { hasText: 'can you hear me' }).waitFor({ timeout: 5000 });
    await officer.page.getByTestId('chat-input').fill('Yes, I can hear you.');
    await officer.page.getByTestId('chat-send').click();
    await victim.page.locator('[data-chat-role="officer"]', { hasText: 'I can hear you' }).waitFor({ timeout: 5000 });

    // A snapshot of the victim's video, kept with its SHA-256.
    await officer.page.getByTestId('take-snapshot').click();
    const shot = officer.page.locator('[data-snapshots] li[data-sha256]');
    await shot.waitFor({ timeout: 5000 });
    const shownHash = await shot.getAttribute('data-sha256');
    const call = (await services.calls.lifecycle.findOpenCall(consultationId))!;
    const [snapshot] = await services.data.repos.recordings.listSnapshots(call.id);
    assert.equal(snapshot!.sha256, shownHash);
    assert.equal((await sha256File(path.join(services.mediaRoot, snapshot!.fileKey))).sha256, snapshot!.sha256);

    // RVR-13: one tap marks a child in view or hearing, the next ends the mark (the server's answer sets aria-pressed).
    const childMark = officer.page.getByTestId('mark-child');
    await childMark.click();
    await officer.page.locator('[data-testid="mark-child"][aria-pressed="true"]').waitFor({ timeout: 5000 });
    await childMark.click();
    await officer.page.locator('[data-testid="mark-child"][aria-pressed="false"]').waitFor({ timeout: 5000 });
    const [childRange] = await services.data.repos.collateralMarks.listByCall(call.id);
    assert.equal(childRange?.kind, 'child');
    assert.ok(childRange?.endedAt, 'the second tap ended the mark');

    await officerEndsCall(officer);
    const callLength = (Date.now() - callStarted) / 1000;
    await officer.page.waitForURL(/\/calls\//, { timeout: 10_000 });
    await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });

    const recordings = await checkRecordings(server, call.id);
    assert.deepEqual(recordings.map((r) => r.role).sort(), ['officer', 'victim']);
    const view = await services.calls.record.callView(call.id);
    for (const recording of recordings) {
      // Each recording covers its participant's time in the call: from their first packet to the end.
      const measured = (await measuredDurationSeconds(path.join(services.mediaRoot, recording.fileKey))).durationSeconds!;
      const inCall = (view.call.endedAt!.getTime() - recording.firstPacketAt!.getTime()) / 1000;
      assert.ok(Math.abs(measured - inCall) <= 1, `${recording.role} recording is ${measured} s for ${inCall} s in the call`);
      assert.ok(measured >= callLength - 1, `${recording.role} recording (${measured} s) covers the ${callLength} s both were decoding video`);
      assertMediaTime(recording, view.call.endedAt!, measured);
    }
    assert.equal(view.call.state, 'ended');
    assert.ok(view.call.connectedAt);
    const types = view.events.map((e) => e.type);
    for (const type of [
      'link_created',
      'link_sent',
      'link_opened',
      'consent_given',
      'joined',
      'connected',
      'recording_started',
      'recording_finished',
      'snapshot_taken',
      'ended',
    ]) {
      assert.ok(types.includes(type), `the call's events include ${type} (have ${types.join(', ')})`);
    }
    assert.deepEqual(
      view.chat.map((m) => m.role),
      ['victim', 'officer'],
    );
    assert.equal((await services.consultations.summary(consultationId)).state, 'completed');
    // The call session ends with the call: the link cannot be used again either.
    const again = await victim.page.goto(link);
    assert.equal(again?.status(), 410);
    fs.mkdirSync('test-results', { recursive: true });
    await officer.page.screenshot({ path: 'test-results/call-record.png', fullPage: true });
  });

  it("EVD-05: under load (CPU-burning processes while the call starts), each recording is placed by media time from the senders' reports", async () => {
    const { services } = server.runtime;
    // Two busy loops, one per core, while the call is set up and the first packets arrive; stopped before the end.
    const burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'const end = Date.now() + 20000; while (Date.now() < end);'], { stdio: 'ignore' }));
    try {
      const { consultationId, officer, link } = await officerSendsLink(server);
      people.push(officer);
      const victim = await victimJoins(link);
      people.push(victim);
      await Promise.all([waitForDecodedVideo(officer.page, 60_000), waitForDecodedVideo(victim.page, 60_000)]);
      for (const burner of burners) burner.kill();
      await officer.page.waitForTimeout(3000);
      await officerEndsCall(officer);
      await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
      const call = (await services.data.repos.calls.listByConsultation(consultationId))[0]!;
      const view = await services.calls.record.callView(call.id);
      // The start, not the length: a starved fake camera and microphone record less media than wall-clock time.
      for (const recording of await checkRecordings(server, call.id)) assertMediaTime(recording, view.call.endedAt!);
    } finally {
      for (const burner of burners) burner.kill();
    }
  });

  it('RVR-11: Exit this page leaves the call at once, replaces the page without a history entry and alerts the officer', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await launchParticipant({ fakeMedia: true });
    people.push(victim);
    await victim.page.goto(`${server.baseUrl}/v/ended`);
    const historyBefore = await victim.page.evaluate(() => history.length);
    await victimJoins(link, { participant: victim });
    await waitForDecodedVideo(officer.page);
    const historyInCall = await victim.page.evaluate(() => history.length);
    await victim.page.getByRole('button', { name: /Exit this page/ }).click();
    await victim.page.waitForURL(/\/v\/ended$/);
    assert.equal(await victim.page.evaluate(() => history.length), historyInCall, 'no new history entry: Back does not return to the call');
    assert.ok(historyInCall >= historyBefore);
    await officer.page.locator('[data-alert][data-kind="quick_exit"]').waitFor({ timeout: 5000 });
    assert.match((await officer.page.getByTestId('call-alert').textContent()) ?? '', /Exit this page/);
    // The page left behind cannot rejoin: the call session ended with the exit.
    const back = await victim.page.goto(`${server.baseUrl}/v/call`);
    assert.equal(back?.status(), 401);
    const storage = await victim.page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }));
    assert.deepEqual(storage, { local: 0, session: 0 }, 'nothing is stored on the phone');
    const call = (await services.calls.lifecycle.findOpenCall(consultationId))!;
    assert.ok((await services.calls.record.callView(call.id)).events.some((e) => e.type === 'quick_exit'));
  });

  it('a phone with no usable camera joins voice-only: help is shown, the officer hears them, and the audio is recorded', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await launchParticipant({ fakeMedia: true });
    people.push(victim);
    // As on a phone whose camera is broken or in use: asking for video fails, audio works.
    await victim.context.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (constraints) =>
        constraints?.video ? Promise.reject(new DOMException('Requested device not found', 'NotFoundError')) : original(constraints);
    });
    await victimJoins(link, { participant: victim });
    await victim.page.getByTestId('media-help').waitFor();
    assert.match((await victim.page.getByTestId('media-help').textContent()) ?? '', /voice-only/);
    await waitForDecodedVideo(victim.page);
    let heard = 0;
    for (let i = 0; i < 30 && heard === 0; i++) {
      await officer.page.waitForTimeout(300);
      heard = (await callStats(officer.page))?.audioReceived ?? 0;
    }
    assert.ok(heard > 0, 'the officer receives the victim’s audio');
    await officer.page.waitForTimeout(2000);
    await officerEndsCall(officer);
    await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    const call = (await services.data.repos.calls.listByConsultation(consultationId))[0]!;
    // The page answers before its camera is known to have failed; it then joins again with the tracks it really has,
    // which can leave a first, empty segment. The segment with media is the audio-only one.
    const victimRecording = (await services.data.repos.recordings.listByCall(call.id)).filter((r) => r.role === 'victim' && r.status !== 'empty').at(-1)!;
    assert.deepEqual(victimRecording.tracks, ['audio']);
    assert.equal(victimRecording.status, 'finalised');
    const file = path.join(services.mediaRoot, victimRecording.fileKey);
    assert.deepEqual(
      (await probeMedia(file)).streams.map((s) => s.codecName),
      ['opus'],
    );
    assert.deepEqual(await decodeErrors(file), []);
    assert.equal((await sha256File(file)).sha256, victimRecording.sha256);
  });

  it('refuses a reused, expired or malformed link with a page that says what to do', async () => {
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await launchParticipant({ fakeMedia: true });
    people.push(victim);
    await victim.page.goto(link);
    await victim.page.getByLabel('I agree to the video call').waitFor();
    // RVR-04 (issue 12): at the consent step the call socket is accepted and closed with the reason the page acts on.
    const closed = await victim.page.evaluate(
      () =>
        new Promise<{ code: number; reason: string }>((resolve) => {
          const socket = new WebSocket(new URL('/v/socket', location.href).href.replace(/^http/, 'ws'));
          socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
        }),
    );
    assert.deepEqual(closed, { code: 4401, reason: 'consent-required' });
    const reuse = await launchParticipant();
    people.push(reuse);
    const second = await reuse.page.goto(link);
    assert.equal(second?.status(), 410);
    assert.match((await reuse.page.getByTestId('refusal-title').textContent()) ?? '', /already been used/);
    const malformed = await reuse.page.goto(`${server.baseUrl}/v/not-a-token`);
    assert.equal(malformed?.status(), 404);
    assert.match((await reuse.page.getByTestId('refusal-title').textContent()) ?? '', /not complete/);

    // "Exit this page" works at the consent step too: the officer is alerted; the record says it was before consent.
    await victim.page.getByTestId('exit-this-page').getByRole('button').click();
    await victim.page.waitForURL(/\/v\/ended$/);
    await officer.page.locator('[data-alert][data-kind="quick_exit"]').waitFor({ timeout: 5000 });
    const call = (await server.runtime.services.calls.lifecycle.findOpenCall(consultationId))!;
    const exit = (await server.runtime.services.calls.record.callView(call.id)).events.find((e) => e.type === 'quick_exit');
    assert.deepEqual(exit?.details, { beforeConsent: true });
  });
});

describe('the video call survives a lost phone and takes an interpreter', () => {
  it('killing the victim’s browser leaves a playable recording up to that moment; rejoining with the call session continues in a new segment', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    // Its own Chromium process: the victim's browser goes while the officer's carries on.
    const victim = await victimJoins(link, { participant: await launchParticipant({ fakeMedia: true, ownBrowser: true }) });
    people.push(victim);
    await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(victim.page)]);
    await victim.page.waitForTimeout(2000);
    const cookies = await victim.context.cookies();
    const killedAt = Date.now();
    await victim.close();

    // The officer is told, and the victim shows as reconnecting while the grace period runs.
    await officer.page.locator('[data-alert][data-kind="dropped"]').waitFor({ timeout: 10_000 });
    await officer.page.locator('[data-participant-role="victim"][data-participant-state="reconnecting"]').waitFor({ timeout: 10_000 });
    const call = (await services.calls.lifecycle.findOpenCall(consultationId))!;
    let first;
    for (let i = 0; i < 20 && first?.status !== 'finalised'; i++) {
      await officer.page.waitForTimeout(250);
      [first] = (await services.data.repos.recordings.listByCall(call.id)).filter((r) => r.role === 'victim');
    }
    assert.equal(first?.status, 'finalised', 'the victim’s first segment is finished when their connection goes');
    const firstFile = path.join(services.mediaRoot, first.fileKey);
    assert.deepEqual(await decodeErrors(firstFile), []);
    const firstLength = (await measuredDurationSeconds(firstFile)).durationSeconds!;
    const expected = (killedAt - first.firstPacketAt!.getTime()) / 1000;
    assert.ok(Math.abs(firstLength - expected) <= 1, `segment 1 is ${firstLength} s; the victim was on for ${expected} s`);

    // The same phone comes back (its session cookie restored) within the grace period.
    const back = await launchParticipant({ fakeMedia: true });
    people.push(back);
    await back.context.addCookies(cookies);
    // Not until "load": a page whose video elements have a stream delays its load event until the stream's first frame
    // (the media element's delaying-the-load-event flag), and the rejoined page's first frame waits on a new connection.
    await back.page.goto(`${server.baseUrl}/v/call`, { waitUntil: 'domcontentloaded' });
    await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(back.page)]);
    await officer.page.locator('[data-participant-role="victim"][data-participant-state="connected"]').waitFor({ timeout: 10_000 });
    await back.page.waitForTimeout(1500);

    await officerEndsCall(officer);
    await back.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    const recordings = await checkRecordings(server, call.id);
    assert.deepEqual(
      recordings.filter((r) => r.role === 'victim').map((r) => r.segment),
      [1, 2],
      'the victim’s segments are linked in order',
    );
    const types = (await services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.ok(types.includes('dropped') && types.includes('rejoined'), types.join(', '));
  });

  it('a three-party call with an interpreter: everyone sees everyone and all three are recorded', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await victimJoins(link);
    people.push(victim);
    await officer.page.getByText('Invite an interpreter').click();
    await officer.page.getByLabel('Interpreter’s mobile number').fill('07700 900456');
    await officer.page.getByLabel('Language (or BSL)').fill('Polish');
    await officer.page.getByTestId('invite-interpreter').click();
    await officer.page.locator('[data-invite-role="interpreter"][data-invite-state="sent"]').waitFor({ timeout: 5000 });
    assert.equal(services.smsOutbox!.list()[0]!.to, '+447700900456');
    const interpreter = await victimJoins(latestLink(services));
    people.push(interpreter);

    // Each page decodes two remote videos.
    const decodesTwo = async (page: Participant['page']) => {
      for (let i = 0; i < 40; i++) {
        const videos = await page.evaluate(
          () => [...document.querySelectorAll('video[data-remote]')].filter((v) => (v as HTMLVideoElement).videoWidth > 0).length,
        );
        if (videos >= 2) return;
        await page.waitForTimeout(500);
      }
      throw new Error('fewer than two remote videos are playing');
    };
    await Promise.all([decodesTwo(officer.page), decodesTwo(victim.page), decodesTwo(interpreter.page)]);
    await officer.page.waitForTimeout(1500);
    await officerEndsCall(officer);
    await interpreter.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    const call = (await services.calls.record.callView((await services.data.repos.calls.listByConsultation(consultationId))[0]!.id)).call;
    const recordings = await checkRecordings(server, call.id);
    assert.deepEqual(recordings.map((r) => r.role).sort(), ['interpreter', 'officer', 'victim']);
  });
});
