// Issue 17 §3: a call on a poor connection, figures only (not a test). The victim's Chromium goes through the tests'
// impairing TURN relay (test/support/impairing-relay.ts, forced with iceTransportPolicy 'relay'); the officer is on a
// clear line. For each profile and round: page load → the officer's first audio on the victim's page, video frames
// decoded on both pages, audio continuity (share of audio played from real packets, not concealed) on both, the
// victim page's own figures (RTT, loss, what it can send), and whether it dropped to audio only. Then medians.
// Measure on a quiet machine: on a shared one the browsers' CPU, not the network, sets the figures.
// Run: node --import tsx bench/poor-connection.ts [rounds=3] [seconds per window=15] [profiles=clear,3g,2g]
import { callOnProfile, printFigures, type PoorConnectionFigures } from '../e2e/support/poor-connection.js';
import { freePort, startServer } from '../e2e/support/harness.js';
import { ImpairingRelay, PROFILES } from '../test/support/impairing-relay.js';
import { printMachine } from './machine.js';

const rounds = Number(process.argv[2] ?? 3);
const windowSeconds = Number(process.argv[3] ?? 15);
const profileNames = (process.argv[4] ?? 'clear,3g,2g').split(',') as (keyof typeof PROFILES)[];
for (const name of profileNames) if (!PROFILES[name]) throw new Error(`Unknown profile ${name}; known: ${Object.keys(PROFILES).join(', ')}`);
printMachine();

const port = await freePort();
const server = await startServer({
  PORT: String(port),
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  CALL_RECONNECT_GRACE_SECONDS: '30',
  QUICK_EXIT_URL: `http://127.0.0.1:${port}/v/ended`,
});
const relay = await new ImpairingRelay().start();
const results = new Map<string, PoorConnectionFigures[]>();
try {
  for (let round = 1; round <= rounds; round++) {
    for (const name of profileNames) {
      const profile = PROFILES[name];
      const { figures, officer, victim } = await callOnProfile(server, relay, profile, {
        windowSeconds,
        // Let the page's own connection rules act before measuring (the 2G page drops to audio only within ~10 s).
        settle: (v) => v.page.waitForTimeout(name === '2g' ? 15_000 : 3000),
      });
      printFigures(figures);
      results.set(profile.name, [...(results.get(profile.name) ?? []), figures]);
      await Promise.all([victim.close(), officer.close()]);
    }
  }
} finally {
  await relay.stop();
  await server.stop();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};
console.log(`\nMedians over ${rounds} round(s), ${windowSeconds} s windows:`);
for (const [profile, all] of results) {
  console.log(
    `${profile}: join → officer heard ${median(all.map((f) => f.joinToOfficerAudioMs))} ms; frames decoded victim ${median(all.map((f) => f.framesDecodedByVictim))}, officer ${median(all.map((f) => f.framesDecodedByOfficer))}; audio continuity at victim ${(100 * median(all.map((f) => f.audioContinuityAtVictim))).toFixed(1)} %, at officer ${(100 * median(all.map((f) => f.audioContinuityAtOfficer))).toFixed(1)} %; audio only in ${all.filter((f) => f.victimMode === 'audio_only').length}/${all.length}`,
  );
}
