// The server side of bench/media-load.ts, in a process of its own so its CPU is measured apart from the load
// generator: the product's media engine (as composition builds it), driven through the MediaEngine interface the
// call journeys use, recording every participant into a scratch folder. Talks to the bench over the IPC channel.
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as webrtcV024 from 'werift-v024';
import * as processorsV024 from 'werift-v024/nonstandard';
import { buildMediaEngine, mediaSettings } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import type { MediaEngine, MediaRole, MediaRoom, RecordingResult } from '../../src/features/video/media/media-room.js';
import { INSTALLED_WERIFT, WeriftMediaEngine, type WeriftRelease } from '../../src/features/video/media/werift-room.js';
import { createLogger } from '../../src/platform/logging/logger.js';

export type ServerRequest =
  | { id: number; op: 'join'; callId: string; participantId: string; role: MediaRole }
  | { id: number; op: 'answer'; callId: string; participantId: string; sdp: string }
  | {
      id: number;
      op: 'candidate';
      callId: string;
      participantId: string;
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
    }
  | { id: number; op: 'window' }
  | { id: number; op: 'loopDelay' }
  | { id: number; op: 'closeAll' };

export type ServerEvent =
  | { event: 'reply'; id: number; result?: unknown; error?: string }
  | { event: 'candidate'; callId: string; participantId: string; candidate: { candidate: string; sdpMid?: string; sdpMLineIndex?: number } }
  | { event: 'ready'; engine: string };

const scratch = process.env.MEDIA_LOAD_SCRATCH!;
const config = loadConfig({
  NODE_ENV: 'development',
  DATA_DIR: scratch,
  HOST: '127.0.0.1',
  PORT: '0',
  PUBLIC_BASE_URL: 'http://127.0.0.1',
  // The bench's `werift/<n>` engine: n media worker processes (ADR 0012); otherwise the default (cores − 1).
  ...(process.env.MEDIA_WORKERS ? { MEDIA_WORKERS: process.env.MEDIA_WORKERS } : {}),
});
const log = createLogger({ level: 'warn' });
/**
 * MEDIA_LOAD_VARIANT: unset = the product's media engine as composition builds it (media workers, MEDIA_WORKERS).
 * Otherwise one werift release in this process, no worker, to compare releases and work-arounds side by side in one
 * run: `0.25.2` (the installed release), `0.24.4` (the dev alias werift-v024); a `-raw` suffix leaves out the SRTP
 * key-object work-around (trap 5), e.g. `0.25.2-raw`.
 */
function variantEngine(variant: string): MediaEngine {
  const [version, raw] = variant.split('-');
  const release: WeriftRelease =
    version === '0.24.4'
      ? ({ webrtc: webrtcV024, processors: processorsV024, version: '0.24.4' } as unknown as WeriftRelease)
      : version === INSTALLED_WERIFT.version
        ? { ...INSTALLED_WERIFT }
        : (() => {
            throw new Error(`media-load: no werift ${version} here (${INSTALLED_WERIFT.version} or 0.24.4)`);
          })();
  if (raw === 'raw') release.srtpKeyObjects = false;
  else if (raw !== undefined) throw new Error(`media-load: unknown variant suffix ${raw}`);
  const engine = new WeriftMediaEngine(mediaSettings(config), log, release);
  return Object.assign(engine, { name: `werift ${variant} (in-process)` });
}
const variant = process.env.MEDIA_LOAD_VARIANT;
const engine = variant ? variantEngine(variant) : buildMediaEngine(config, log);
const rooms = new Map<string, MediaRoom>();
let recordings: RecordingResult[] = [];

const send = (message: ServerEvent) => process.send!(message);
// How late the event loop ran over the measured window: every packet of every call waits behind it.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

function room(callId: string): MediaRoom {
  let existing = rooms.get(callId);
  if (!existing) {
    existing = engine.createRoom(callId, {
      candidate: (participantId, candidate) => send({ event: 'candidate', callId, participantId, candidate }),
      peerState: () => undefined,
      firstMedia: () => undefined,
      recordingPath: async (start) => path.join(scratch, `${callId}-${start.role}.webm`),
      recordingFinished: async (result) => void recordings.push(result),
      roomLost: (reason) => console.error(`media-load: room ${callId} lost (${reason})`),
    });
    rooms.set(callId, existing);
  }
  return existing;
}

async function handle(request: ServerRequest): Promise<unknown> {
  switch (request.op) {
    case 'join':
      return room(request.callId).join(request.participantId, request.role);
    case 'answer':
      return room(request.callId).answer(request.participantId, request.sdp);
    case 'candidate':
      return room(request.callId).addCandidate(request.participantId, request.candidate);
    case 'window':
      loopDelay.reset();
      return undefined;
    case 'loopDelay':
      return { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
    case 'closeAll': {
      await Promise.all([...rooms.values()].map((r) => r.close()));
      rooms.clear();
      const finished = recordings;
      recordings = [];
      return finished.map((r) => ({ path: r.path, role: r.role, durationMs: r.durationMs, packets: r.packets }));
    }
  }
}

fs.mkdirSync(scratch, { recursive: true });
process.on('message', (request: ServerRequest) => {
  handle(request).then(
    (result) => send({ event: 'reply', id: request.id, result }),
    (error: unknown) => send({ event: 'reply', id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
send({ event: 'ready', engine: engine.name });
