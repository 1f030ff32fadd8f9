import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { RtpHeader, RtpPacket } from 'werift';
import * as processors from 'werift/nonstandard';
import { WebmTrackRecorder, type RecorderFiles } from './webm-track-recorder.js';

/** Issue 18 §1: a disk that fills up (ENOSPC) or fails (EIO) ends the segment cleanly, never the process. */

function opus(seq: number): RtpPacket {
  return new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 7, marker: true }), Buffer.alloc(40, 0xfc));
}

function failingFiles(code: 'ENOSPC' | 'EIO', afterBytes: number) {
  let written = 0;
  const closed: number[] = [];
  const files: RecorderFiles = {
    openSync: (file, flags, mode) => fs.openSync(file, flags, mode),
    writeSync: (fd, buffer, offset, length, position) => {
      if (written + length > afterBytes) throw Object.assign(new Error(`${code}: the disk said no, write`), { code });
      written += length;
      return fs.writeSync(fd, buffer, offset, length, position);
    },
    fsyncSync: (fd) => fs.fsyncSync(fd),
    closeSync: (fd) => {
      closed.push(fd);
      fs.closeSync(fd);
    },
  };
  return { files, closed };
}

it('a write failing with ENOSPC mid-call ends only the segment: the file is closed, the owner told once, stop reports the error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-recorder-'));
  const { files, closed } = failingFiles('ENOSPC', 0);
  const failures: Error[] = [];
  const recorder = new WebmTrackRecorder(
    path.join(dir, 'a.webm'),
    [{ kind: 'audio', payloadType: 111 }],
    processors,
    undefined,
    (e) => failures.push(e),
    files,
  );
  for (let seq = 1; seq <= 60; seq++) recorder.write(0, opus(seq));
  // The once-a-second flush meets the full disk.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal(failures.length, 1);
  assert.match(failures[0]!.message, /ENOSPC/);
  assert.equal(closed.length, 1, 'the file is closed at once');
  assert.doesNotThrow(() => recorder.write(0, opus(61)), 'later packets are ignored, not thrown');
  const outcome = await recorder.stop();
  assert.match(outcome.error ?? '', /ENOSPC/);
  assert.equal(outcome.finalisedByRecorder, false);
  assert.equal(closed.length, 1, 'closed once only');
  fs.rmSync(dir, { recursive: true, force: true });
});

it('an EIO while stopping still resolves stop with the error, and the file stays for the repair step', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-recorder-'));
  const { files, closed } = failingFiles('EIO', 1);
  const recorder = new WebmTrackRecorder(path.join(dir, 'b.webm'), [{ kind: 'audio', payloadType: 111 }], processors, undefined, () => undefined, files);
  for (let seq = 1; seq <= 30; seq++) recorder.write(0, opus(seq));
  const outcome = await recorder.stop();
  assert.match(outcome.error ?? '', /EIO/);
  assert.equal(outcome.packets, 30);
  assert.equal(closed.length, 1);
  assert.ok(fs.existsSync(path.join(dir, 'b.webm')), 'the file stays for the repair step');
  fs.rmSync(dir, { recursive: true, force: true });
});

it('without failures the same recording finishes cleanly (the test files are not what makes it fail)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-recorder-'));
  const { files } = failingFiles('EIO', Number.MAX_SAFE_INTEGER);
  const recorder = new WebmTrackRecorder(path.join(dir, 'c.webm'), [{ kind: 'audio', payloadType: 111 }], processors, undefined, () => undefined, files);
  for (let seq = 1; seq <= 30; seq++) recorder.write(0, opus(seq));
  const outcome = await recorder.stop();
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.finalisedByRecorder, true);
  assert.ok(fs.statSync(path.join(dir, 'c.webm')).size > 200);
  fs.rmSync(dir, { recursive: true, force: true });
});
