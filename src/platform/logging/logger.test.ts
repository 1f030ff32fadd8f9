import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, loggableUrl } from './logger.js';

function capture(format: 'json' | 'pretty' = 'json') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination, format }) };
}

describe('logger redaction of personal data (DP-02)', () => {
  it('replaces names, phone numbers and addresses at any depth', () => {
    const { lines, logger } = capture();
    logger.info(
      { incident: { callerName: 'Jane Doe', callerPhone: '+447700900123', location: '1 High Street, Maidstone', grade: 2 }, people: [{ name: 'John Roe' }] },
      'incident',
    );
    const text = lines.join('');
    for (const secret of ['Jane Doe', '+447700900123', 'High Street', 'John Roe']) assert.ok(!text.includes(secret), `${secret} leaked into the log`);
    assert.match(text, /"grade":2/);
  });

  it('never writes query strings, which can carry tokens', () => {
    assert.equal(loggableUrl('/sign-in?token=abc123'), '/sign-in?[redacted]');
    assert.equal(loggableUrl('/health/live'), '/health/live');
    // RVR-07: a call link's token is a secret.
    assert.equal(loggableUrl('/v/9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU'), '/v/[redacted]');
    assert.equal(loggableUrl('/v/call'), '/v/call');
    assert.equal(loggableUrl('/v/socket'), '/v/socket');
    // Issue 17 §4 (RVR-07): the appointment page's link, and its forms, keep the token out of the log.
    assert.equal(loggableUrl('/a/9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU'), '/a/[redacted]');
    assert.equal(loggableUrl('/a/9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU/join'), '/a/[redacted]/join');
    assert.equal(loggableUrl('/a/9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU/another-time'), '/a/[redacted]/another-time');
  });
});

describe('readable development logs (LOG_FORMAT=pretty, npm run dev)', () => {
  it('are pretty-printed, not JSON, and redacted exactly like the JSON logs', () => {
    const { lines, logger } = capture('pretty');
    logger.info(
      { incident: { callerName: 'Jane Doe', callerPhone: '+447700900123', location: '1 High Street, Maidstone', grade: 2 }, people: [{ name: 'John Roe' }] },
      'incident received',
    );
    logger
      .child({ reqId: 'c-1' })
      .info({ req: { method: 'GET', url: '/v/9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU?mobile=07700900123', id: 'c-1' } }, 'request');
    logger.warn({ password: 'hunter2-hunter2', authorization: 'Bearer abc.def' }, 'sign-in');
    const text = lines.join('');
    for (const secret of [
      'Jane Doe',
      '+447700900123',
      'High Street',
      'John Roe',
      '9rNghTLyX8kCp1mlD7ZgXN10ywc8T1McDtlb7Q6UXPU',
      '07700900123',
      'hunter2',
      'abc.def',
    ])
      assert.ok(!text.includes(secret), `${secret} leaked into the pretty log`);
    assert.match(text, /INFO.*: incident received/);
    assert.match(text, /WARN.*: sign-in/);
    assert.match(text, /"grade": 2/);
    assert.match(text, /\/v\/\[redacted\]\?\[redacted\]/);
    assert.ok(
      lines.every((line) => !line.trimStart().startsWith('{')),
      'pretty lines are not JSON',
    );
  });

  it('writes each line at once, so the last line before process.exit is not lost', () => {
    const { lines, logger } = capture('pretty');
    logger.info('shutdown complete');
    assert.equal(lines.length, 1);
  });
});
