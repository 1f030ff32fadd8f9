// Issue 17 §3: a call on a poor connection, in Chromium, through the tests' impairing TURN relay
// (test/support/impairing-relay.ts; the victim's browser is forced through it, the officer is on a clear line).
// Figures are printed for each profile; what is asserted is what must hold whatever the machine's load: the victim
// hears the officer, video is carried on 3G, the call drops to audio only on 2G and the audio goes on, audio alone
// goes on at 64 kbit/s, the page's hint follows the victim's network. The 3-second join goal is a timing: it is
// measured by `node --import tsx bench/poor-connection.ts` on a quiet machine (ADR 0004), not asserted here.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ImpairingRelay, PROFILES, type NetworkProfile } from '../test/support/impairing-relay.js';
import { freePort, startServer, until, type Participant, type RunningServer } from './support/harness.js';
import { callOnProfile, continuity, printFigures, statsOf, victimMode } from './support/poor-connection.js';

/** Audio alone must work at 64 kbit/s (issue 17 §3): the 2G-like link's delay and loss at half its rate. */
const AUDIO_ONLY_LINK: NetworkProfile = {
  name: '64 kbit/s',
  up: { ...PROFILES['2g'].up, rateKbps: 64, maxQueueMs: 1000 },
  down: { ...PROFILES['2g'].down, rateKbps: 64, maxQueueMs: 1000 },
};

let server: RunningServer;
let relay: ImpairingRelay;
const people: Participant[] = [];
before(async () => {
  const port = await freePort();
  server = await startServer({ PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, CALL_RECONNECT_GRACE_SECONDS: '30' });
  relay = await new ImpairingRelay().start();
});
afterEach(async () => {
  await Promise.all(people.splice(0).map((p) => p.close()));
});
after(async () => {
  await relay?.stop();
  await server?.stop();
});

describe('a call on a poor connection (issue 17 §3)', () => {
  it('3G-like (300 ms RTT, 1 % loss, 400 kbit/s): the victim hears the officer, each sees the other, the audio has no long gaps', async () => {
    const { figures, officer, victim } = await callOnProfile(server, relay, PROFILES['3g'], { windowSeconds: 8 });
    people.push(officer, victim);
    printFigures(figures);
    assert.ok(figures.joinToOfficerAudioMs > 0, 'the officer’s audio reached the victim’s page');
    // Video is decoded on both pages, though not necessarily all through the window: the senders' rates are not fitted
    // to a 400 kbit/s link (no per-receiver congestion control, ADR 0004), so the page may pause video for the
    // connection after a few seconds, as audio comes first.
    assert.ok((figures.victim?.framesDecoded ?? 0) > 0, 'the victim saw the officer');
    assert.ok((await statsOf(officer.page)).framesDecoded > 0, 'the officer saw the victim');
    assert.ok(figures.audioContinuityAtVictim > 0.8, `the victim hears the officer without long gaps (${figures.audioContinuityAtVictim})`);
    assert.ok(figures.audioContinuityAtOfficer > 0.8, `the officer hears the victim without long gaps (${figures.audioContinuityAtOfficer})`);
  });

  it('2G-like (128 kbit/s): video pauses for the connection and the audio goes on; at 64 kbit/s audio alone still works; the officer sees the mode and asks for a photo', async () => {
    const { figures, officer, victim, consultationId } = await callOnProfile(server, relay, PROFILES['2g'], {
      windowSeconds: 8,
      // The page's own rule (src/domain/connection-quality.ts) pauses video after two readings that say it cannot be carried.
      settle: async (v) => {
        await until('the victim’s page going to audio only', 30_000, async () => ((await victimMode(v.page)) === 'audio_only' ? true : undefined));
      },
    });
    people.push(officer, victim);
    printFigures(figures);
    assert.equal(figures.victimMode, 'audio_only');
    assert.equal(figures.connectionHint, 'poor', 'the hint reflects the victim’s own network');
    assert.ok(figures.audioContinuityAtOfficer > 0.7, `the officer still hears the victim (${figures.audioContinuityAtOfficer})`);
    assert.ok(figures.audioContinuityAtVictim > 0.7, `the victim still hears the officer (${figures.audioContinuityAtVictim})`);
    assert.equal(await victim.page.getByTestId('media-mode-note').isVisible(), true, 'the victim is told why the video stopped');
    await officer.page.locator('[data-victim-media-mode][data-mode="audio_only"]').waitFor({ timeout: 10_000 });
    assert.match((await officer.page.getByTestId('victim-media-mode').textContent()) ?? '', /audio only – their connection/);

    // The link narrows to 64 kbit/s: audio alone goes on.
    relay.setProfile(AUDIO_ONLY_LINK);
    await victim.page.waitForTimeout(3000);
    const [victimBefore, officerBefore] = [await statsOf(victim.page), await statsOf(officer.page)];
    await victim.page.waitForTimeout(8000);
    const [victimAfter, officerAfter] = [await statsOf(victim.page), await statsOf(officer.page)];
    const at64 = { atVictim: continuity(victimBefore, victimAfter), atOfficer: continuity(officerBefore, officerAfter) };
    console.log(`64 kbit/s, audio only: audio continuity at victim ${(100 * at64.atVictim).toFixed(1)} %, at officer ${(100 * at64.atOfficer).toFixed(1)} %`);
    assert.ok(at64.atOfficer > 0.7 && at64.atVictim > 0.7, `audio alone works at 64 kbit/s (${JSON.stringify(at64)})`);
    assert.ok(officerAfter.audioReceived > officerBefore.audioReceived, 'the victim’s audio still arrives');

    // The officer asks for a photo instead of video; the victim's page shows the request.
    await officer.page.getByTestId('ask-photo').click();
    await victim.page.getByTestId('photo-request').waitFor({ state: 'visible', timeout: 10_000 });

    // The recording's call record notes the switch and the request.
    const call = (await server.runtime.services.calls.lifecycle.findOpenCall(consultationId))!;
    const events = (await server.runtime.services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.ok(events.includes('media_mode'), events.join(', '));
    assert.ok(events.includes('photo_requested'), events.join(', '));
  });
});
