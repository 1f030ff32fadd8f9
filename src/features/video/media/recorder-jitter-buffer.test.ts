import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RtpHeader, RtpPacket } from 'werift';
import { RecorderJitterBuffer, type JitterOutput } from './recorder-jitter-buffer.js';

/** Issue 18 §4: the recorder's jitter buffer puts video back in order without scanning the sequence space. */

const CLOCK = 90_000;
const FRAME_TICKS = 3000; // 30 fps
const PACKETS_PER_FRAME = 3;

/** The i-th packet of a stream starting at `firstSeq` (sequence numbers wrap at 65535, timestamps at 2^32). */
function packet(firstSeq: number, i: number, firstTs = 1_000): RtpPacket {
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: (firstSeq + i) % 0x1_0000,
    timestamp: (firstTs + Math.floor(i / PACKETS_PER_FRAME) * FRAME_TICKS) % 2 ** 32,
    ssrc: 1,
    marker: i % PACKETS_PER_FRAME === PACKETS_PER_FRAME - 1,
  });
  return new RtpPacket(header, Buffer.from([i & 0xff]));
}

function run(buffer: RecorderJitterBuffer, packets: RtpPacket[], eol = true): number[] {
  const out: JitterOutput[] = [];
  buffer.pipe((o) => out.push(o));
  for (const p of packets) buffer.input({ rtp: p });
  if (eol) buffer.input({ eol: true });
  if (eol) assert.deepEqual(out.at(-1), { eol: true }, 'the end is passed on last');
  return out.filter((o) => o.rtp).map((o) => o.rtp!.header.sequenceNumber);
}

/** Moves each packet up to `maxShift` places later (a network that reorders by a bounded amount). */
function reorder<T>(items: T[], shifts: number[]): T[] {
  const keyed = items.map((item, i) => ({ item, key: i + (shifts[i % shifts.length] ?? 0) + i / 1e6 }));
  return keyed.sort((a, b) => a.key - b.key).map((k) => k.item);
}

const serialLess = (a: number, b: number) => a !== b && (b - a + 0x1_0000) % 0x1_0000 < 0x8000;

