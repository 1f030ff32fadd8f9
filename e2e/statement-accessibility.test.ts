import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { allowRoundTheClock, callInput, contextFor } from '../test/support/test-app.js';
import { axeChecker } from './support/axe.js';
import { launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';

/**
 * Issue 17 §5: axe-core on the victim's statement (RVR-08), as the victim reads it, and its error states. The statement
 * has no page of its own: it is a section of the victim's call page (/v/call), filled by statement-victim.js from
 * /v/call/statement, and its forms post to /v/call/statement/{confirm,corrections}. So that no call starts, everything
 * the officer does is done through the services (call opened, link texted, statement typed and shown), and the call
 * page's call script (call-client.js) is not served to the victim's browser: no camera, no socket, no WebRTC. The
 * statement script works without it (it loads the statement itself). Not a call file (scripts/test.sh: none of the call helpers).
 */
describe('the victim’s statement and its error states pass axe-core (issue 17 §5, RVR-08)', () => {
  let server: RunningServer;
  let victim: Participant;
  const axe = axeChecker();
  before(async () => {
    server = await startServer();
    victim = await launchParticipant();
  });
  after(async () => {
    await victim?.close();
    await server?.stop();
  });

  it('shown, confirmed without a name, a correction sent empty, confirmed after the officer changed it, a form posted without the script, then confirmed', async () => {
    const services = server.runtime.services;
    await allowRoundTheClock(services);
    const handler = (await services.data.repos.users.findByUsername('handler'))!;
    const officer = contextFor((await services.data.repos.users.findByUsername('officer'))!);
    const { consultation } = await services.triage.intake(contextFor(handler), callInput({ mobile: '07700 900555' }), 'e2e');
    await services.consultations.transition(officer, consultation.id, 'accepted');
    const call = await services.calls.lifecycle.openCall(officer, consultation.id);
    const { link } = await services.calls.links.sendInvite(officer, call.id, { role: 'victim' });
    const firstText = 'He came home at ten and pushed me.\nTwice.';
    await services.victimStatements.save(officer, consultation.id, { text: firstText, revision: 0 });
    await services.victimStatements.share(officer, consultation.id, 1);

    const { page, context } = victim;
    // The victim's phone (issue 17 §5: 390×844).
    await page.setViewportSize({ width: 390, height: 844 });
    const callScriptsRequested: string[] = [];
    await context.route('**/static/js/call-client.js', (route) => {
      callScriptsRequested.push(route.request().url());
      return route.abort();
    });
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    // The link (its path on the server's address: PUBLIC_BASE_URL was read before the port was chosen), then consent.
    await page.goto(`${server.baseUrl}${new URL(link).pathname}`);
    await page.getByLabel('I agree to the video call').check();
    await page.getByLabel('I understand the call is recorded').check();
    await page.getByTestId('consent-continue').click();
    await page.waitForSelector('#rvr-call');
    const statement = page.getByTestId('victim-statement');
    await statement.waitFor();
    assert.equal(await statement.evaluate((element) => element.textContent), firstText);
    await axe.check(page, 'victim: statement shown');

    // "Confirm" with no name typed: the error box takes focus and says what to do.
    const error = page.getByTestId('victim-statement-error');
    await page.getByTestId('victim-statement-confirm').click();
    await error.filter({ hasText: 'Type your full name to sign your statement' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'victim-statement-error');
    await axe.check(page, 'victim: statement confirmed without a name (error state)');

    // "Something is wrong or missing" sent with nothing written.
    await page.getByText('Something is wrong or missing').click();
    await page.getByTestId('victim-statement-correct').click();
    await error.filter({ hasText: 'Type what should be changed' }).waitFor();
    await axe.check(page, 'victim: correction sent empty (error state)');

    // The officer changes the text meanwhile; the victim's confirmation of the text they read is refused, and the
    // section shows the new text with the reason.
    const secondText = 'He came home at eleven and pushed me.\nTwice.';
    await services.victimStatements.save(officer, consultation.id, { text: secondText, revision: 1 });
    await services.victimStatements.share(officer, consultation.id, 2);
    await page.getByTestId('victim-signature').fill('Jane Doe');
    await page.getByTestId('victim-statement-confirm').click();
    await page.getByTestId('victim-statement').filter({ hasText: 'eleven' }).waitFor();
    await error.filter({ hasText: 'The officer changed the statement; read it again.' }).waitFor();
    await axe.check(page, 'victim: confirmation of a text that changed (error state)');

    // Without the script (a phone that did not run it): the confirmation form posted plainly with no name gives the
    // victim's error page, a whole page of its own.
    await page.locator('[data-testid="victim-statement-confirm-form"]').evaluate((form) => {
      form.removeAttribute('data-statement-victim-form');
      (form as HTMLFormElement).submit();
    });
    await page.waitForURL(/\/v\/call\/statement\/confirm$/);
    await page.locator('h1').waitFor();
    assert.match((await page.textContent('main')) ?? '', /Type your full name to sign your statement/);
    assert.ok(await page.getByTestId('exit-this-page').isVisible(), 'Exit this page on the error page');
    await axe.check(page, 'victim: statement form posted without the script (error page)');

    // Back to the call page: confirmed with a name, and the confirmed view.
    await page.goto(`${server.baseUrl}/v/call`);
    await page.getByTestId('victim-statement').filter({ hasText: 'eleven' }).waitFor();
    await page.getByTestId('victim-signature').fill('Jane Doe');
    await page.getByTestId('victim-statement-confirm').click();
    await page.getByTestId('victim-statement-confirmed').waitFor();
    await axe.check(page, 'victim: statement confirmed');
    assert.equal((await services.data.repos.victimStatements.findByConsultation(consultation.id))!.confirmedText, secondText);

    assert.equal(axe.checked.length, 6);
    assert.ok(callScriptsRequested.length > 0, 'the call page asked for its call script, which was not served');
    assert.deepEqual(sockets, [], 'no call socket was opened: no call started');
    assert.equal(axe.report(), '', 'no serious or critical accessibility violations');
  });
});
