import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { asLocalFile, MediaToolError, measuredDurationSeconds, runMediaTool, tail } from './ffmpeg.js';
import { sha256File } from './sha256-file.js';

/**
 * Redacted copies for disclosure (EVD-09, issue 15 §2): ffmpeg reads the master and writes a new file with rectangles
 * blurred (pixelated) or blacked out over time ranges, audio muted or bleeped, and ranges cut out. The master is only
 * ever read. Times are seconds from the start of the file as a player shows them (the file's own start time is added
 * for ffmpeg's filters, so audio and video stay in step).
 */

export type RedactionMedia = 'video' | 'audio' | 'image';

export interface RegionRedaction {
  /** Ignored for a photo (the whole image). */
  startSeconds: number;
  endSeconds: number;
  /** In pixels of the master's frame. */
  x: number;
  y: number;
  width: number;
  height: number;
  effect: 'blur' | 'black';
  reason: string;
}

export interface AudioRedaction {
  startSeconds: number;
  endSeconds: number;
  effect: 'mute' | 'bleep';
  reason: string;
}

export interface CutRedaction {
  startSeconds: number;
  endSeconds: number;
  reason: string;
}

/** The redaction list as stored (EVD-09): what was done where, and why. */
export interface RedactionPlan {
  media: RedactionMedia;
  regions: RegionRedaction[];
  audio: AudioRedaction[];
  cuts: CutRedaction[];
}

/** What the redaction form needs to know about the master to check a plan against it. */
export interface MediaFacts {
  media: RedactionMedia;
  width?: number;
  height?: number;
  durationSeconds?: number;
  /** The file's first timestamp (ffmpeg's start_time). */
  startSeconds: number;
  hasVideo: boolean;
  hasAudio: boolean;
}

export interface RedactedFile {
  path: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  extension: string;
}

const TIMEOUT_MS = 30 * 60_000;
const STILL_TIMEOUT_MS = 60_000;

/** Reads the frame size, duration and start time of a master (ffprobe). */
export async function mediaFacts(file: string, media: RedactionMedia): Promise<MediaFacts> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', asLocalFile(file)];
  const result = await runMediaTool('ffprobe', args, { subject: file, timeoutMs: STILL_TIMEOUT_MS });
  if (result.exitCode !== 0) throw new MediaToolError('ffprobe', file, `ffprobe could not read ${file}`, tail(result.stderr));
  const parsed = JSON.parse(result.stdout) as {
    format?: { duration?: string; start_time?: string };
    streams?: Array<{ codec_type?: string; width?: number; height?: number }>;
  };
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  const hasAudio = parsed.streams?.some((s) => s.codec_type === 'audio') ?? false;
  // A picture with no size (a broken file ffprobe half-reads) or a recording with nothing in it cannot be redacted.
  if (media !== 'audio' && !((video?.width ?? 0) > 0 && (video?.height ?? 0) > 0))
    throw new MediaToolError('ffprobe', file, `ffprobe found no picture with a size in ${file}`);
  if (media === 'audio' && !hasAudio) throw new MediaToolError('ffprobe', file, `ffprobe found no audio in ${file}`);
  const start = Number(parsed.format?.start_time);
  let duration = Number(parsed.format?.duration);
  if (media !== 'image' && !(duration > 0)) duration = (await measuredDurationSeconds(file)).durationSeconds ?? NaN;
  return {
    media,
    width: video?.width,
    height: video?.height,
    durationSeconds: media === 'image' || !(duration > 0) ? undefined : duration,
    startSeconds: Number.isFinite(start) && media !== 'image' ? start : 0,
    hasVideo: Boolean(video),
    hasAudio,
  };
}

const num = (value: number) => String(Math.round(value * 1000) / 1000);

/** ffmpeg's `between(t,a,b)` for ranges given from the file's start. */
function between(ranges: Array<{ startSeconds: number; endSeconds: number }>, offset: number, variable = 't'): string {
  return ranges.map((r) => `between(${variable},${num(r.startSeconds + offset)},${num(r.endSeconds + offset)})`).join('+');
}

