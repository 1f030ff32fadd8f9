import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type MediaTool = 'ffmpeg' | 'ffprobe';
// `string & {}` keeps the known names visible to the editor while allowing any other ffprobe reports.
type CodecType = 'video' | 'audio' | (string & {});

/** What ffprobe reads from a file's headers. */
export interface MediaProbe {
  formatName: string;
  /** What the container's header claims; an unfinished WebM may have none, or a wrong one. */
  durationSeconds: number | undefined;
  streams: MediaProbeStream[];
}

export interface MediaProbeStream {
  index: number;
  codecType: CodecType;
  codecName: string;
  width?: number;
  height?: number;
  durationSeconds?: number;
}

/** Timing read from every packet in the file, not from its header. */
export interface MeasuredDuration {
  /** From the earliest packet of any stream to the end of the latest one; undefined when no packet carries a timestamp. */
  durationSeconds: number | undefined;
  streams: MeasuredStream[];
}

export interface MeasuredStream {
  index: number;
  packets: number;
  startSeconds: number;
  endSeconds: number;
  durationSeconds: number;
}

export interface MediaToolOptions {
  timeoutMs?: number;
}

export class MediaToolError extends Error {
  constructor(
    readonly tool: MediaTool,
    readonly file: string | undefined,
    message: string,
    readonly stderrTail = '',
  ) {
    super(stderrTail ? `${message}\n${tool} said: ${stderrTail}` : message);
    this.name = 'MediaToolError';
  }
}

const INSTALL_HINT =
  'Install them with `apt-get install ffmpeg` (the Debian/Ubuntu package provides both ffmpeg and ffprobe), or set FFMPEG_PATH and FFPROBE_PATH to the binaries.';
const HEADER_TIMEOUT_MS = 60_000;
// Decoding or copying every frame takes time in proportion to the recording's length.
const WHOLE_FILE_TIMEOUT_MS = 15 * 60_000;
const STDERR_KEPT_CHARS = 256 * 1024;
const STDERR_TAIL_CHARS = 1000;

export async function ffmpegAvailability(): Promise<{ ffmpeg: boolean; ffprobe: boolean; message?: string }> {
  const [ffmpeg, ffprobe] = await Promise.all([responds('ffmpeg'), responds('ffprobe')]);
  if (ffmpeg && ffprobe) return { ffmpeg, ffprobe };
  const missing = (['ffmpeg', 'ffprobe'] as const).filter((tool) => !(tool === 'ffmpeg' ? ffmpeg : ffprobe)).map(describeLookup);
  return {
    ffmpeg,
    ffprobe,
    message: `Recordings cannot be checked or repaired: ${missing.join(' and ')} did not run. ${INSTALL_HINT}`,
  };
}

export async function probeMedia(file: string, options: MediaToolOptions = {}): Promise<MediaProbe> {
  await assertReadable('ffprobe', file);
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', asLocalFile(file)];
  const result = await runMediaTool('ffprobe', args, { subject: file, timeoutMs: options.timeoutMs ?? HEADER_TIMEOUT_MS });
  if (result.exitCode !== 0) throw failure('ffprobe', `could not read the media headers of ${file}`, file, result);
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(result.stdout) as FfprobeOutput;
  } catch {
    throw new MediaToolError('ffprobe', file, `ffprobe printed output that is not JSON for ${file}`, tail(result.stdout));
  }
  return {
    formatName: typeof parsed.format?.format_name === 'string' ? parsed.format.format_name : 'unknown',
    durationSeconds: seconds(parsed.format?.duration),
    streams: (parsed.streams ?? []).map(toProbeStream),
  };
}

/** Decodes every frame and returns ffmpeg's error lines; an empty list means the file decodes cleanly. */
export async function decodeErrors(file: string, options: MediaToolOptions = {}): Promise<string[]> {
  await assertReadable('ffmpeg', file);
  // `-enc_time_base -1` keeps each stream's own time base: otherwise ffmpeg guesses a frame rate from the
  // first frames of a variable-rate WebRTC recording and reports two frames 20 ms apart as "non monotonic".
  const args = ['-nostdin', '-v', 'error', '-i', asLocalFile(file), '-enc_time_base', '-1', '-f', 'null', '-'];
  const result = await runMediaTool('ffmpeg', args, { subject: file, timeoutMs: options.timeoutMs ?? WHOLE_FILE_TIMEOUT_MS });
  const lines = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (result.stderrTruncated) lines.push('(further errors omitted)');
  // A file ffmpeg cannot open at all is the worst decode error, not a reason to throw.
  if (result.exitCode !== 0 && lines.length === 0) lines.push(`ffmpeg exited with ${exitDescription(result)}`);
  return lines;
}

