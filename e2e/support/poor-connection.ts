/**
 * Issue 17 §3: a call whose victim is on an impaired network. The victim's browser is forced through the tests'
 * impairing TURN relay (test/support/impairing-relay.ts: `iceTransportPolicy: 'relay'`, so every packet between
 * their page and the server crosses the modelled access link); the officer is on a clear line. Shared by the
 * end-to-end test (e2e/poor-connection.test.ts) and the bench (bench/poor-connection.ts), which print its figures.
 */
import type { Page } from 'playwright-core';
import { type ImpairingRelay, type NetworkProfile } from '../../test/support/impairing-relay.js';
import { callStats, officerSendsLink, victimJoins, type CallStats } from './call.js';
import { evaluateWithin, launchParticipant, type Participant, type RunningServer } from './harness.js';

export interface PoorConnectionFigures {
  profile: string;
  /** From the victim's call page starting to load to the officer's first audio arriving on it, in ms. */
  joinToOfficerAudioMs: number;
  /** Video frames decoded during the window: the officer's on the victim's page, the victim's on the officer's. */
  framesDecodedByVictim: number;
  framesDecodedByOfficer: number;
  /** Share of audio played from real packets (not concealed) during the window, on each page (1 = no gap). */
  audioContinuityAtVictim: number;
  audioContinuityAtOfficer: number;
  /** The victim's page: video and audio, or audio only, at the end; and what it judged its connection. */
  victimMode: string;
  connectionHint: string;
  /** The victim page's own figures at the end (RTT, loss, what it could send). */
  victim: CallStats | undefined;
  windowSeconds: number;
  relayDropped: { lostAtRandom: number; queueFull: number };
}

/** The victim's browser with every RTCPeerConnection forced through the relay. */
export async function victimBehindRelay(relay: ImpairingRelay): Promise<Participant> {
  const victim = await launchParticipant({ fakeMedia: true });
  // A string, not a function: the test runner's transpiler would add helpers (__name) the page does not have.
  await victim.context.addInitScript(`(() => {
    const Native = window.RTCPeerConnection;
    const iceServer = ${JSON.stringify(relay.iceServer)};
    window.RTCPeerConnection = class RelayedPeerConnection extends Native {
      constructor(configuration) {
        super({ ...configuration, iceServers: [iceServer], iceTransportPolicy: 'relay' });
      }
    };
  })();`);
  return victim;
}

/** Waits (in the page) for the first audio packet from anyone else; the page's clock then (ms since it began loading). */
export function firstRemoteAudioAt(page: Page, timeoutMs = 30_000): Promise<number> {
  return evaluateWithin(page, timeoutMs + 1000, async () => {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const pc = (window as unknown as { rvrCall?: { pc?: RTCPeerConnection } }).rvrCall?.pc;
      if (pc) {
        let packets = 0;
        (await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived ?? 0;
        });
        if (packets > 0) return Math.round(performance.now());
      }
      if (performance.now() > deadline) throw new Error('no audio from the officer arrived');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
}

export function victimMode(page: Page): Promise<string> {
  return evaluateWithin(page, 5000, () => (window as unknown as { rvrCall: { mode: string } }).rvrCall.mode);
}

export async function statsOf(page: Page): Promise<CallStats> {
  const stats = await callStats(page);
  if (!stats) throw new Error('the call page has no statistics yet');
  return stats;
}

/** Share of the audio received between two readings that was played from real packets, not made up (1 = no gap). */
export const continuity = (before: CallStats, after: CallStats) => {
  const samples = after.audioReceived - before.audioReceived;
  const concealed = after.audioConcealed - before.audioConcealed;
  return samples > 0 ? Math.max(0, 1 - concealed / samples) : 0;
};

/**
 * One call on the profile: the officer texts the link, the victim (behind the relay) consents and joins; the join time
 * is taken, then the call runs for `windowSeconds` (after `settle`, a wait the caller may use, e.g. for audio only)
 * and the figures are read on both pages. The people are returned for the caller to go on with and close.
 */
export async function callOnProfile(
  server: RunningServer,
  relay: ImpairingRelay,
  profile: NetworkProfile,
  options: { windowSeconds: number; settle?: (victim: Participant, officer: Participant) => Promise<void> },
): Promise<{ figures: PoorConnectionFigures; officer: Participant; victim: Participant; consultationId: string }> {
  relay.setProfile(profile);
  const dropsBefore = {
    lostAtRandom: relay.up.counters.lostAtRandom + relay.down.counters.lostAtRandom,
    queueFull: relay.up.counters.droppedQueueFull + relay.down.counters.droppedQueueFull,
  };
  const { consultationId, officer, link } = await officerSendsLink(server);
  const victim = await victimBehindRelay(relay);
  try {
    await victimJoins(link, { participant: victim });
    const joinToOfficerAudioMs = await firstRemoteAudioAt(victim.page);
    await options.settle?.(victim, officer);
    const [victimBefore, officerBefore] = [await statsOf(victim.page), await statsOf(officer.page)];
    await victim.page.waitForTimeout(options.windowSeconds * 1000);
    const [victimAfter, officerAfter] = [await statsOf(victim.page), await statsOf(officer.page)];
    const figures: PoorConnectionFigures = {
      profile: profile.name,
      joinToOfficerAudioMs,
      framesDecodedByVictim: victimAfter.framesDecoded - victimBefore.framesDecoded,
      framesDecodedByOfficer: officerAfter.framesDecoded - officerBefore.framesDecoded,
      audioContinuityAtVictim: continuity(victimBefore, victimAfter),
      audioContinuityAtOfficer: continuity(officerBefore, officerAfter),
      victimMode: await victimMode(victim.page),
      connectionHint: (await victim.page.getByTestId('quality').getAttribute('data-connection')) ?? '',
      victim: victimAfter,
      windowSeconds: options.windowSeconds,
      relayDropped: {
        lostAtRandom: relay.up.counters.lostAtRandom + relay.down.counters.lostAtRandom - dropsBefore.lostAtRandom,
        queueFull: relay.up.counters.droppedQueueFull + relay.down.counters.droppedQueueFull - dropsBefore.queueFull,
      },
    };
    return { figures, officer, victim, consultationId };
  } catch (error) {
    await Promise.all([victim.close(), officer.close()]);
    throw error;
  }
}

export function printFigures(figures: PoorConnectionFigures): void {
  const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
  console.log(
    [
      `${figures.profile}:`,
      `join → officer heard ${figures.joinToOfficerAudioMs} ms;`,
      `in ${figures.windowSeconds} s frames decoded: victim ${figures.framesDecodedByVictim}, officer ${figures.framesDecodedByOfficer};`,
      `audio continuity: at victim ${pct(figures.audioContinuityAtVictim)}, at officer ${pct(figures.audioContinuityAtOfficer)};`,
      `victim mode ${figures.victimMode}, hint ${figures.connectionHint || '-'};`,
      `victim RTT ${figures.victim?.rttMs ?? '-'} ms, loss ${figures.victim?.loss === undefined ? '-' : pct(figures.victim.loss)}, can send ${figures.victim?.availableOutgoingKbps ?? '-'} kbit/s;`,
      `relay dropped ${figures.relayDropped.lostAtRandom} at random, ${figures.relayDropped.queueFull} queue full`,
    ].join(' '),
  );
}
