import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isHighRiskGrade, pickedByRandomSample, sampleReason, seededRandom, withHighRisk, type RandomSource } from './review-sampling.js';

/** Draws from a seeded source and counts the picks. */
function countPicks(percent: number, seed: string, draws: number): number {
  const random = seededRandom(seed);
  let picked = 0;
  for (let i = 0; i < draws; i++) if (pickedByRandomSample(percent, random)) picked++;
  return picked;
}

describe('EVD-15: random sample of consultations for supervisor review', () => {
  it('the same seed gives the same sequence of decisions; another seed a different one', () => {
    const run = (seed: string) => {
      const random = seededRandom(seed);
      return Array.from({ length: 200 }, () => pickedByRandomSample(10, random));
    };
    assert.deepEqual(run('trial-2026'), run('trial-2026'));
    assert.notDeepEqual(run('trial-2026'), run('trial-2027'));
  });

  it('the seeded source gives numbers in [0, 1)', () => {
    fc.assert(
      fc.property(fc.string(), (seed) => {
        const random = seededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const x = random();
          if (!(x >= 0 && x < 1)) return false;
        }
        return true;
      }),
    );
  });

  for (const percent of [1, 10, 25, 50, 90]) {
    it(`${percent} % picks about ${percent} % of many draws (within 4 binomial standard deviations)`, () => {
      const draws = 20_000;
      const p = percent / 100;
      const expected = draws * p;
      const tolerance = 4 * Math.sqrt(draws * p * (1 - p));
      for (const seed of ['a', 'b', 'c']) {
        const picked = countPicks(percent, seed, draws);
        assert.ok(Math.abs(picked - expected) <= tolerance, `seed ${seed}: ${picked} picked, expected ${expected} ± ${tolerance.toFixed(1)}`);
      }
    });
  }

  it('0 % never picks and 100 % always picks, exactly, whatever the source returns', () => {
    const extremes: RandomSource[] = [() => 0, () => 0.999999, seededRandom('x')];
    for (const random of extremes) {
      for (let i = 0; i < 1000; i++) {
        assert.equal(pickedByRandomSample(0, random), false);
        assert.equal(pickedByRandomSample(100, random), true);
      }
    }
  });

  it('a draw picks when it falls below the percentage (boundary)', () => {
    assert.equal(
      pickedByRandomSample(10, () => 0.0999),
      true,
    );
    assert.equal(
      pickedByRandomSample(10, () => 0.1),
      false,
    );
  });

  it('refuses a percentage outside 0–100', () => {
    for (const bad of [-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => pickedByRandomSample(bad, () => 0.5), RangeError);
  });

  it('records why: random, high risk or both; nothing when neither', () => {
    assert.equal(sampleReason(true, false), 'random');
    assert.equal(sampleReason(false, true), 'high_risk');
    assert.equal(sampleReason(true, true), 'random_and_high_risk');
    assert.equal(sampleReason(false, false), undefined);
  });

  it('a High grade is High whatever its case; anything else is not', () => {
    for (const g of ['High', 'high', 'HIGH', ' high ']) assert.equal(isHighRiskGrade(g), true);
    for (const g of ['Medium', 'standard', '', null, undefined, 'higher']) assert.equal(isHighRiskGrade(g), false);
  });

  it('a High assessment arriving later adds high risk to the reason', () => {
    assert.equal(withHighRisk('random'), 'random_and_high_risk');
    assert.equal(withHighRisk('random_and_high_risk'), 'random_and_high_risk');
    assert.equal(withHighRisk('high_risk'), 'high_risk');
    assert.equal(withHighRisk('requested'), 'high_risk');
  });
});
