import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { MediaEngine, MediaRole, MediaRoom, MediaRoomHooks, MediaSettings, MediaWorkerStatus, RecordingStart, RoomStats, SlotMap } from './media-room.js';
import { WORKER_INIT_ENV, type RoomRequest, type ControlToWorker, type WorkerInit, type WorkerToControl } from './media-worker-protocol.js';

export interface WorkerEngineOptions {
  workers: number;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /** Signalling steps (join, answer, candidate); leaving and closing wait for recordings and get longer. */
  requestTimeoutMs?: number;
  closeTimeoutMs?: number;
  /** How long a new worker may take to load (tsx compiles on a busy machine) before it counts as crashed. */
  readyTimeoutMs?: number;
}

const LOST_REASON = 'The media worker running this call stopped';
/** Flags of the server's own Node that a worker should share (memory, profiling); never the test runner's. */
const INHERITED_FLAGS = /^--(max-old-space-size|max-semi-space-size|stack-size|enable-source-maps|cpu-prof|heap-prof)/;

interface Pending {
  resolve: (value: { sdp: string; slots: SlotMap } | undefined) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class WorkerSlot {
  child: ChildProcess | undefined;
  pid: number | undefined;
  up = false;
  restarts = 0;
  lastCrashAt = 0;
  readyTimer: NodeJS.Timeout | undefined;
  queue: ControlToWorker[] = [];
  readonly rooms = new Map<string, WorkerRoom>();
  readonly pending = new Map<number, Pending>();
  readyWaiters: (() => void)[] = [];
  constructor(readonly index: number) {}
}

/**
 * Runs every room in a media worker process (ADR 0012): `MEDIA_WORKERS` children forked from this server, each running
 * the werift engine. A new room goes to the worker with the fewest rooms. Hooks come back here, so the database is
 * only written by this process. A worker that dies takes only its own rooms: their open segments are reported
 * through recordingFinished (unfinished, so they are repaired and hashed), then roomLost tells the call; the worker
 * is started again for new calls.
 */
export class WorkerMediaEngine implements MediaEngine {
  readonly name: string;
  private readonly slots: WorkerSlot[];
  private started = false;
  private stopping = false;
  private nextId = 1;
  private readonly entry: string;
  private readonly execArgv: string[];

  constructor(
    private readonly settings: MediaSettings,
    private readonly log: Logger,
    private readonly options: WorkerEngineOptions,
  ) {
    this.name = `werift in ${options.workers} media worker process${options.workers === 1 ? '' : 'es'}`;
    this.slots = Array.from({ length: Math.max(1, options.workers) }, (_, index) => new WorkerSlot(index));
    // The worker file next to this one, run the way this one runs: from TypeScript through tsx, on the same Node.
    const self = fileURLToPath(import.meta.url);
    const extension = path.extname(self);
    this.entry = path.join(path.dirname(self), `media-worker${extension}`);
    const tsx = extension === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
    this.execArgv = [...tsx, ...process.execArgv.filter((flag) => INHERITED_FLAGS.test(flag))];
  }

