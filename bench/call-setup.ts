// Video call set-up through the server's media plane, werift 0.24.4 and the installed werift side by side.
// N concurrent officer↔victim calls between headless Chromium pages (fake camera and microphone), run on a
// server built with each werift release in turn, rounds alternating the order so the machine's load falls on
// both alike. Figures per release, then the ratio installed / 0.24.4. Prints figures; it is not a test.
// Also: each page's own timeline (ms from its page load: local media, socket, offer, answer, connected, first frame),
// per phase side by side, and page load → first remote frame on both sides (the victim's first join; the officer's
// page reloaded mid-call), printed beside issue 18's figure from before the start-up was made parallel.
// Run: npx tsx bench/call-setup.ts [calls=2] [seconds of steady call=10] [rounds=2]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as webrtcV024 from 'werift-v024';
import * as processorsV024 from 'werift-v024/nonstandard';
import { acceptedConsultation, callStats, type CallStats } from '../e2e/support/call.js';
import { evaluateWithin, freePort, launchParticipant, type Participant } from '../e2e/support/harness.js';
import { SignInPage } from '../e2e/support/pages.js';
import { mediaSettings } from '../src/composition.js';
import { loadConfig } from '../src/config.js';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { INSTALLED_WERIFT, WeriftMediaEngine, type WeriftRelease } from '../src/features/video/media/werift-room.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { startRuntime } from '../src/runtime.js';
import { printMachine } from './machine.js';

const calls = Number(process.argv[2] ?? 2);
const steadySeconds = Number(process.argv[3] ?? 10);
const rounds = Number(process.argv[4] ?? 2);
printMachine();

const installedVersion = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../node_modules/werift/package.json'), 'utf8')) as { version: string })
  .version;
// The old release's types differ in private members only; the room uses the same public API of both.
const V024 = { webrtc: webrtcV024, processors: processorsV024, version: '0.24.4' } as unknown as WeriftRelease;
const releases: { label: string; werift: WeriftRelease }[] = [
  { label: '0.24.4', werift: V024 },
  { label: installedVersion, werift: INSTALLED_WERIFT },
];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Milliseconds from `since` until the page decodes its first remote video frame. */
async function firstRemoteFrame(participant: Participant, since: number): Promise<number> {
  for (;;) {
    const stats = await callStats(participant.page).catch(() => undefined);
    if (stats && stats.framesDecoded > 0) return Date.now() - since;
    if (Date.now() - since > 120_000) throw new Error(`no remote frame within 120 s (page: ${JSON.stringify(stats)}; server: ${JSON.stringify(roomStats())})`);
    await participant.page.waitForTimeout(50);
  }
}

/** The page's own marks (ms from its page load), once `want` is among them (or after 10 s, with what there is). */
async function pageMarks(participant: Participant, want: string): Promise<Record<string, number>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const marks = await evaluateWithin(participant.page, 5000, () => ({
      ...(window as unknown as { rvrCall: { marks: Record<string, number> } }).rvrCall.marks,
    }));
    if (marks[want] !== undefined || Date.now() > deadline) return marks;
    await participant.page.waitForTimeout(50);
  }
}

/** The server's view of every room, for a failure message. */
let roomStats: () => unknown = () => undefined;

interface Figures {
  victimJoinMs: number[];
  officerJoinMs: number[];
  /** A victim's call page opened again mid-call: page load → first frame of the officer's stream, which was already running. */
  lateJoinMs: number[];
  /** The same late joiner: its connection up → first frame, from the page's own marks. */
  lateJoinAfterConnectedMs: number[];
  /** Each victim's first call page: its marks, ms from page load. */
  victimMarks: Record<string, number>[];
  /** The officer's call page reloaded mid-call: its marks, ms from page load. */
  officerReloadMarks: Record<string, number>[];
  cpuPercentPerCall: number[];
  decoded: number;
  dropped: number;
  sendKbps: number[];
}

