import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { startOidcProvider } from '../test/support/oidc-provider.js';

describe('single sign-on with a real OpenID Connect provider (code + PKCE), in Chromium', () => {
  let provider: Awaited<ReturnType<typeof startOidcProvider>>;
  let server: RunningServer;
  let browser: Participant;
  before(async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    provider = await startOidcProvider({
      clientId: 'rvr-test',
      clientSecret: 'rvr-test-secret-0123456789abcdef',
      redirectUris: [`${baseUrl}/sign-in/oidc/callback`],
      accounts: {
        'jo.officer': { preferred_username: 'jo.officer', name: 'PC Jo Officer', email: 'jo@example.police.uk', roles: ['RVR.Officer'] },
        'no.role': { preferred_username: 'no.role', name: 'No Role', email: 'no@example.police.uk', roles: ['Payroll.Reader'] },
      },
    });
    server = await startServer({
      PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      OIDC_ISSUER_URL: provider.issuer,
      OIDC_CLIENT_ID: 'rvr-test',
      OIDC_CLIENT_SECRET: 'rvr-test-secret-0123456789abcdef',
      OIDC_ROLES_CLAIM: 'roles',
      OIDC_ROLE_MAPPING: 'RVR.Officer=rvr_officer,RVR.Supervisor=supervisor',
    });
    browser = await launchParticipant();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.close();
  });

  async function signInAtProvider(login: string) {
    const { page } = browser;
    // A fresh start at both ends: no RVR session and no session at the provider.
    await browser.context.clearCookies();
    await page.goto(`${server.baseUrl}/sign-in`);
    await page.getByRole('button', { name: 'Sign in with your force account' }).click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill(login);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.href.startsWith(server.baseUrl));
    await page.waitForLoadState('load');
  }

  it('creates the account with the mapped role, signs in and records it', async () => {
    await signInAtProvider('jo.officer');
    const { page } = browser;
    if (new URL(page.url()).pathname === '/policy') await page.getByRole('button', { name: 'I have read and understood this policy' }).click();
    await page.waitForURL(/\/officer$/);
    assert.match((await page.getByTestId('who-you-are').textContent()) ?? '', /PC Jo Officer/);
    const user = await server.runtime.services.data.repos.users.findByUsername('jo.officer');
    assert.deepEqual(user!.roles, ['rvr_officer']);
    assert.equal(user!.passwordHash, null, 'no local password for a single sign-on account');
    const [signedIn] = await server.runtime.services.data.repos.audit.search({ what: 'session.signed_in', subject: `user:${user!.id}` }, 1);
    assert.deepEqual(signedIn!.details, { method: 'oidc' });
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('refuses an account the provider gives no RVR role, saying what to do', async () => {
    await signInAtProvider('no.role');
    const { page } = browser;
    assert.match((await page.getByTestId('error-message').textContent()) ?? '', /not given any RVR role/);
    assert.equal(await server.runtime.services.data.repos.users.findByUsername('no.role'), undefined);
  });
});
