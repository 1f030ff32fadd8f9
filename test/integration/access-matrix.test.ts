import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES, type Role } from '../../src/domain/roles.js';
import { primaryDatabaseKind } from '../support/databases.js';
import { startOidcProvider, type LocalOidcProvider } from '../support/oidc-provider.js';
import { Browser, buildTestApp, createUser, enrolMfa, type TestApp } from '../support/test-app.js';

// SEC-11: who may use each route, written out here independently of src/domain/permissions.ts, so that
// widening access anywhere must be done twice, on purpose. A route missing from this table fails the test.
const ANYONE = 'anyone';
const FIRST_FACTOR = 'first factor';
const EVERY_ROLE: readonly Role[] = ROLES;
const STAFF: Role[] = ['call_handler', 'rvr_officer', 'supervisor'];
// API routes take a CAD API key, never a staff session: every identity here is refused (API tests cover keys).
const API_KEY = 'api key';
// Victims' and interpreters' pages take a call session from a texted link, never a staff session.
const LINK = 'call link';
const EXPECTED: Record<string, typeof ANYONE | typeof FIRST_FACTOR | typeof API_KEY | typeof LINK | readonly Role[]> = {
  'GET /consultations/:id/call': ['rvr_officer'],
  // Issue 12: the call record follows the investigation record's rule (the officer's own, supervisors, investigators).
  'GET /calls/:id': ['rvr_officer', 'supervisor', 'investigator'],
  'POST /calls/:id/record': ['rvr_officer', 'supervisor', 'investigator'],
  'POST /calls/:id/invites': ['rvr_officer'],
  'POST /calls/:id/invites/revoke': ['rvr_officer'],
  'POST /calls/:id/notes': ['rvr_officer'],
  'POST /calls/:id/snapshots': ['rvr_officer'],
  'POST /calls/:id/end': ['rvr_officer'],
  'GET /calls/:id/socket': ['rvr_officer'],
  'GET /v/:token': ANYONE,
  // RVR-07: the Continue button of the page previewers get (a deliberate step), CSRF-protected.
  'POST /v/:token': ANYONE,
  'GET /v/ended': ANYONE,
  'GET /v/call': LINK,
  'POST /v/call/consent': LINK,
  'GET /v/socket': LINK,
  'POST /v/quick-exit': LINK,
  'POST /v/call/uploads': LINK,
  'GET /v/call/statement': LINK,
  'POST /v/call/statement/corrections': LINK,
  'POST /v/call/statement/confirm': LINK,
  'POST /v/call/not-safe': LINK,
  'GET /consultations/:id/enquiries': ['rvr_officer', 'supervisor', 'investigator'],
  'GET /consultations/:id/enquiry-lines/panel': ['rvr_officer'],
  'POST /consultations/:id/enquiry-lines': ['rvr_officer'],
  'GET /consultations/:id/statement/panel': ['rvr_officer'],
  'POST /consultations/:id/statement': ['rvr_officer'],
  'POST /consultations/:id/statement/share': ['rvr_officer'],
  'GET /consultations/:id/outcomes/panel': ['rvr_officer'],
  'POST /consultations/:id/outcomes': ['rvr_officer'],
  'GET /consultations/:id/safety-alerts/panel': ['rvr_officer'],
  'POST /safety-alerts/:id/acknowledge': ['rvr_officer'],
  'POST /safety-alerts/:id/escalate': ['rvr_officer'],
  'GET /outcomes': ['supervisor', 'admin'],
  'GET /outcomes/export.csv': ['supervisor', 'admin'],
  'GET /s/:token': ANYONE,
  'POST /s/:token': ANYONE,
  'GET /dev/outbox': EVERY_ROLE,
  'GET /api/docs': ANYONE,
  'POST /api/v1/incidents': API_KEY,
  'GET /api/v1/consultations/:id': API_KEY,
  'GET /control-room/calls/new': ['call_handler', 'supervisor'],
  'POST /control-room/calls': ['call_handler', 'supervisor'],
  'GET /consultations/:id/live': STAFF,
  'POST /consultations/:id/override': ['supervisor'],
  'GET /officer/queue': ['rvr_officer'],
  'POST /officer/availability': ['rvr_officer'],
  'GET /live/events': STAFF,
  'GET /settings/triage': ['supervisor', 'admin'],
  'POST /settings/triage': ['supervisor', 'admin'],
  'GET /health/live': ANYONE,
  'GET /health/ready': ANYONE,
  'GET /metrics': ANYONE,
  'GET /sign-in': ANYONE,
  'POST /sign-in': ANYONE,
  'GET /sign-in/oidc': ANYONE,
  'GET /sign-in/oidc/callback': ANYONE,
  'GET /sign-in/mfa': FIRST_FACTOR,
  'POST /sign-in/mfa': FIRST_FACTOR,
  'POST /sign-out': FIRST_FACTOR,
  'GET /account/mfa/setup': FIRST_FACTOR,
  'POST /account/mfa/setup': FIRST_FACTOR,
  'GET /': EVERY_ROLE,
  'GET /account': EVERY_ROLE,
  'POST /account/sessions/:id/end': EVERY_ROLE,
  'GET /policy': EVERY_ROLE,
  'POST /policy': EVERY_ROLE,
  'GET /control-room': ['call_handler'],
  'GET /officer': ['rvr_officer'],
  'GET /supervisor': ['supervisor'],
  'GET /supervisor/board': ['supervisor'],
  'GET /supervisor/board/live': ['supervisor'],
  'GET /supervisor/calls/:id/observe': ['supervisor'],
  'POST /supervisor/calls/:id/observe': ['supervisor'],
  'GET /supervisor/calls/:id/observer': ['supervisor'],
  'GET /calls/:id/observe/socket': ['supervisor'],
  'GET /supervisor/reviews': ['supervisor'],
  'GET /supervisor/reviews/:id': ['supervisor'],
  'POST /supervisor/reviews/:id': ['supervisor'],
  'GET /officer/feedback': ['rvr_officer'],
  'GET /investigations': ['investigator'],
  'GET /evidence': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'GET /evidence/items/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/items/:id/open': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'GET /evidence/items/:id/media': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'POST /evidence/items/:id/download': ['investigator', 'evidence_manager'],
  'POST /evidence/items/:id/restriction': ['evidence_manager', 'dpo'],
  'GET /evidence/consultations/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/consultations/:id/play': ['investigator', 'supervisor', 'evidence_manager', 'professional_standards'],
  'POST /evidence/consultations/:id/holds': ['evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/holds/:id/release': ['evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/consultations/:id/retention': ['evidence_manager'],
  'POST /evidence/consultations/:id/reviews': ['evidence_manager'],
  'POST /evidence/consultations/:id/working-copies': ['investigator', 'evidence_manager'],
  'POST /evidence/consultations/:id/exports': ['evidence_manager'],
  'GET /evidence/tasks/:id': ['investigator', 'supervisor', 'evidence_manager', 'dpo', 'professional_standards'],
  'POST /evidence/disposals': ['evidence_manager'],
  'GET /evidence/disposals/:id': ['evidence_manager'],
  'GET /evidence/disposals/:id/certificate': ['evidence_manager'],
  'POST /evidence/integrity-check': ['evidence_manager'],
  'GET /consultations/:id/risk-assessment': ['rvr_officer', 'supervisor', 'investigator'],
  'PUT /consultations/:id/risk-assessment': ['rvr_officer'],
  'POST /consultations/:id/risk-assessment/complete': ['rvr_officer'],
  'POST /consultations/:id/risk-assessment/amend': ['rvr_officer'],
  'GET /risk-assessments/sign-off': ['supervisor'],
  'POST /risk-assessments/:id/sign-off': ['supervisor'],
  'GET /consultations/:id': STAFF,
  'POST /consultations/:id/transitions': STAFF,
  'POST /consultations/:id/reassign': ['supervisor'],
  'GET /consultations/:id/caller': [...STAFF, 'investigator'],
  'POST /consultations/:id/caller': [...STAFF, 'investigator'],
  'GET /dpo': ['dpo'],
  'POST /dpo/audit/verify': ['dpo'],
  'POST /dpo/audit/export': ['dpo'],
  'GET /admin': ['admin'],
  'GET /admin/users/new': ['admin'],
  'POST /admin/users/new': ['admin'],
  'GET /admin/users/:id': ['admin'],
  'POST /admin/users/:id/roles': ['admin'],
  'POST /admin/users/:id/disable': ['admin'],
  'POST /admin/users/:id/enable': ['admin'],
  'POST /admin/users/:id/reset-mfa': ['admin'],
  'POST /admin/users/:id/end-sessions': ['admin'],
  'POST /admin/role-requests/:id/approve': ['admin'],
  'POST /admin/role-requests/:id/refuse': ['admin'],
  'GET /admin/policy': ['admin'],
  'POST /admin/policy': ['admin'],
  'GET /admin/evaluation': ['admin'],
  'POST /admin/evaluation/trials': ['admin'],
  'POST /admin/evaluation/trials/:id/stop': ['admin'],
  'POST /admin/evaluation/allocations/:consultationId': ['admin'],
  'GET /evaluation/export': ['supervisor', 'admin'],
  'POST /evaluation/export': ['supervisor', 'admin'],
};

async function firstChunk(stream: NodeJS.ReadableStream): Promise<string> {
  const chunk = await new Promise<string>((resolve) => {
    stream.once('data', (data: Buffer) => resolve(String(data)));
    stream.once('end', () => resolve(''));
  });
  (stream as unknown as { destroy(): void }).destroy();
  return chunk;
}

type Identity = { name: string; cookie: string; role?: Role; firstFactorOnly?: boolean };
type Verdict = 'allowed' | 'denied';

describe('role × route access matrix (SEC-11)', () => {
  let t: TestApp;
  let provider: LocalOidcProvider;
  const identities: Identity[] = [];
  before(async () => {
    // With single sign-on configured, so its routes are in the matrix too.
    provider = await startOidcProvider({
      clientId: 'rvr',
      clientSecret: 'matrix-secret-0123456789abcdef',
      redirectUris: ['http://localhost:3000/sign-in/oidc/callback'],
      accounts: {},
    });
    t = await buildTestApp(await primaryDatabaseKind(), {
      env: {
        OIDC_ISSUER_URL: provider.issuer,
        OIDC_CLIENT_ID: 'rvr',
        OIDC_CLIENT_SECRET: 'matrix-secret-0123456789abcdef',
        OIDC_ROLE_MAPPING: 'RVR.Officer=rvr_officer',
      },
    });
    identities.push({ name: 'anonymous', cookie: '' });
    // Victims will hold call-scoped link sessions (video issue); any cookie that is not a staff session is anonymous here.
    identities.push({ name: 'holder of a non-staff cookie', cookie: 'rvr_call=abc.def; rvr_session=forged' });
    for (const role of ROLES) {
      await createUser(t.services, `matrix-${role}`, [role]);
      const browser = new Browser(t.app);
      await browser.signIn(`matrix-${role}`);
      identities.push({ name: role, cookie: browser.cookieHeader, role });
    }
    await createUser(t.services, 'matrix-pending', ['supervisor', 'admin', 'dpo']);
    await enrolMfa(t.services, 'matrix-pending');
    const pending = new Browser(t.app);
    await pending.signIn('matrix-pending');
    identities.push({ name: 'password done, second factor pending', cookie: pending.cookieHeader, firstFactorOnly: true });
  });
  after(async () => {
    await t.close();
    await provider.close();
  });

  const expectedVerdict = (route: string, identity: Identity): Verdict => {
    const rule = EXPECTED[route]!;
    if (rule === ANYONE) return 'allowed';
    if (rule === API_KEY || rule === LINK) return 'denied';
    if (!identity.role && !identity.firstFactorOnly) return 'denied';
    if (rule === FIRST_FACTOR) return 'allowed';
    if (identity.firstFactorOnly) return 'denied';
    return rule.includes(identity.role!) ? 'allowed' : 'denied';
  };

  it('lists every registered route in the expected table, and nothing that is not registered', () => {
    const registered = new Set(
      t.app.routeCatalogue.filter((r) => r.method !== 'HEAD' && !/^\/(assets|stylesheets|javascripts|static)\//.test(r.url)).map((r) => `${r.method} ${r.url}`),
    );
    assert.deepEqual(
      [...registered].filter((r) => !(r in EXPECTED)),
      [],
      'routes without an expected access rule',
    );
    assert.deepEqual(
      Object.keys(EXPECTED).filter((r) => !registered.has(r)),
      [],
      'expected routes that are not registered',
    );
  });

  it('enforces the table for every route and every identity', async () => {
    const mismatches: string[] = [];
    const lines: string[] = [];
    for (const route of Object.keys(EXPECTED)) {
      const [method, pattern] = route.split(' ') as [string, string];
      const url = pattern.replace(':id', '00000000-0000-4000-8000-000000000000');
      const row: string[] = [];
      for (const identity of identities) {
        // The live stream never ends by itself: take its status and headers, then hang up.
        const streaming = pattern === '/live/events';
        const response = await t.app.inject({
          method: method as 'GET' | 'POST',
          url,
          headers: { cookie: identity.cookie, accept: 'application/json' },
          ...(method === 'POST' ? { payload: {} } : {}),
          ...(streaming ? { payloadAsStream: true } : {}),
        });
        const body = streaming ? await firstChunk(response.stream()) : response.body;
        // Asked for JSON, the guard refuses with 401 or 403 and says why; anything else got past it.
        const denied =
          (response.statusCode === 401 && /Sign in|Finish signing in|API key|call has ended or your link has expired/.test(body)) ||
          (response.statusCode === 403 && /does not give you access/.test(body));
        const verdict: Verdict = denied ? 'denied' : 'allowed';
        row.push(verdict === 'allowed' ? '✓' : '·');
        const expected = expectedVerdict(route, identity);
        if (verdict !== expected) mismatches.push(`${route} as ${identity.name}: expected ${expected}, got ${response.statusCode} ${body.slice(0, 80)}`);
      }
      lines.push(`${route.padEnd(42)} ${row.join(' ')}`);
    }
    console.log(`\nAccess matrix (✓ allowed, · denied); columns: ${identities.map((i) => i.name).join(' | ')}\n${lines.join('\n')}`);
    assert.deepEqual(mismatches, []);
  });
});
