import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { totp } from '../src/platform/auth/totp.js';
import { launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { MfaPages, SignInPage } from './support/pages.js';

describe('SEC-08: enrolling an authenticator app and signing in with it, in Chromium', () => {
  let server: RunningServer;
  let browser: Participant;
  before(async () => {
    server = await startServer({ MFA_REQUIRED: 'true' });
    browser = await launchParticipant();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('enrols TOTP from the shown key, then signs in again with a code computed from it', async () => {
    const { page } = browser;
    const signIn = new SignInPage(page);
    const mfa = new MfaPages(page);
    await signIn.signIn(server.baseUrl, 'dpo', DEMO_PASSWORD);
    assert.match(page.url(), /\/account\/mfa\/setup$/);
    assert.equal(await page.getByTestId('mfa-qr').locator('svg').count(), 1, 'a QR code is shown');
    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/mfa-setup.png', fullPage: true });
    const key = await mfa.readSetupKey();
    assert.match(key, /^[A-Z2-7]{32}$/);

    await mfa.enterCode('123456', 'Confirm and continue');
    assert.match((await page.locator('.govuk-error-summary').textContent()) ?? '', /Enter the 6-digit code/);
    await mfa.enterCode(totp(key, new Date()), 'Confirm and continue');
    await signIn.acknowledgePolicyIfAsked();
    assert.match(page.url(), /\/dpo$/);
    assert.match((await page.getByTestId('who-you-are').textContent()) ?? '', /Demo Data Protection Officer/);

    await signIn.signOut();
    await signIn.signIn(server.baseUrl, 'dpo', DEMO_PASSWORD);
    assert.match(page.url(), /\/sign-in\/mfa$/);
    // The code for the next 30-second step: accepted (one step of drift), and not the one already used.
    await mfa.enterCode(totp(key, new Date(Date.now() + 30_000)), 'Continue');
    assert.match(page.url(), /\/dpo$/);
  });
});
