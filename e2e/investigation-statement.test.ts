import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { officerSendsLink, victimJoins, waitForDecodedVideo } from './support/call.js';
import { freePort, startServer, type Participant, type RunningServer } from './support/harness.js';

// The officer's investigation panels and the victim's statement and "not safe" control, driven in Chromium:
// checks that the page scripts (investigation-call.js, statement-victim.js) work with the live call's socket.
describe('statement, lines of enquiry, outcomes and "not safe" in a live call (RVR-08, RVR-11)', () => {
  let server: RunningServer;
  const people: Participant[] = [];
  before(async () => {
    const port = await freePort();
    server = await startServer({ PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, CRIME_REFERENCE_PATTERN: '^\\d{2}/\\d{6}/\\d{2}$' });
  });
  after(async () => {
    await Promise.all(people.map((p) => p.close()));
    await server?.stop();
  });

  it('the officer types and shows the statement; the victim asks for a change, then confirms; not safe alerts the officer, who escalates in one click', async () => {
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await victimJoins(link);
    people.push(victim);
    await Promise.all([waitForDecodedVideo(officer.page), waitForDecodedVideo(victim.page)]);
    const o = officer.page;
    const v = victim.page;

    // Autosave, then show it to the victim.
    await o.getByTestId('statement-text').fill('He came home at ten and pushed me.\nTwice.');
    await o
      .getByTestId('statement-status')
      .filter({ hasText: /^Saved/ })
      .waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-share').click();
    await o.getByTestId('statement-state').filter({ hasText: 'Shown to the victim' }).waitFor({ timeout: 10_000 });

    // The victim's page shows the exact text without reloading (the call carries on).
    const shown = v.getByTestId('victim-statement');
    await shown.waitFor({ timeout: 10_000 });
    assert.equal(await shown.evaluate((element) => element.textContent), 'He came home at ten and pushed me.\nTwice.');
    await v.getByText('Something is wrong or missing').click();
    await v.getByTestId('victim-correction').fill('It was eleven');
    await v.getByTestId('victim-statement-correct').click();
    await v.getByText('You asked for changes').waitFor({ timeout: 10_000 });

    // The officer sees it live, corrects and shows it again.
    await o.getByTestId('statement-correction').filter({ hasText: 'It was eleven' }).waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-text').fill('He came home at eleven and pushed me.\nTwice.');
    await o
      .getByTestId('statement-status')
      .filter({ hasText: /^Saved/ })
      .waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-share').click();
    await v.getByTestId('victim-statement').filter({ hasText: 'eleven' }).waitFor({ timeout: 10_000 });
    await v.getByTestId('victim-signature').fill('Jane Doe');
    await v.getByTestId('victim-statement-confirm').click();
    await v.getByTestId('victim-statement-confirmed').waitFor({ timeout: 10_000 });
    await o.getByTestId('statement-state').filter({ hasText: 'Confirmed by the victim' }).waitFor({ timeout: 10_000 });
    const statement = await server.runtime.services.data.repos.victimStatements.findByConsultation(consultationId);
    assert.equal(statement!.confirmedText, 'He came home at eleven and pushed me.\nTwice.');

    // A line of enquiry and an outcome from the officer's panels.
    const injuries = o.getByTestId('enquiry-line-injuries');
    await injuries.getByLabel('Not possible', { exact: true }).check();
    await injuries.getByRole('button').click();
    await injuries.getByText('Say why').waitFor({ timeout: 10_000 });
    await o
      .getByTestId('enquiry-line-injuries')
      .getByLabel(/Reason or note/)
      .fill('No injuries visible on camera');
    await o.getByTestId('enquiry-line-injuries').getByRole('button').click();
    await o.locator('[data-testid="enquiry-line-injuries"][data-status="not_possible"]').waitFor({ timeout: 10_000 });
    const outcome = o.getByTestId('outcome-form');
    await outcome.getByLabel('Record an outcome').selectOption('crime_recorded');
    await outcome.getByLabel('Crime reference').fill('CR-1');
    await outcome.getByTestId('outcome-record').click();
    await o.getByTestId('outcome-error').filter({ hasText: 'not a crime reference' }).waitFor({ timeout: 10_000 });
    await o.getByTestId('outcome-form').getByLabel('Crime reference').fill('46/123456/26');
    await o.getByTestId('outcome-form').getByTestId('outcome-record').click();
    await o.getByTestId('outcome-list').filter({ hasText: '46/123456/26' }).waitFor({ timeout: 10_000 });

    // "I'm not safe": a calm "Sent." on the victim's page, a prominent alert on the officer's, escalation in one click.
    await v.getByTestId('not-safe').click();
    await v.getByTestId('not-safe-status').filter({ hasText: 'Sent.' }).waitFor({ timeout: 5000 });
    await o.getByTestId('not-safe-alert').waitFor({ timeout: 10_000 });
    await o.locator('[data-testid="call-alert"][data-kind="not_safe"]').waitFor({ timeout: 10_000 });
    await o.getByTestId('escalate-emergency').click();
    await o.getByTestId('not-safe-escalated').waitFor({ timeout: 10_000 });
    await o.getByTestId('outcome-list').filter({ hasText: 'emergency' }).waitFor({ timeout: 10_000 });
    assert.equal(await v.locator('#rvr-call').count(), 1, 'the victim is still in the call');
  });
});
