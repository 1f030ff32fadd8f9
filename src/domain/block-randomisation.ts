import { createHmac } from 'node:crypto';

/**
 * Block randomisation for a force's own evaluation (Kent policy O292 2.2: the RVR trial was block-randomised).
 * Pure and deterministic: the recorded seed and block size reproduce every allocation, so an analyst can check
 * that no allocation was changed, and a changed algorithm is noticed by the golden test.
 *
 * Each block of `blockSize` calls is a balanced permutation (half RVR, half standard attendance), shuffled by
 * Fisher–Yates driven by HMAC-SHA256(seed, block index, chunk). Integers are drawn by rejection sampling, so
 * no position is favoured by modulo bias.
 */
export const ARMS = ['rvr', 'standard'] as const;
export type Arm = (typeof ARMS)[number];

export const ARM_LABELS: Record<Arm, string> = {
  rvr: 'RVR video response',
  standard: 'standard attendance',
};

/** Stored in the audit event that starts a trial, so the sequence can be re-derived even after a later change. */
export const RANDOMISATION_ALGORITHM = 'hmac-sha256-fisher-yates/v1';

export const MIN_BLOCK_SIZE = 2;
export const MAX_BLOCK_SIZE = 100;
export const MIN_SEED_LENGTH = 8;
export const MAX_SEED_LENGTH = 200;

export function isArm(value: string): value is Arm {
  return (ARMS as readonly string[]).includes(value);
}

/** Why a block size cannot be used, or undefined when it can. */
export function blockSizeProblem(blockSize: number): string | undefined {
  if (!Number.isInteger(blockSize)) return 'The block size must be a whole number';
  if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) return `The block size must be between ${MIN_BLOCK_SIZE} and ${MAX_BLOCK_SIZE}`;
  if (blockSize % 2 !== 0) return 'The block size must be even, so that each block is half RVR and half standard attendance';
  return undefined;
}

/** Why a seed cannot be used, or undefined when it can. */
export function seedProblem(seed: string): string | undefined {
  if (seed.length < MIN_SEED_LENGTH || seed.length > MAX_SEED_LENGTH) return `The seed must be ${MIN_SEED_LENGTH} to ${MAX_SEED_LENGTH} characters long`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(seed)) return 'The seed must not contain control characters';
  return undefined;
}

function assertUsable(seed: string, blockSize: number): void {
  const problem = seedProblem(seed) ?? blockSizeProblem(blockSize);
  if (problem) throw new RangeError(problem);
}

/** Where a 0-based sequence number falls: its block and its position within the block. */
export function blockOf(sequence: number, blockSize: number): { block: number; position: number } {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError('The sequence number must be a whole number, 0 or more');
  return { block: Math.floor(sequence / blockSize), position: sequence % blockSize };
}

/** 32-bit unsigned integers from HMAC-SHA256(seed, block, chunk), eight per chunk. */
class KeyedStream {
  private chunk = 0;
  private buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(
    private readonly seed: string,
    private readonly block: number,
  ) {}

  nextUint32(): number {
    if (this.offset >= this.buffer.length) {
      this.buffer = createHmac('sha256', this.seed).update(`${RANDOMISATION_ALGORITHM}|block=${this.block}|chunk=${this.chunk}`).digest();
      this.chunk += 1;
      this.offset = 0;
    }
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A uniform integer in [0, n): values at or above the largest multiple of n below 2^32 are drawn again. */
  below(n: number): number {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % n;
    }
  }
}

/** The arms of one whole block, in allocation order. */
export function blockArms(seed: string, blockSize: number, block: number): Arm[] {
  assertUsable(seed, blockSize);
  if (!Number.isSafeInteger(block) || block < 0) throw new RangeError('The block number must be a whole number, 0 or more');
  const arms: Arm[] = Array.from({ length: blockSize }, (_, i) => (i < blockSize / 2 ? 'rvr' : 'standard'));
  const stream = new KeyedStream(seed, block);
  for (let i = blockSize - 1; i > 0; i -= 1) {
    const j = stream.below(i + 1);
    [arms[i], arms[j]] = [arms[j]!, arms[i]!];
  }
  return arms;
}

/** The arm for the call at 0-based position `sequence` of a trial with this seed and block size. */
export function armFor(seed: string, blockSize: number, sequence: number): Arm {
  assertUsable(seed, blockSize);
  const { block, position } = blockOf(sequence, blockSize);
  return blockArms(seed, blockSize, block)[position]!;
}
