// Media plane under synthetic load: recorded 1:1 calls without browsers, stepped up until the node cannot hold them.
// The server is the product's media engine in its own process; the participants are werift clients in separate
// processes that send a pre-encoded VP8 + Opus loop (made once with ffmpeg) and receive the other side. Per number of
// concurrent calls it prints the server's CPU per call, packet loss, forwarding delay p50/p99 and recording gaps
// (ffprobe on every recording afterwards), then the largest number of calls held with < 0.5 % loss and p99 < 30 ms.
// The load generator needs CPU too (it encrypts and decrypts as much as the server): its share is printed beside.
// The same run measures Janus 1.1.2 (Debian's package, videoroom plugin, recording on) under the same load, in a
// network namespace with a veth pair (bench/support/janus.ts), and prints both side by side with the ratio of CPU per
// call; Janus's recordings (.mjr) are checked for gaps by reading their packets (bench/support/mjr.ts).
// Run: npx tsx bench/media-load.ts [calls=1,2,4,8,12,16,20] [seconds per step=10] [client processes=2] [engines=werift,janus]
// Engines: `werift` (the product's engine, media workers as configured), `werift/<n>` (the same with n media worker
// processes), `janus`, and `werift@<variant>` (one werift
// release in a server process of its own, no worker: `werift@0.25.2`, `werift@0.24.4`, `werift@0.25.2-raw` without the
// SRTP key-object work-around). Every engine is measured at every step in turn, so repeating a step (`2,2,2,2`) gives
// interleaved repeated runs, and the last table prints each engine's CPU per delivered packet as a ratio to the first.
// (notes, figures and the profile: bench/README-media-load.md)
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlotMap } from '../src/features/video/media/media-room.js';
import { printMachine } from './machine.js';
import type { ClientEvent, ClientReport, ClientRequest } from './support/media-load-client.js';
import { startJanus, type JanusServer } from './support/janus.js';
import { mediaLoop } from './support/media-loop.js';
import { readMjr } from './support/mjr.js';
import type { ServerEvent, ServerRequest } from './support/media-load-server.js';

const steps = (process.argv[2] ?? '1,2,4,8,12,16,20').split(',').map(Number);
const windowSeconds = Number(process.argv[3] ?? 10);
const clientCount = Number(process.argv[4] ?? 2);
const engines = (process.argv[5] ?? 'werift,janus').split(',');
const LOSS_LIMIT = 0.005;
const P99_LIMIT_MS = 30;
const SETTLE_MS = 2000;
printMachine();

type Reply = { event: 'reply'; id: number; result?: unknown; error?: string };
const isReply = (message: { event: string }): message is Reply => message.event === 'reply';
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A child process spoken to by request and reply over the IPC channel. */
class Endpoint<Request extends { id: number }, Event extends { event: string }> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<Event>;

  constructor(
    readonly child: ChildProcess,
    private readonly onEvent: (event: Event) => void,
  ) {
    let markReady: (event: Event) => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    child.on('message', (message: Event | Reply) => {
      if (isReply(message)) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      } else if (message.event === 'ready') markReady(message);
      else this.onEvent(message);
    });
    child.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`a bench process exited (${code})`));
    });
  }

  request<T>(request: WithoutId<Request>, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${JSON.stringify(request).slice(0, 80)} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...request, id });
    });
  }
}

