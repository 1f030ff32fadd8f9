// CPU per packet of the media server's hot paths, without the network or real time, so the figures hold even on a
// busy shared machine (CPU time, not wall time; every variant measured in turn, round after round, in one process):
//  - SRTP: one packet decrypted on the way in and encrypted on the way out (what the server does to every forwarded
//    packet), werift 0.25.2 and 0.24.4, each with and without the key-object work-around (trap 5, srtp-key-objects.ts);
//  - the recorder's video jitter buffer: werift's JitterBufferCallback against ours (recorder-jitter-buffer.ts),
//    in order and with 2 % loss plus reordering.
// Run: npx tsx bench/media-cpu.ts [rounds=7] [packets per round=20000]
// (figures and what they mean: bench/README-media-load.md)
import { randomBytes } from 'node:crypto';
import * as webrtc from 'werift';
import * as processors from 'werift/nonstandard';
import * as webrtcV024 from 'werift-v024';
import { RecorderJitterBuffer } from '../src/features/video/media/recorder-jitter-buffer.js';
import { installSrtpKeyObjects } from '../src/features/video/media/srtp-key-objects.js';
import { printMachine } from './machine.js';

const rounds = Number(process.argv[2] ?? 7);
const packetsPerRound = Number(process.argv[3] ?? 20_000);
printMachine();

type Release = typeof webrtc;
const releases: [string, Release][] = [
  ['0.25.2', webrtc],
  ['0.24.4', webrtcV024 as unknown as Release],
];

/** A call's packet mix: per second 100 video packets of ~1100 bytes and 50 Opus packets of ~120 bytes. */
const mix = Array.from({ length: 300 }, (_, i) => {
  const video = i % 3 !== 2;
  return { payload: randomBytes(video ? 1000 + ((i * 37) % 200) : 100 + ((i * 7) % 40)), pt: video ? 96 : 111, ssrc: video ? 1111 : 2222 };
});

const PER_PACKET_METHODS = ['encryptRtp', 'decryptRtp', 'encryptRTCP', 'decryptRTCP'] as const;
type Cipher = Record<string, unknown>;
/** werift's own cipher methods of a release, saved before the work-around wraps them (for the "as shipped" figures). */
function unwrappedMethods(release: Release): Map<object, Record<string, unknown>> {
  const methods = new Map<object, Record<string, unknown>>();
  for (const profile of [1, 7]) {
    const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
    const session = new release.SrtpSession({ keys, profile }) as unknown as { localContext: { cipher: Cipher } };
    const proto = Object.getPrototypeOf(session.localContext.cipher) as Cipher;
    methods.set(proto, Object.fromEntries(PER_PACKET_METHODS.map((m) => [m, proto[m]])));
  }
  return methods;
}

/** The server's SRTP work for one forwarded packet: decrypt from the sender, encrypt to the receiver. */
function srtpPath(release: Release, unwrapped: Map<object, Record<string, unknown>> | undefined) {
  const key = () => ({
    localMasterKey: randomBytes(16),
    localMasterSalt: randomBytes(14),
    remoteMasterKey: randomBytes(16),
    remoteMasterSalt: randomBytes(14),
  });
  const flip = (k: ReturnType<typeof key>) => ({
    localMasterKey: k.remoteMasterKey,
    localMasterSalt: k.remoteMasterSalt,
    remoteMasterKey: k.localMasterKey,
    remoteMasterSalt: k.localMasterSalt,
  });
  const upstream = key();
  const downstream = key();
  const profile = 1; // AES_CM_128_HMAC_SHA1_80, what browsers and werift negotiate here
  const sender = new release.SrtpSession({ keys: upstream, profile });
  // What arrives at the server: made once, outside the measurement.
  const wire = Array.from({ length: packetsPerRound }, (_, i) => {
    const m = mix[i % mix.length]!;
    const header = new release.RtpHeader({ payloadType: m.pt, sequenceNumber: i & 0xffff, timestamp: i * 300, ssrc: m.ssrc, marker: true });
    return sender.encrypt(m.payload, header);
  });
  return () => {
    // Fresh server sessions each run (the rollover counter would otherwise see the replay as a wrap); making them is
    // a few tens of µs against thousands of packets.
    const serverIn = new release.SrtpSession({ keys: flip(upstream), profile });
    const serverOut = new release.SrtpSession({ keys: downstream, profile });
    if (unwrapped) {
      // "As shipped": werift's own methods as the ciphers' own properties, in front of the wrapped prototype ones.
      for (const session of [serverIn, serverOut] as unknown as { localContext: { cipher: Cipher }; remoteContext: { cipher: Cipher } }[]) {
        for (const cipher of [session.localContext.cipher, session.remoteContext.cipher])
          Object.assign(cipher, unwrapped.get(Object.getPrototypeOf(cipher) as object));
      }
    }
    for (const srtp of wire) {
      const plain = serverIn.decrypt(srtp);
      const rtp = release.RtpPacket.deSerialize(plain);
      serverOut.encrypt(rtp.payload, rtp.header);
    }
  };
}

