// A pre-encoded media loop for synthetic call participants: ten seconds of VP8 (640×480, 30 fps) and Opus (20 ms
// frames) as the RTP packets ffmpeg's own packetiser makes, captured once and cached, so the load generator spends no
// CPU on encoding and every participant sends the same realistic stream (keyframe every 2 s, ~800 kbit/s video).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const VP8_PT = 96;
export const OPUS_PT = 111;
const LOOP_SECONDS = 10;
const CACHE = path.join(os.tmpdir(), `rvr-media-loop-v1-${LOOP_SECONDS}s.json`);

/** One captured RTP packet: its offset in the loop (from its RTP timestamp) and the bytes as ffmpeg sent them. */
export interface LoopPacket {
  atMs: number;
  rtp: Buffer;
}

export interface MediaLoop {
  durationMs: number;
  video: LoopPacket[];
  audio: LoopPacket[];
}

/** The loop, made with ffmpeg on first use (about ten seconds) and read from the cache afterwards. */
export async function mediaLoop(): Promise<MediaLoop> {
  if (fs.existsSync(CACHE)) {
    const cached = JSON.parse(fs.readFileSync(CACHE, 'utf8')) as { durationMs: number; video: [number, string][]; audio: [number, string][] };
    const decode = (list: [number, string][]) => list.map(([atMs, hex]) => ({ atMs, rtp: Buffer.from(hex, 'base64') }));
    return { durationMs: cached.durationMs, video: decode(cached.video), audio: decode(cached.audio) };
  }
  const [video, audio] = await Promise.all([
    capture(VP8_PT, 90000, [
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=640x480:rate=30`,
      '-c:v',
      'libvpx',
      '-b:v',
      '800k',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-g',
      '60',
      '-keyint_min',
      '60',
      '-an',
    ]),
    capture(OPUS_PT, 48000, [
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      '-frame_duration',
      '20',
      '-application',
      'voip',
      '-ac',
      '1',
      '-vn',
    ]),
  ]);
  const loop: MediaLoop = { durationMs: LOOP_SECONDS * 1000, video, audio };
  const encode = (list: LoopPacket[]) => list.map((p) => [p.atMs, p.rtp.toString('base64')]);
  fs.writeFileSync(CACHE, JSON.stringify({ durationMs: loop.durationMs, video: encode(video), audio: encode(audio) }));
  return loop;
}

/** Runs ffmpeg in real time into a local UDP socket and keeps the first LOOP_SECONDS of packets it sends. */
async function capture(payloadType: number, clockRate: number, input: string[]): Promise<LoopPacket[]> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const packets: Buffer[] = [];
  socket.on('message', (message) => {
    // RTCP (payload types 200–204 in the second byte) goes to the same port when rtcp_port is not set: skip it.
    const secondByte = message[1] ?? 0;
    if ((secondByte & 0x7f) === payloadType) packets.push(Buffer.from(message));
  });
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      ...input,
      '-t',
      String(LOOP_SECONDS + 0.5),
      '-payload_type',
      String(payloadType),
      '-ssrc',
      '1',
      '-f',
      'rtp',
      `rtp://127.0.0.1:${port}?pkt_size=1200`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => ffmpeg.on('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.close();
  if (code !== 0) throw new Error(`ffmpeg could not make the media loop (exit ${code}): ${stderr.trim()}`);
  if (packets.length === 0) throw new Error('ffmpeg sent no RTP packets for the media loop');
  const first = packets[0]!.readUInt32BE(4);
  return packets.map((rtp) => ({ atMs: (((rtp.readUInt32BE(4) - first) >>> 0) / clockRate) * 1000, rtp })).filter((p) => p.atMs < LOOP_SECONDS * 1000);
}
