import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passwordProblem } from './password-policy.js';

describe('password policy', () => {
  const cases: [string, RegExp | undefined, { username?: string; displayName?: string }?][] = [
    ['short', /at least 12/],
    ['x'.repeat(257), /256 characters or fewer/],
    ['password1234', /commonly used|too easy/],
    ['qwertyuiop123', /commonly used|too easy/],
    ['aaaaaaaaaaaa', /too easy/],
    ['jsmith-rules-2026!', /username or name/, { username: 'jsmith' }],
    ['Patterson-long-phrase', /username or name/, { displayName: 'Jo Patterson' }],
    ['rvr-training-only-2026', /published/],
    ['RVR-Training-Only-2026!', /published/],
    ['my rvr-training-only-2026 copy', /published/],
    ['correct-horse-battery-staple', undefined],
    ['tangerine ladder mosaic 41', undefined],
  ];
  for (const [password, expected, context] of cases) {
    it(`${expected ? 'refuses' : 'accepts'} "${password.slice(0, 24)}"`, () => {
      const problem = passwordProblem(password, context);
      if (expected) assert.match(problem ?? '', expected);
      else assert.equal(problem, undefined);
    });
  }
});
