import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { allowRoundTheClock, contextFor } from '../test/support/test-app.js';
import { axeChecker } from './support/axe.js';
import { freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

// Issue 17 §2 (Welsh Language Standards), end to end in Chromium: the call handler records that the caller wants Welsh,
// the link is texted in Welsh (the development outbox), the link's pages open in Welsh, the consent is given in Welsh and
// recorded with language cy and its Welsh words, and the GOV.UK toggle switches to English. No video call is started:
// the call page's script is held back, so this file costs a page load, not a call.

describe('a Welsh-speaking caller, from triage to the consent and back to English (issue 17 §2)', () => {
  let server: RunningServer;
  let handler: Participant;
  let victim: Participant;
  const axe = axeChecker();
  before(async () => {
    const port = await freePort();
    server = await startServer({ PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
    [handler, victim] = await Promise.all([launchParticipant(), launchParticipant()]);
    await new SignInPage(handler.page).signInAndAcknowledge(server.baseUrl, 'handler', DEMO_PASSWORD);
  });
  after(async () => {
    await Promise.all([handler?.close(), victim?.close()]);
    await server?.stop();
  });

  it('texts the link in Welsh, shows the pages in Welsh, records the consent in Welsh, and switches to English', async () => {
    const services = server.runtime.services;
    await allowRoundTheClock(services);

    // Triage: the call handler chooses Cymraeg for the caller's texts and page.
    const { page } = handler;
    await page.goto(`${server.baseUrl}/control-room/calls/new`);
    await page.getByLabel('CAD incident reference').fill('CAD-E2E-CY01');
    await page.getByLabel('2 – priority').check();
    await page.getByLabel('Caller’s name').fill('Gwen Test');
    await page.getByLabel('Mobile number').fill('07700 900888');
    await page.getByLabel('Relationship to the suspect').selectOption('ex_partner');
    await page.getByLabel('18 or over', { exact: true }).check();
    await page.getByLabel('Suspect: 18 or over').check();
    await page.getByLabel('Cymraeg (Welsh)').check();
    await page.getByLabel('a video call').check();
    await page.getByLabel('the call being recorded').check();
    await page.getByRole('button', { name: 'Decide and hand over' }).click();
    await page.waitForURL(/\/consultations\/[0-9a-f-]{36}$/);
    const consultationId = /\/consultations\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    assert.equal((await services.data.repos.consultations.findById(consultationId))?.language, 'cy');
    assert.match((await page.locator('main').textContent()) ?? '', /Texts and video call page in\s*Cymraeg \(Welsh\)/);

    // The officer accepts and texts the link (through the services: the officer's call page would start a call).
    const officer = (await services.data.repos.users.findByUsername('officer'))!;
    await services.consultations.transition(contextFor(officer), consultationId, 'accepted');
    const call = await services.calls.lifecycle.openCall(contextFor(officer), consultationId);
    services.smsOutbox!.clear();
    await services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });

    // The text, as the development outbox shows it, is in Welsh.
    await page.goto(`${server.baseUrl}/dev/outbox`);
    const text = (await page.getByTestId('outbox-body').first().textContent())!.trim();
    assert.match(text, /^Dyma’r ddolen ar gyfer eich galwad fideo: https?:\/\/\S+\/v\/[A-Za-z0-9_-]{43}$/);
    const link = /https?:\/\/\S+/.exec(text)![0];

    // The link opens in Welsh: <html lang="cy">, Welsh words, the toggle offering English.
    await victim.page.route('**/static/js/call-client.js', (route) => route.fulfill({ contentType: 'text/javascript', body: '' }));
    await victim.page.goto(link);
    assert.equal(await victim.page.getAttribute('html', 'lang'), 'cy');
    await victim.page.getByRole('heading', { level: 1, name: /^Galwad fideo gyda swyddog o / }).waitFor();
    assert.match((await victim.page.getByTestId('recording-notice').textContent()) ?? '', /^Mae’r fideo, y sain ac unrhyw negeseuon yn cael eu recordio/);
    assert.equal(await victim.page.getByRole('link', { name: 'English' }).getAttribute('hreflang'), 'en');
    await axe.check(victim.page, 'Welsh consent page');
    assert.equal(axe.report(), '', 'the Welsh consent page has no serious or critical accessibility violation');

    // Consent in Welsh.
    await victim.page.getByLabel('Rwy’n cytuno i’r alwad fideo').check();
    await victim.page.getByLabel('Rwy’n deall bod yr alwad yn cael ei recordio').check();
    await victim.page.getByRole('button', { name: 'Parhau' }).click();
    await victim.page.waitForSelector('#rvr-call');
    assert.equal(await victim.page.getAttribute('html', 'lang'), 'cy');
    assert.equal((await victim.page.getByTestId('recording-indicator').textContent())?.trim(), 'Yn recordio');
    // The page script's words come from the page, in Welsh.
    const strings = JSON.parse((await victim.page.locator('#rvr-strings').textContent()) ?? '{}') as Record<string, string>;
    assert.equal(strings.connecting, 'Yn cysylltu â’r swyddog…');

    const participants = await services.data.repos.calls.listParticipants(call.id);
    const victimParticipant = participants.find((p) => p.role === 'victim')!;
    const consent = await services.data.repos.calls.findConsent(call.id, victimParticipant.id);
    assert.equal(consent?.language, 'cy');
    assert.match(consent?.wording ?? '', /^Rwy’n cytuno i gael galwad fideo gyda swyddog o /);

    // The toggle: English, and it stays English on the link's pages.
    await victim.page.getByRole('link', { name: 'English' }).click();
    await victim.page.waitForURL(/\/v\/call\?lang=en$/);
    assert.equal(await victim.page.getAttribute('html', 'lang'), 'en');
    assert.equal((await victim.page.getByTestId('recording-indicator').textContent())?.trim(), 'Recording');
    await victim.page.goto(`${server.baseUrl}/v/call`);
    assert.equal(await victim.page.getAttribute('html', 'lang'), 'en');
    await victim.page.getByRole('heading', { level: 1, name: 'Video call with an officer' }).waitFor();
  });
});