  /** Forks the workers and waits until each has loaded (or counted as crashed and been restarted). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(this.slots.map((slot) => this.spawn(slot)));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        // Unreferenced while running (see spawn); waiting for it to exit must keep this process up.
        child.ref();
        // Disconnecting tells the worker to close what it still has and exit.
        if (child.connected) child.disconnect();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  workers(): MediaWorkerStatus[] {
    if (!this.started) return [];
    return this.slots.map((slot) => ({ index: slot.index, pid: slot.pid, up: slot.up, rooms: slot.rooms.size, restarts: slot.restarts }));
  }

  createRoom(callId: string, hooks: MediaRoomHooks): MediaRoom {
    if (!this.started) void this.start();
    // Least loaded first; a worker that is up before one still starting.
    const slot = [...this.slots].sort((a, b) => Number(b.up) - Number(a.up) || a.rooms.size - b.rooms.size || a.index - b.index)[0]!;
    const room = new WorkerRoom(this, slot, callId, hooks, this.log);
    slot.rooms.set(callId, room);
    void this.request(slot, { op: 'create', callId }, this.options.requestTimeoutMs ?? 20_000).catch((error: Error) =>
      this.log.warn({ err: error, callId }, 'a media room could not be created'),
    );
    return room;
  }

  request(slot: WorkerSlot, request: RoomRequest, timeoutMs: number): Promise<{ sdp: string; slots: SlotMap } | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        reject(new Error(`the media worker did not answer "${request.op}" within ${timeoutMs} ms`));
      }, timeoutMs);
      slot.pending.set(id, { resolve, reject, timer });
      this.send(slot, { type: 'request', id, ...request });
    });
  }

  get closeTimeoutMs(): number {
    return this.options.closeTimeoutMs ?? 120_000;
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? 20_000;
  }

  roomClosed(slot: WorkerSlot, room: WorkerRoom): void {
    // A call opened again on this worker meanwhile has a room of its own under the same id.
    if (slot.rooms.get(room.callId) === room) slot.rooms.delete(room.callId);
  }

  private send(slot: WorkerSlot, message: ControlToWorker): void {
    const child = slot.child;
    // Until the worker says it is ready its listener may not exist yet: messages wait here, in order.
    if (!slot.up || !child?.connected) return void slot.queue.push(message);
    child.send(message, (error) => {
      if (error) this.log.warn({ err: error, mediaWorker: slot.index }, 'a message to a media worker was not sent');
    });
  }

  private spawn(slot: WorkerSlot): Promise<void> {
    const init: WorkerInit = { index: slot.index, settings: this.settings, logLevel: this.options.logLevel, logFormat: this.options.logFormat };
    const child = fork(this.entry, [], {
      execArgv: this.execArgv,
      execPath: process.execPath,
      serialization: 'advanced',
      env: { ...process.env, [WORKER_INIT_ENV]: JSON.stringify(init) },
    });
    slot.child = child;
    slot.pid = child.pid;
    slot.up = false;
    // The server's own handles (HTTP, database) keep it running; a worker alone must not keep a test process alive.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    child.on('message', (message: WorkerToControl) => this.onMessage(slot, message));
    child.on('error', (error) => this.log.error({ err: error, mediaWorker: slot.index }, 'media worker process error'));
    child.on('exit', (code, signal) => this.onExit(slot, child, code, signal));
    slot.readyTimer = setTimeout(() => {
      this.log.error({ mediaWorker: slot.index }, 'a media worker did not start in time; killing it');
      child.kill('SIGKILL');
    }, this.options.readyTimeoutMs ?? 60_000);
    slot.readyTimer.unref();
    return new Promise((resolve) => slot.readyWaiters.push(resolve));
  }

  private onMessage(slot: WorkerSlot, message: WorkerToControl): void {
    switch (message.type) {
      case 'ready': {
        clearTimeout(slot.readyTimer);
        slot.up = true;
        slot.pid = message.pid;
        const queued = slot.queue;
        slot.queue = [];
        for (const item of queued) this.send(slot, item);
        for (const waiter of slot.readyWaiters.splice(0)) waiter();
        this.log.info({ mediaWorker: slot.index, pid: message.pid }, 'media worker up');
        return;
      }
      case 'reply': {
        const pending = slot.pending.get(message.id);
        if (!pending) return;
        slot.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new Error(message.error));
        return;
      }
      case 'stats':
        for (const [callId, stats] of Object.entries(message.rooms)) slot.rooms.get(callId)?.updateStats(stats);
        return;
      case 'hook-event':
        slot.rooms.get(message.callId)?.hookEvent(message);
        return;
      case 'hook-request': {
        const room = slot.rooms.get(message.callId);
        const answer = room
          ? message.hook === 'recordingPath'
            ? room.recordingPath(message.start)
            : room.recordingFinished(message.result)
          : Promise.reject(new Error('This call has no media room here'));
        answer.then(
          (value) => this.send(slot, { type: 'hook-reply', id: message.id, ok: true, value }),
          (error: unknown) => this.send(slot, { type: 'hook-reply', id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
        );
        return;
      }
    }
  }

  private onExit(slot: WorkerSlot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    clearTimeout(slot.readyTimer);
    slot.child = undefined;
    slot.up = false;
    slot.queue = [];
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error(LOST_REASON));
    }
    slot.pending.clear();
    const lost = [...slot.rooms.values()];
    slot.rooms.clear();
    if (this.stopping) {
      for (const waiter of slot.readyWaiters.splice(0)) waiter();
      return;
    }
    slot.restarts++;
    this.log.error(
      { mediaWorker: slot.index, pid: child.pid, code, signal, lostCalls: lost.map((room) => room.callId) },
      'a media worker stopped; its calls are interrupted',
    );
    for (const room of lost) void room.lose(LOST_REASON);
    // Started again for new calls; a worker that keeps dying at once is not restarted in a tight loop.
    const now = Date.now();
    const delay = now - slot.lastCrashAt < 10_000 ? 1000 : 0;
    slot.lastCrashAt = now;
    const waiters = slot.readyWaiters.splice(0);
    setTimeout(() => {
      if (this.stopping) return void waiters.forEach((waiter) => waiter());
      void this.spawn(slot).then(() => waiters.forEach((waiter) => waiter()));
    }, delay).unref();
  }
}

/** A room as the control process sees it: every call goes to its worker; hooks come back from it. */
class WorkerRoom implements MediaRoom {
  private lost = false;
  /** Set when the worker died: settles once the lost segments are reported and the call told. */
  private lossHandled: Promise<void> | undefined;
  private latest: RoomStats = { participants: [] };
  private readonly firstPacketSeen = new Map<string, Date>();
  /** Segments whose path was given out and that the worker has not reported finished. */
  private readonly openSegments = new Map<string, RecordingStart & { path: string }>();
  private readonly pathsBeingMade = new Set<Promise<unknown>>();

  constructor(
    private readonly engine: WorkerMediaEngine,
    private readonly slot: WorkerSlot,
    readonly callId: string,
    private readonly hooks: MediaRoomHooks,
    private readonly log: Logger,
  ) {}

