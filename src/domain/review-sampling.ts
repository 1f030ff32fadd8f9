import { randomInt } from 'node:crypto';

/**
 * Which ended consultations a supervisor reviews (policy 4.0, EVD-15): a configurable random sample of every
 * officer's responses, plus every call whose risk assessment was graded High. Pure: the random source is
 * injected, so a seeded source makes a test's draws reproducible.
 */

/** A number in [0, 1) per call, like Math.random. */
export type RandomSource = () => number;

export type SampleReason = 'random' | 'high_risk' | 'random_and_high_risk';

/** The production source: the operating system's CSPRNG (no one can predict which calls are picked). */
export const cryptoRandom: RandomSource = () => randomInt(0, 2 ** 32) / 2 ** 32;

/** A reproducible source for tests and simulations (mulberry32 over a 32-bit FNV-1a hash of the seed). */
export function seededRandom(seed: string): RandomSource {
  let state = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) state = Math.imul(state ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * One draw of the random sample. 0 % never picks and 100 % always picks, without drawing, so those settings are
 * exact whatever the source returns.
 */
export function pickedByRandomSample(percent: number, random: RandomSource): boolean {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new RangeError(`The review sample must be 0–100 %, not ${percent}`);
  if (percent === 0) return false;
  if (percent === 100) return true;
  return random() * 100 < percent;
}

/** Why a consultation is queued for review, or undefined when it is not. */
export function sampleReason(pickedAtRandom: boolean, highRisk: boolean): SampleReason | undefined {
  if (pickedAtRandom && highRisk) return 'random_and_high_risk';
  if (highRisk) return 'high_risk';
  if (pickedAtRandom) return 'random';
  return undefined;
}

/** A risk grade as stored ('High', 'high', 'HIGH') counts as High whatever its case. */
export function isHighRiskGrade(grade: string | null | undefined): boolean {
  return (grade ?? '').trim().toLowerCase() === 'high';
}

/** The reason a queued review gains when a High assessment arrives after it was sampled. */
export function withHighRisk(reason: string): SampleReason {
  return reason === 'random' || reason === 'random_and_high_risk' ? 'random_and_high_risk' : 'high_risk';
}

export const SAMPLE_REASON_LABELS: Record<SampleReason | 'requested', string> = {
  random: 'Random sample',
  high_risk: 'High risk',
  random_and_high_risk: 'Random sample and high risk',
  requested: 'Requested',
};
