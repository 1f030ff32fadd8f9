import fs from 'node:fs';
import path from 'node:path';
import { asLocalFile, exitDescription, measuredDurationSeconds, MediaToolError, probeMedia, runMediaTool, tail } from './ffmpeg.js';
import { sha256File } from './sha256-file.js';

/**
 * The court working copy: one MP4 (H.264 + AAC) made from the master WebM recordings of a video call, the participants
 * side by side, each placed at the moment its recording started, their audio mixed, and the wall-clock time in UTC burnt
 * into every frame. The masters stay the evidence; this is the copy a court's ordinary player can open.
 */

/** One participant's master recording. */
export interface CallRecording {
  path: string;
  /** Shown on the participant's tile, e.g. 'Officer' or 'Victim'. */
  label: string;
  /** Wall-clock time of the recording's first media (of any stream). */
  startedAt: Date;
  hasVideo: boolean;
  hasAudio: boolean;
  /** The recording's length when already known (say from the repair step); otherwise it is measured from the packets. */
  durationSeconds?: number;
}

export interface CourtWorkingCopyOptions {
  /** Where the MP4 goes. ffmpeg writes `<outputPath>.partial`, renamed into place only once complete. */
  outputPath: string;
  /** Default: FFMPEG_PATH, then `ffmpeg` on PATH. (Durations and the final check use ffprobe from FFPROBE_PATH or PATH.) */
  ffmpegPath?: string;
  /** A TrueType/OpenType font for the timestamp and labels. Default: the first of {@link FONT_CANDIDATES} present, then fontconfig. */
  fontFile?: string;
  /** Kills ffmpeg after this long. Default: the larger of 15 minutes and four times the call's length. */
  timeoutMs?: number;
  /** Called with the fraction done, 0..1, rising; the last call is 1, once the file is in place. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
  /** Every participant is fitted (letterboxed, aspect kept) into a tile this size. Default 640 × 480. */
  tileWidth?: number;
  tileHeight?: number;
  /** Default 25. */
  frameRate?: number;
  /** libx264 preset. Default 'veryfast'. */
  preset?: string;
}

export interface CourtWorkingCopy {
  path: string;
  sha256: string;
  sizeBytes: number;
  /** As ffprobe reads it from the finished MP4. */
  durationSeconds: number;
}

/** Debian's font locations, in order of preference; the package that provides each is named alongside. */
export const FONT_CANDIDATES: readonly { file: string; debianPackage: string }[] = [
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', debianPackage: 'fonts-dejavu-core' },
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', debianPackage: 'fonts-dejavu-core' },
  { file: '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf', debianPackage: 'fonts-liberation' },
  { file: '/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf', debianPackage: 'fonts-liberation2' },
  { file: '/usr/share/fonts/truetype/freefont/FreeMono.ttf', debianPackage: 'fonts-freefont-ttf' },
];

const FONT_PACKAGE = 'fonts-dejavu-core';
const FFMPEG_INSTALL_HINT = "Install Debian's build with `apt-get install ffmpeg`, or point ffmpegPath (or FFMPEG_PATH) at an ffmpeg that has it.";
const MAX_PARTICIPANTS = 3;
const MIN_TIMEOUT_MS = 15 * 60_000;
const FEATURE_TIMEOUT_MS = 30_000;

/** What {@link makeCourtWorkingCopy} hands ffmpeg, worked out from the recordings. Exported for tests and for logging. */
export interface CourtLayout {
  /** Seconds from the earliest recording's start to the end of the last. */
  durationSeconds: number;
  /** Unix time (seconds, to the millisecond) of the earliest start: the working copy's time zero. */
  epochSeconds: number;
  filterGraph: string;
}

