import fs from 'node:fs';
import * as installedNonstandard from 'werift/nonstandard';
import type { RtpPacket, RtpSourceCallback, WebmCallback } from 'werift/nonstandard';
import { mediaClock, TrackClockRecorder, type MediaClock } from './media-clock.js';
import { RecorderJitterBuffer } from './recorder-jitter-buffer.js';

/** werift's non-standard processors (depacketiser, jitter buffer, WebM muxer): the installed release unless a bench passes another. */
export type WeriftProcessors = typeof installedNonstandard;

export interface RecordedTrack {
  kind: 'audio' | 'video';
  payloadType: number;
}

export interface RecordingOutcome {
  path: string;
  /** The recorder wrote the closing duration and cues itself; false means the file must be remuxed before use. */
  finalisedByRecorder: boolean;
  /** Milliseconds of media the muxer saw, or undefined when no frame ever arrived. */
  durationMs: number | undefined;
  /** When the server handled the first packet (late when the event loop was busy). */
  firstPacketAt: Date | undefined;
  /** When the media started, from the senders' RTCP sender reports, with the arrival stamps beside it (EVD-05). */
  clock: MediaClock | undefined;
  packets: number;
  /** The write that ended the segment early (ENOSPC, EIO…): the file holds what was written before it. */
  error?: string;
}

/** The file operations the recorder uses; a test passes failing ones to prove a full or broken disk ends only the segment. */
export interface RecorderFiles {
  openSync: (path: string, flags: string, mode: number) => number;
  writeSync: (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;
  fsyncSync: (fd: number) => void;
  closeSync: (fd: number) => void;
}
const NODE_FILES: RecorderFiles = fs;

const FLUSH_INTERVAL_MS = 1000;
const STOP_TIMEOUT_MS = 3000;

/**
 * Writes one participant's incoming RTP to a WebM file from its first packet (ARCHITECTURE §4). Built
 * from werift's processors rather than its MediaRecorder because of known traps: NTP timing and lip-sync
 * dropped whole tracks (trap 4), the file mode opened and closed the file for every frame, and stopping in
 * stream mode waited for an event that never came. Here timing is RTP-only, writes are buffered and
 * flushed about once a second, and stop resolves when the muxer closes or after a timeout (the file is then
 * left for the remux step, never half-claimed as finished). All still needed on werift 0.25.2: its
 * MediaRecorder still defaults to NTP timing and lip-sync and its WebM writer and container only gained AV1,
 * so the 24 h duration placeholder and the configured (not real) header size remain ours to correct.
 */
export class WebmTrackRecorder {
  private readonly sources: RtpSourceCallback[] = [];
  private readonly kinds: ('audio' | 'video')[];
  private readonly order: { highest: number | undefined; recent: Set<number> }[];
  private readonly clocks: TrackClockRecorder[];
  private readonly webm: WebmCallback;
  private readonly fd: number;
  private pending: Buffer[] = [];
  private position = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;
  private finalised = false;
  private durationMs: number | undefined;
  private firstPacketAt: Date | undefined;
  private packets = 0;
  private framesSeen = false;
  private resolveEnd: (() => void) | undefined;
  private readonly ended: Promise<void>;
  private failure: Error | undefined;
  private fdClosed = false;

