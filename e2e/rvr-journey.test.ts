import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { decodeErrors, probeMedia } from '../src/platform/media/ffmpeg.js';
import { withLocalCopies } from '../src/platform/storage/local-copies.js';
import { startFakeS3, type FakeS3 } from '../test/support/s3-server.js';
import { officerEndsCall, officerSendsLink, victimJoins, waitForDecodedVideo } from './support/call.js';
import { evaluateWithin, freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';
import { answerRiskQuestion, waitRiskSaved } from './support/risk-form.js';

/** Frames decoded so far for the video shown in each element (by data-testid), from that track's receiver's stats. */
function framesDecodedByVideo(page: Page): Promise<Record<string, { frames: number; width: number }>> {
  return evaluateWithin(page, 5000, async () => {
    const pc = (window as unknown as { rvrCall: { pc?: RTCPeerConnection } }).rvrCall.pc;
    const out: Record<string, { frames: number; width: number }> = {};
    for (const video of document.querySelectorAll<HTMLVideoElement>('video[data-testid]')) {
      const track = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      const receiver = pc?.getReceivers().find((r) => r.track === track);
      let frames = 0;
      (await receiver?.getStats())?.forEach((s: { type: string; framesDecoded?: number }) => {
        if (s.type === 'inbound-rtp') frames += s.framesDecoded ?? 0;
      });
      out[video.dataset.testid!] = { frames, width: video.videoWidth };
    }
    const inbound: string[] = [];
    (await pc?.getStats())?.forEach((s: { type: string; kind?: string; packetsReceived?: number; mid?: string }) => {
      if (s.type === 'inbound-rtp') inbound.push(`${s.mid}:${s.kind}:${s.packetsReceived}`);
    });
    out[`pc:${pc?.connectionState}:${inbound.join(',')}`] = { frames: 0, width: 0 };
    return out;
  });
}

/** Waits until each named video element shows decoded frames whose count is still rising (the machine may be busy: generous deadline). */
async function waitForDecodedVideos(page: Page, testIds: string[], timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const first = new Map<string, number>();
  const done = new Set<string>();
  for (;;) {
    const now = await framesDecodedByVideo(page);
    for (const id of testIds) {
      const seen = now[id];
      if (!seen || seen.frames === 0 || seen.width === 0) continue;
      if (!first.has(id)) first.set(id, seen.frames);
      else if (seen.frames > first.get(id)!) done.add(id);
    }
    if (done.size === testIds.length) return;
    if (Date.now() > deadline)
      throw new Error(`no rising decoded frames in ${testIds.filter((id) => !done.has(id)).join(', ')} within ${timeoutMs} ms: ${JSON.stringify(now)}`);
    await page.waitForTimeout(500);
  }
}

// Issue 7's whole journey in one live call: the officer's DASH, the victim's confirmed statement, an outcome, a
// supervisor observing silently and then reviewing the recording, the officer's feedback, and the outcome measures.
describe('the RVR journey: investigation in the call, supervision and the outcome measures (issue 7)', () => {
  let server: RunningServer;
  let s3: FakeS3;
  const people: Participant[] = [];
  before(async () => {
    const port = await freePort();
    // Issue 15: the journey keeps its evidence in S3 (the local S3-compatible test server, credentials from the
    // SDK's standard chain); the other video tests keep it on local disk.
    s3 = await startFakeS3();
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    // Every call is sampled for review here, so the same call goes on to be reviewed.
    server = await startServer({
      STORAGE_DRIVER: 's3',
      STORAGE_S3_BUCKET: s3.bucket,
      STORAGE_S3_REGION: s3.region,
      STORAGE_S3_ENDPOINT: s3.endpoint,
      STORAGE_S3_PREFIX: 'rvr',
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      CALL_RECONNECT_GRACE_SECONDS: '20',
      REVIEW_SAMPLE_PERCENT: '100',
      // Issue 17 §1: the officer's link into the force's own mapping system.
      LOCATION_LINK_TEMPLATE: 'https://maps.force.example/view?lat={lat}&lon={lon}&r={accuracy}',
    });
  });
  after(async () => {
    await Promise.all(people.map((p) => p.close()));
    await server?.stop();
    await s3?.close();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  it('DASH-01/RVR-08/EVD-15: the officer completes the DASH, the victim confirms the statement, an arrest is requested; the observer receives both, sends nothing, the victim is told; the review scores it; the dashboard shows it', async () => {
    const { services } = server.runtime;
    // The demo data has calls of its own: the dashboard is checked for this call's difference.
    const measuresBefore = (await services.outcomes.dashboard({})).total;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await victimJoins(link);
    people.push(victim);
    await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(victim.page)]);
    const call = (await services.calls.lifecycle.findOpenCall(consultationId))!;
    const o = officer.page;

    // Issue 17 §1: the victim's location, asked once after the call consents. First "Not now": the officer is told,
    // and nothing asks again; the victim's page keeps only a small link.
    const v = victim.page;
    await v.getByTestId('location-question').waitFor({ timeout: 10_000 });
    await v.getByTestId('location-not-now').click({ timeout: 30_000 });
    await v.getByTestId('location-share-link').waitFor({ timeout: 10_000 });
    assert.equal(await v.getByTestId('location-question').count(), 0, 'not asked twice');
    await o.getByTestId('location-declined').waitFor({ timeout: 10_000 });
    // Then they choose the link, but the phone has no permission to give a position: the officer is told that.
    await v.getByTestId('location-share-link').click({ timeout: 30_000 });
    await v.getByTestId('location-unavailable').waitFor({ timeout: 20_000 });
    await o.getByTestId('location-unavailable').waitFor({ timeout: 10_000 });
    assert.equal((await services.data.repos.victimLocations.listByConsultation(consultationId)).length, 0, 'no position without the phone’s permission');
    // With the permission granted, the link shares it: the officer sees the position, accuracy, age and the map link.
    // (Chromium's grant replaces the origin's permissions: the camera and microphone are granted again with it.)
    await victim.context.grantPermissions(['geolocation', 'camera', 'microphone'], { origin: server.baseUrl });
    await victim.context.setGeolocation({ latitude: 51.27803, longitude: 1.07887, accuracy: 12 });
    await v.getByTestId('location-share-link').click({ timeout: 30_000 });
    await v.getByTestId('location-sharing').waitFor({ timeout: 10_000 });
    await o.getByTestId('location-coordinates').filter({ hasText: '51.27803, 1.07887' }).waitFor({ timeout: 20_000 });
    assert.match((await o.getByTestId('location-accuracy').textContent()) ?? '', /within 12 m/);
    assert.match((await o.getByTestId('location-age').textContent()) ?? '', /\d+ seconds? ago/);
    assert.equal(await o.getByTestId('location-link').getAttribute('href'), 'https://maps.force.example/view?lat=51.27803&lon=1.07887&r=12');
    // Moving by more than the accuracy sends the new position (the server takes one each 5 s at most).
    await victim.context.setGeolocation({ latitude: 51.2795, longitude: 1.07887, accuracy: 12 });
    await o.getByTestId('location-coordinates').filter({ hasText: '51.2795, 1.07887' }).waitFor({ timeout: 20_000 });

    // The supervisor finds the call on the live board (from their start page) and observes it with a reason.
    const supervisor = await launchParticipant({ fakeMedia: true });
    people.push(supervisor);
    const page = supervisor.page;
    await new SignInPage(page).signInAndAcknowledge(server.baseUrl, 'supervisor', DEMO_PASSWORD);
    await page.goto(`${server.baseUrl}/supervisor`);
    await page.getByTestId('board-link').click();
    const row = page.locator(`[data-testid="board-call-row"][data-consultation="${consultationId}"]`);
    await row.waitFor();
    await row.getByTestId('observe-link').click();
    await page.getByTestId('observe-start').click();
    await page.getByText('Give your reason for observing this call').first().waitFor();
    await page.getByTestId('observe-justification').fill('Quality check of a live RVR call (e2e)');
    await page.getByTestId('observe-start').click();
    await page.waitForURL(/\/supervisor\/calls\/[^/]+\/observer$/);

    // Everyone's video, decoded on the observer's page.
    await waitForDecodedVideos(page, ['observer-video-officer', 'observer-video-victim']).catch(async (error: Error) => {
      const events = (await services.calls.record.callView(call.id)).events.map((e) => `${e.type}:${e.role ?? ''}`);
      throw new Error(`${error.message}\nroom: ${JSON.stringify(services.callRooms.stats())}\nevents: ${events.join(' ')}`);
    });
    const decoded = await waitForDecodedVideo(page);
    assert.ok(decoded.audioReceived > 0, 'the observer hears the call');

    // Receive-only: no track to send, no camera or microphone asked for.
    const sending = await evaluateWithin(page, 5000, () => {
      const pc = (window as unknown as { rvrCall: { pc: RTCPeerConnection } }).rvrCall.pc;
      return pc.getSenders().filter((s) => s.track !== null).length;
    });
    assert.equal(sending, 0);
    assert.equal(decoded.sendKbps, 0);

    // The victim is told (force default); the officer sees the observer under "Who is here".
    await victim.page.getByTestId('victim-observed-notice').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await victim.page.getByTestId('victim-observed-notice').textContent()) ?? '', /A supervisor is also watching this call to check its quality/);
    await officer.page.locator('[data-participant-role="observer"]').waitFor({ timeout: 10_000 });

    const [observation] = await services.data.repos.supervision.listObservations(call.id);
    assert.equal(observation!.justification, 'Quality check of a live RVR call (e2e)');
    assert.equal(observation!.victimNotified, true);
    assert.equal(observation!.endedAt, null);

    // While the supervisor watches, the officer investigates.
    // DASH-01..06 during the call: 15 "yes" of 27 is an actuarial High and a MARAC referral (14+).
    await o.getByTestId('risk-form').waitFor();
    for (let n = 1; n <= 27; n++) await answerRiskQuestion(o, String(n), n <= 15 ? 'Yes' : 'No');
    await answerRiskQuestion(o, '4a', 'No');
    await answerRiskQuestion(o, '8a', 'Not known');
    await o.getByTestId('risk-prior-incidents').fill('0');
    await waitRiskSaved(o);
    assert.equal(await o.getByTestId('risk-grade').getAttribute('data-grade'), 'high');
    assert.equal(await o.getByTestId('risk-marac').getAttribute('data-marac'), 'yes');
    await o.getByTestId('risk-complete').click();
    await o
      .getByTestId('risk-state')
      .filter({ hasText: /^Completed/ })
      .waitFor();

    // The victim's account: typed by the officer, shown on the victim's page, confirmed with their typed name.
    const account = 'He came home at ten, shouted and pushed me into the door.';
    await o.getByTestId('statement-text').fill(account);
    await o
      .getByTestId('statement-status')
      .filter({ hasText: /^Saved/ })
      .waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-share').click();
    await victim.page.getByTestId('victim-statement').filter({ hasText: account }).waitFor({ timeout: 10_000 });
    await victim.page.getByTestId('victim-signature').fill('Jane Doe');
    await victim.page.getByTestId('victim-statement-confirm').click();
    await victim.page.getByTestId('victim-statement-confirmed').waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-state').filter({ hasText: 'Confirmed by the victim' }).waitFor({ timeout: 10_000 });
    const statement = (await services.data.repos.victimStatements.findByConsultation(consultationId))!;
    assert.equal(statement.confirmedText, account);
    assert.equal(statement.confirmedSha256, createHash('sha256').update(account, 'utf8').digest('hex'));

    // An outcome: an arrest requested, with the suspect's details and last known location.
    const outcome = o.getByTestId('outcome-form');
    await outcome.getByLabel('Record an outcome').selectOption('arrest_requested');
    await outcome.getByLabel(/Suspect details/).fill('Male, 34, known to the victim');
    await outcome.getByLabel(/last known location/).fill('Outside the victim’s address');
    await outcome.getByTestId('outcome-record').click();
    await o.locator('[data-testid="outcome-list"] [data-outcome-kind="arrest_requested"]').waitFor({ timeout: 10_000 });
    // Issue 17 §1: the arrest request carries where the victim is.
    assert.match(
      (await o.locator('[data-testid="outcome-list"] [data-outcome-kind="arrest_requested"] [data-testid="outcome-victim-location"]').textContent()) ?? '',
      /victim’s location 51\.2795, 1\.07887 \(within 12 m\)/,
    );

    // Leaving: the end is stamped, the victim's notice goes, the call carries on.
    await page.getByTestId('observe-leave').click();
    await page.waitForURL(/\/supervisor\/board$/);
    let ended = observation!;
    for (let i = 0; i < 50 && !ended.endedAt; i++) {
      await page.waitForTimeout(100);
      ended = (await services.data.repos.supervision.listObservations(call.id))[0]!;
    }
    assert.ok(ended.endedAt, 'leaving stamps ended_at');
    await victim.page.getByTestId('victim-observed-notice').waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal((await services.calls.lifecycle.requireCall(call.id)).state, 'open');

    await officerEndsCall(officer);
    await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    // The server recorded the officer and the victim, never the observer; each recording decodes cleanly.
    const recordings = await services.data.repos.recordings.listByCall(call.id);
    assert.deepEqual([...new Set(recordings.map((r) => r.role))].sort(), ['officer', 'victim']);
    for (const recording of recordings) {
      assert.equal(
        createHash('sha256')
          .update(s3.objects.get(`rvr/${recording.fileKey}`)!.body)
          .digest('hex'),
        recording.sha256,
        'the segment is in S3',
      );
      assert.ok(!fs.existsSync(path.join(services.mediaRoot, recording.fileKey)), 'and not on the node’s disk');
      await withLocalCopies(services.blobs, [recording.fileKey], async ([file]) => {
        assert.deepEqual((await probeMedia(file!)).streams.map((s) => s.codecName).sort(), ['opus', 'vp8'], recording.fileKey);
        assert.deepEqual(await decodeErrors(file!), [], `${recording.fileKey} decodes cleanly`);
      });
    }
    const observerParticipant = (await services.data.repos.calls.listParticipants(call.id)).find((p) => p.role === 'observer')!;
    assert.ok(!recordings.some((r) => r.participantId === observerParticipant.id));

    // EVD-15: the call is queued for review; the reviewer watches it through the evidence player (s.62 reason) and scores it.
    const review = (await services.data.repos.supervision.findReviewByConsultation(consultationId))!;
    assert.equal(review.sampledBecause, 'random_and_high_risk', 'every call is sampled here, and this one is High risk too');
    const evidenceBefore = (await services.data.repos.evidence.listByConsultation(consultationId)).map((i) => `${i.id}:${i.sha256}:${i.fileKey}`);
    await page.goto(`${server.baseUrl}/supervisor/reviews`);
    await page.locator(`[data-testid="review-row"][data-consultation="${consultationId}"] a`).click();
    await page.getByTestId('review-play').click();
    await page.getByTestId('call-player').waitFor();
    assert.equal(await page.locator('[data-call-player] video').count(), 2, 'the officer’s and the victim’s recordings');
    await page.goBack();
    assert.match((await page.getByTestId('review-risk-grade').textContent()) ?? '', /high/i);
    for (const item of ['consent_and_recording_notice', 'dash_complete', 'lines_of_enquiry', 'safeguarding_advice', 'outcome_appropriate', 'professionalism']) {
      await page.getByTestId(`review-score-${item}-${item === 'lines_of_enquiry' ? 'partly' : 'met'}`).check();
    }
    await page.getByTestId('review-note-lines_of_enquiry').fill('Witnesses and CCTV were not recorded.');
    await page.getByTestId('review-feedback').fill('Good rapport and a complete DASH. Record witnesses and CCTV as lines of enquiry next time.');
    await page.getByTestId('review-complete').click();
    await page.getByTestId('review-completed').waitFor();
    const after = (await services.data.repos.evidence.listByConsultation(consultationId)).map((i) => `${i.id}:${i.sha256}:${i.fileKey}`);
    assert.deepEqual(after, evidenceBefore, 'the review did not alter the evidence');

    // The officer reads the feedback on their own page.
    await officer.page.goto(`${server.baseUrl}/officer`);
    await officer.page.getByTestId('feedback-link').click();
    await officer.page.getByTestId('feedback-item').filter({ hasText: 'Record witnesses and CCTV' }).waitFor();

    // RVR-09: the outcome measures count this call, with its time from call received to officer on video.
    await page.goto(`${server.baseUrl}/outcomes`);
    const measure = async (id: string) => Number(await page.getByTestId(`measure-${id}`).getAttribute('data-value'));
    assert.equal(await measure('connected'), measuresBefore.connected.count + 1);
    assert.equal(await measure('arrests'), measuresBefore.arrestsRequested + 1);
    assert.equal(await measure('marac'), measuresBefore.maracReferrals + 1);
    assert.equal(await measure('time-to-officer-count'), measuresBefore.timeToOfficer.count + 1);
    assert.equal(await measure('surveys-sent'), measuresBefore.satisfaction.sent, 'the survey waits for its delay');
  });
});
