import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { axeChecker } from './support/axe.js';
import { launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

describe('warm transfer: the call handler triages, the officer sees it live and accepts, the handler sees that live', () => {
  let server: RunningServer;
  let handler: Participant;
  let officer: Participant;
  // Issue 17 §5: axe-core on the intake form (and its error state) and the consultation page, on the way.
  const axe = axeChecker();
  before(async () => {
    server = await startServer();
    [handler, officer] = await Promise.all([launchParticipant(), launchParticipant()]);
    await Promise.all([
      new SignInPage(handler.page).signInAndAcknowledge(server.baseUrl, 'handler', DEMO_PASSWORD),
      new SignInPage(officer.page).signInAndAcknowledge(server.baseUrl, 'officer2', DEMO_PASSWORD),
    ]);
  });
  after(async () => {
    await Promise.all([handler?.close(), officer?.close()]);
    await server?.stop();
  });

  it('hands an eligible call to an officer without anyone reloading', async () => {
    // The officer's queue page is open and listening before the call arrives.
    assert.match(officer.page.url(), /\/officer$/);
    await officer.page.waitForFunction(() => document.body.dataset.live === 'connected', undefined, { timeout: 5000 });
    const queueRowsBefore = await officer.page.getByTestId('queue').locator('tbody tr').count();

    const { page } = handler;
    await page.getByRole('link', { name: 'New call' }).click();
    await page.waitForURL(/\/control-room\/calls\/new$/);
    await axe.check(page, 'call handler: intake form');
    // Handed over with nothing filled in: the error state (summary and messages), then the form filled properly.
    await page.getByRole('button', { name: 'Decide and hand over' }).click();
    await page.locator('.govuk-error-summary').waitFor();
    assert.ok((await page.locator('.govuk-error-message').count()) > 0, 'errors beside the fields');
    await axe.check(page, 'call handler: intake form error state');
    await page.getByLabel('CAD incident reference').fill('CAD-E2E-0001');
    const now = new Date(Date.now() - 60_000);
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/London', dateStyle: 'short', timeStyle: 'short' }).format(now).replace(' ', 'T');
    await page.getByLabel('Time the call was received (UK time)').fill(local);
    await page.getByLabel('2 – priority').check();
    await page.getByLabel('Caller’s name').fill('E2E Caller');
    await page.getByLabel('Mobile number').fill('07700 900999');
    await page.getByLabel('Relationship to the suspect').selectOption('ex_partner');
    await page.getByLabel('18 or over', { exact: true }).check();
    await page.getByLabel('Suspect: 18 or over').check();
    await page.getByLabel('a video call').check();
    await page.getByLabel('the call being recorded').check();
    await page.getByRole('button', { name: 'Decide and hand over' }).click();
    await page.waitForURL(/\/consultations\//);
    assert.equal((await page.getByTestId('state').textContent())?.trim(), 'queued');
    const reference = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();
    await page.waitForFunction(() => document.body.dataset.live === 'connected', undefined, { timeout: 5000 });

    // Within a second the officer's open page shows the new call, with no reload.
    const started = Date.now();
    const row = officer.page.getByTestId('queue').locator('tbody tr', { hasText: reference });
    await row.waitFor({ timeout: 1000 });
    const seenAfterMs = Date.now() - started;
    assert.ok(seenAfterMs <= 1000, `the queue updated after ${seenAfterMs} ms`);
    assert.equal(await officer.page.getByTestId('queue').locator('tbody tr').count(), queueRowsBefore + 1);
    // After the timing above, so the check's own time is not counted in it.
    await axe.check(page, 'call handler: consultation page (queued)');

    await row.getByRole('button', { name: /Accept/ }).click();
    await officer.page.waitForURL(/\/consultations\//);
    assert.equal((await officer.page.getByTestId('state').textContent())?.trim(), 'accepted');
    await axe.check(officer.page, 'officer: consultation page (accepted)');

    // The call handler, still on the line, sees who accepted, live.
    await page.getByTestId('accepted-by').waitFor({ timeout: 2000 });
    assert.match((await page.getByTestId('accepted-by').textContent()) ?? '', /PC Second Officer/);
    fs.mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/handover-accepted.png', fullPage: true });
    await axe.check(page, 'call handler: consultation page (accepted)');
    assert.equal(axe.report(), '', 'no serious or critical accessibility violations');
  });
});