/** Reads every packet's timestamps, because an unfinished WebM's header can claim no duration or a wrong one (even 24 h). */
export async function measuredDurationSeconds(file: string, options: MediaToolOptions = {}): Promise<MeasuredDuration> {
  await assertReadable('ffprobe', file);
  const byStream = new Map<number, MeasuredStream>();
  const onLine = (line: string) => {
    const fields = new Map(line.split('|').map((pair) => pair.split('=', 2) as [string, string | undefined]));
    const index = Number(fields.get('stream_index'));
    const start = seconds(fields.get('pts_time')) ?? seconds(fields.get('dts_time'));
    if (!Number.isInteger(index) || start === undefined) return;
    const end = start + (seconds(fields.get('duration_time')) ?? 0);
    const stream = byStream.get(index);
    if (!stream) {
      byStream.set(index, { index, packets: 1, startSeconds: start, endSeconds: end, durationSeconds: 0 });
      return;
    }
    stream.packets += 1;
    stream.startSeconds = Math.min(stream.startSeconds, start);
    stream.endSeconds = Math.max(stream.endSeconds, end);
  };
  const args = ['-v', 'error', '-show_entries', 'packet=stream_index,pts_time,dts_time,duration_time', '-of', 'compact=p=0', asLocalFile(file)];
  const result = await runMediaTool('ffprobe', args, { subject: file, timeoutMs: options.timeoutMs ?? WHOLE_FILE_TIMEOUT_MS, onStdoutLine: onLine });
  if (result.exitCode !== 0) throw failure('ffprobe', `could not read the packets of ${file}`, file, result);

  const streams = [...byStream.values()]
    .sort((a, b) => a.index - b.index)
    .map((stream) => ({
      ...stream,
      startSeconds: roundToMicroseconds(stream.startSeconds),
      endSeconds: roundToMicroseconds(stream.endSeconds),
      durationSeconds: roundToMicroseconds(stream.endSeconds - stream.startSeconds),
    }));
  const durationSeconds =
    streams.length === 0 ? undefined : roundToMicroseconds(Math.max(...streams.map((s) => s.endSeconds)) - Math.min(...streams.map((s) => s.startSeconds)));
  return { durationSeconds, streams };
}

/**
 * Copies every stream into a fresh WebM without re-encoding, which writes the duration and seek index (cues) that a
 * live-written or unfinished recording lacks. The output appears only once complete; `output` may equal `input`.
 */
export async function remuxWebm(input: string, output: string, options: MediaToolOptions = {}): Promise<void> {
  await assertReadable('ffmpeg', input);
  const partial = `${output}.${randomUUID()}.partial`;
  // -map 0 keeps every track (ffmpeg would otherwise keep one per type); -f webm because the partial name has no extension.
  const args = ['-nostdin', '-y', '-v', 'error', '-i', asLocalFile(input), '-map', '0', '-c', 'copy', '-f', 'webm', asLocalFile(partial)];
  try {
    const result = await runMediaTool('ffmpeg', args, { subject: input, timeoutMs: options.timeoutMs ?? WHOLE_FILE_TIMEOUT_MS });
    if (result.exitCode !== 0) throw failure('ffmpeg', `could not remux ${input} into ${output}`, input, result);
    await fs.promises.rename(partial, output);
  } catch (error) {
    await fs.promises.rm(partial, { force: true });
    throw error;
  }
}

interface FfprobeOutput {
  format?: { format_name?: unknown; duration?: unknown };
  streams?: FfprobeStream[];
}

interface FfprobeStream {
  index?: unknown;
  codec_type?: unknown;
  codec_name?: unknown;
  width?: unknown;
  height?: unknown;
  duration?: unknown;
  tags?: Record<string, unknown>;
}

function toProbeStream(raw: FfprobeStream, position: number): MediaProbeStream {
  const stream: MediaProbeStream = {
    index: typeof raw.index === 'number' ? raw.index : position,
    codecType: typeof raw.codec_type === 'string' ? raw.codec_type : 'unknown',
    codecName: typeof raw.codec_name === 'string' ? raw.codec_name : 'unknown',
  };
  if (typeof raw.width === 'number') stream.width = raw.width;
  if (typeof raw.height === 'number') stream.height = raw.height;
  // Matroska keeps a stream's duration in a DURATION tag ("00:00:03.007000000") rather than the usual field.
  const durationSeconds = seconds(raw.duration) ?? clockSeconds(raw.tags?.DURATION);
  if (durationSeconds !== undefined) stream.durationSeconds = durationSeconds;
  return stream;
}

