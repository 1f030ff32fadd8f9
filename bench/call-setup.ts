// Concurrent video calls through the server: join → first remote frame on both sides, server CPU per call, drops.
// Video call set-up through the server's media plane: N concurrent officer↔victim calls between headless
// Chromium pages (fake camera and microphone). Prints figures; it is not a test.
// Run: npx tsx bench/call-setup.ts [calls=2] [seconds of steady call=10]
import { gzipSync } from 'node:zlib';
import { acceptedConsultation, callStats, type CallStats } from '../e2e/support/call.js';
import { freePort, launchParticipant, startServer, type Participant } from '../e2e/support/harness.js';
import { SignInPage } from '../e2e/support/pages.js';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { printMachine } from './machine.js';

const calls = Number(process.argv[2] ?? 2);
const steadySeconds = Number(process.argv[3] ?? 10);
printMachine();

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** Milliseconds from `since` until the page decodes its first remote video frame. */
async function firstRemoteFrame(participant: Participant, since: number): Promise<number> {
  for (;;) {
    const stats = await callStats(participant.page).catch(() => undefined);
    if (stats && stats.framesDecoded > 0) return Date.now() - since;
    if (Date.now() - since > 60_000) throw new Error('no remote frame within 60 s');
    await participant.page.waitForTimeout(50);
  }
}

const port = await freePort();
const server = await startServer({ PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
const { services } = server.runtime;
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
    await new SignInPage(officer.page).signInAndAcknowledge(server.baseUrl, 'officer', DEMO_PASSWORD);
    setups.push({ consultationId, officer, victim, to: `+44${mobile.replace(/\s/g, '').slice(1)}` });
  }
  const joins: { officerMs: number; victimMs: number }[] = [];
  await Promise.all(
    setups.map(async ({ consultationId, officer, victim, to }, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 300));
      const officerJoined = Date.now();
      await officer.page.goto(`${server.baseUrl}/consultations/${consultationId}/call`);
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
      joins.push({ officerMs: officerMs - (victimJoined - officerJoined), victimMs });
      if (i === 0) {
        const marks = await victim.page.evaluate(() => (window as unknown as { rvrCall: { marks: Record<string, number> } }).rvrCall.marks);
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
  const serverCpuPercentOfCore = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;

  const decoded = last.reduce((sum, s, i) => sum + s.framesDecoded - first[i]!.framesDecoded, 0);
  const dropped = last.reduce((sum, s, i) => sum + s.framesDropped - first[i]!.framesDropped, 0);
  const sendKbps = last.map((s) => s.sendKbps);

  // The victim's page as a phone downloads it: HTML, CSS and JS, gzipped.
  const victimCookie = (await setups[0]!.victim.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  let raw = 0;
  let gzipped = 0;
  const html = await fetch(`${server.baseUrl}/v/call`, { headers: { cookie: victimCookie } }).then((r) => r.text());
  const assets = [...html.matchAll(/(?:href|src)="(\/(?:stylesheets|static)\/[^"]+)"/g)].map((m) => m[1]!);
  for (const body of [html, ...(await Promise.all(assets.map((a) => fetch(`${server.baseUrl}${a}`).then((r) => r.text()))))]) {
    raw += Buffer.byteLength(body);
    gzipped += gzipSync(body).length;
  }

  const victimJoin = joins.map((j) => j.victimMs);
  const officerJoin = joins.map((j) => j.officerMs);
  console.log(`call set-up through the werift media plane: ${calls} concurrent call(s), ${steadySeconds} s steady state`);
  console.log(`  victim: consent → first remote frame   p50 ${percentile(victimJoin, 50)} ms, p95 ${percentile(victimJoin, 95)} ms`);
  console.log(`  officer: victim joins → first frame   p50 ${percentile(officerJoin, 50)} ms, p95 ${percentile(officerJoin, 95)} ms`);
  console.log(`  server CPU: ${serverCpuPercentOfCore.toFixed(1)}% of one core in all, ${(serverCpuPercentOfCore / calls).toFixed(1)}% per call`);
  console.log(`  frames decoded ${decoded}, dropped ${dropped} (${decoded ? ((100 * dropped) / (decoded + dropped)).toFixed(2) : '0'}%)`);
  console.log(`  senders' video bitrate: ${sendKbps.map((k) => Math.round(k)).join(', ')} kbit/s`);
  console.log(`  victim page transfer: ${(gzipped / 1024).toFixed(1)} KiB gzipped (${(raw / 1024).toFixed(1)} KiB raw; HTML + ${assets.join(', ')})`);
} finally {
  await Promise.all(people.map((p) => p.close()));
  await server.stop();
}