  async join(participantId: string, role: MediaRole): Promise<{ sdp: string; slots: SlotMap }> {
    const offer = await this.call({ op: 'join', callId: this.callId, participantId, role }, this.engine.requestTimeoutMs);
    if (!offer) throw new Error('the media worker sent no offer');
    return offer;
  }

  async answer(participantId: string, sdp: string): Promise<void> {
    await this.call({ op: 'answer', callId: this.callId, participantId, sdp }, this.engine.requestTimeoutMs);
  }

  async addCandidate(participantId: string, candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void> {
    await this.call({ op: 'candidate', callId: this.callId, participantId, candidate }, this.engine.requestTimeoutMs);
  }

  async receiveVideo(participantId: string, on: boolean): Promise<void> {
    await this.call({ op: 'receiveVideo', callId: this.callId, participantId, on }, this.engine.requestTimeoutMs);
  }

  /** Leaving or closing a room whose worker died (even mid-request) waits for its segments to be reported, then succeeds. */
  async leave(participantId: string): Promise<void> {
    await this.orWhenLost(() => this.call({ op: 'leave', callId: this.callId, participantId }, this.engine.closeTimeoutMs));
  }

  async close(): Promise<void> {
    try {
      await this.orWhenLost(() => this.call({ op: 'close', callId: this.callId }, this.engine.closeTimeoutMs));
    } finally {
      this.engine.roomClosed(this.slot, this);
    }
  }

  private async orWhenLost(work: () => Promise<unknown>): Promise<void> {
    if (!this.lost) {
      try {
        await work();
        return;
      } catch (error) {
        if (!this.lost) throw error;
      }
    }
    await this.lossHandled;
  }

  stats(): RoomStats {
    return this.lost ? { participants: [] } : this.latest;
  }

  updateStats(stats: RoomStats): void {
    this.latest = stats;
  }

  hookEvent(event: Extract<WorkerToControl, { type: 'hook-event' }>): void {
    try {
      if (event.hook === 'candidate') this.hooks.candidate(event.participantId, event.candidate);
      else if (event.hook === 'peerState') this.hooks.peerState(event.participantId, event.state);
      else {
        if (!this.firstPacketSeen.has(event.participantId)) this.firstPacketSeen.set(event.participantId, new Date());
        this.hooks.firstMedia(event.participantId, event.kind);
      }
    } catch (error) {
      this.log.error({ err: error, callId: this.callId, hook: event.hook }, 'a media hook failed');
    }
  }

  recordingPath(start: RecordingStart): Promise<string> {
    const made = this.hooks.recordingPath(start).then((file) => {
      this.openSegments.set(file, { ...start, path: file });
      return file;
    });
    this.pathsBeingMade.add(made);
    void made.finally(() => this.pathsBeingMade.delete(made)).catch(() => undefined);
    return made;
  }

  recordingFinished(result: Parameters<MediaRoomHooks['recordingFinished']>[0]): Promise<void> {
    this.openSegments.delete(result.path);
    return this.hooks.recordingFinished(result);
  }

  /**
   * The worker died: the call is told, then every segment it was writing is reported unfinished (recordingFinished
   * repairs it with ffmpeg -c copy, hashes, stores and registers it, as the restart recovery does).
   */
  lose(reason: string): Promise<void> {
    this.lost = true;
    this.lossHandled ??= this.reportLoss(reason);
    return this.lossHandled;
  }

  private async reportLoss(reason: string): Promise<void> {
    await Promise.allSettled([...this.pathsBeingMade]);
    // The people first (told within 5 s, issue 18 §3); repairing, hashing and storing the segments can take longer.
    try {
      this.hooks.roomLost(reason);
    } catch (error) {
      this.log.error({ err: error, callId: this.callId }, 'the roomLost hook failed');
    }
    for (const segment of this.openSegments.values()) {
      const size = fs.statSync(segment.path, { throwIfNoEntry: false })?.size ?? 0;
      const seen = this.latest.participants.find((p) => p.participantId === segment.participantId)?.packetsIn ?? 0;
      // Only the bytes on disk count: a header alone (or nothing flushed before the crash) is an empty segment.
      const packets = size > 200 ? Math.max(seen, 1) : 0;
      await this.hooks
        .recordingFinished({
          participantId: segment.participantId,
          role: segment.role,
          path: segment.path,
          finalisedByRecorder: false,
          durationMs: undefined,
          // As near as this process knows: when the worker reported the participant's first packet.
          firstPacketAt: this.firstPacketSeen.get(segment.participantId),
          // The senders' reports died with the worker (EVD-05): the court copy falls back to the arrival stamp.
          clock: undefined,
          packets,
          error: reason,
        })
        .catch((error: unknown) =>
          this.log.error({ err: error, callId: this.callId }, 'a segment of a lost media room could not be registered; the restart recovery will'),
        );
    }
    this.openSegments.clear();
  }

  private call(request: RoomRequest, timeoutMs: number): Promise<{ sdp: string; slots: SlotMap } | undefined> {
    if (this.lost) return Promise.reject(new Error(LOST_REASON));
    return this.engine.request(this.slot, request, timeoutMs);
  }
}