describe('RecorderJitterBuffer', () => {
  it('passes packets in order straight through, across the wrap at 65535', () => {
    const packets = Array.from({ length: 30 }, (_, i) => packet(65_520, i));
    const buffer = new RecorderJitterBuffer(CLOCK);
    assert.deepEqual(
      run(buffer, packets),
      packets.map((p) => p.header.sequenceNumber),
    );
    assert.deepEqual(buffer.stats, { passed: 30, duplicates: 0, late: 0, lost: 0, resyncs: 0 });
  });

  it('puts reordered packets back in order across the wrap, holding only until the hole is filled', () => {
    const seqs = [65_534, 0, 65_535, 2, 1, 3];
    const first = 65_534;
    const packets = seqs.map((s) => packet(first, (s - first + 0x1_0000) % 0x1_0000));
    const out: number[] = [];
    const buffer = new RecorderJitterBuffer(CLOCK).pipe((o) => o.rtp && out.push(o.rtp.header.sequenceNumber));
    buffer.input({ rtp: packets[0]! });
    buffer.input({ rtp: packets[1]! }); // 0 waits for 65535
    assert.deepEqual(out, [65_534]);
    buffer.input({ rtp: packets[2]! });
    assert.deepEqual(out, [65_534, 65_535, 0]);
    buffer.input({ rtp: packets[3]! }); // 2 waits for 1
    buffer.input({ rtp: packets[4]! });
    buffer.input({ rtp: packets[5]! });
    assert.deepEqual(out, [65_534, 65_535, 0, 1, 2, 3]);
  });

  it('gives a hole up once the packets behind it are older than the latency, and drops the lost packet if it comes later', () => {
    const packets = Array.from({ length: 40 }, (_, i) => packet(100, i));
    const lost = packets[5]!;
    const out: number[] = [];
    const buffer = new RecorderJitterBuffer(CLOCK, { latencyMs: 200 }).pipe((o) => o.rtp && out.push(o.rtp.header.sequenceNumber));
    for (const p of packets.slice(0, 30)) if (p !== lost) buffer.input({ rtp: p });
    // Packet 6 has timestamp frame 2; the hole is given up when a packet more than 200 ms (18 000 ticks) newer
    // arrives: frame 2 + 7 frames = packet 27 (frame 9, 21 000 ticks later).
    assert.deepEqual(out, [100, 101, 102, 103, 104, ...Array.from({ length: 30 - 6 }, (_, i) => 106 + i)]);
    assert.equal(buffer.stats.lost, 1);
    buffer.input({ rtp: lost }); // far too late: its place was given up
    assert.equal(buffer.stats.late, 1);
    assert.ok(!out.includes(105));
  });

  it('at the end, passes on everything held in order, with the holes given up', () => {
    const packets = [0, 1, 3, 5, 4, 7].map((i) => packet(10, i));
    assert.deepEqual(run(new RecorderJitterBuffer(CLOCK), packets), [10, 11, 13, 14, 15, 17]);
  });

  it('drops duplicates, held or already passed on', () => {
    const packets = [0, 1, 1, 3, 3, 2, 0].map((i) => packet(7, i));
    const buffer = new RecorderJitterBuffer(CLOCK);
    assert.deepEqual(run(buffer, packets), [7, 8, 9, 10]);
    assert.equal(buffer.stats.duplicates, 1);
    assert.equal(buffer.stats.late, 2);
  });

  it('gives the oldest hole up at once when too many packets are held', () => {
    const packets = Array.from({ length: 12 }, (_, i) => packet(0, i)).filter((_, i) => i !== 1);
    const out = run(new RecorderJitterBuffer(CLOCK, { maxBuffered: 4, latencyMs: 10_000 }), packets, false);
    assert.deepEqual(out, [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('follows a sender that started again further back in the sequence space', () => {
    const before = Array.from({ length: 10 }, (_, i) => packet(30_000, i));
    const restarted = Array.from({ length: 10 }, (_, i) => packet(1_000, i, 50_000));
    const buffer = new RecorderJitterBuffer(CLOCK, { resyncAfter: 3 });
    const out = run(buffer, [...before, ...restarted]);
    assert.deepEqual(out, [...before.map((p) => p.header.sequenceNumber), ...restarted.slice(2).map((p) => p.header.sequenceNumber)]);
    assert.equal(buffer.stats.resyncs, 1);
  });

  it('property: reordering within the latency, anywhere in the sequence space, loses nothing and restores the order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 50 }),
        (firstSeq, firstTs, length, shifts) => {
          const packets = Array.from({ length }, (_, i) => packet(firstSeq, i, firstTs));
          const buffer = new RecorderJitterBuffer(CLOCK, { latencyMs: 200 });
          // Shifts up to 15 packets = 5 frames = 167 ms < 200 ms: nothing may be given up. The stream starts at the
          // first packet the buffer sees (anything before it is behind the start), so that one arrives first.
          const arrived = [packets[0]!, ...reorder(packets, shifts).filter((p) => p !== packets[0])];
          assert.deepEqual(
            run(buffer, arrived),
            packets.map((p) => p.header.sequenceNumber),
          );
          assert.equal(buffer.stats.lost, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: with loss, reordering and duplicates, the output is strictly in order, unique, and only what came in', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.constantFrom('keep', 'keep', 'keep', 'drop', 'twice'), { minLength: 1, maxLength: 50 }),
        fc.option(fc.integer({ min: 2, max: 50 }), { nil: undefined }),
        (firstSeq, length, shifts, fates, maxBuffered) => {
          const sent = Array.from({ length }, (_, i) => packet(firstSeq, i)).flatMap((p, i) => {
            const fate = fates[i % fates.length];
            return fate === 'drop' ? [] : fate === 'twice' ? [p, p] : [p];
          });
          const arrived = reorder(sent, shifts);
          const out = run(new RecorderJitterBuffer(CLOCK, { maxBuffered }), arrived);
          const inSet = new Set(arrived.map((p) => p.header.sequenceNumber));
          assert.ok(
            out.every((s) => inSet.has(s)),
            'nothing invented',
          );
          for (let i = 1; i < out.length; i++) assert.ok(serialLess(out[i - 1]!, out[i]!), `in order: ${out[i - 1]} then ${out[i]}`);
          // The first packet always goes through, and without reordering everything that arrived does.
          if (arrived.length > 0) assert.equal(out[0], arrived[0]!.header.sequenceNumber);
          if (shifts.every((s) => s === 0)) assert.equal(out.length, inSet.size);
        },
      ),
      { numRuns: 300 },
    );
  });
});
