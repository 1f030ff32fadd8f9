import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { evaluateWithin, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

describe('smoke: staff sign in and out in Chromium', () => {
  let server: RunningServer;
  const participants: Participant[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await Promise.all(participants.map((p) => p.close()));
    await server?.stop();
  });

  it('the demo call handler signs in, sees the control room, and signs out', async () => {
    const handler = await launchParticipant();
    participants.push(handler);
    const errors: string[] = [];
    handler.page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    handler.page.on('pageerror', (error) => errors.push(error.message));

    const signIn = new SignInPage(handler.page);
    await signIn.signIn(server.baseUrl, 'handler', DEMO_PASSWORD);
    assert.match(handler.page.url(), /\/policy$/, 'a first sign-in meets the RVR policy to acknowledge (SC-5)');
    assert.match((await handler.page.getByTestId('policy-text').textContent()) ?? '', /explicit consent/);
    await signIn.acknowledgePolicyIfAsked();
    assert.match(handler.page.url(), /\/control-room$/);
    assert.equal(await handler.page.getByRole('heading', { level: 1 }).textContent(), 'Control room');
    assert.match((await handler.page.getByTestId('who-you-are').textContent()) ?? '', /Demo Call Handler/);
    const rows = await handler.page.getByTestId('consultations').locator('tbody tr').count();
    assert.ok(rows >= 5, `the seeded consultations are listed (${rows})`);
    // GOV.UK Frontend's JavaScript ran under the CSP nonce.
    assert.ok(await handler.page.locator('body.govuk-frontend-supported').count(), 'govuk-frontend initialised');
    fs.mkdirSync('test-results', { recursive: true });
    await handler.page.screenshot({ path: 'test-results/control-room.png', fullPage: true });

    await signIn.signOut();
    assert.match((await handler.page.locator('.govuk-notification-banner').textContent()) ?? '', /You have signed out/);
    await handler.page.goto(`${server.baseUrl}/control-room`);
    assert.match(handler.page.url(), /\/sign-in$/, 'signed out for real');
    assert.deepEqual(errors, [], 'no console errors (CSP violations show up here)');
  });

  it('runs two people at once in separate browsers, one with a fake camera and microphone', async () => {
    const [officer, supervisor] = await Promise.all([launchParticipant({ fakeMedia: true }), launchParticipant()]);
    participants.push(officer, supervisor);
    await Promise.all([
      new SignInPage(officer.page).signInAndAcknowledge(server.baseUrl, 'officer', DEMO_PASSWORD),
      new SignInPage(supervisor.page).signInAndAcknowledge(server.baseUrl, 'supervisor', DEMO_PASSWORD),
    ]);
    assert.match(officer.page.url(), /\/officer$/);
    assert.match(supervisor.page.url(), /\/supervisor$/);
    assert.match((await officer.page.getByTestId('who-you-are').textContent()) ?? '', /PC Demo Officer/);
    assert.match((await supervisor.page.getByTestId('who-you-are').textContent()) ?? '', /Sgt Demo Supervisor/);

    const tracks = await evaluateWithin(officer.page, 10_000, async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      const kinds = stream
        .getTracks()
        .map((t) => t.kind)
        .sort();
      stream.getTracks().forEach((t) => t.stop());
      return kinds;
    });
    assert.deepEqual(tracks, ['audio', 'video']);

    // The officer accepts a queued consultation; the supervisor's page shows who accepted it.
    await officer.page
      .getByTestId('queue')
      .locator('tbody tr')
      .first()
      .getByRole('button', { name: /Accept/ })
      .click();
    await officer.page.waitForURL(/\/consultations\//);
    assert.equal((await officer.page.getByTestId('state').textContent())?.trim(), 'accepted');
    await supervisor.page.reload();
    assert.match((await supervisor.page.getByTestId('consultations').textContent()) ?? '', /PC Demo Officer/);
  });
});