/** Video packets as they reach the recorder: 3 per frame at 30 fps, `lossEvery` lost, pairs swapped every `swapEvery`. */
function videoArrivals(count: number, lossEvery: number, swapEvery: number) {
  const packets: processors.RtpPacket[] = [];
  for (let i = 0; i < count; i++) {
    if (lossEvery && i % lossEvery === lossEvery - 1) continue;
    const header = new webrtc.RtpHeader({ payloadType: 96, sequenceNumber: i & 0xffff, timestamp: Math.floor(i / 3) * 3000, ssrc: 1, marker: i % 3 === 2 });
    packets.push(new webrtc.RtpPacket(header, Buffer.alloc(8)));
  }
  for (let i = 0; swapEvery && i + 1 < packets.length; i += swapEvery) [packets[i], packets[i + 1]] = [packets[i + 1]!, packets[i]!];
  return packets;
}

function jitterPath(kind: 'werift' | 'ours', count: number, lossEvery: number, swapEvery: number) {
  const arrivals = videoArrivals(count, lossEvery, swapEvery);
  return () => {
    let out = 0;
    const buffer = kind === 'werift' ? new processors.JitterBufferCallback(90_000, {}) : new RecorderJitterBuffer(90_000);
    buffer.pipe((o: { rtp?: unknown }) => void (o.rtp && out++));
    for (const rtp of arrivals) buffer.input({ rtp });
    buffer.input({ eol: true });
    return out;
  };
}

interface Variant {
  name: string;
  run: () => unknown;
  packets: number;
}
const variants: Variant[] = [];
const unwrapped = new Map(releases.map(([label, release]) => [label, unwrappedMethods(release)]));
for (const [label, release] of releases) {
  if (installSrtpKeyObjects(release, label)) throw new Error(`the SRTP work-around does not install on werift ${label}`);
}
for (const [label, release] of releases) {
  variants.push({ name: `SRTP in+out, werift ${label}, as shipped`, run: srtpPath(release, unwrapped.get(label)), packets: packetsPerRound });
  variants.push({ name: `SRTP in+out, werift ${label}, key objects (trap 5)`, run: srtpPath(release, undefined), packets: packetsPerRound });
}
// Under loss werift's buffer takes milliseconds per packet (it walks the sequence space), so that pair runs on 600
// packets a round: the figure is per packet either way.
for (const [name, count, lossEvery, swapEvery] of [
  ['in order', packetsPerRound, 0, 0],
  ['2 % loss + 2 % swapped', 600, 50, 50],
] as const) {
  for (const kind of ['werift', 'ours'] as const) {
    variants.push({
      name: `video jitter buffer, ${kind === 'werift' ? "werift's" : 'ours'}, ${name}`,
      run: jitterPath(kind, count, lossEvery, swapEvery),
      packets: count,
    });
  }
}

function cpuMicros(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return used.user + used.system;
}

for (const v of variants) {
  const micros = cpuMicros(v.run); // warm-up
  if (process.env.MEDIA_CPU_VERBOSE) console.log(`warm-up ${v.name}: ${(micros / 1000).toFixed(0)} ms`);
}
const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const v of variants) samples.get(v.name)!.push(cpuMicros(v.run) / v.packets);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  `${rounds} rounds × ${packetsPerRound} packets (600 for the jitter buffers under loss), variants interleaved in every round; CPU µs per packet, median (min–max)`,
);
for (const v of variants) {
  const list = samples.get(v.name)!;
  console.log(`${v.name.padEnd(62)} ${median(list).toFixed(2).padStart(8)}  (${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)})`);
}
/** Per-round ratio of two variants (same round = same machine conditions), median and range. */
function ratio(a: string, b: string): string {
  const x = samples.get(a)!;
  const y = samples.get(b)!;
  const per = x.map((value, i) => value / y[i]!);
  const f = (x: number) => (x < 0.01 ? x.toExponential(1) : x.toFixed(2));
  return `${f(median(per))}× (${f(Math.min(...per))}–${f(Math.max(...per))})`;
}
console.log('ratios, per round then median (range):');
console.log(
  `  SRTP 0.25.2 as shipped ÷ 0.24.4 as shipped:        ${ratio('SRTP in+out, werift 0.25.2, as shipped', 'SRTP in+out, werift 0.24.4, as shipped')}`,
);
console.log(
  `  SRTP 0.25.2 key objects ÷ 0.24.4 key objects:      ${ratio('SRTP in+out, werift 0.25.2, key objects (trap 5)', 'SRTP in+out, werift 0.24.4, key objects (trap 5)')}`,
);
console.log(
  `  SRTP 0.25.2 key objects ÷ 0.25.2 as shipped:       ${ratio('SRTP in+out, werift 0.25.2, key objects (trap 5)', 'SRTP in+out, werift 0.25.2, as shipped')}`,
);
console.log(`  jitter buffer ours ÷ werift's, in order:           ${ratio('video jitter buffer, ours, in order', "video jitter buffer, werift's, in order")}`);
console.log(
  `  jitter buffer ours ÷ werift's, loss + reordering:  ${ratio('video jitter buffer, ours, 2 % loss + 2 % swapped', "video jitter buffer, werift's, 2 % loss + 2 % swapped")}`,
);
