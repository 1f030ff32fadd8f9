import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  INITIAL_AUTO_VIDEO,
  MAX_AUTOMATIC_RESUMES,
  PAUSE_AFTER_READINGS,
  RESUME_NOT_BEFORE_MS,
  afterDecision,
  connectionHint,
  videoDecision,
  type ConnectionReading,
} from './connection-quality.js';

const reading = (availableOutgoingKbps: number | undefined, loss = 0, rttMs = 100): ConnectionReading => ({ availableOutgoingKbps, loss, rttMs });
const arbitraryReading = fc.record({
  rttMs: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: undefined }),
  loss: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  availableOutgoingKbps: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: undefined }),
});

describe('issue 17 §3: the connection hint reflects the page’s own network (getStats), not the server', () => {
  it('good on a clear line; poor for long round trips, loss or little to send with; nothing without figures', () => {
    assert.equal(connectionHint(reading(1500, 0, 20)), 'good');
    assert.equal(connectionHint(reading(1500, 0, 600)), 'poor');
    assert.equal(connectionHint(reading(1500, 0.08, 20)), 'poor');
    assert.equal(connectionHint(reading(120, 0, 20)), 'poor');
    assert.equal(connectionHint({ rttMs: undefined, loss: undefined, availableOutgoingKbps: undefined }), undefined);
    assert.equal(connectionHint(undefined), undefined);
  });

  it('a worse reading is never judged better (monotonic in each figure)', () => {
    fc.assert(
      fc.property(arbitraryReading, fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), (r, more, extraLoss) => {
        if (connectionHint(r) !== 'poor') return;
        const worse = {
          rttMs: r.rttMs === undefined ? undefined : r.rttMs + more,
          loss: r.loss === undefined ? undefined : Math.min(1, r.loss + extraLoss),
          availableOutgoingKbps: r.availableOutgoingKbps === undefined ? undefined : Math.max(0, r.availableOutgoingKbps - more),
        };
        assert.equal(connectionHint(worse), 'poor');
      }),
    );
  });
});

describe('issue 17 §3: audio has priority — video pauses when the connection cannot carry it', () => {
  it('one bad reading does not pause; two in a row do; a 2G-like link (~100 kbit/s) pauses, a 3G-like one (~350) does not', () => {
    assert.equal(videoDecision([reading(1000), reading(90)], INITIAL_AUTO_VIDEO, 0), 'keep');
    assert.equal(videoDecision([reading(90), reading(100)], INITIAL_AUTO_VIDEO, 0), 'pause');
    assert.equal(videoDecision([reading(350, 0.01), reading(340, 0.01), reading(360, 0.01)], INITIAL_AUTO_VIDEO, 0), 'keep');
    assert.equal(videoDecision([reading(800, 0.2), reading(800, 0.25)], INITIAL_AUTO_VIDEO, 0), 'pause', 'heavy loss pauses too');
  });

  it('comes back on its own only after a wait and good readings, at most once; never against the person’s choice', () => {
    const paused = afterDecision(INITIAL_AUTO_VIDEO, 'pause', 1000);
    const good = [reading(900), reading(900), reading(900)];
    assert.equal(videoDecision(good, paused, 1000 + RESUME_NOT_BEFORE_MS - 1), 'keep');
    assert.equal(videoDecision(good, paused, 1000 + RESUME_NOT_BEFORE_MS), 'resume');
    let state = afterDecision(paused, 'resume', 1000 + RESUME_NOT_BEFORE_MS);
    for (let i = 1; i < MAX_AUTOMATIC_RESUMES; i++) state = afterDecision(afterDecision(state, 'pause', 0), 'resume', RESUME_NOT_BEFORE_MS);
    const pausedAgain = afterDecision(state, 'pause', 100_000);
    assert.equal(videoDecision(good, pausedAgain, 10_000_000), 'keep', 'no see-saw: it stays audio only');
    assert.equal(videoDecision([reading(10), reading(10)], { ...INITIAL_AUTO_VIDEO, chosenAudioOnly: true }, 0), 'keep');
  });

  it('properties: never pauses on fewer bad readings than the rule asks; never resumes what it did not pause', () => {
    fc.assert(
      fc.property(fc.array(arbitraryReading, { maxLength: 10 }), fc.nat(), fc.boolean(), (readings, now, chosen) => {
        const fresh = { ...INITIAL_AUTO_VIDEO, chosenAudioOnly: chosen };
        const decision = videoDecision(readings, fresh, now);
        assert.notEqual(decision, 'resume');
        if (readings.length < PAUSE_AFTER_READINGS || chosen) assert.equal(decision, 'keep');
        const allClear = readings.every((r) => (r.availableOutgoingKbps ?? Infinity) >= 150 && (r.loss ?? 0) <= 0.12);
        if (allClear) assert.equal(decision, 'keep');
      }),
    );
  });
});
