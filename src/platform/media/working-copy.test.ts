import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { ffmpegAvailability, MediaToolError, probeMedia } from './ffmpeg.js';
import { type CallRecording, courtLayout, findTimestampFont, makeCourtWorkingCopy } from './working-copy.js';

const execFileAsync = promisify(execFile);
const availability = await ffmpegAvailability();
const missing = availability.ffmpeg && availability.ffprobe ? undefined : `ffmpeg/ffprobe missing: ${availability.message}`;
const T0 = Date.parse('2024-05-01T12:34:56.250Z');
// Small tiles keep the encode quick on a 2-core machine.
const TILE = { tileWidth: 320, tileHeight: 240, frameRate: 15 };
const VIDEO = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15'];
const AUDIO = ['-f', 'lavfi', '-i', 'sine=frequency=440'];

describe('court working copy', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-working-copy-'));
  const fixture = (name: string) => path.join(dir, name);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const officer = (): CallRecording => ({
    path: fixture('officer.webm'),
    label: "PC O'Brien: [1], a;b",
    startedAt: new Date(T0),
    hasVideo: true,
    hasAudio: true,
  });
  const victim = (): CallRecording => ({ path: fixture('victim.webm'), label: 'Victim', startedAt: new Date(T0 + 1000), hasVideo: false, hasAudio: true });
  const witness = (): CallRecording => ({ path: fixture('witness.webm'), label: 'Witness', startedAt: new Date(T0 + 1500), hasVideo: true, hasAudio: true });

  before(async () => {
    if (missing) return;
    const encode = (sources: string[], file: string, video: boolean) =>
      execFileAsync('ffmpeg', [
        '-nostdin',
        '-y',
        '-v',
        'error',
        ...sources,
        '-t',
        '3',
        ...(video ? ['-c:v', 'libvpx', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '8'] : []),
        '-c:a',
        'libopus',
        file,
      ]);
    await Promise.all([
      encode([...VIDEO, ...AUDIO], fixture('officer.webm'), true),
      encode(AUDIO, fixture('victim.webm'), false),
      encode([...VIDEO.slice(0, 3), 'testsrc2=size=240x320:rate=15', ...AUDIO], fixture('witness.webm'), true),
    ]);
    fs.writeFileSync(fixture('not-media.webm'), 'this is not a recording\n');
  });

  const needsFfmpeg = (t: TestContext) => {
    if (missing) t.skip(missing);
    return !missing;
  };
  const freshDir = () => fs.mkdtempSync(path.join(dir, 'out-'));

  it('stacks three participants, one audio only, into an H.264/AAC MP4 with their offsets, reporting progress', async (t) => {
    if (!needsFfmpeg(t)) return;
    const out = freshDir();
    const outputPath = path.join(out, 'working-copy.mp4');
    const progress: number[] = [];
    const result = await makeCourtWorkingCopy([officer(), victim(), witness()], {
      outputPath,
      // The default 640 × 480 tiles: a run long enough for ffmpeg to report progress along the way.
      onProgress: (f) => progress.push(f),
    });

    assert.equal(result.path, outputPath);
    assert.deepEqual(fs.readdirSync(out), ['working-copy.mp4']);
    const bytes = fs.readFileSync(outputPath);
    assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(result.sizeBytes, bytes.length);

    const probe = await probeMedia(outputPath);
    assert.match(probe.formatName, /mp4/);
    const video = probe.streams.filter((s) => s.codecType === 'video');
    const audio = probe.streams.filter((s) => s.codecType === 'audio');
    assert.deepEqual(
      video.map((s) => [s.codecName, s.width, s.height]),
      [['h264', 3 * 640, 480]],
    );
    assert.deepEqual(
      audio.map((s) => s.codecName),
      ['aac'],
    );
    // The witness joined 1.5 s after the officer and spoke for 3 s.
    assert.ok(Math.abs(probe.durationSeconds! - 4.5) <= 0.5, `duration ${probe.durationSeconds}`);
    assert.ok(Math.abs(result.durationSeconds - probe.durationSeconds!) < 0.01);

    assert.ok(progress.length >= 2, `progress ${progress.join(', ')}`);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]! > progress[i - 1]!, `progress ${progress.join(', ')}`);
    assert.ok(progress[0]! >= 0);
    assert.equal(progress.at(-1), 1);

    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=creation_time', '-of', 'default=nw=1:nk=1', outputPath]);
    // MP4 keeps whole seconds.
    assert.match(stdout, /^2024-05-01T12:34:56/);
  });

  it('makes a single-participant copy one tile wide', async (t) => {
    if (!needsFfmpeg(t)) return;
    const outputPath = path.join(freshDir(), 'solo.mp4');
    const result = await makeCourtWorkingCopy([{ ...witness(), durationSeconds: 3 }], { outputPath, ...TILE });
    const probe = await probeMedia(outputPath);
    assert.deepEqual(
      probe.streams.map((s) => [s.codecName, s.width]),
      [
        ['h264', 320],
        ['aac', undefined],
      ],
    );
    assert.ok(Math.abs(result.durationSeconds - 3) <= 0.5, `duration ${result.durationSeconds}`);
  });

  it('names the missing recording and leaves no output or partial file', async (t) => {
    if (!needsFfmpeg(t)) return;
    const out = freshDir();
    const absent = { ...victim(), path: fixture('absent.webm') };
    await assert.rejects(makeCourtWorkingCopy([officer(), absent], { outputPath: path.join(out, 'copy.mp4'), ...TILE }), (error: Error) => {
      assert.ok(error instanceof MediaToolError);
      assert.match(error.message, /the Victim recording .*absent\.webm cannot be read: ENOENT/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('removes the partial file when ffmpeg fails, and says why', async (t) => {
    if (!needsFfmpeg(t)) return;
    const out = freshDir();
    const broken = { ...officer(), path: fixture('not-media.webm'), durationSeconds: 3 };
    await assert.rejects(makeCourtWorkingCopy([broken], { outputPath: path.join(out, 'copy.mp4'), ...TILE }), (error: Error) => {
      assert.ok(error instanceof MediaToolError);
      assert.match(error.message, /could not make the court working copy .*copy\.mp4 from .*not-media\.webm: it exited with code/);
      assert.match(error.message, /ffmpeg said: .*Invalid data/s);
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('stops when aborted and leaves nothing behind', async (t) => {
    if (!needsFfmpeg(t)) return;
    const out = freshDir();
    const controller = new AbortController();
    const options = { outputPath: path.join(out, 'copy.mp4'), ...TILE, signal: controller.signal, onProgress: () => controller.abort() };
    await assert.rejects(makeCourtWorkingCopy([{ ...officer(), durationSeconds: 3 }], options), { name: 'AbortError' });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('refuses an ffmpeg without drawtext rather than leave the timestamp out', async (t) => {
    if (!needsFfmpeg(t)) return;
    const fake = fixture('ffmpeg-without-freetype');
    // Lists a few filters and encoders, as `ffmpeg -filters` / `-encoders` do, but no drawtext.
    fs.writeFileSync(fake, '#!/bin/sh\nprintf " ... hstack N->V x\\n ... overlay VV->V x\\n ... amix N->A x\\n V..... libx264 x\\n A..... aac x\\n"\n', {
      mode: 0o755,
    });
    const out = freshDir();
    await assert.rejects(makeCourtWorkingCopy([officer()], { outputPath: path.join(out, 'copy.mp4'), ffmpegPath: fake, ...TILE }), (error: Error) => {
      assert.ok(error instanceof MediaToolError);
      assert.match(error.message, /lacks the drawtext filter.*libfreetype.*apt-get install ffmpeg/s);
      return true;
    });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('finds a font, and names the font file it cannot read', async () => {
    const font = await findTimestampFont();
    assert.ok(fs.statSync(font).isFile(), font);
    await assert.rejects(findTimestampFont(fixture('no-such-font.ttf')), /font file .*no-such-font\.ttf.*cannot be read/);
  });

  it('lays out the graph: offsets from the earliest start, the UTC clock, and labels escaped for ffmpeg', () => {
    const layout = courtLayout([officer(), victim(), witness()], [3, 3, 3], { fontFile: '/fonts/a.ttf' });
    assert.equal(layout.durationSeconds, 4.5);
    assert.equal(layout.epochSeconds, T0 / 1000);
    assert.match(layout.filterGraph, /adelay=delays=1000:all=1\[a1\]/);
    assert.match(layout.filterGraph, /setpts=expr=\\'PTS\+1\.500\/TB\\'\[fg2\]/);
    assert.match(layout.filterGraph, /\[tile0\]\[tile1\]\[tile2\]hstack=inputs=3,drawtext=.*%\{pts:gmtime:1714566896\.250\} UTC/);
    assert.match(layout.filterGraph, /amix=inputs=3:/);
    // The label's quote, colon, brackets, comma and semicolon cannot end the option or the filter.
    assert.ok(layout.filterGraph.includes(String.raw`text=\'PC O\'\\\'\'Brien: \[1\]\, a\;b\'`), layout.filterGraph);
  });

  it('rejects a call with no recordings, or too many', async () => {
    await assert.rejects(makeCourtWorkingCopy([], { outputPath: fixture('x.mp4') }), RangeError);
    await assert.rejects(makeCourtWorkingCopy([officer(), victim(), witness(), officer()], { outputPath: fixture('x.mp4') }), /1 to 3 recordings, not 4/);
  });
});
