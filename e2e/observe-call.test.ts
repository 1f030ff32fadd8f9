import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { decodeErrors, probeMedia } from '../src/platform/media/ffmpeg.js';
import { officerEndsCall, officerSendsLink, victimJoins, waitForDecodedVideo } from './support/call.js';
import { evaluateWithin, freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

/** Waits until a video element shows decoded frames that keep coming (its playback time moves on). */
async function waitForPlayingVideo(page: Page, testId: string, timeoutMs = 20_000): Promise<{ width: number; height: number }> {
  const deadline = Date.now() + timeoutMs;
  let lastTime = -1;
  for (;;) {
    const state = await evaluateWithin(page, 5000, () =>
      [...document.querySelectorAll<HTMLVideoElement>('video[data-testid]')].map((v) => ({
        id: v.dataset.testid,
        width: v.videoWidth,
        height: v.videoHeight,
        time: v.currentTime,
      })),
    );
    const video = state.find((v) => v.id === testId);
    if (video && video.width > 0 && lastTime >= 0 && video.time > lastTime) return { width: video.width, height: video.height };
    lastTime = video && video.width > 0 ? video.time : -1;
    if (Date.now() > deadline) throw new Error(`${testId} shows no playing video within ${timeoutMs} ms (${JSON.stringify(video)})`);
    await page.waitForTimeout(500);
  }
}

describe('a supervisor observes a live call silently (policy 4.0, EVD-15, DP-01)', () => {
  let server: RunningServer;
  const people: Participant[] = [];
  before(async () => {
    const port = await freePort();
    server = await startServer({ PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, CALL_RECONNECT_GRACE_SECONDS: '20' });
  });
  after(async () => {
    await Promise.all(people.map((p) => p.close()));
    await server?.stop();
  });

  it('the observer receives both officer and victim, sends nothing, the victim is told, and leaving stamps the end', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await victimJoins(link);
    people.push(victim);
    await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(victim.page)]);
    const call = (await services.calls.findOpenCall(consultationId))!;

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
    const [fromOfficer, fromVictim] = await Promise.all([
      waitForPlayingVideo(page, 'observer-video-officer'),
      waitForPlayingVideo(page, 'observer-video-victim'),
    ]);
    assert.ok(fromOfficer.width > 0 && fromVictim.width > 0);
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
    assert.equal((await services.calls.requireCall(call.id)).state, 'open');

    await officerEndsCall(officer);
    await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    // The server recorded the officer and the victim, never the observer; each recording decodes cleanly.
    const recordings = await services.data.repos.recordings.listByCall(call.id);
    assert.deepEqual([...new Set(recordings.map((r) => r.role))].sort(), ['officer', 'victim']);
    for (const recording of recordings) {
      const file = path.join(services.mediaRoot, recording.fileKey);
      assert.deepEqual((await probeMedia(file)).streams.map((s) => s.codecName).sort(), ['opus', 'vp8'], recording.fileKey);
      assert.deepEqual(await decodeErrors(file), [], `${recording.fileKey} decodes cleanly`);
    }
    const observerParticipant = (await services.data.repos.calls.listParticipants(call.id)).find((p) => p.role === 'observer')!;
    assert.ok(!recordings.some((r) => r.participantId === observerParticipant.id));
  });
});