export async function makeCourtWorkingCopy(input: readonly CallRecording[], options: CourtWorkingCopyOptions): Promise<CourtWorkingCopy> {
  validate(input, options);
  options.signal?.throwIfAborted();
  const ffmpeg = options.ffmpegPath || process.env.FFMPEG_PATH || 'ffmpeg';
  const output = path.resolve(options.outputPath);
  const partial = `${output}.partial`;

  for (const recording of input) await assertReadable(recording);
  await assertFfmpegCanDoIt(ffmpeg, options.signal);
  const fontFile = await findTimestampFont(options.fontFile);
  const durations: number[] = [];
  for (const recording of input) durations.push(recording.durationSeconds ?? (await measure(recording)));
  options.signal?.throwIfAborted();

  const layout = courtLayout(input, durations, { ...options, fontFile });
  const earliest = new Date(layout.epochSeconds * 1000);
  const args = [
    '-nostdin',
    '-y',
    '-v',
    'error',
    '-nostats',
    '-progress',
    'pipe:1',
    '-stats_period',
    '0.25',
    ...input.flatMap((recording) => ['-i', asLocalFile(recording.path)]),
    '-filter_complex',
    layout.filterGraph,
    '-map',
    '[vout]',
    '-map',
    '[aout]',
    '-c:v',
    'libx264',
    '-preset',
    options.preset ?? 'veryfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-t',
    layout.durationSeconds.toFixed(3),
    '-map_metadata',
    '-1',
    '-metadata',
    `creation_time=${earliest.toISOString()}`,
    '-movflags',
    '+faststart',
    // The partial name has no .mp4 extension for ffmpeg to go by.
    '-f',
    'mp4',
    asLocalFile(partial),
  ];

  let reported = 0;
  const report = (fraction: number) => {
    const clamped = Math.min(1, Math.max(0, fraction));
    if (clamped <= reported) return;
    reported = clamped;
    options.onProgress?.(clamped);
  };
  const onLine = (line: string) => {
    const match = /^out_time_us=(\d+)\s*$/.exec(line);
    // Held just below 1 until the file is renamed into place.
    if (match && layout.durationSeconds > 0) report(Math.min(0.99, Number(match[1]) / 1e6 / layout.durationSeconds));
  };

  const what = `could not make the court working copy ${output} from ${input.map((r) => r.path).join(', ')}`;
  const timeoutMs = options.timeoutMs ?? Math.max(MIN_TIMEOUT_MS, layout.durationSeconds * 4000);
  try {
    const result = await runMediaTool('ffmpeg', args, { binary: ffmpeg, timeoutMs, signal: options.signal, onStdoutLine: onLine, subject: output });
    if (result.exitCode !== 0) {
      throw new MediaToolError('ffmpeg', output, `ffmpeg ${what}: it exited with ${exitDescription(result)}`, tail(result.stderr));
    }
    const probe = await probeMedia(partial);
    const codecs = probe.streams.map((stream) => `${stream.codecType}:${stream.codecName}`).sort();
    if (codecs.join(',') !== 'audio:aac,video:h264') {
      throw new MediaToolError('ffmpeg', output, `ffmpeg ${what}: the result holds ${codecs.join(', ') || 'no streams'}, not one H.264 and one AAC stream`);
    }
    options.signal?.throwIfAborted();
    await fs.promises.rename(partial, output);
    const { sha256, size } = await sha256File(output);
    report(1);
    return { path: output, sha256, sizeBytes: size, durationSeconds: probe.durationSeconds ?? layout.durationSeconds };
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}

/** Builds the ffmpeg filter graph. Input `i` of the graph is `recordings[i]`; it yields `[vout]` and `[aout]`. */
export function courtLayout(
  recordings: readonly CallRecording[],
  durationsSeconds: readonly number[],
  options: Pick<CourtWorkingCopyOptions, 'tileWidth' | 'tileHeight' | 'frameRate'> & { fontFile: string },
): CourtLayout {
  const width = even(options.tileWidth ?? 640);
  const height = even(options.tileHeight ?? 480);
  const rate = options.frameRate ?? 25;
  const earliestMs = Math.min(...recordings.map((r) => r.startedAt.getTime()));
  const offsets = recordings.map((r) => (r.startedAt.getTime() - earliestMs) / 1000);
  const total = roundMs(Math.max(...recordings.map((_, i) => offsets[i]! + (durationsSeconds[i] ?? 0))));
  const font = options.fontFile;
  const fontSize = Math.max(12, Math.round(height / 18));
  const box = { fontcolor: 'white', box: 1, boxcolor: 'black@0.6', boxborderw: Math.round(fontSize / 4) };
  // A black tile lasting the whole call: the participant's picture is laid over it from the moment they started, so the
  // tile is black before they joined, after they left, and throughout for someone who sent no video.
  const blackTile = filter('color', { c: 'black', s: `${width}x${height}`, r: rate, d: total.toFixed(3) }) + ',' + filter('format', { pix_fmts: 'yuv420p' });
  const label = (text: string) =>
    filter('drawtext', { fontfile: font, expansion: 'none', text, x: fontSize / 2, y: `h-th-${fontSize / 2}`, fontsize: fontSize, ...box });

  const chains: string[] = [];
  const tiles: string[] = [];
  const audio: string[] = [];
  recordings.forEach((recording, i) => {
    const offset = offsets[i]!.toFixed(3);
    if (recording.hasVideo) {
      chains.push(`${blackTile}[bg${i}]`);
      chains.push(
        `[${i}:v:0]` +
          [
            filter('scale', { w: width, h: height, force_original_aspect_ratio: 'decrease', force_divisible_by: 2 }),
            filter('pad', { w: width, h: height, x: '(ow-iw)/2', y: '(oh-ih)/2', color: 'black' }),
            filter('setsar', { sar: 1 }),
            filter('format', { pix_fmts: 'yuv420p' }),
            filter('setpts', { expr: `PTS+${offset}/TB` }),
          ].join(',') +
          `[fg${i}]`,
      );
      chains.push(`[bg${i}][fg${i}]` + filter('overlay', { eof_action: 'pass', eval: 'init' }) + ',' + label(recording.label) + `[tile${i}]`);
    } else {
      const centred = (text: string, size: number, dy: number) =>
        filter('drawtext', { fontfile: font, expansion: 'none', text, x: '(w-tw)/2', y: `(h-th)/2+${dy}`, fontsize: size, fontcolor: 'white' });
      chains.push(`${blackTile},${centred(recording.label, fontSize * 2, -fontSize)},${centred('audio only', fontSize, fontSize * 1.5)}[tile${i}]`);
    }
    tiles.push(`[tile${i}]`);
    if (recording.hasAudio) {
      chains.push(
        `[${i}:a:0]` +
          [
            // Fills any gap in the recording's audio with silence, so what follows stays in step with the clock.
            filter('aresample', { osr: 48000, async: 1, first_pts: 0 }),
            filter('aformat', { sample_fmts: 'fltp', channel_layouts: 'stereo' }),
            filter('adelay', { delays: Math.round(offsets[i]! * 1000), all: 1 }),
          ].join(',') +
          `[a${i}]`,
      );
      audio.push(`[a${i}]`);
    }
  });

  const stacked = tiles.length === 1 ? `${tiles[0]}null` : `${tiles.join('')}${filter('hstack', { inputs: tiles.length })}`;
  const clock = filter('drawtext', {
    fontfile: font,
    // drawtext's pts function: the frame's time plus the earliest start, as "YYYY-MM-DD HH:MM:SS" in UTC.
    text: `%{pts:gmtime:${(earliestMs / 1000).toFixed(3)}} UTC`,
    x: fontSize / 2,
    y: fontSize / 2,
    fontsize: fontSize,
    ...box,
  });
  chains.push(`${stacked},${clock}[vout]`);

  const mixed =
    audio.length === 0
      ? filter('anullsrc', { r: 48000, cl: 'stereo' })
      : audio.length === 1
        ? `${audio[0]}anull`
        : `${audio.join('')}${filter('amix', { inputs: audio.length, duration: 'longest', dropout_transition: 0, normalize: 0 })}`;
  chains.push(`${mixed},${filter('apad', { whole_dur: total.toFixed(3) })},${filter('atrim', { duration: total.toFixed(3) })}[aout]`);

  return { durationSeconds: total, epochSeconds: earliestMs / 1000, filterGraph: chains.join(';') };
}

/** The font file for the burnt-in timestamp, or a MediaToolError naming the Debian package to install. */
export async function findTimestampFont(fontFile?: string): Promise<string> {
  if (fontFile !== undefined) {
    if (await readable(fontFile)) return path.resolve(fontFile);
    throw new MediaToolError('ffmpeg', fontFile, `The font file for the working copy's timestamp, ${fontFile}, cannot be read.`);
  }
  for (const candidate of FONT_CANDIDATES) if (await readable(candidate.file)) return candidate.file;
  const fromFontconfig = await fontconfigMatch();
  if (fromFontconfig !== undefined) return fromFontconfig;
  throw new MediaToolError(
    'ffmpeg',
    undefined,
    `No font was found for the working copy's burnt-in timestamp (looked for ${FONT_CANDIDATES.map((c) => c.file).join(', ')}, then asked fontconfig). ` +
      `Install one with \`apt-get install ${FONT_PACKAGE}\`, or pass fontFile.`,
  );
}

function validate(input: readonly CallRecording[], options: CourtWorkingCopyOptions): void {
  if (input.length < 1 || input.length > MAX_PARTICIPANTS)
    throw new RangeError(`A court working copy takes 1 to ${MAX_PARTICIPANTS} recordings, not ${input.length}.`);
  for (const recording of input) {
    if (!(recording.startedAt instanceof Date) || Number.isNaN(recording.startedAt.getTime())) {
      throw new TypeError(`The ${recording.label} recording ${recording.path} has no valid startedAt.`);
    }
    if (!recording.hasVideo && !recording.hasAudio) throw new TypeError(`The ${recording.label} recording ${recording.path} has neither video nor audio.`);
    if (recording.durationSeconds !== undefined && !(recording.durationSeconds >= 0)) {
      throw new RangeError(`The ${recording.label} recording ${recording.path} has an invalid duration: ${recording.durationSeconds}.`);
    }
  }
  if (!options.outputPath) throw new TypeError('A court working copy needs an outputPath.');
}

async function assertReadable(recording: CallRecording): Promise<void> {
  try {
    await fs.promises.access(recording.path, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new MediaToolError(
      'ffmpeg',
      recording.path,
      `Cannot make the court working copy: the ${recording.label} recording ${recording.path} cannot be read: ${code}`,
    );
  }
}

async function measure(recording: CallRecording): Promise<number> {
  const measured = await measuredDurationSeconds(recording.path);
  if (measured.durationSeconds === undefined) {
    throw new MediaToolError(
      'ffprobe',
      recording.path,
      `Cannot make the court working copy: the ${recording.label} recording ${recording.path} holds no timed media.`,
    );
  }
  return measured.durationSeconds;
}

/** drawtext needs an ffmpeg built with libfreetype; Debian's is. Checked first, so the timestamp is never silently left out. */
async function assertFfmpegCanDoIt(ffmpeg: string, signal: AbortSignal | undefined): Promise<void> {
  const list = async (what: '-filters' | '-encoders') => {
    const result = await runMediaTool('ffmpeg', ['-hide_banner', what], { binary: ffmpeg, timeoutMs: FEATURE_TIMEOUT_MS, signal });
    if (result.exitCode !== 0)
      throw new MediaToolError('ffmpeg', undefined, `ffmpeg ("${ffmpeg}") -hide_banner ${what} exited with ${exitDescription(result)}`, tail(result.stderr));
    return new Set(result.stdout.split('\n').map((line) => line.trim().split(/\s+/)[1]));
  };
  const [filters, encoders] = await Promise.all([list('-filters'), list('-encoders')]);
  const missing = [
    ...['drawtext', 'hstack', 'overlay', 'amix', 'adelay', 'apad'].filter((name) => !filters.has(name)).map((name) => `the ${name} filter`),
    ...['libx264', 'aac'].filter((name) => !encoders.has(name)).map((name) => `the ${name} encoder`),
  ];
  if (missing.length === 0) return;
  const why = filters.has('drawtext') ? '' : ' (drawtext, which burns in the timestamp, needs an ffmpeg built with libfreetype)';
  throw new MediaToolError(
    'ffmpeg',
    undefined,
    `The ffmpeg at "${ffmpeg}" lacks ${missing.join(', ')}${why}, so it cannot make a court working copy. ${FFMPEG_INSTALL_HINT}`,
  );
}

async function readable(file: string): Promise<boolean> {
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

async function fontconfigMatch(): Promise<string | undefined> {
  try {
    // Not a media tool, but the runner serves: only stdout is read, and any error just means no match.
    const result = await runMediaTool('ffmpeg', ['--format=%{file}', 'monospace'], { binary: 'fc-match', timeoutMs: 10_000 });
    const file = result.stdout.trim();
    return result.exitCode === 0 && /\.(ttf|otf|ttc)$/i.test(file) && (await readable(file)) ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `name=key=value:…` with each value quoted for drawtext & co.'s option parser, then escaped once more for the filter
 * graph parser, so a label such as "PC O'Brien: [1], a;b" reaches drawtext as written.
 */
function filter(name: string, options: Record<string, string | number>): string {
  const args = Object.entries(options)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? String(value) : quoteOptionValue(value)}`)
    .join(':');
  return `${name}=${args.replace(/[\\'[\],;]/g, '\\$&')}`;
}

function quoteOptionValue(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function even(value: number): number {
  return Math.max(2, 2 * Math.round(value / 2));
}

function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}
