// Janus's recordings (.mjr) read directly, for bench/media-load.ts: a header ("MJR00002", a 2-byte length and a JSON
// object saying the kind and codec), then per RTP packet "MEET", a 4-byte arrival offset in ms, a 2-byte length and
// the packet as received (Janus renumbers sequence numbers and timestamps from the start). Gaps are measured on the
// RTP timestamps, the media time a post-processor (janus-pp-rec) would turn into the WebM's packet times, with the
// same 250 ms limit the werift recordings are checked against with ffprobe.
import fs from 'node:fs';

export interface MjrSummary {
  kind: 'audio' | 'video' | 'data' | 'unknown';
  packets: number;
  durationS: number;
  gaps: number;
  longestGapMs: number;
}

export function readMjr(file: string, gapLimitMs = 250): MjrSummary {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 8).toString('latin1') !== 'MJR00002') throw new Error(`${file} is not a Janus recording (MJR00002)`);
  const headerLength = bytes.readUInt16BE(8);
  const header = JSON.parse(bytes.subarray(10, 10 + headerLength).toString('utf8')) as { t?: string; c?: string };
  const kind = header.t === 'a' ? 'audio' : header.t === 'v' ? 'video' : header.t === 'd' ? 'data' : 'unknown';
  const clockRate = kind === 'audio' ? 48000 : 90000;
  const timestamps: number[] = [];
  let offset = 10 + headerLength;
  let lastRaw = -1;
  let wraps = 0;
  while (offset + 10 <= bytes.length && bytes.subarray(offset, offset + 4).toString('latin1') === 'MEET') {
    const length = bytes.readUInt16BE(offset + 8);
    const packet = bytes.subarray(offset + 10, offset + 10 + length);
    offset += 10 + length;
    if (packet.length < 12) continue;
    const raw = packet.readUInt32BE(4);
    if (lastRaw >= 0 && raw < lastRaw && lastRaw - raw > 0x80000000) wraps++;
    lastRaw = raw;
    timestamps.push(raw + wraps * 0x100000000);
  }
  timestamps.sort((a, b) => a - b);
  let gaps = 0;
  let longest = 0;
  for (let i = 1; i < timestamps.length; i++) {
    const gapMs = ((timestamps[i]! - timestamps[i - 1]!) / clockRate) * 1000;
    longest = Math.max(longest, gapMs);
    if (gapMs > gapLimitMs) gaps++;
  }
  const durationS = timestamps.length > 1 ? (timestamps.at(-1)! - timestamps[0]!) / clockRate : 0;
  return { kind, packets: timestamps.length, durationS, gaps, longestGapMs: longest };
}
