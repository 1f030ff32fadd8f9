import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES } from './domain/roles.js';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal } from '../test/support/app-with-all-routes.js';
import {
  assertTableCoversEveryRoute,
  EXPECTED_ACCESS,
  EXPECTED_STEP_UP,
  expectedVerdict,
  refusedByGuard,
  type MatrixIdentity,
  type Verdict,
} from '../test/support/access-table.js';

// SEC-11, RVR-04, SC-3: the role × route matrix on the real app (every route, its declared access, the request
// guard) over fake services, so it needs no database and runs in seconds. The expected table is shared with
// test/integration/access-matrix.test.ts, which proves the same through real sign-in; here every identity the
// guard knows is covered: each role, a session waiting for its second factor, a call link before and after
// consent, and API keys of each scope.
type Identity = MatrixIdentity & { principal?: FakePrincipal };

const identities: Identity[] = [
  { name: 'anonymous', kind: 'anonymous' },
  ...ROLES.map((role): Identity => ({ name: role, kind: 'staff', roles: [role], principal: { kind: 'staff', roles: [role] } })),
  {
    name: 'second factor due',
    kind: 'staff',
    roles: ['supervisor', 'admin', 'dpo'],
    firstFactorOnly: true,
    principal: { kind: 'staff', roles: ['supervisor', 'admin', 'dpo'], mfaPending: true },
  },
  {
    name: 'second factor to enrol',
    kind: 'staff',
    roles: ['rvr_officer'],
    firstFactorOnly: true,
    principal: { kind: 'staff', roles: ['rvr_officer'], mfaPending: true, mfaEnrolmentNeeded: true },
  },
  { name: 'call link, consented', kind: 'link', consented: true, principal: { kind: 'link', consented: true } },
  { name: 'call link, no consent yet', kind: 'link', consented: false, principal: { kind: 'link', consented: false } },
  { name: 'API key incidents:write', kind: 'api', scope: 'incidents:write', principal: { kind: 'api', scopes: ['incidents:write'] } },
  { name: 'API key consultations:read', kind: 'api', scope: 'consultations:read', principal: { kind: 'api', scopes: ['consultations:read'] } },
];

describe('role × route access matrix over fake services (SEC-11)', () => {
  let fake: AppWithAllRoutes;
  before(async () => {
    // SEC-07: the step-up page's own values (the rest of the services are fakes).
    fake = await appWithAllRoutes({
      services: { stepUpMaxAgeMinutes: 5, stepUp: { needs: async () => ({ password: true, code: true, sso: false }) } },
    });
  });
  after(() => fake.close());

  it('lists every registered route in the expected table, and nothing that is not registered', () => {
    assertTableCoversEveryRoute(fake.app);
  });

  it('enforces the table for every route and every identity', async () => {
    const mismatches: string[] = [];
    const lines: string[] = [];
    for (const route of Object.keys(EXPECTED_ACCESS)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const url = pattern.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const row: string[] = [];
      for (const identity of identities) {
        const response = await fake.inject(
          { method, url, headers: { accept: 'application/json' }, ...(method === 'GET' ? {} : { payload: {} }) },
          identity.principal,
        );
        const verdict: Verdict = refusedByGuard(response.statusCode, response.body) ? 'denied' : 'allowed';
        row.push(verdict === 'allowed' ? '✓' : '·');
        const expected = expectedVerdict(route, identity);
        if (verdict !== expected)
          mismatches.push(`${route} as ${identity.name}: expected ${expected}, got ${response.statusCode} ${response.body.slice(0, 80)}`);
      }
      lines.push(`${route.padEnd(48)} ${row.join(' ')}`);
    }
    console.log(`\nAccess matrix (✓ allowed, · denied); columns: ${identities.map((i) => i.name).join(' | ')}\n${lines.join('\n')}`);
    assert.deepEqual(mismatches, []);
  });

  it('SEC-07: the routes marked sensitive (config.stepUp) are exactly the expected ones', () => {
    const marked = fake.app.routeCatalogue.filter((route) => route.stepUp).map((route) => `${route.method} ${route.url}`);
    assert.deepEqual([...new Set(marked)].sort(), [...EXPECTED_STEP_UP].sort());
  });

  it('SEC-07: every sensitive route refuses a permitted role without a fresh step-up, and lets it through with one', async () => {
    const problems: string[] = [];
    // A real CSRF token and cookie, so the refusal seen is the step-up's, not the form check's.
    const form = await fake.inject({ method: 'GET', url: '/account/step-up', headers: { accept: 'text/html' } }, { kind: 'staff', roles: ['admin'] });
    const csrf = { cookie: form.cookies.map((c) => `${c.name}=${c.value}`).join('; '), 'x-csrf-token': /name="_csrf" value="([^"]+)"/.exec(form.body)![1]! };
    for (const route of EXPECTED_STEP_UP) {
      const [method, pattern] = route.split(' ') as [string, string];
      const url = pattern.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');
      const rule = EXPECTED_ACCESS[route];
      assert.ok(Array.isArray(rule), `${route} is for staff roles`);
      for (const role of rule as readonly (typeof ROLES)[number][]) {
        for (const stepUpFresh of [false, true]) {
          const response = await fake.inject(
            { method, url, headers: { accept: 'application/json', ...csrf }, payload: {} },
            { kind: 'staff', roles: [role], stepUpFresh },
          );
          const refused = response.statusCode === 403 && (JSON.parse(response.body) as { stepUpRequired?: boolean }).stepUpRequired === true;
          if (refused === stepUpFresh)
            problems.push(`${route} as ${role}, step-up ${stepUpFresh ? 'fresh' : 'missing'}: ${response.statusCode} ${response.body.slice(0, 80)}`);
        }
      }
      // A page (not a script) is shown the step-up form with the post carried, never the action.
      const page = await fake.inject(
        { method, url, headers: { accept: 'text/html', ...csrf }, payload: { reason: 'kept' } },
        { kind: 'staff', roles: [(rule as readonly (typeof ROLES)[number][])[0]!] },
      );
      if (
        page.statusCode !== 403 ||
        !page.body.includes('Confirm it is you') ||
        !page.body.includes('name="carry" value="{&quot;reason&quot;:&quot;kept&quot;}"')
      )
        problems.push(`${route} as a page: ${page.statusCode} ${page.body.slice(0, 300)}`);
    }
    assert.deepEqual(problems, []);
  });
});