/** CPU seconds (user + system) used so far by a process and all its descendants (media workers included). */
function treeCpuSeconds(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  const read = (id: number): number => {
    try {
      const stat = fs.readFileSync(`/proc/${id}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const own = (Number(fields[11]) + Number(fields[12])) / tick;
      const children = fs
        .readdirSync(`/proc/${id}/task`)
        .flatMap((task) => fs.readFileSync(`/proc/${id}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      return own + children.reduce((sum, child) => sum + read(child), 0);
    } catch {
      return 0;
    }
  };
  return read(pid);
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** Gaps in a recording: the longest pause between consecutive packets of each stream, and how many exceed a limit. */
function recordingGaps(file: string): { streams: number; durationS: number; gaps: number; longestGapMs: number } {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time', '-of', 'csv=p=0', file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const byStream = new Map<string, number[]>();
  for (const line of probe.stdout.trim().split('\n')) {
    const [stream, pts] = line.split(',');
    if (stream === undefined || pts === undefined || pts === 'N/A') continue;
    const list = byStream.get(stream) ?? [];
    list.push(Number(pts));
    byStream.set(stream, list);
  }
  let gaps = 0;
  let longest = 0;
  let duration = 0;
  for (const times of byStream.values()) {
    times.sort((a, b) => a - b);
    duration = Math.max(duration, (times.at(-1) ?? 0) - (times[0] ?? 0));
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i]! - times[i - 1]!) * 1000;
      longest = Math.max(longest, gap);
      // Video at 30 fps has a packet every 33 ms and audio every 20 ms: a quarter of a second without one is a gap.
      if (gap > 250) gaps++;
    }
  }
  return { streams: byStream.size, durationS: duration, gaps, longestGapMs: longest };
}

type Engine = string;
const isWerift = (engine: Engine) => engine === 'werift' || engine.startsWith('werift@') || engine.startsWith('werift/');

interface StepResult {
  engine: Engine;
  calls: number;
  cpuPerCall: number;
  /** Server CPU per packet delivered to a receiver (µs): comparable even when a starved server lost packets. */
  cpuPerPacketUs: number;
  clientCpu: number;
  loss: number;
  p50: number;
  p99: number;
  gaps: number;
  longestGapMs: number;
  incomplete: number;
  /** The werift server's event-loop delay over the window (p99 / max, ms); Janus has no event loop to measure. */
  loopDelay: { p99Ms: number; maxMs: number } | undefined;
}

await mediaLoop(); // made once (about ten seconds) before anything is measured
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-media-load-'));
const here = import.meta.dirname;
const childOptions = { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };

