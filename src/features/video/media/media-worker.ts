/**
 * A media worker process (ADR 0012): runs the werift rooms the control process places here and nothing else. Hooks
 * go back to the control process over IPC (database writes stay there). Any uncaught error is logged and the worker
 * exits: the control process treats that as a crash, repairs and registers the lost rooms' recordings, and tells
 * their pages.
 */
import { createLogger } from '../../../platform/logging/logger.js';
import type { MediaRoom, MediaRoomHooks, RoomStats, SlotMap } from './media-room.js';
import { WORKER_INIT_ENV, type ControlToWorker, type HookRequest, type RoomRequest, type WorkerInit, type WorkerToControl } from './media-worker-protocol.js';
import { WeriftMediaEngine } from './werift-room.js';

const STATS_INTERVAL_MS = 1000;
/** When the control process goes away, recordings get this long to be closed cleanly before the worker exits. */
const ORPHAN_EXIT_MS = 5000;

if (!process.send) throw new Error('The media worker runs only as a child process of the RVR server (it has no IPC channel)');
const init = JSON.parse(process.env[WORKER_INIT_ENV] ?? 'null') as WorkerInit | null;
if (!init) throw new Error(`The media worker needs ${WORKER_INIT_ENV}`);

const log = createLogger({ level: init.logLevel, format: init.logFormat }).child({ mediaWorker: init.index });
process.on('uncaughtException', (error) => {
  log.fatal({ err: error }, 'media worker: uncaught error; exiting (the server ends this worker’s calls as interrupted)');
  process.exit(70);
});
process.on('unhandledRejection', (error) => {
  log.fatal({ err: error }, 'media worker: unhandled rejection; exiting (the server ends this worker’s calls as interrupted)');
  process.exit(70);
});

// A worker belongs to its server: a terminal's Ctrl-C or a service manager's SIGTERM to the whole process group must
// not cut calls during the server's drain. The worker exits when the server goes (the IPC channel closes).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => log.info({ signal }, 'media worker: signal ignored; it stops with its server'));

const engine = new WeriftMediaEngine(init.settings, log);
const rooms = new Map<string, MediaRoom>();
const pendingHooks = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
let nextHookId = 1;

function send(message: WorkerToControl): void {
  if (!process.connected) return;
  process.send!(message, undefined, undefined, (error: Error | null) => {
    if (error) log.warn({ err: error }, 'media worker: a message to the server was not sent');
  });
}

function askControl(request: HookRequest): Promise<unknown> {
  if (!process.connected) return Promise.reject(new Error('the server is gone'));
  const id = nextHookId++;
  return new Promise((resolve, reject) => {
    pendingHooks.set(id, { resolve, reject });
    send({ type: 'hook-request', id, ...request });
  });
}

function hooksFor(callId: string): MediaRoomHooks {
  return {
    candidate: (participantId, candidate) => send({ type: 'hook-event', hook: 'candidate', callId, participantId, candidate }),
    peerState: (participantId, state) => send({ type: 'hook-event', hook: 'peerState', callId, participantId, state }),
    firstMedia: (participantId, kind) => send({ type: 'hook-event', hook: 'firstMedia', callId, participantId, kind }),
    recordingPath: async (start) => (await askControl({ hook: 'recordingPath', callId, start })) as string,
    recordingFinished: async (result) => void (await askControl({ hook: 'recordingFinished', callId, result })),
    // Only the control process loses rooms (when this process dies).
    roomLost: () => undefined,
  };
}

async function handle(request: RoomRequest): Promise<{ sdp: string; slots: SlotMap } | undefined> {
  if (request.op === 'create') {
    if (!rooms.has(request.callId)) rooms.set(request.callId, engine.createRoom(request.callId, hooksFor(request.callId)));
    return undefined;
  }
  const room = rooms.get(request.callId);
  if (!room) throw new Error('This call has no media room on this worker');
  switch (request.op) {
    case 'join':
      return room.join(request.participantId, request.role);
    case 'answer':
      return void (await room.answer(request.participantId, request.sdp));
    case 'candidate':
      return void (await room.addCandidate(request.participantId, request.candidate));
    case 'leave':
      return void (await room.leave(request.participantId));
    case 'receiveVideo':
      return void (await room.receiveVideo?.(request.participantId, request.on));
    case 'close':
      rooms.delete(request.callId);
      return void (await room.close());
  }
}

process.on('message', (message: ControlToWorker) => {
  if (message.type === 'hook-reply') {
    const pending = pendingHooks.get(message.id);
    pendingHooks.delete(message.id);
    if (message.ok) pending?.resolve(message.value);
    else pending?.reject(new Error(message.error));
    return;
  }
  const { type: _type, id, ...request } = message;
  handle(request).then(
    (value) => send({ type: 'reply', id, ok: true, value }),
    (error: unknown) => send({ type: 'reply', id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

// The control process is gone (killed, or restarted): nothing can register a recording now, so each is closed
// cleanly on disk and left for the next start's recovery, which repairs and registers it.
process.on('disconnect', () => {
  log.warn({ rooms: rooms.size }, 'media worker: the server went away; closing recordings and exiting');
  for (const pending of pendingHooks.values()) pending.reject(new Error('the server is gone'));
  pendingHooks.clear();
  setTimeout(() => process.exit(0), ORPHAN_EXIT_MS).unref();
  void Promise.allSettled([...rooms.values()].map((room) => room.close())).then(() => process.exit(0));
});

setInterval(() => {
  const stats: Record<string, RoomStats> = {};
  for (const [callId, room] of rooms) stats[callId] = room.stats();
  send({ type: 'stats', rooms: stats });
}, STATS_INTERVAL_MS).unref();

send({ type: 'ready', pid: process.pid });
log.info({ pid: process.pid }, 'media worker ready');
