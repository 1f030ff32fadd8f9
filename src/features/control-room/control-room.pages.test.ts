import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { appWithAllRoutes, type AppWithAllRoutes } from '../../../test/support/app-with-all-routes.js';
import { isoToLondonLocal, londonLocalToIso } from './control-room.routes.js';
import { DEFAULT_TRIAGE_SETTINGS } from './triage.service.js';

// Issue 17 §6: the intake form's required "Time the call was received" starts at now, in UK time, and stays editable.
describe('new call form, over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('fills "Time the call was received" with now (Europe/London), in an editable field', async () => {
    fake = await appWithAllRoutes({
      principal: { kind: 'staff', roles: ['call_handler'] },
      services: {
        triage: { currentSettings: async () => ({ version: 1, settings: DEFAULT_TRIAGE_SETTINGS }) },
        evaluation: { isTrialRunning: async () => false },
      },
    });
    const before = Date.now();
    const page = await fake.inject({ method: 'GET', url: '/control-room/calls/new' });
    assert.equal(page.statusCode, 200);
    const input = /<input[^>]*id="receivedAt"[^>]*>/.exec(page.body)?.[0] ?? '';
    assert.match(input, /type="datetime-local"/);
    assert.doesNotMatch(input, /readonly|disabled/);
    const value = /value="([^"]+)"/.exec(input)?.[1];
    assert.ok(value, `the field has a value (${input})`);
    const shownAt = new Date(londonLocalToIso(value)).getTime();
    // Minutes only: within the minute the page was made.
    assert.ok(shownAt <= Date.now() && shownAt > before - 60_000, `${value} is now in UK time`);
  });
});

describe('isoToLondonLocal', () => {
  it('gives the UK wall-clock time in winter (GMT) and summer (BST), the inverse of londonLocalToIso', () => {
    assert.equal(isoToLondonLocal(new Date('2026-12-05T05:07:00Z')), '2026-12-05T05:07');
    assert.equal(isoToLondonLocal(new Date('2026-07-01T23:30:00Z')), '2026-07-02T00:30');
    for (const at of ['2026-12-05T05:07:00.000Z', '2026-07-01T23:30:00.000Z']) assert.equal(londonLocalToIso(isoToLondonLocal(new Date(at))), at);
  });
});
