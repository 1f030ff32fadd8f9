import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { decodeErrors, ffmpegAvailability, measuredDurationSeconds, MediaToolError, probeMedia, remuxWebm } from '../../src/platform/media/ffmpeg.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';

const execFileAsync = promisify(execFile);
const availability = await ffmpegAvailability();
const missing = availability.ffmpeg && availability.ffprobe ? undefined : `ffmpeg/ffprobe missing: ${availability.message}`;
// The Matroska Cues element: the seek index a live-written WebM lacks.
const CUES_ID = Buffer.from([0x1c, 0x53, 0xbb, 0x6b]);
const SOURCES = ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '3'];
const ENCODE = ['-c:v', 'libvpx', '-b:v', '500k', '-c:a', 'libopus'];

describe('media tools (ffmpeg/ffprobe)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-media-'));
  const fixture = (name: string) => path.join(dir, name);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    if (missing) return;
    await execFileAsync('ffmpeg', ['-nostdin', '-y', '-v', 'error', ...SOURCES, ...ENCODE, fixture('good.webm')]);
    const good = fs.readFileSync(fixture('good.webm'));
    fs.writeFileSync(fixture('truncated.webm'), good.subarray(0, Math.floor(good.length / 2)));
    const corrupted = Buffer.from(good);
    corrupted.fill(0, Math.floor(good.length / 2), Math.floor(good.length / 2) + 4096);
    fs.writeFileSync(fixture('corrupted.webm'), corrupted);
    fs.writeFileSync(fixture('not-media.webm'), 'this is not a recording\n');
    await writeLiveWebm(fixture('live.webm'));
  });

  // Skips with the install instruction when the tools are absent; returns true when the test should go on.
  const needsFfmpeg = (t: TestContext) => {
    if (missing) t.skip(missing);
    return !missing;
  };

  it('reports ffmpeg and ffprobe as available', async (t) => {
    if (!needsFfmpeg(t)) return;
    assert.deepEqual(availability, { ffmpeg: true, ffprobe: true });
  });

  it('tells the operator what to install when a binary cannot be found', async () => {
    const saved = process.env.FFPROBE_PATH;
    process.env.FFPROBE_PATH = path.join(dir, 'no-such-ffprobe');
    try {
      const result = await ffmpegAvailability();
      assert.equal(result.ffprobe, false);
      assert.match(result.message ?? '', /apt-get install ffmpeg/);
      assert.match(result.message ?? '', /FFPROBE_PATH=.*no-such-ffprobe/);
      // Any readable file will do: the missing binary is what fails.
      await assert.rejects(
        probeMedia(import.meta.filename),
        (error: Error) => error instanceof MediaToolError && /not found.*apt-get install ffmpeg/s.test(error.message),
      );
    } finally {
      if (saved === undefined) delete process.env.FFPROBE_PATH;
      else process.env.FFPROBE_PATH = saved;
    }
  });

  it('probes a WebM: container, VP8 video, Opus audio and a 3 s duration', async (t) => {
    if (!needsFfmpeg(t)) return;
    const probe = await probeMedia(fixture('good.webm'));
    assert.match(probe.formatName, /webm/);
    assert.ok(approximately(probe.durationSeconds, 3), `duration ${probe.durationSeconds}`);
    const video = probe.streams.find((s) => s.codecType === 'video');
    const audio = probe.streams.find((s) => s.codecType === 'audio');
    assert.deepEqual({ codec: video?.codecName, width: video?.width, height: video?.height }, { codec: 'vp8', width: 640, height: 480 });
    assert.equal(audio?.codecName, 'opus');
    assert.ok(approximately(video?.durationSeconds, 3), `video duration ${video?.durationSeconds}`);
  });

  it('names the file and the tool when probing fails', async (t) => {
    if (!needsFfmpeg(t)) return;
    await assert.rejects(probeMedia(fixture('not-media.webm')), (error: Error) => {
      assert.ok(error instanceof MediaToolError);
      assert.equal(error.tool, 'ffprobe');
      assert.match(error.message, /not-media\.webm/);
      assert.match(error.message, /Invalid data/);
      return true;
    });
    await assert.rejects(probeMedia(fixture('absent.webm')), /ffprobe cannot read .*absent\.webm: ENOENT/);
  });

  it('finds no decode errors in a good file, and some in a truncated or corrupted one', async (t) => {
    if (!needsFfmpeg(t)) return;
    assert.deepEqual(await decodeErrors(fixture('good.webm')), []);
    assert.notDeepEqual(await decodeErrors(fixture('truncated.webm')), []);
    assert.notDeepEqual(await decodeErrors(fixture('corrupted.webm')), []);
    assert.notDeepEqual(await decodeErrors(fixture('not-media.webm')), []);
  });

  it('measures the real duration from packets where the header is wrong', async (t) => {
    if (!needsFfmpeg(t)) return;
    const good = await measuredDurationSeconds(fixture('good.webm'));
    assert.ok(approximately(good.durationSeconds, 3), `good ${good.durationSeconds}`);
    assert.deepEqual(
      good.streams.map((s) => s.index),
      [0, 1],
    );
    for (const stream of good.streams) assert.ok(approximately(stream.durationSeconds, 3), `stream ${stream.index}: ${stream.durationSeconds}`);

    // Half the bytes are gone, yet the header written at the start still claims the full 3 s.
    const truncatedHeader = await probeMedia(fixture('truncated.webm'));
    const truncated = await measuredDurationSeconds(fixture('truncated.webm'));
    assert.ok(approximately(truncatedHeader.durationSeconds, 3));
    assert.ok(truncated.durationSeconds! > 0.5 && truncated.durationSeconds! < 2.5, `truncated ${truncated.durationSeconds}`);
  });

  it('remuxes a truncated file into one whose header tells the truth', async (t) => {
    if (!needsFfmpeg(t)) return;
    const output = fixture('truncated-remuxed.webm');
    await remuxWebm(fixture('truncated.webm'), output);
    const probe = await probeMedia(output);
    const measured = await measuredDurationSeconds(fixture('truncated.webm'));
    assert.ok(probe.durationSeconds! > 0.5 && probe.durationSeconds! < 2.5, `remuxed ${probe.durationSeconds}`);
    assert.ok(approximately(probe.durationSeconds, measured.durationSeconds!, 0.1));
    assert.deepEqual(await decodeErrors(output), []);
  });

  it('remuxes a live-written, unfinalised WebM into a seekable file with its duration', async (t) => {
    if (!needsFfmpeg(t)) return;
    const live = fixture('live.webm');
    assert.equal((await probeMedia(live)).durationSeconds, undefined);
    assert.equal(fs.readFileSync(live).includes(CUES_ID), false);
    assert.ok(approximately((await measuredDurationSeconds(live)).durationSeconds, 3));

    const output = fixture('live-remuxed.webm');
    await remuxWebm(live, output);
    const probe = await probeMedia(output);
    assert.ok(approximately(probe.durationSeconds, 3), `remuxed ${probe.durationSeconds}`);
    assert.deepEqual(
      probe.streams.map((s) => s.codecName),
      ['vp8', 'opus'],
    );
    assert.equal(fs.readFileSync(output).includes(CUES_ID), true);

    // A recording cut off mid-write (the browser or network went away) is repaired the same way.
    const cut = fixture('live-cut.webm');
    const liveBytes = fs.readFileSync(live);
    fs.writeFileSync(cut, liveBytes.subarray(0, Math.floor(liveBytes.length * 0.6)));
    await remuxWebm(cut, cut);
    const repaired = await probeMedia(cut);
    assert.ok(repaired.durationSeconds! > 1 && repaired.durationSeconds! < 2.9, `cut ${repaired.durationSeconds}`);
  });

  it('leaves no output and no partial file behind when the remux fails', async (t) => {
    if (!needsFfmpeg(t)) return;
    const subdir = fs.mkdtempSync(path.join(dir, 'failed-'));
    const output = path.join(subdir, 'out.webm');
    await assert.rejects(remuxWebm(fixture('not-media.webm'), output), (error: Error) => {
      assert.ok(error instanceof MediaToolError);
      assert.equal(error.tool, 'ffmpeg');
      assert.match(error.message, /could not remux .*not-media\.webm into .*out\.webm/);
      assert.match(error.message, /ffmpeg said: .*Invalid data/s);
      return true;
    });
    assert.deepEqual(fs.readdirSync(subdir), []);
  });

  it('hashes a file as a stream, agreeing with node:crypto and sha256sum', async (t) => {
    if (!needsFfmpeg(t)) return;
    const file = fixture('good.webm');
    const bytes = fs.readFileSync(file);
    const result = await sha256File(file);
    assert.deepEqual(result, { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    const { stdout } = await execFileAsync('sha256sum', [file]);
    assert.equal(stdout.split(/\s+/)[0], result.sha256);
  });

  it('hashes an empty file', async () => {
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '');
    assert.deepEqual(await sha256File(empty), { sha256: createHash('sha256').digest('hex'), size: 0 });
  });
});

function approximately(actual: number | undefined, expected: number, tolerance = 0.15): boolean {
  return actual !== undefined && Math.abs(actual - expected) <= tolerance;
}

/** The muxer streaming to a pipe, as a browser's MediaRecorder does: no duration and no cues in the file. */
async function writeLiveWebm(file: string): Promise<void> {
  const out = fs.openSync(file, 'w');
  try {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', ...SOURCES, ...ENCODE, '-f', 'webm', '-live', '1', 'pipe:1'], {
      stdio: ['ignore', out, 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    assert.equal(code, 0, `ffmpeg could not write the live fixture: ${stderr}`);
  } finally {
    fs.closeSync(out);
  }
}
