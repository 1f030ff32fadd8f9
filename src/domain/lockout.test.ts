import assert from 'node:assert/strict';
import { it } from 'node:test';
import { lockedUntilAfterFailure } from './lockout.js';

it('pauses from the threshold on, doubling to at most an hour', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  const minutes = (n: number) => {
    const until = lockedUntilAfterFailure(n, 5, now);
    return until ? (until.getTime() - now.getTime()) / 60_000 : 0;
  };
  assert.deepEqual([1, 4, 5, 6, 7, 8, 10, 11, 50].map(minutes), [0, 0, 1, 2, 4, 8, 32, 60, 60]);
});
