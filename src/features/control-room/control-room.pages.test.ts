import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { appWithAllRoutes, type AppWithAllRoutes } from '../../../test/support/app-with-all-routes.js';
import { isoToLondonLocal, londonLocalToIso } from './control-room.routes.js';
import { ValidationError } from '../../platform/errors.js';
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

// Issue 17 §4 (policy 4.0): the call handler books a video appointment at triage when the caller cannot talk now.
describe('new call form: "cannot talk now, book a video appointment", over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  const stubs = (calls: unknown[][], result: unknown) => ({
    triage: {
      currentSettings: async () => ({ version: 1, settings: DEFAULT_TRIAGE_SETTINGS }),
      intake: (async (...args: unknown[]) => {
        calls.push(['intake', ...args]);
        return { consultation: { id: 'queued-id' } };
      }) as never,
    },
    evaluation: { isTrialRunning: async () => false },
    governance: { settings: { purposes: [] } },
    appointments: {
      intakeWithAppointment: (async (...args: unknown[]) => {
        calls.push(['intakeWithAppointment', ...args]);
        if (result instanceof Error) throw result;
        return result;
      }) as never,
    },
  });

  async function postIntake(fields: Record<string, string>) {
    const form = await fake!.inject({ method: 'GET', url: '/control-room/calls/new' });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    return fake!.inject({
      method: 'POST',
      url: '/control-room/calls',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: token, cadReference: 'CAD/1', ...fields }).toString(),
    });
  }

  it('offers the choice with a date, a time (tomorrow by default) and why later, and "now" chosen', async () => {
    fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs([], undefined) });
    const page = await fake.inject({ method: 'GET', url: '/control-room/calls/new' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<input[^>]*name="whenToTalk"[^>]*value="now"[^>]*checked/);
    assert.match(page.body, /<input[^>]*name="whenToTalk"[^>]*value="later"/);
    assert.match(page.body, /<input[^>]*id="appointmentDate"[^>]*type="date"[^>]*value="\d{4}-\d{2}-\d{2}"/);
    assert.match(page.body, /<input[^>]*id="appointmentTime"[^>]*type="time"[^>]*value="\d{2}:00"/);
    assert.match(page.body, /name="appointmentReason" type="radio" value="interpreter_needed"/);
  });

  it('"later" books through the appointment service with the form\'s date, time and reason, then opens the consultation', async () => {
    const calls: unknown[][] = [];
    const result = { consultation: { id: 'booked-id' }, appointment: { id: 'a1' }, textFailed: false };
    fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs(calls, result) });
    const answer = await postIntake({ whenToTalk: 'later', appointmentDate: '2026-12-24', appointmentTime: '14:30', appointmentReason: 'cannot_talk_now' });
    assert.equal(answer.statusCode, 303);
    assert.equal(answer.headers.location, '/consultations/booked-id');
    assert.equal(calls.length, 1);
    const [name, , intake, booking, source] = calls[0]!;
    assert.equal(name, 'intakeWithAppointment');
    assert.equal((intake as { cadReference: string }).cadReference, 'CAD/1');
    assert.deepEqual(booking, { date: '2026-12-24', time: '14:30', reason: 'cannot_talk_now' });
    assert.equal(source, 'form');
  });

  it('"now" (or no choice) queues the call as before, with no booking', async () => {
    const calls: unknown[][] = [];
    fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs(calls, undefined) });
    const answer = await postIntake({ whenToTalk: 'now', appointmentDate: '2026-12-24', appointmentTime: '14:30' });
    assert.equal(answer.headers.location, '/consultations/queued-id');
    assert.deepEqual(
      calls.map((c) => c[0]),
      ['intake'],
    );
  });

  it('says on the consultation when nothing was booked (not routed to RVR), or the text failed', async () => {
    for (const [result, location] of [
      [{ consultation: { id: 'c1' }, appointment: undefined, textFailed: false }, '/consultations/c1?appointment=not-booked'],
      [{ consultation: { id: 'c2' }, appointment: { id: 'a2' }, textFailed: true }, '/consultations/c2?appointmentText=failed'],
    ] as const) {
      fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs([], result) });
      const answer = await postIntake({ whenToTalk: 'later', appointmentDate: '2026-12-24', appointmentTime: '14:30', appointmentReason: 'cannot_talk_now' });
      assert.equal(answer.headers.location, location);
      await fake.close();
      fake = undefined;
    }
  });

  it('shows a booking refusal on the booking field, keeping "later" and what was typed', async () => {
    const refusal = new ValidationError('Check the call details', { appointmentTime: 'The appointment must be in the future' });
    fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs([], refusal) });
    const answer = await postIntake({ whenToTalk: 'later', appointmentDate: '2020-01-01', appointmentTime: '09:00', appointmentReason: 'cannot_talk_now' });
    assert.equal(answer.statusCode, 400);
    assert.match(answer.body, /href="#appointmentTime">The appointment must be in the future/);
    assert.match(answer.body, /<input[^>]*name="whenToTalk"[^>]*value="later"[^>]*checked/);
    assert.match(answer.body, /id="appointmentDate"[^>]*value="2020-01-01"/);
  });

  it("SEC-11: an RVR officer cannot post the intake form (the control room's triage.create), with or without a booking", async () => {
    const calls: unknown[][] = [];
    fake = await appWithAllRoutes({ principal: { kind: 'staff', roles: ['call_handler'] }, services: stubs(calls, undefined) });
    const form = await fake.inject({ method: 'GET', url: '/control-room/calls/new' });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const answer = await fake.inject(
      {
        method: 'POST',
        url: '/control-room/calls',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie },
        payload: new URLSearchParams({ _csrf: token, whenToTalk: 'later', appointmentDate: '2026-12-24', appointmentTime: '14:30' }).toString(),
      },
      { kind: 'staff', roles: ['rvr_officer'] },
    );
    assert.equal(answer.statusCode, 403);
    assert.deepEqual(calls, []);
  });
});

describe('isoToLondonLocal', () => {
  it('gives the UK wall-clock time in winter (GMT) and summer (BST), the inverse of londonLocalToIso', () => {
    assert.equal(isoToLondonLocal(new Date('2026-12-05T05:07:00Z')), '2026-12-05T05:07');
    assert.equal(isoToLondonLocal(new Date('2026-07-01T23:30:00Z')), '2026-07-02T00:30');
    for (const at of ['2026-12-05T05:07:00.000Z', '2026-07-01T23:30:00.000Z']) assert.equal(londonLocalToIso(isoToLondonLocal(new Date(at))), at);
  });
});