function seconds(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (value === '' || value === 'N/A') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function clockSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

function roundToMicroseconds(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

// The file: protocol stops a name that starts with "-" or looks like "concat:…" or "http:…" being read as anything but a local file.
export function asLocalFile(file: string): string {
  return `file:${path.resolve(file)}`;
}

function binaryOf(tool: MediaTool): string {
  const fromEnv = tool === 'ffmpeg' ? process.env.FFMPEG_PATH : process.env.FFPROBE_PATH;
  return fromEnv || tool;
}

function describeLookup(tool: MediaTool): string {
  const variable = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  return process.env[variable] ? `${tool} (${variable}=${binaryOf(tool)})` : `${tool} (looked for on PATH)`;
}

async function responds(tool: MediaTool): Promise<boolean> {
  try {
    return (await runMediaTool(tool, ['-version'], { timeoutMs: 10_000 })).exitCode === 0;
  } catch {
    return false;
  }
}

async function assertReadable(tool: MediaTool, file: string): Promise<void> {
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new MediaToolError(tool, file, `${tool} cannot read ${file}: ${code}`);
  }
}

export interface MediaToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stderrTruncated: boolean;
}

export interface RunMediaToolOptions {
  /** Default: FFMPEG_PATH or FFPROBE_PATH, then the tool's name on PATH. */
  binary?: string;
  /** Kills the tool after this long. */
  timeoutMs: number;
  /** Kills the tool when aborted; the promise then rejects with `signal.reason` (a MediaToolError if that is no Error). */
  signal?: AbortSignal;
  /** The file the tool works on, named in errors. */
  subject?: string;
  /** When given, stdout goes here line by line instead of being collected. */
  onStdoutLine?: (line: string) => void;
}

/** Runs the tool without a shell. */
export function runMediaTool(tool: MediaTool, args: string[], options: RunMediaToolOptions): Promise<MediaToolResult> {
  const { subject, timeoutMs, signal, onStdoutLine } = options;
  const binary = options.binary ?? binaryOf(tool);
  const on = subject ? ` on ${subject}` : '';
  // abort() may be given any value as its reason; the caller still gets an Error.
  const abortError = (reason: unknown) => (reason instanceof Error ? reason : new MediaToolError(tool, subject, `${tool} was cancelled${on}`));
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal.reason));
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pendingLine = '';
    let stderr = '';
    let stderrTruncated = false;
    let timedOut = false;
    let aborted = false;
    let callbackError: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };

    const deliver = (line: string) => {
      if (callbackError !== undefined || !onStdoutLine) return;
      try {
        onStdoutLine(line);
      } catch (error) {
        callbackError = error instanceof Error ? error : new Error('onStdoutLine failed');
        child.kill('SIGKILL');
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!onStdoutLine) {
        stdout += chunk;
        return;
      }
      const lines = (pendingLine + chunk).split('\n');
      pendingLine = lines.pop() ?? '';
      lines.forEach(deliver);
    });
    child.stdout.on('end', () => {
      if (pendingLine) deliver(pendingLine);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length >= STDERR_KEPT_CHARS) {
        stderrTruncated = true;
        return;
      }
      stderr += chunk;
    });

    child.on('error', (error: NodeJS.ErrnoException) => {
      settle();
      const why =
        error.code === 'ENOENT'
          ? `${tool} was not found (tried "${binary}"). ${INSTALL_HINT}`
          : `${tool} could not be started (tried "${binary}"): ${error.message}`;
      reject(new MediaToolError(tool, subject, why));
    });
    child.on('close', (exitCode, exitSignal) => {
      settle();
      if (aborted) reject(abortError(signal?.reason));
      else if (timedOut) reject(new MediaToolError(tool, subject, `${tool} timed out after ${timeoutMs / 1000} s${on}`, tail(stderr)));
      else if (callbackError !== undefined) reject(callbackError);
      else resolve({ exitCode, signal: exitSignal, stdout, stderr, stderrTruncated });
    });
  });
}

function failure(tool: MediaTool, what: string, file: string, result: MediaToolResult): MediaToolError {
  return new MediaToolError(tool, file, `${tool} ${what}: it exited with ${exitDescription(result)}`, tail(result.stderr));
}

export function exitDescription(result: MediaToolResult): string {
  return result.exitCode === null ? `signal ${result.signal ?? 'unknown'}` : `code ${result.exitCode}`;
}

export function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= STDERR_TAIL_CHARS ? trimmed : `…${trimmed.slice(-STDERR_TAIL_CHARS)}`;
}
