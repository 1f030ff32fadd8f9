import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { RateLimitedLog } from './rate-limited-log.js';

describe('rate-limited log (issue 12: strangers cannot flood the log)', () => {
  it('writes at most the limit per window, then one line counting the rest', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({ write: (chunk, _e, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) }),
    );
    let now = 0;
    const limited = new RateLimitedLog(log, 'sign-in failed: unknown username', 3, 60_000, () => now);
    for (let i = 0; i < 10; i += 1) limited.write({ attempt: i });
    assert.deepEqual(
      lines.map((l) => l.attempt),
      [0, 1, 2],
    );
    now = 60_000;
    limited.write({ attempt: 10 });
    assert.equal(lines[3]!.suppressed, 7);
    assert.match(String(lines[3]!.msg), /7 more not logged one by one/);
    assert.equal(lines[4]!.attempt, 10);
    assert.equal(lines.length, 5);
  });
});
