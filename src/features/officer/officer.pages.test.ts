import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import type { Services } from '../../composition.js';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal } from '../../../test/support/app-with-all-routes.js';

// Page tests over fake services (no database): the officer's queue as the real route and template render it.
type ConsultationSummary = Awaited<ReturnType<Services['consultations']['listQueue']>>[number];

const officer: FakePrincipal = { kind: 'staff', roles: ['rvr_officer'], username: 'pc-fake' };

const waiting: ConsultationSummary = {
  id: '6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01',
  reference: 'RVR-2026-000123',
  state: 'queued',
  cadReference: 'CAD-123',
  grade: 2,
  receivedAt: new Date('2026-12-04T22:00:00Z'),
  triagedAt: new Date('2026-12-04T22:01:00Z'),
  queuedAt: new Date('2026-12-04T22:01:30Z'),
  interpreterRequired: true,
  officerName: null,
};

describe('officer queue page, over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('lists a waiting consultation with an Accept form carrying the CSRF token', async () => {
    const listOpenForOfficer = mock.fn(async (_officerId: string): Promise<ConsultationSummary[]> => []);
    fake = await appWithAllRoutes({
      principal: officer,
      services: { consultations: { listQueue: async () => [waiting], listOpenForOfficer }, availability: { get: async () => 'available' as const } },
    });
    const page = await fake.inject({ method: 'GET', url: '/officer/queue' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<tr class="govuk-table__row" data-consultation="6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01">/);
    assert.match(page.body, /RVR-2026-000123/);
    assert.match(page.body, /<td class="govuk-table__cell">Needed<\/td>/, 'an interpreter is needed');
    assert.match(page.body, /action="\/consultations\/6f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e01\/transitions"[\s\S]*?name="_csrf" value="[^"]+"/);
    assert.doesNotMatch(page.body, /queue-empty/);
    assert.equal(listOpenForOfficer.mock.callCount(), 1);
    assert.match(listOpenForOfficer.mock.calls[0]!.arguments[0], /^[0-9a-f-]{36}$/, 'asked for the signed-in officer’s own calls');
  });

  it('says nobody is waiting when the queue is empty', async () => {
    fake = await appWithAllRoutes({ principal: officer, services: { consultations: { listQueue: async () => [], listOpenForOfficer: async () => [] } } });
    const page = await fake.inject({ method: 'GET', url: '/officer/queue' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="queue-empty">Nobody is waiting\./);
  });

  it('changes availability only with the CSRF token of a page it served (real CSRF protection)', async () => {
    const set = mock.fn(async () => undefined);
    fake = await appWithAllRoutes({
      principal: officer,
      services: {
        consultations: { listQueue: async () => [], listOpenForOfficer: async () => [] },
        availability: { get: async () => 'available' as const, set },
      },
    });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const forged = await fake.inject({ method: 'POST', url: '/officer/availability', headers: form, payload: 'status=offline' });
    assert.equal(forged.statusCode, 403);
    assert.match(forged.body, /This form has expired/);
    assert.equal(set.mock.callCount(), 0);

    const page = await fake.inject({ method: 'GET', url: '/officer/queue' });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const sent = await fake.inject({
      method: 'POST',
      url: '/officer/availability',
      headers: { ...form, cookie },
      payload: new URLSearchParams({ _csrf: token, status: 'offline' }).toString(),
    });
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, '/officer');
    assert.equal(set.mock.callCount(), 1);
  });
});

describe('officer queue while on a call (issue 17 §6)', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('a disabled Accept says why in visible text, and the button points to it', async () => {
    fake = await appWithAllRoutes({
      principal: officer,
      services: {
        consultations: {
          listQueue: async () => [waiting],
          listOpenForOfficer: async () => [{ ...waiting, id: '7f1c1d9e-8a0e-4c43-9d0c-5d8a2c1b7e02', state: 'accepted' }],
        },
        availability: { get: async () => 'on_call' as const },
      },
    });
    const page = await fake.inject({ method: 'GET', url: '/officer/queue' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="accept-unavailable"[^>]*>You cannot accept another call while you are on a call\./);
    assert.match(page.body, /<button[^>]*disabled aria-describedby="accept-unavailable"[^>]*>Accept/);
    assert.match(page.body, /href="#my-calls-heading"/);
    assert.match(page.body, /id="my-calls-heading"/);
  });

  it('says nothing of the kind while the officer is available', async () => {
    fake = await appWithAllRoutes({
      principal: officer,
      services: {
        consultations: { listQueue: async () => [waiting], listOpenForOfficer: async () => [] },
        availability: { get: async () => 'available' as const },
      },
    });
    const page = await fake.inject({ method: 'GET', url: '/officer/queue' });
    assert.doesNotMatch(page.body, /accept-unavailable/);
    assert.doesNotMatch(page.body, /<button[^>]*disabled[^>]*>Accept/);
  });
});