/** Pixel boxes on even coordinates, inside the frame (chroma planes are half size in yuv420p). */
function evenBox(region: RegionRedaction, facts: MediaFacts) {
  const even = (v: number) => Math.max(0, Math.floor(v / 2) * 2);
  const x = even(region.x);
  const y = even(region.y);
  const maxW = (facts.width ?? region.x + region.width) - x;
  const maxH = (facts.height ?? region.y + region.height) - y;
  // Widen to even sizes so nothing the person marked is left uncovered at the box's edge.
  const width = Math.min(maxW, Math.max(2, Math.ceil((region.x + region.width - x) / 2) * 2));
  const height = Math.min(maxH, Math.max(2, Math.ceil((region.y + region.height - y) / 2) * 2));
  return { x, y, width, height };
}

/**
 * The filter graph for a plan: `[0:v]` → `[vout]` and `[0:a]` → `[aout]`. With `at` (a still of one moment), only the
 * regions covering that moment are drawn, with no time condition; for a photo every region applies.
 */
export function redactionFilterGraph(plan: RedactionPlan, facts: MediaFacts, options: { at?: number } = {}): { graph: string; video: boolean; audio: boolean } {
  const parts: string[] = [];
  const offset = facts.startSeconds;
  const still = options.at !== undefined || plan.media === 'image';
  let video = false;
  let audio = false;
  if (facts.hasVideo) {
    video = true;
    const regions = options.at === undefined ? plan.regions : plan.regions.filter((r) => r.startSeconds <= options.at! && options.at! <= r.endSeconds);
    let label = 'v0';
    parts.push(`[0:v]format=${plan.media === 'image' ? 'rgb24' : 'yuv420p'}[v0]`);
    regions.forEach((region, index) => {
      const box = evenBox(region, facts);
      const enable = still ? '' : `:enable='${between([region], offset)}'`;
      const next = `v${index + 1}`;
      if (region.effect === 'black') {
        parts.push(`[${label}]drawbox=x=${box.x}:y=${box.y}:w=${box.width}:h=${box.height}:color=black:t=fill${enable}[${next}]`);
      } else {
        // Pixelate: each block of about a twelfth of the box's size becomes one flat colour (nothing to sharpen back).
        const bw = Math.max(1, Math.round(box.width / 12));
        const bh = Math.max(1, Math.round(box.height / 12));
        parts.push(
          `[${label}]split=2[${label}m][${label}c]`,
          `[${label}c]crop=${box.width}:${box.height}:${box.x}:${box.y},scale=${bw}:${bh}:flags=area,scale=${box.width}:${box.height}:flags=neighbor[${label}p]`,
          `[${label}m][${label}p]overlay=${box.x}:${box.y}${enable}[${next}]`,
        );
      }
      label = next;
    });
    if (plan.cuts.length > 0 && !still) {
      const shift = plan.cuts.map((c) => `gte(T,${num(c.endSeconds + offset)})*${num(c.endSeconds - c.startSeconds)}`).join('+');
      parts.push(`[${label}]select='not(${between(plan.cuts, offset)})',setpts='PTS-(${shift})/TB'[vout]`);
    } else parts.push(`[${label}]null[vout]`);
  }
  if (facts.hasAudio && !still) {
    audio = true;
    let chain = '[0:a]anull';
    if (plan.audio.length > 0) chain += `,volume=0:enable='${between(plan.audio, offset)}'`;
    const bleeps = plan.audio.filter((a) => a.effect === 'bleep');
    // A 1 kHz tone at a quarter of full scale where a bleep was asked for: heard as a bleep, not as silence.
    if (bleeps.length > 0) chain += `,aeval='val(ch)+0.25*sin(2*PI*1000*t)*gt(${between(bleeps, offset)},0)':c=same`;
    if (plan.cuts.length > 0) {
      const shift = plan.cuts.map((c) => `gte(T,${num(c.endSeconds + offset)})*${num(c.endSeconds - c.startSeconds)}`).join('+');
      chain += `,aselect='not(${between(plan.cuts, offset)})',asetpts='PTS-(${shift})/TB'`;
    }
    parts.push(`${chain}[aout]`);
  }
  return { graph: parts.join(';'), video, audio };
}

