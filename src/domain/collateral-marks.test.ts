import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCollateralMarkKind, markCovers, markInRecording, markOnClock } from './collateral-marks.js';

const T0 = Date.UTC(2026, 11, 5, 10, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const recording = (startSeconds: number, lengthSeconds: number) => ({ mediaStartedAt: at(startSeconds), durationMs: lengthSeconds * 1000 });

describe('RVR-13 collateral marks: a mark as a range in a recording (media time, EVD-05)', () => {
  it('is seconds from the recording’s media start', () => {
    assert.deepEqual(markInRecording({ startedAt: at(15), endedAt: at(25) }, recording(10, 60)), { startSeconds: 5, endSeconds: 15 });
  });

  it('is clamped to the recording: a mark begun before it starts at 0, one running past its end stops at its length', () => {
    assert.deepEqual(markInRecording({ startedAt: at(0), endedAt: at(200) }, recording(10, 60)), { startSeconds: 0, endSeconds: 60 });
    assert.deepEqual(markInRecording({ startedAt: at(50), endedAt: at(200) }, recording(10, 60)), { startSeconds: 40, endSeconds: 60 });
  });

  it('is nothing for a mark wholly before or after the recording, or one that only touches its edge', () => {
    assert.equal(markInRecording({ startedAt: at(0), endedAt: at(5) }, recording(10, 60)), undefined);
    assert.equal(markInRecording({ startedAt: at(80), endedAt: at(90) }, recording(10, 60)), undefined);
    assert.equal(markInRecording({ startedAt: at(0), endedAt: at(10) }, recording(10, 60)), undefined);
    assert.equal(markInRecording({ startedAt: at(70), endedAt: at(90) }, recording(10, 60)), undefined);
  });

  it('runs an open mark to the given moment, else to the end of the recording', () => {
    assert.deepEqual(markInRecording({ startedAt: at(20), endedAt: null }, recording(10, 60), at(30)), { startSeconds: 10, endSeconds: 20 });
    assert.deepEqual(markInRecording({ startedAt: at(20), endedAt: null }, recording(10, 60)), { startSeconds: 10, endSeconds: 60 });
  });

  it('is nothing for a recording with no length', () => {
    assert.equal(markInRecording({ startedAt: at(0), endedAt: at(100) }, recording(10, 0)), undefined);
  });

  it('property: always inside [0, duration], never empty, and exactly the overlap of the two ranges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1, max: 1_800_000 }),
        (markStartMs, markLengthMs, recStartMs, recLengthMs) => {
          const mark = { startedAt: new Date(T0 + markStartMs), endedAt: new Date(T0 + markStartMs + markLengthMs) };
          const range = markInRecording(mark, { mediaStartedAt: new Date(T0 + recStartMs), durationMs: recLengthMs });
          const overlapStart = Math.max(markStartMs, recStartMs);
          const overlapEnd = Math.min(markStartMs + markLengthMs, recStartMs + recLengthMs);
          if (overlapEnd <= overlapStart) return range === undefined;
          return (
            range !== undefined &&
            range.startSeconds >= 0 &&
            range.endSeconds <= recLengthMs / 1000 &&
            range.startSeconds < range.endSeconds &&
            Math.abs(range.startSeconds - (overlapStart - recStartMs) / 1000) < 1e-9 &&
            Math.abs(range.endSeconds - (overlapEnd - recStartMs) / 1000) < 1e-9
          );
        },
      ),
    );
  });
});

describe('RVR-13 collateral marks: a snapshot’s moment and the player’s clock', () => {
  it('covers a moment from its start up to, not including, its end', () => {
    const mark = { startedAt: at(10), endedAt: at(20) };
    assert.equal(markCovers(mark, at(10)), true);
    assert.equal(markCovers(mark, at(19.999)), true);
    assert.equal(markCovers(mark, at(20)), false);
    assert.equal(markCovers(mark, at(9)), false);
  });

  it('an open mark covers everything after its start (or up to the given moment)', () => {
    assert.equal(markCovers({ startedAt: at(10), endedAt: null }, at(5000)), true);
    assert.equal(markCovers({ startedAt: at(10), endedAt: null }, at(50), at(40)), false);
  });

  it('places a mark on the player’s clock, clamped to what it plays', () => {
    assert.deepEqual(markOnClock({ startedAt: at(12), endedAt: at(30) }, at(10), 15), { startSeconds: 2, endSeconds: 15 });
    assert.equal(markOnClock({ startedAt: at(40), endedAt: at(50) }, at(10), 15), undefined);
  });

  it('knows its three kinds and nothing else', () => {
    assert.equal(isCollateralMarkKind('child'), true);
    assert.equal(isCollateralMarkKind('hide_face'), true);
    assert.equal(isCollateralMarkKind('victim'), false);
  });
});
