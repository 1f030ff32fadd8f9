/**
 * Evidence time is media time (EVD-05, issue 18): when a recorded track started, taken from its sender's RTCP sender
 * reports rather than from when a busy event loop got round to its first packet.
 *
 * A sender report pairs the sender's wall clock (NTP) with its RTP clock, so the first recorded packet's RTP
 * timestamp converts to the moment the sender captured it, on the sender's clock. The sender's clock (a phone's) is
 * not trusted as such: it is moved onto the server's clock by the least-delayed report (the smallest arrival − NTP,
 * as in NTP's own filter), and a report handled late by a busy server only has a larger delay and is not chosen.
 * The arrival stamp of the first packet is kept beside it; the two are compared, and a disagreement beyond
 * {@link CLOCK_DISAGREEMENT_FLAG_MS} is flagged on the recording.
 */

/** Beyond this, the arrival stamp and the sender-report start of a recording are flagged as disagreeing. */
export const CLOCK_DISAGREEMENT_FLAG_MS = 250;

const NTP_UNIX_OFFSET_MS = 2_208_988_800_000;
/** Sender reports this long after the track's first packet are not used (the first one is, whenever it comes). */
const REPORT_WINDOW_SECONDS = 15;

/** A 64-bit NTP timestamp (seconds since 1900 . fraction) as Unix milliseconds. */
export function ntpToUnixMs(ntp: bigint): number {
  const seconds = Number(ntp >> 32n);
  const fraction = Number(ntp & 0xffffffffn) / 2 ** 32;
  return (seconds + fraction) * 1000 - NTP_UNIX_OFFSET_MS;
}

/** b − a for 32-bit RTP timestamps, across a wrap. */
function rtpDelta(a: number, b: number): number {
  const d = (b - a) >>> 0;
  return d >= 2 ** 31 ? d - 2 ** 32 : d;
}

/** How one recorded track's start was worked out: every figure is kept with the recording. */
export interface TrackClock {
  kind: 'audio' | 'video';
  /** The server's clock when the first recorded packet was handled. */
  arrivedAt: string;
  /** The start from the sender's reports, on the server's clock; null when no report came. */
  reportedAt: string | null;
  /** What the sender's own clock said at that moment (a phone's clock may be wrong; kept as found). */
  senderClockAt: string | null;
  /** Server clock − sender clock, including the least network delay seen. */
  senderClockOffsetMs: number | null;
  senderReports: number;
}

/** A recording's start: the earliest track's, from sender reports where there were any. */
export interface MediaClock {
  /** Sender-report start of the earliest track; the arrival stamp for a track that had no report. */
  startedAt: string;
  source: 'sender_reports' | 'arrival';
  /** First-packet arrival stamp − {@link startedAt}: how late the arrival stamp was. */
  disagreementMs: number;
  flagged: boolean;
  tracks: TrackClock[];
}

/** Collects one track's first packet and its sender reports as they arrive (constant memory for a call of any length). */
export class TrackClockRecorder {
  private first: { rtp: number; arrivedMs: number } | undefined;
  private best: { ntpMs: number; rtp: number; arrivedMs: number } | undefined;
  private reports = 0;

  constructor(
    readonly kind: 'audio' | 'video',
    private readonly clockRate: number,
  ) {}

  get started(): boolean {
    return this.first !== undefined;
  }

  firstPacket(rtpTimestamp: number, arrivedMs: number): void {
    this.first ??= { rtp: rtpTimestamp, arrivedMs };
  }

  senderReport(ntp: bigint, rtpTimestamp: number, arrivedMs: number): void {
    const ntpMs = ntpToUnixMs(ntp);
    this.reports++;
    // Only reports from the track's first seconds: a sender's RTP clock can drift from real time (a starved audio
    // device produces fewer samples), and the error of counting back grows with the distance.
    if (this.best && this.first && rtpDelta(this.first.rtp, rtpTimestamp) > REPORT_WINDOW_SECONDS * this.clockRate) return;
    if (!this.best || arrivedMs - ntpMs < this.best.arrivedMs - this.best.ntpMs) this.best = { ntpMs, rtp: rtpTimestamp, arrivedMs };
  }

  /** Undefined when no packet was recorded on this track. */
  result(): TrackClock | undefined {
    const { first, best } = this;
    if (!first) return undefined;
    let reported: { at: number; sender: number; offset: number } | undefined;
    if (best) {
      const sender = best.ntpMs - (rtpDelta(first.rtp, best.rtp) / this.clockRate) * 1000;
      const offset = best.arrivedMs - best.ntpMs;
      reported = { at: sender + offset, sender, offset };
    }
    return {
      kind: this.kind,
      arrivedAt: new Date(first.arrivedMs).toISOString(),
      reportedAt: reported ? new Date(Math.round(reported.at)).toISOString() : null,
      senderClockAt: reported ? new Date(Math.round(reported.sender)).toISOString() : null,
      senderClockOffsetMs: reported ? Math.round(reported.offset) : null,
      senderReports: this.reports,
    };
  }
}

/** The recording's start from its tracks; undefined when no track recorded a packet. */
export function mediaClock(tracks: readonly (TrackClock | undefined)[]): MediaClock | undefined {
  const present = tracks.filter((t): t is TrackClock => t !== undefined);
  if (present.length === 0) return undefined;
  const starts = present.map((t) => Date.parse(t.reportedAt ?? t.arrivedAt));
  const startedAt = Math.min(...starts);
  const arrivedAt = Math.min(...present.map((t) => Date.parse(t.arrivedAt)));
  const earliest = present[starts.indexOf(startedAt)]!;
  const disagreementMs = arrivedAt - startedAt;
  return {
    startedAt: new Date(startedAt).toISOString(),
    source: earliest.reportedAt ? 'sender_reports' : 'arrival',
    disagreementMs,
    flagged: Math.abs(disagreementMs) > CLOCK_DISAGREEMENT_FLAG_MS,
    tracks: present,
  };
}
