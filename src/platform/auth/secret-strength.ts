import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_SECRET_LENGTH = 32;
/** Shannon estimate over the characters used: 64 random hex digits give about 230 bits, 32 × "a" gives 0. */
const MIN_SHANNON_BITS = 100;
const MIN_DISTINCT_CHARACTERS = 10;
/**
 * zxcvbn's guesses (log10) per character. Random hex, base64 and alphanumeric output score 0.91 or more per
 * character (thousands of samples); words, phrases, repeats, sequences and keyboard walks score 0.81 or less.
 */
const MIN_GUESSES_LOG10_PER_CHARACTER = 0.85;

const GENERATE = 'generate one with `openssl rand -hex 32`';

let estimator: ZxcvbnFactory | undefined;

function shannonBits(value: string): number {
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let bitsPerCharacter = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bitsPerCharacter -= p * Math.log2(p);
  }
  return bitsPerCharacter * value.length;
}

/**
 * Why `value` is not a secret fit to key the service (named `name` in the message), or undefined if it is:
 * at least 32 characters, enough different characters, and no words, repeats, sequences or keyboard patterns.
 * An estimate, not a proof: it refuses what a person would type and accepts what a random generator prints.
 */
export function secretStrengthProblem(name: string, value: string): string | undefined {
  if (value.length < MIN_SECRET_LENGTH) return `${name} must be at least ${MIN_SECRET_LENGTH} random characters in production (${GENERATE})`;
  const distinct = new Set(value).size;
  const bits = shannonBits(value);
  if (distinct < MIN_DISTINCT_CHARACTERS || bits < MIN_SHANNON_BITS)
    return `${name} has too little variety (${distinct} different characters, about ${Math.floor(bits)} bits): it must be random, not repeated (${GENERATE})`;
  estimator ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  // zxcvbn looks at the first 256 characters; a longer secret is judged on those.
  const judged = value.slice(0, 256);
  if (estimator.check(judged).guessesLog10 / judged.length < MIN_GUESSES_LOG10_PER_CHARACTER)
    return `${name} looks guessable (words, repeats, sequences or keyboard patterns): it must be random (${GENERATE})`;
  return undefined;
}
