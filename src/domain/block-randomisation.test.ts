import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { armFor, blockArms, blockOf, blockSizeProblem, MAX_BLOCK_SIZE, seedProblem } from './block-randomisation.js';

const seedArbitrary = fc.string({ minLength: 8, maxLength: 40 }).filter((s) => seedProblem(s) === undefined);
const blockSizeArbitrary = fc.integer({ min: 1, max: MAX_BLOCK_SIZE / 2 }).map((half) => half * 2);
const sequence = (seed: string, blockSize: number, length: number) => Array.from({ length }, (_, i) => armFor(seed, blockSize, i));
const letters = (seed: string, blockSize: number, length: number) =>
  sequence(seed, blockSize, length)
    .map((arm) => (arm === 'rvr' ? 'R' : 'S'))
    .join('');

describe('block randomisation (policy 2.2: the force runs its own block-randomised trial)', () => {
  it('gives a fixed, known sequence for a known seed (golden: a change of algorithm must be noticed)', () => {
    // Computed once and cross-checked with an independent Python implementation of the same algorithm
    // (hmac.new(seed, "hmac-sha256-fisher-yates/v1|block=B|chunk=C", sha256), big-endian uint32, rejection sampling).
    assert.equal(letters('kent-rvr-2021-golden', 4, 24), 'RSRSRSSRRRSSSSRRRRSSRRSS');
    assert.deepEqual(blockArms('kent-rvr-2021-golden', 8, 0), ['standard', 'rvr', 'standard', 'rvr', 'standard', 'rvr', 'standard', 'rvr']);
    assert.equal(letters('another-seed-0001', 6, 12), 'SRSSRRRSSRRS');
  });

  it('reproduces the same sequence for the same seed and block size', () => {
    fc.assert(
      fc.property(seedArbitrary, blockSizeArbitrary, (seed, blockSize) => {
        const blocks = (s: string) => [0, 1, 2].flatMap((block) => blockArms(s, blockSize, block));
        assert.deepEqual(blocks(seed), blocks(seed));
        assert.deepEqual(sequence(seed, blockSize, 5), blocks(seed).slice(0, 5));
      }),
    );
  });

  it('balances every complete block exactly: half RVR, half standard attendance', () => {
    fc.assert(
      fc.property(seedArbitrary, blockSizeArbitrary, fc.integer({ min: 0, max: 10_000 }), (seed, blockSize, block) => {
        const arms = blockArms(seed, blockSize, block);
        assert.equal(arms.length, blockSize);
        assert.equal(arms.filter((a) => a === 'rvr').length, blockSize / 2);
        assert.equal(arms.filter((a) => a === 'standard').length, blockSize / 2);
        for (let position = 0; position < blockSize; position += 1) assert.equal(armFor(seed, blockSize, block * blockSize + position), arms[position]);
      }),
    );
  });

  it('gives different sequences for different seeds', () => {
    const first = letters('seed-number-one', 4, 64);
    const second = letters('seed-number-two', 4, 64);
    assert.notEqual(first, second);
    // Over many seed pairs, nearly all 64-call sequences differ (the chance two match is about 6^-16).
    fc.assert(
      fc.property(seedArbitrary, seedArbitrary, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(letters(a, 4, 64), letters(b, 4, 64));
      }),
      { numRuns: 200 },
    );
  });

  it('puts RVR at each position of a block about half the time over many blocks (no position favoured)', () => {
    for (const blockSize of [2, 4, 6, 8]) {
      const blocks = 4000;
      const rvrAt = Array.from({ length: blockSize }, () => 0);
      for (let block = 0; block < blocks; block += 1) {
        blockArms('uniformity-check', blockSize, block).forEach((arm, position) => {
          if (arm === 'rvr') rvrAt[position]! += 1;
        });
      }
      // Binomial(4000, 0.5): standard deviation about 32; 5 SD either side.
      for (const count of rvrAt) assert.ok(Math.abs(count - blocks / 2) < 160, `block size ${blockSize}: ${rvrAt.join(', ')}`);
    }
  });

  it('uses every balanced arrangement of a small block about equally often (the shuffle is uniform)', () => {
    const seen = new Map<string, number>();
    const blocks = 6000;
    for (let block = 0; block < blocks; block += 1) {
      const key = blockArms('permutation-check', 4, block).join(',');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    // C(4,2) = 6 arrangements, each expected 1000 times (SD about 29).
    assert.equal(seen.size, 6);
    for (const [arrangement, count] of seen) assert.ok(Math.abs(count - blocks / 6) < 150, `${arrangement}: ${count}`);
  });

  it('refuses odd, too small and too large block sizes, and unusable seeds', () => {
    for (const bad of [0, 1, 3, 7, -2, 2.5, Number.NaN, MAX_BLOCK_SIZE + 2]) {
      assert.ok(blockSizeProblem(bad), `block size ${bad} refused`);
      assert.throws(() => armFor('a-usable-seed', bad, 0), RangeError);
    }
    for (const good of [2, 4, 6, MAX_BLOCK_SIZE]) assert.equal(blockSizeProblem(good), undefined);
    assert.match(blockSizeProblem(5)!, /even/);
    assert.match(blockSizeProblem(102)!, /between 2 and 100/);
    assert.ok(seedProblem('short'));
    assert.ok(seedProblem('x'.repeat(201)));
    assert.ok(seedProblem('tab\there-seed'));
    assert.throws(() => armFor('short', 4, 0), RangeError);
    assert.throws(() => armFor('a-usable-seed', 4, -1), RangeError);
    assert.throws(() => armFor('a-usable-seed', 4, 1.5), RangeError);
  });

  it('places a sequence number in its block and position', () => {
    assert.deepEqual(blockOf(0, 4), { block: 0, position: 0 });
    assert.deepEqual(blockOf(3, 4), { block: 0, position: 3 });
    assert.deepEqual(blockOf(4, 4), { block: 1, position: 0 });
    assert.deepEqual(blockOf(13, 6), { block: 2, position: 1 });
  });
});