let clients: Endpoint<ClientRequest, ClientEvent>[] = [];
type Server = Endpoint<ServerRequest, ServerEvent>;
const startServer = (engine: Engine): Server =>
  new Endpoint<ServerRequest, ServerEvent>(
    fork(path.join(here, 'support/media-load-server.ts'), [], {
      ...childOptions,
      // MEDIA_LOAD_CPU_PROF=<folder>: each werift server (and media worker) writes a V8 CPU profile there when the run
      // ends, named with its pid (printed below); summarise it with bench/support/cpuprofile-top.ts.
      execArgv: [...childOptions.execArgv, ...(process.env.MEDIA_LOAD_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.MEDIA_LOAD_CPU_PROF}`] : [])],
      env: {
        ...process.env,
        MEDIA_LOAD_SCRATCH: path.join(scratch, engine.replace(/[^\w.-]/g, '_')),
        MEDIA_LOAD_VARIANT: engine.split('@')[1] ?? '',
        ...(engine.startsWith('werift/') ? { MEDIA_WORKERS: engine.slice('werift/'.length) } : {}),
      },
    }),
    (event) => {
      if (event.event !== 'candidate') return;
      const client = clientOf.get(event.participantId);
      void client?.request({ op: 'candidate', participantId: event.participantId, candidate: event.candidate }).catch(() => undefined);
    },
  );
const servers = new Map<Engine, Server>(engines.filter(isWerift).map((engine) => [engine, startServer(engine)]));
const serverOf = new Map<string, Server>();
const clientOf = new Map<string, Endpoint<ClientRequest, ClientEvent>>();
const callOf = new Map<string, string>();
const receiving = new Set<string>();
clients = Array.from(
  { length: clientCount },
  () =>
    new Endpoint<ClientRequest, ClientEvent>(fork(path.join(here, 'support/media-load-client.ts'), [], childOptions), (event) => {
      if (event.event === 'receiving') receiving.add(event.participantId);
      if (event.event === 'candidate') {
        const callId = callOf.get(event.participantId)!;
        void serverOf
          .get(event.participantId)
          ?.request({ op: 'candidate', callId, participantId: event.participantId, candidate: event.candidate })
          .catch(() => undefined);
      }
    }),
);
for (const [engine, server] of servers) {
  const ready = (await server.ready) as Extract<ServerEvent, { event: 'ready' }>;
  console.log(`${engine}: ${ready.engine}, pid ${server.child.pid}`);
}
await Promise.all(clients.map((c) => c.ready));
console.log(`${clientCount} load-generator processes; ${windowSeconds} s measured per step after every call is up`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130)); // the exit handlers remove Janus's namespace
const janus: JanusServer | undefined = engines.includes('janus') ? await startJanus(scratch) : undefined;
if (janus) console.log(`peer: Janus ${janus.version} (videoroom, recording on) in a network namespace, HTTP API at ${janus.baseUrl}`);

async function connectWerift(server: Server, calls: number, participants: string[]): Promise<void> {
  await Promise.all(
    Array.from({ length: calls }, async (_, index) => {
      const callId = `call-${calls}-${index}`;
      const client = clients[index % clients.length]!;
      for (const role of ['officer', 'victim'] as const) {
        const participantId = `${callId}-${role}`;
        clientOf.set(participantId, client);
        serverOf.set(participantId, server);
        callOf.set(participantId, callId);
        participants.push(participantId);
        const offer = await server.request<{ sdp: string; slots: SlotMap }>({ op: 'join', callId, participantId, role });
        const answer = await client.request<string>({ op: 'peer', callId, participantId, role, sdp: offer.sdp, slots: offer.slots });
        await server.request({ op: 'answer', callId, participantId, sdp: answer });
      }
    }),
  );
}

async function connectJanus(server: JanusServer, calls: number, participants: string[]): Promise<void> {
  await Promise.all(
    Array.from({ length: calls }, async (_, index) => {
      const callId = `call-${calls}-${index}`;
      participants.push(`${callId}-officer`, `${callId}-victim`);
      await clients[index % clients.length]!.request({ op: 'janusCall', callId, baseUrl: server.baseUrl, recDir: server.recDir }, 120_000);
    }),
  );
}

interface RecordingCheck {
  gaps: number;
  longestGapMs: number;
  incomplete: number;
}

async function weriftRecordings(server: Server, calls: number): Promise<RecordingCheck> {
  const recordings = await server.request<{ path: string; role: string; durationMs: number | undefined; packets: number }[]>({ op: 'closeAll' }, 120_000);
  let gaps = 0;
  let longestGapMs = 0;
  let incomplete = 0;
  for (const recording of recordings) {
    const probed = recordingGaps(recording.path);
    gaps += probed.gaps;
    longestGapMs = Math.max(longestGapMs, probed.longestGapMs);
    if (probed.streams < 2) incomplete++;
    fs.rmSync(recording.path, { force: true });
  }
  if (recordings.length < calls * 2) incomplete += calls * 2 - recordings.length;
  return { gaps, longestGapMs, incomplete };
}

/** Janus writes one .mjr per participant and kind (<participant>-audio-0.mjr, -video-1.mjr): both must hold packets. */
async function janusRecordings(server: JanusServer, participants: string[]): Promise<RecordingCheck> {
  await new Promise((resolve) => setTimeout(resolve, 500)); // the room's destruction closes the files just after
  const files = fs.readdirSync(server.recDir).filter((f) => f.endsWith('.mjr'));
  let gaps = 0;
  let longestGapMs = 0;
  let incomplete = 0;
  for (const participant of participants) {
    const kinds = new Set<string>();
    for (const file of files.filter((f) => f.startsWith(`${participant}-`))) {
      const summary = readMjr(path.join(server.recDir, file));
      if (summary.packets > 0) kinds.add(summary.kind);
      gaps += summary.gaps;
      longestGapMs = Math.max(longestGapMs, summary.longestGapMs);
    }
    if (!kinds.has('audio') || !kinds.has('video')) incomplete++;
  }
  for (const file of files) fs.rmSync(path.join(server.recDir, file), { force: true });
  return { gaps, longestGapMs, incomplete };
}

async function runStep(engine: Engine, calls: number): Promise<StepResult> {
  receiving.clear();
  const participants: string[] = [];
  const server = servers.get(engine);
  if (engine === 'janus') await connectJanus(janus!, calls, participants);
  else await connectWerift(server!, calls, participants);
  const measuredPid = engine === 'janus' ? janus!.pid : server!.child.pid!;
  const deadline = Date.now() + 60_000;
  while (participants.some((p) => !receiving.has(p))) {
    if (Date.now() > deadline)
      throw new Error(`${participants.filter((p) => !receiving.has(p)).length} of ${participants.length} participants received nothing within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  await Promise.all([...clients.map((c) => c.request({ op: 'window' })), server?.request({ op: 'window' })]);
  const serverCpuBefore = treeCpuSeconds(measuredPid);
  const clientCpuBefore = clients.reduce((sum, c) => sum + treeCpuSeconds(c.child.pid!), 0);
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
  const reports = await Promise.all(clients.map((c) => c.request<ClientReport>({ op: 'report' })));
  const loopDelay = server ? await server.request<{ p99Ms: number; maxMs: number }>({ op: 'loopDelay' }) : undefined;
  const elapsed = (performance.now() - startedAt) / 1000;
  const serverCpu = (treeCpuSeconds(measuredPid) - serverCpuBefore) / elapsed;
  const clientCpu = (clients.reduce((sum, c) => sum + treeCpuSeconds(c.child.pid!), 0) - clientCpuBefore) / elapsed;
  await Promise.all(clients.map((c) => c.request({ op: 'closeAll' })));
  const recorded = engine === 'janus' ? await janusRecordings(janus!, participants) : await weriftRecordings(server!, calls);
  const sent = reports.reduce((sum, r) => sum + r.sent, 0);
  const received = reports.reduce((sum, r) => sum + r.received, 0);
  const delays = reports.flatMap((r) => r.delaysMs);
  return {
    engine,
    calls,
    cpuPerCall: serverCpu / calls,
    cpuPerPacketUs: received === 0 ? NaN : ((serverCpu * elapsed) / received) * 1e6,
    clientCpu,
    loss: sent === 0 ? 1 : Math.max(0, 1 - received / sent),
    p50: percentile(delays, 50),
    p99: percentile(delays, 99),
    ...recorded,
    loopDelay,
  };
}

const results: StepResult[] = [];
const measured: Engine[] = engines.filter((engine) => isWerift(engine) || (engine === 'janus' && janus));
const failedAt = new Map<Engine, number>();
console.log(
  'engine | calls | server CPU per call (% of a core) | per packet delivered (µs) | load generator CPU (cores) | loss | forwarding delay p50 / p99 (ms) | recording gaps > 250 ms (longest ms) | recordings without both streams | werift event-loop delay p99 / max (ms) | load average (1 min)',
);
for (const calls of steps) {
  for (const engine of measured) {
    if (failedAt.has(engine)) continue;
    try {
      const r = await runStep(engine, calls);
      results.push(r);
      console.log(
        `${engine.padEnd(6)} | ${String(calls).padStart(5)} | ${(r.cpuPerCall * 100).toFixed(1).padStart(6)} % | ${r.cpuPerPacketUs.toFixed(0).padStart(4)} | ${r.clientCpu.toFixed(2).padStart(5)} | ${(r.loss * 100).toFixed(2).padStart(6)} % | ` +
          `${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${r.gaps} (${r.longestGapMs.toFixed(0)}) | ${r.incomplete} | ${r.loopDelay ? `${r.loopDelay.p99Ms.toFixed(0)} / ${r.loopDelay.maxMs.toFixed(0)}` : '–'} | ${os.loadavg()[0]!.toFixed(2)}`,
      );
    } catch (error) {
      failedAt.set(engine, calls);
      console.log(`${engine.padEnd(6)} | ${String(calls).padStart(5)} | failed: ${error instanceof Error ? error.message : String(error)}`);
      await Promise.all(clients.map((c) => c.request({ op: 'closeAll' }).catch(() => undefined)));
      await servers
        .get(engine)
        ?.request({ op: 'closeAll' }, 120_000)
        .catch(() => undefined);
    }
  }
}
const heldBy = (engine: Engine) => results.filter((r) => r.engine === engine && r.loss < LOSS_LIMIT && r.p99 < P99_LIMIT_MS && r.incomplete === 0).at(-1);
for (const engine of measured) {
  const best = heldBy(engine);
  console.log(
    best
      ? `${engine}: largest number of recorded 1:1 calls held with < ${LOSS_LIMIT * 100} % loss and p99 < ${P99_LIMIT_MS} ms: ${best.calls} (server ${(best.cpuPerCall * 100).toFixed(1)} % of a core per call)`
      : `${engine}: no step held the limits (< ${LOSS_LIMIT * 100} % loss, p99 < ${P99_LIMIT_MS} ms).`,
  );
  if (best && best.calls === steps.at(-1)) console.log(`${engine}: held every step: raise the steps to find its limit.`);
}
if (measured.length === 2 && measured[0] === 'werift' && measured[1] === 'janus') {
  console.log(
    'calls | werift CPU per call | Janus CPU per call | werift ÷ Janus | per packet delivered werift / Janus (µs, ratio) | loss werift / Janus | p99 werift / Janus (ms)',
  );
  for (const calls of steps) {
    const w = results.find((r) => r.engine === 'werift' && r.calls === calls);
    const j = results.find((r) => r.engine === 'janus' && r.calls === calls);
    if (!w || !j) continue;
    console.log(
      `${String(calls).padStart(5)} | ${(w.cpuPerCall * 100).toFixed(1)} % | ${(j.cpuPerCall * 100).toFixed(1)} % | ${(w.cpuPerCall / j.cpuPerCall).toFixed(1)}× | ` +
        `${w.cpuPerPacketUs.toFixed(0)} / ${j.cpuPerPacketUs.toFixed(0)} (${(w.cpuPerPacketUs / j.cpuPerPacketUs).toFixed(1)}×) | ` +
        `${(w.loss * 100).toFixed(2)} / ${(j.loss * 100).toFixed(2)} % | ${w.p99.toFixed(1)} / ${j.p99.toFixed(1)}`,
    );
  }
}
if (measured.length >= 2) {
  // Side by side: every engine against the first one, step by step (the steps were interleaved), then the median.
  const [first, ...others] = measured;
  console.log(`calls | ${measured.map((e) => `${e} µs/packet (CPU/call)`).join(' | ')} | ${others.map((e) => `${e} ÷ ${first}`).join(' | ')}`);
  const ratios = new Map<Engine, number[]>(others.map((e) => [e, []]));
  steps.forEach((calls, index) => {
    const row = measured.map(
      (engine) => results.filter((r) => r.engine === engine && r.calls === calls)[steps.slice(0, index).filter((c) => c === calls).length],
    );
    if (row.some((r) => !r)) return;
    others.forEach((engine, i) => ratios.get(engine)!.push(row[i + 1]!.cpuPerPacketUs / row[0]!.cpuPerPacketUs));
    console.log(
      `${String(calls).padStart(5)} | ${row.map((r) => `${r!.cpuPerPacketUs.toFixed(0)} (${(r!.cpuPerCall * 100).toFixed(1)} %, loss ${(r!.loss * 100).toFixed(2)} %)`).join(' | ')} | ` +
        others.map((_, i) => `${(row[i + 1]!.cpuPerPacketUs / row[0]!.cpuPerPacketUs).toFixed(2)}×`).join(' | '),
    );
  });
  for (const [engine, list] of ratios) {
    const sorted = [...list].sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    console.log(
      `${engine} ÷ ${first} (CPU per delivered packet): median ${percentile(sorted, 50).toFixed(2)}×, range ${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}× over ${sorted.length} interleaved steps`,
    );
  }
}
for (const c of [...servers.values(), ...clients]) c.child.disconnect();
janus?.stop();
fs.rmSync(scratch, { recursive: true, force: true });
