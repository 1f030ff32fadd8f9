/**
 * Issue 17 §3: how fast a sender's video may go, from the loss on the links it crosses. The server has no transport-wide
 * congestion control (ARCHITECTURE §4, trap 1), so without this every sender was told the same fixed REMB ceiling and
 * a victim on a 3G-like link sent (and was forwarded) video far faster than the link carries: the link's queue
 * overflowed, the loss passed the page's audio-only threshold and video paused although a slower stream would fit.
 *
 * A loss-based rule in the manner of Google Congestion Control's (draft-ietf-rmcat-gcc-02 §6), one estimate per link,
 * updated about once a second: under 2 % loss it grows by 8 %, over 10 % it falls to what actually got through, less
 * half the loss, and between the two it holds. What a sender is told (REMB) is the lowest of the estimates of the links
 * its video crosses: its own uplink, and each receiver's downlink. Pure: the media room feeds it counts.
 */

export interface VideoRateLimits {
  /** Never asked below this (a floor keeps a stream alive to measure; the page's own rule decides audio only). */
  floorBps: number;
  /** Never more than this (`VIDEO_MAX_BITRATE`). */
  ceilingBps: number;
}

/** Where a new link's estimate starts: a browser's own start rate, so the first seconds do not flood a slow link. */
export const START_BPS = 300_000;
export const FLOOR_BPS = 60_000;
/** Below this share lost the link has room: grow. Above the upper one it is overflowing: fall. */
export const GROW_BELOW_LOSS = 0.02;
export const FALL_ABOVE_LOSS = 0.1;
export const GROWTH_PER_UPDATE = 1.08;

/** What was seen on one link since the last update. */
export interface LinkReading {
  /** Share of the packets lost (0..1); undefined when nothing was measured (no packets, no report). */
  loss: number | undefined;
  /** The rate that arrived over the interval, in bit/s; undefined when not known. */
  deliveredBps: number | undefined;
}

const clamp = (bps: number, limits: VideoRateLimits) => Math.min(limits.ceilingBps, Math.max(limits.floorBps, bps));

/** The link's next estimate. */
export function nextEstimate(currentBps: number, reading: LinkReading, limits: VideoRateLimits): number {
  const { loss, deliveredBps } = reading;
  if (loss === undefined || !Number.isFinite(loss)) return clamp(currentBps, limits);
  if (loss > FALL_ABOVE_LOSS) {
    const through = deliveredBps !== undefined && deliveredBps > 0 ? Math.min(currentBps, deliveredBps) : currentBps;
    return clamp(through * (1 - 0.5 * Math.min(1, loss)), limits);
  }
  if (loss < GROW_BELOW_LOSS) return clamp(currentBps * GROWTH_PER_UPDATE, limits);
  return clamp(currentBps, limits);
}

/** What to tell a sender: the lowest estimate of the links its video crosses, within the limits. */
export function senderTarget(estimates: number[], limits: VideoRateLimits): number {
  return clamp(Math.min(limits.ceilingBps, ...estimates), limits);
}

/** RTP sequence numbers are 16 bits: the number of packets from `from` to `to`, across a wrap. */
export function sequenceSpan(from: number, to: number): number {
  return (to - from + 0x10000) & 0xffff;
}
