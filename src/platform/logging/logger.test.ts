import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, loggableUrl } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
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
  });
});
