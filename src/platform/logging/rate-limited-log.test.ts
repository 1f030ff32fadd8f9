import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { createLogger } from './logger.js';
import { RateLimitedLog } from './rate-limited-log.js';

it('writes at most the limit per window, then says how many lines were left out', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  let now = 0;
  const log = new RateLimitedLog(createLogger({ level: 'info', destination }), { perWindow: 3, windowMs: 60_000, now: () => now });
  for (let i = 0; i < 10; i++) log.info({ refusal: 'unknown' }, 'call link refused');
  log.info({ other: true }, 'another message');
  assert.equal(lines.filter((l) => l.includes('"msg":"call link refused"')).length, 3);
  assert.equal(lines.filter((l) => l.includes('another message')).length, 1, 'each message has its own allowance');
  now = 60_000;
  log.info({ refusal: 'unknown' }, 'call link refused');
  assert.match(lines.join(''), /"suppressed":7/);
  assert.equal(lines.filter((l) => l.includes('"msg":"call link refused"')).length, 4, 'a new window writes again');
});
