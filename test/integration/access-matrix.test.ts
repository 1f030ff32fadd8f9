import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROLES } from '../../src/domain/roles.js';
import { assertTableCoversEveryRoute, EXPECTED_ACCESS, expectedVerdict, refusedByGuard, type MatrixIdentity, type Verdict } from '../support/access-table.js';
import { primaryDatabaseKind } from '../support/databases.js';
import { startOidcProvider, type LocalOidcProvider } from '../support/oidc-provider.js';
import { Browser, buildTestApp, createUser, enrolMfa, type TestApp } from '../support/test-app.js';

// SEC-11 through the real sign-in path: the expected table (test/support/access-table.ts) is shared with the fast
// matrix over fake services (src/app.access-matrix.test.ts), which also covers call links and API keys.

async function firstChunk(stream: NodeJS.ReadableStream): Promise<string> {
  const chunk = await new Promise<string>((resolve) => {
    stream.once('data', (data: Buffer) => resolve(String(data)));
    stream.once('end', () => resolve(''));
  });
  (stream as unknown as { destroy(): void }).destroy();
  return chunk;
}

type Identity = MatrixIdentity & { cookie: string };

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
    identities.push({ name: 'anonymous', kind: 'anonymous', cookie: '' });
    // Victims will hold call-scoped link sessions (video issue); any cookie that is not a staff session is anonymous here.
    identities.push({ name: 'holder of a non-staff cookie', kind: 'anonymous', cookie: 'rvr_call=abc.def; rvr_session=forged' });
    for (const role of ROLES) {
      await createUser(t.services, `matrix-${role}`, [role]);
      const browser = new Browser(t.app);
      await browser.signIn(`matrix-${role}`);
      identities.push({ name: role, kind: 'staff', roles: [role], cookie: browser.cookieHeader });
    }
    await createUser(t.services, 'matrix-pending', ['supervisor', 'admin', 'dpo']);
    await enrolMfa(t.services, 'matrix-pending');
    const pending = new Browser(t.app);
    await pending.signIn('matrix-pending');
    identities.push({
      name: 'password done, second factor pending',
      kind: 'staff',
      roles: ['supervisor', 'admin', 'dpo'],
      firstFactorOnly: true,
      cookie: pending.cookieHeader,
    });
  });
  after(async () => {
    await t.close();
    await provider.close();
  });

  it('lists every registered route in the expected table, and nothing that is not registered', () => {
    assertTableCoversEveryRoute(t.app);
  });

  it('enforces the table for every route and every identity', async () => {
    const mismatches: string[] = [];
    const lines: string[] = [];
    for (const route of Object.keys(EXPECTED_ACCESS)) {
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
        const denied = refusedByGuard(response.statusCode, body);
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