  constructor(
    readonly path: string,
    tracks: readonly RecordedTrack[],
    private readonly werift: WeriftProcessors = installedNonstandard,
    private readonly now: () => Date = () => new Date(),
    /** Told once when a write fails: the caller should stop the segment (it is closed already). */
    private readonly onFailure: (error: Error) => void = () => undefined,
    private readonly files: RecorderFiles = NODE_FILES,
  ) {
    const { DepacketizeCallback, RtpSourceCallback, RtpTimeCallback, WebmCallback } = werift;
    // 'wx': a recording never overwrites an existing file.
    this.fd = files.openSync(path, 'wx', 0o640);
    this.ended = new Promise((resolve) => (this.resolveEnd = resolve));
    this.kinds = tracks.map((t) => t.kind);
    this.order = tracks.map(() => ({ highest: undefined, recent: new Set<number>() }));
    this.clocks = tracks.map((t) => new TrackClockRecorder(t.kind, t.kind === 'video' ? 90000 : 48000));
    const inputs = tracks.map((track, i) =>
      track.kind === 'video'
        ? { kind: 'video' as const, codec: 'VP8' as const, clockRate: 90000, trackNumber: i + 1, width: 640, height: 480, payloadType: track.payloadType }
        : { kind: 'audio' as const, codec: 'OPUS' as const, clockRate: 48000, trackNumber: i + 1, payloadType: track.payloadType },
    );
    this.webm = new WebmCallback(inputs, { duration: 1000 * 60 * 60 * 24 });
    for (const input of inputs) {
      const source = new RtpSourceCallback({ payloadType: input.payloadType });
      const time = new RtpTimeCallback(input.clockRate);
      if (input.kind === 'video') {
        const depacketizer = new DepacketizeCallback('vp8', { isFinalPacketInSequence: (header) => header.marker });
        // Ours, not werift's JitterBufferCallback: that one scans the sequence space under loss (issue 18 §4).
        const jitter = new RecorderJitterBuffer(input.clockRate);
        source.pipe(jitter.input);
        jitter.pipe(time.input);
        time.pipe(depacketizer.input);
        depacketizer.pipe((output) => {
          if (output.frame) this.framesSeen = true;
          this.webm.inputVideo(output);
        });
      } else {
        const depacketizer = new DepacketizeCallback('opus');
        source.pipe(time.input);
        time.pipe(depacketizer.input);
        depacketizer.pipe((output) => {
          if (output.frame) this.framesSeen = true;
          this.webm.inputAudio(output);
        });
      }
      this.sources.push(source);
    }
    this.webm.pipe(async (output) => {
      if (this.failure) return;
      if (output.saveToFile) {
        this.pending.push(Buffer.from(output.saveToFile));
      } else if (output.eol) {
        this.flush();
        // The real duration over the 24 h placeholder. The segment keeps its unknown size: its clusters are
        // unknown-sized too, and a finite segment around them is reported as an error by ffmpeg.
        const durationElement = Buffer.from(output.eol.durationElement);
        if (!this.guard(() => this.files.writeSync(this.fd, durationElement, 0, durationElement.length, this.werift.DurationPosition))) {
          return this.resolveEnd?.();
        }
        this.durationMs = output.eol.duration;
        this.finalised = true;
        this.resolveEnd?.();
      }
    });
    this.flushTimer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  /** The error that ended this segment early, if one did. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * `trackIndex` is the position of the track in the list given to the constructor. Duplicate packets are
   * dropped, and so are late audio packets (audio has no jitter buffer): either would give the muxer a
   * timestamp that does not increase, which players report as a broken file.
   */
  write(trackIndex: number, packet: RtpPacket): void {
    if (this.closed) return;
    const order = this.order[trackIndex];
    if (!order) return;
    const seq = packet.header.sequenceNumber;
    if (order.highest !== undefined) {
      const ahead = (seq - order.highest) & 0xffff;
      const isNewer = ahead !== 0 && ahead < 0x8000;
      if (!isNewer && (this.kinds[trackIndex] === 'audio' || order.recent.has(seq))) return;
      if (isNewer) order.highest = seq;
    } else {
      order.highest = seq;
    }
    order.recent.add(seq);
    if (order.recent.size > 1024) order.recent.delete(order.recent.values().next().value!);
    const clock = this.clocks[trackIndex];
    if (clock && !clock.started) {
      const arrived = this.now();
      this.firstPacketAt ??= arrived;
      clock.firstPacket(packet.header.timestamp, arrived.getTime());
    }
    this.packets++;
    // A packet the muxer chokes on ends this segment, never the process.
    this.guard(() => this.sources[trackIndex]?.input(packet.clone()));
  }

  /** An RTCP sender report for the track at `trackIndex`: its sender's NTP time and the matching RTP timestamp. */
  senderReport(trackIndex: number, ntpTimestamp: bigint, rtpTimestamp: number): void {
    if (this.closed) return;
    this.clocks[trackIndex]?.senderReport(ntpTimestamp, rtpTimestamp, this.now().getTime());
  }

  get hasMedia(): boolean {
    return this.packets > 0;
  }

  async stop(): Promise<RecordingOutcome> {
    if (!this.closed) {
      this.closed = true;
      // With no frame at all the muxer cannot close (it has no timestamps); the file is then only a header.
      if (this.framesSeen) {
        for (const source of this.sources) source.stop();
        await Promise.race([this.ended, new Promise((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS))]);
      }
      clearInterval(this.flushTimer);
      this.flush();
      if (!this.fdClosed) this.guard(() => this.files.fsyncSync(this.fd));
      this.closeFile();
    }
    return {
      path: this.path,
      finalisedByRecorder: this.finalised && !this.failure,
      durationMs: this.durationMs,
      firstPacketAt: this.firstPacketAt,
      clock: mediaClock(this.clocks.map((c) => c.result())),
      packets: this.packets,
      ...(this.failure ? { error: this.failure.message } : {}),
    };
  }

  private flush(): void {
    if (this.pending.length === 0 || this.failure) return;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    if (this.guard(() => this.files.writeSync(this.fd, chunk, 0, chunk.length, this.position))) this.position += chunk.length;
  }

  /**
   * Runs one step of writing; a throw (ENOSPC, EIO, a muxer error) ends the segment cleanly: nothing more is written,
   * the file is closed holding what was written before, and the owner is told once so it can report the segment.
   */
  private guard(step: () => unknown): boolean {
    if (this.failure) return false;
    try {
      step();
      return true;
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.closed = true;
      this.pending = [];
      clearInterval(this.flushTimer);
      this.closeFile();
      this.resolveEnd?.();
      try {
        this.onFailure(this.failure);
      } catch {
        // The owner's handler must not undo the clean end.
      }
      return false;
    }
  }

  private closeFile(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    try {
      this.files.closeSync(this.fd);
    } catch {
      // Closing a descriptor after EIO can fail again; it is released either way.
    }
  }
}
