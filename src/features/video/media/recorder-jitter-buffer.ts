import type { RtpPacket } from 'werift/nonstandard';

/** What the recorder's pipeline passes between stages (werift's processor convention). */
export interface JitterInput {
  rtp?: RtpPacket;
  eol?: boolean;
}
export type JitterOutput = { rtp: RtpPacket; eol?: undefined } | { rtp?: undefined; eol: true };

export interface JitterBufferOptions {
  /** How long (media time) a hole may hold back the packets after it before it is given up as lost. */
  latencyMs?: number;
  /** Packets held back at most; beyond this the oldest hole is given up at once. */
  maxBuffered?: number;
  /** Consecutive packets from behind the stream (a sender that restarted its sequence) before following them. */
  resyncAfter?: number;
}

const SEQ_MOD = 0x1_0000;
const HALF_SEQ = 0x8000;
const HALF_TS = 0x8000_0000;
/** `b - a` in the 16-bit sequence space, 0 … 65535. */
const seqDistance = (a: number, b: number) => (b - a + SEQ_MOD) % SEQ_MOD;

/**
 * The recorder's jitter buffer for video: puts RTP packets back in sequence order, drops duplicates and packets that
 * come after their place was given up, and gives a hole up as lost once the packets waiting behind it are older
 * (in RTP time) than `latencyMs`. Replaces werift's nonstandard `JitterBuffer` in the recorder (issue 18 §4): that
 * one walks the 16-bit sequence space one number at a time calling `Object.values()` at each step when it gives a
 * hole up (`sortAndClearBuffer`, up to 65 536 steps when a buffered packet is behind it) and re-emits packets it
 * already passed on; under loss it was a quarter of the media server's CPU, and the stall made more loss.
 *
 * Cost: O(1) per packet in order; with packets held back, O(held) per arrival to find the oldest (held is bounded
 * by `maxBuffered`, and in practice by the latency: about 20 video packets in 200 ms). Nothing scans the sequence
 * space. Same interface as werift's `JitterBufferCallback` (`input`, `pipe`), so the pipeline is unchanged. A hole
 * given up is counted in `stats.lost` but not announced downstream (werift's `isPacketLost` output, which nothing in
 * the recorder's pipeline reads): the depacketiser sees the gap in the sequence numbers and drops the broken frame.
 */
export class RecorderJitterBuffer {
  private readonly latencyTicks: number;
  private readonly maxBuffered: number;
  private readonly resyncAfter: number;
  private readonly held = new Map<number, RtpPacket>();
  /** The sequence number the next packet passed on must have; undefined before the first packet. */
  private next: number | undefined;
  /** The newest RTP timestamp seen (serial-number order). */
  private newest = 0;
  private behindInARow = 0;
  private cb: ((output: JitterOutput) => void) | undefined;
  readonly stats = { passed: 0, duplicates: 0, late: 0, lost: 0, resyncs: 0 };

  constructor(clockRate: number, options: JitterBufferOptions = {}) {
    this.latencyTicks = Math.round(((options.latencyMs ?? 200) * clockRate) / 1000);
    this.maxBuffered = options.maxBuffered ?? 1000;
    this.resyncAfter = options.resyncAfter ?? 100;
  }

  pipe = (cb: (output: JitterOutput) => void): this => {
    this.cb = cb;
    return this;
  };

  input = (input: JitterInput): void => {
    for (const output of this.processInput(input)) this.cb?.(output);
  };

  /** The packets (and loss notices) that can be passed on after `input`, in sequence order. */
  processInput(input: JitterInput): JitterOutput[] {
    const out: JitterOutput[] = [];
    if (!input.rtp) {
      if (input.eol) {
        this.flushAll(out);
        out.push({ eol: true });
      }
      return out;
    }
    const packet = input.rtp;
    const { sequenceNumber: seq, timestamp } = packet.header;
    if (this.next === undefined) {
      this.newest = timestamp;
      this.pass(packet, out);
      return out;
    }
    const newer = (timestamp - this.newest + 2 ** 32) % 2 ** 32;
    if (newer > 0 && newer < HALF_TS) this.newest = timestamp;
    const ahead = seqDistance(this.next, seq);
    if (ahead >= HALF_SEQ) {
      // Behind what was already passed on: a duplicate or a packet whose hole was given up.
      this.stats.late++;
      if (++this.behindInARow >= this.resyncAfter) this.resync(packet, out);
      return out;
    }
    this.behindInARow = 0;
    if (ahead === 0) {
      this.pass(packet, out);
      this.drain(out);
    } else if (this.held.has(seq)) {
      this.stats.duplicates++;
    } else {
      this.held.set(seq, packet);
    }
    this.giveUpOldHoles(out);
    return out;
  }

  private pass(packet: RtpPacket, out: JitterOutput[]): void {
    out.push({ rtp: packet });
    this.stats.passed++;
    this.next = (packet.header.sequenceNumber + 1) % SEQ_MOD;
  }

  /** Passes on the held packets that now follow in sequence. */
  private drain(out: JitterOutput[]): void {
    for (let packet = this.held.get(this.next!); packet; packet = this.held.get(this.next!)) {
      this.held.delete(this.next!);
      this.pass(packet, out);
    }
  }

  /** The held packet nearest after the hole (O(held)). */
  private oldestHeld(): RtpPacket | undefined {
    let best: RtpPacket | undefined;
    let bestDistance = SEQ_MOD;
    for (const [seq, packet] of this.held) {
      const distance = seqDistance(this.next!, seq);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = packet;
      }
    }
    return best;
  }

  /** While the oldest held packet has waited longer than the latency (or too many are held), the hole is lost. */
  private giveUpOldHoles(out: JitterOutput[]): void {
    while (this.held.size > 0) {
      const oldest = this.oldestHeld()!;
      const waited = (this.newest - oldest.header.timestamp + 2 ** 32) % 2 ** 32;
      const timedOut = waited < HALF_TS && waited > this.latencyTicks;
      if (!timedOut && this.held.size <= this.maxBuffered) return;
      this.skipTo(oldest.header.sequenceNumber);
      this.drain(out);
    }
  }

  private skipTo(seq: number): void {
    this.stats.lost += seqDistance(this.next!, seq);
    this.next = seq;
  }

  /** At the end: everything still held, in sequence order, with the holes between given up. */
  private flushAll(out: JitterOutput[]): void {
    while (this.held.size > 0) {
      this.skipTo(this.oldestHeld()!.header.sequenceNumber);
      this.drain(out);
    }
  }

  /** The sender started again from elsewhere in the sequence space: what is held goes first, then follow the new run. */
  private resync(packet: RtpPacket, out: JitterOutput[]): void {
    this.flushAll(out);
    this.stats.resyncs++;
    this.behindInARow = 0;
    this.pass(packet, out);
  }
}