/** A JPEG still of the master at `atSeconds`, with the plan's boxes for that moment burnt in (the preview), written to `output` and returned. */
export async function redactionStill(input: string, facts: MediaFacts, plan: RedactionPlan | undefined, atSeconds: number, output: string): Promise<Buffer> {
  if (!facts.hasVideo) throw new MediaToolError('ffmpeg', input, 'This item has no picture to take a still from');
  const empty: RedactionPlan = { media: facts.media, regions: [], audio: [], cuts: [] };
  const { graph } = redactionFilterGraph(plan ?? empty, facts, { at: atSeconds });
  const seek = facts.media === 'image' ? [] : ['-ss', num(Math.max(0, atSeconds))];
  const args = [
    '-nostdin',
    '-y',
    '-v',
    'error',
    ...seek,
    '-i',
    asLocalFile(input),
    '-filter_complex',
    graph,
    '-map',
    '[vout]',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-f',
    'image2',
    '-c:v',
    'mjpeg',
    asLocalFile(output),
  ];
  const result = await runMediaTool('ffmpeg', args, { subject: input, timeoutMs: STILL_TIMEOUT_MS });
  if (result.exitCode !== 0 || !fs.existsSync(output))
    throw new MediaToolError('ffmpeg', input, 'ffmpeg could not take a still of this moment', tail(result.stderr));
  return fs.promises.readFile(output);
}

/**
 * Makes the redacted copy: MP4 (H.264 + AAC) for video, M4A (AAC) for audio, PNG (lossless) for a photo. Written to
 * `<output>.partial` and renamed into place once complete; returns its SHA-256.
 */
export async function makeRedactedCopy(
  input: string,
  facts: MediaFacts,
  plan: RedactionPlan,
  outputBase: string,
  options: { onProgress?: (fraction: number) => void; timeoutMs?: number } = {},
): Promise<RedactedFile> {
  const kind =
    plan.media === 'image'
      ? { extension: 'png', mediaType: 'image/png', format: 'image2' }
      : facts.hasVideo
        ? { extension: 'mp4', mediaType: 'video/mp4', format: 'mp4' }
        : { extension: 'm4a', mediaType: 'audio/mp4', format: 'ipod' };
  const output = `${outputBase}.${kind.extension}`;
  const partial = `${output}.${randomUUID()}.partial`;
  const { graph, video, audio } = redactionFilterGraph(plan, facts);
  const args = ['-nostdin', '-y', '-v', 'error', '-i', asLocalFile(input), '-filter_complex', graph];
  if (video) args.push('-map', '[vout]');
  if (audio) args.push('-map', '[aout]');
  if (plan.media === 'image') args.push('-frames:v', '1', '-c:v', 'png');
  else {
    if (video) args.push('-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-fps_mode', 'vfr');
    if (audio) args.push('-c:a', 'aac', '-b:a', '128k');
    args.push('-movflags', '+faststart', '-progress', 'pipe:1', '-nostats');
  }
  args.push('-f', kind.format, asLocalFile(partial));
  const total = (facts.durationSeconds ?? 0) - plan.cuts.reduce((sum, c) => sum + (c.endSeconds - c.startSeconds), 0);
  try {
    const result = await runMediaTool('ffmpeg', args, {
      subject: input,
      timeoutMs: options.timeoutMs ?? Math.max(TIMEOUT_MS, (facts.durationSeconds ?? 0) * 4000),
      onStdoutLine: (line) => {
        const match = /^out_time_us=(\d+)\s*$/.exec(line);
        if (match && total > 0) options.onProgress?.(Math.min(0.99, Number(match[1]) / 1e6 / total));
      },
    });
    if (result.exitCode !== 0) throw new MediaToolError('ffmpeg', input, 'ffmpeg could not make the redacted copy', tail(result.stderr));
    await fs.promises.rename(partial, output);
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
  const { sha256, size } = await sha256File(output);
  options.onProgress?.(1);
  return { path: output, sha256, sizeBytes: size, mediaType: kind.mediaType, extension: kind.extension };
}