/** One run of the scenario on a fresh server (embedded database, demo data) whose rooms use `werift`. */
async function runScenario(werift: WeriftRelease, figures: Figures, firstRun: boolean): Promise<void> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SEED_DEMO_DATA: 'true',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  });
  const logger = createLogger({ level: 'silent' });
  const runtime = await startRuntime(config, logger, { mediaEngine: new WeriftMediaEngine(mediaSettings(config), logger, werift) });
  const baseUrl = await runtime.app.listen({ host: '127.0.0.1', port });
  const { services } = runtime;
  // Reaches into CallRooms' private map: a diagnostic for a failed run only.
  roomStats = () => [...(services.callRooms as unknown as { calls: Map<string, { room: { stats(): unknown } }> }).calls.values()].map((c) => c.room.stats());
  const people: Participant[] = [];
  try {
    // Everyone signed in and on their pages first, so the figures are the call's, not the sign-in's.
    const setups = [];
    for (let i = 0; i < calls; i++) {
      const mobile = `07700 9001${String(i).padStart(2, '0')}`;
      const consultationId = await acceptedConsultation(services, { mobile });
      const officer = await launchParticipant({ fakeMedia: true });
      const victim = await launchParticipant({ fakeMedia: true });
      people.push(officer, victim);
      // A bench shares the machine: slow pages are a figure here, not a failure.
      for (const p of [officer, victim]) p.context.setDefaultTimeout(60_000);
      await new SignInPage(officer.page).signInAndAcknowledge(baseUrl, 'officer', DEMO_PASSWORD);
      setups.push({ consultationId, officer, victim, to: `+44${mobile.replace(/\s/g, '').slice(1)}` });
    }
    await Promise.all(
      setups.map(async ({ consultationId, officer, victim, to }, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 300));
        const officerJoined = Date.now();
        await officer.page.goto(`${baseUrl}/consultations/${consultationId}/call`);
        await officer.page.getByTestId('send-link').click();
        let text;
        while (!(text = services.smsOutbox!.list().find((m) => m.to === to))) await new Promise((resolve) => setTimeout(resolve, 20));
        const link = /https?:\/\/\S+/.exec(text.body)![0];
        await victim.page.goto(link);
        await victim.page.getByLabel('I agree to the video call').check();
        await victim.page.getByLabel('I understand the call is recorded').check();
        const victimJoined = Date.now();
        await victim.page.getByTestId('consent-continue').click();
        const [victimMs, officerMs] = await Promise.all([firstRemoteFrame(victim, victimJoined), firstRemoteFrame(officer, officerJoined)]);
        figures.victimJoinMs.push(victimMs);
        figures.officerJoinMs.push(officerMs - (victimJoined - officerJoined));
        const marks = await pageMarks(victim, 'firstFrame:officer');
        figures.victimMarks.push(marks);
        if (i === 0 && firstRun) {
          console.log(
            `  first victim page, ms from page load: ${Object.entries(marks)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
          );
        }
      }),
    );

    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const first: CallStats[] = await Promise.all(people.map((p) => callStats(p.page).then((s) => s!)));
    await new Promise((resolve) => setTimeout(resolve, steadySeconds * 1000));
    const last: CallStats[] = await Promise.all(people.map((p) => callStats(p.page).then((s) => s!)));
    const cpu = process.cpuUsage(cpuBefore);
    const wallMs = performance.now() - wallBefore;
    figures.cpuPercentPerCall.push((((cpu.user + cpu.system) / 1000 / wallMs) * 100) / calls);
    figures.decoded += last.reduce((sum, s, i) => sum + s.framesDecoded - first[i]!.framesDecoded, 0);
    figures.dropped += last.reduce((sum, s, i) => sum + s.framesDropped - first[i]!.framesDropped, 0);
    figures.sendKbps.push(...last.map((s) => s.sendKbps));

    // A late joiner: the first victim's phone opens the call page again (its call session cookie kept) and
    // must decode the officer's stream, which is already running.
    const { victim } = setups[0]!;
    const reopenedAt = Date.now();
    await victim.page.goto(`${baseUrl}/v/call`);
    figures.lateJoinMs.push(await firstRemoteFrame(victim, reopenedAt));
    const marks = await pageMarks(victim, 'firstFrame:officer');
    const [connected, firstFrame] = [marks.connected, marks['firstFrame:officer']];
    if (connected !== undefined && firstFrame !== undefined) figures.lateJoinAfterConnectedMs.push(firstFrame - connected);

    // The officer's page reloaded mid-call: page load → first frame of the victim's stream, which is already running.
    const { officer } = setups[0]!;
    await officer.page.reload();
    await firstRemoteFrame(officer, Date.now());
    figures.officerReloadMarks.push(await pageMarks(officer, 'firstFrame:victim'));

    if (firstRun) {
      // The victim's page as a phone downloads it: HTML, CSS and JS, gzipped.
      const victimCookie = (await victim.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      let raw = 0;
      let gzipped = 0;
      const html = await fetch(`${baseUrl}/v/call`, { headers: { cookie: victimCookie } }).then((r) => r.text());
      const assets = [...html.matchAll(/(?:href|src)="(\/(?:stylesheets|static)\/[^"]+)"/g)].map((m) => m[1]!);
      for (const body of [html, ...(await Promise.all(assets.map((a) => fetch(`${baseUrl}${a}`).then((r) => r.text()))))]) {
        raw += Buffer.byteLength(body);
        gzipped += gzipSync(body).length;
      }
      console.log(`  victim page transfer: ${(gzipped / 1024).toFixed(1)} KiB gzipped (${(raw / 1024).toFixed(1)} KiB raw; HTML + ${assets.join(', ')})`);
    }
  } finally {
    await Promise.all(people.map((p) => p.close()));
    await runtime.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const emptyFigures = (): Figures => ({
  victimJoinMs: [],
  officerJoinMs: [],
  lateJoinMs: [],
  lateJoinAfterConnectedMs: [],
  victimMarks: [],
  officerReloadMarks: [],
  cpuPercentPerCall: [],
  decoded: 0,
  dropped: 0,
  sendKbps: [],
});
const results = new Map(releases.map((r) => [r.label, emptyFigures()]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? releases : [...releases].reverse();
  for (const release of order) {
    console.log(`round ${round + 1}/${rounds}: werift ${release.label}`);
    await runScenario(release.werift, results.get(release.label)!, round === 0 && release === order[0]);
  }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const markP50 = (list: Record<string, number>[], name: string) =>
  percentile(
    list.flatMap((m) => (m[name] === undefined ? [] : [m[name]])),
    50,
  );
const rows: [string, (f: Figures) => number, string][] = [
  ['victim: page load → first remote frame, p50', (f) => markP50(f.victimMarks, 'firstFrame:officer'), 'ms'],
  ['officer: page reload → first remote frame, p50', (f) => markP50(f.officerReloadMarks, 'firstFrame:victim'), 'ms'],
  ['victim: consent → first remote frame, p50', (f) => percentile(f.victimJoinMs, 50), 'ms'],
  ['victim: consent → first remote frame, p95', (f) => percentile(f.victimJoinMs, 95), 'ms'],
  ['officer: victim joins → first frame, p50', (f) => percentile(f.officerJoinMs, 50), 'ms'],
  ['officer: victim joins → first frame, p95', (f) => percentile(f.officerJoinMs, 95), 'ms'],
  ['late joiner: page reopened → first frame, p50', (f) => percentile(f.lateJoinMs, 50), 'ms'],
  ['late joiner: connected → first frame, p50', (f) => percentile(f.lateJoinAfterConnectedMs, 50), 'ms'],
  ['server CPU per call (mean of runs)', (f) => mean(f.cpuPercentPerCall), '% of a core'],
  ['frames dropped', (f) => (f.decoded ? (100 * f.dropped) / (f.decoded + f.dropped) : 0), '%'],
  ["senders' video bitrate, p50", (f) => percentile(f.sendKbps, 50), 'kbit/s'],
];
const [old, installed] = releases.map((r) => results.get(r.label)!) as [Figures, Figures];
console.log(
  `\ncall set-up, werift 0.24.4 vs ${installedVersion}: ${calls} concurrent call(s), ${steadySeconds} s steady state, ${rounds} round(s) each, alternating`,
);
console.log(`  ${''.padEnd(46)} ${'0.24.4'.padStart(9)} ${installedVersion.padStart(9)}   ratio`);
for (const [name, pick, unit] of rows) {
  const a = pick(old);
  const b = pick(installed);
  console.log(`  ${name.padEnd(46)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)}   ${(a > 0 ? (b / a).toFixed(2) : '—').padStart(5)}  ${unit}`);
}
// Issue 18's figure, taken on a quiet machine before the start-up was made parallel (media, then socket, then offer).
console.log(`  before (issue 18, quiet machine): victim page load → first remote frame 1710 ms; target ≤ 1000 ms p50 on both sides`);
const phases = ['localMedia', 'socketOpen', 'offer', 'answerSent', 'connected'];
for (const [who, pick, frame] of [
  ['victim', (f: Figures) => f.victimMarks, 'firstFrame:officer'],
  ['officer (reload)', (f: Figures) => f.officerReloadMarks, 'firstFrame:victim'],
] as const) {
  console.log(`  ${who}'s page, p50 ms from page load per phase (0.24.4 | ${installedVersion}):`);
  console.log(
    `    ${[...phases, frame].map((name) => `${name} ${markP50(pick(old), name).toFixed(0)} | ${markP50(pick(installed), name).toFixed(0)}`).join(', ')}`,
  );
}
console.log(`  samples per release: ${old.victimJoinMs.length} joins, ${old.lateJoinMs.length} late joins, ${old.cpuPercentPerCall.length} CPU windows`);
