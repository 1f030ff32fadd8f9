import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { londonDateTime } from './breaches.service.js';

describe('a breach register date and time (DP-15)', () => {
  it('reads a datetime-local field as UK time', () => {
    assert.equal(londonDateTime('2026-07-01T09:30', 'awareAt', 'when').toISOString(), '2026-07-01T08:30:00.000Z');
    assert.equal(londonDateTime('2026-01-15T09:30', 'awareAt', 'when').toISOString(), '2026-01-15T09:30:00.000Z');
  });

  it('refuses a day the calendar does not have, instead of rolling it into the next month', () => {
    for (const value of ['2026-02-31T10:00', '2026-04-31T10:00', '2026-13-01T10:00', '2026-02-10T24:00', 'yesterday'])
      assert.throws(() => londonDateTime(value, 'awareAt', 'when'), /Enter when as a date and time/, value);
  });
});
