import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FALL_ABOVE_LOSS, GROW_BELOW_LOSS, nextEstimate, senderTarget, sequenceSpan, START_BPS, type VideoRateLimits } from './video-rate-estimate.js';

const limits: VideoRateLimits = { floorBps: 60_000, ceilingBps: 1_500_000 };
const rate = fc.double({ min: 1, max: 5_000_000, noNaN: true });
const reading = fc.record({
  loss: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  deliveredBps: fc.option(fc.double({ min: 0, max: 5_000_000, noNaN: true }), { nil: undefined }),
});

describe('the video rate a link can carry (issue 17 §3, loss-based as in GCC)', () => {
  it('always stays within the floor and the ceiling', () => {
    fc.assert(
      fc.property(rate, reading, (current, r) => {
        const next = nextEstimate(current, r, limits);
        assert.ok(next >= limits.floorBps && next <= limits.ceilingBps, `${next}`);
      }),
    );
  });

  it('grows by 8 % under 2 % loss, holds between 2 and 10 %, falls above 10 %', () => {
    fc.assert(
      fc.property(fc.double({ min: 100_000, max: 1_000_000, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (current, loss) => {
        const next = nextEstimate(current, { loss, deliveredBps: current }, limits);
        if (loss < GROW_BELOW_LOSS) assert.ok(Math.abs(next - current * 1.08) < 1e-6);
        else if (loss <= FALL_ABOVE_LOSS) assert.equal(next, current);
        else assert.ok(next < current);
      }),
    );
  });

  it('falls at once to what got through when the link overflows, not by a tenth a second', () => {
    // A 3G-like link (about 350 kbit/s for video) asked for 1.5 Mbit/s: one update brings it near what arrived.
    assert.equal(nextEstimate(1_500_000, { loss: 0.2, deliveredBps: 350_000 }, limits), 350_000 * 0.9);
  });

  it('holds when nothing was measured, and never rises on loss', () => {
    assert.equal(nextEstimate(START_BPS, { loss: undefined, deliveredBps: undefined }, limits), START_BPS);
    fc.assert(
      fc.property(
        fc.double({ min: limits.floorBps, max: limits.ceilingBps, noNaN: true }),
        fc.double({ min: FALL_ABOVE_LOSS, max: 1, noNaN: true, minExcluded: true }),
        fc.option(fc.double({ min: 0, max: 5_000_000, noNaN: true }), { nil: undefined }),
        (current, loss, deliveredBps) => {
          assert.ok(nextEstimate(current, { loss, deliveredBps }, limits) <= current);
        },
      ),
    );
  });

  it('the sender is told the lowest of its links, within the limits', () => {
    assert.equal(senderTarget([], limits), limits.ceilingBps);
    assert.equal(senderTarget([900_000, 320_000, 2_000_000], limits), 320_000);
    assert.equal(senderTarget([10_000], limits), limits.floorBps);
  });

  it('counts packets across the 16-bit sequence wrap', () => {
    assert.equal(sequenceSpan(10, 20), 10);
    assert.equal(sequenceSpan(65_530, 4), 10);
    assert.equal(sequenceSpan(7, 7), 0);
  });
});
