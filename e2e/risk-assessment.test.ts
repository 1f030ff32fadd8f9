import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acceptedConsultation, officerOnCallPage } from './support/call.js';
import { startServer, type Participant, type RunningServer } from './support/harness.js';
import { answerRiskQuestion as answer, waitRiskSaved as waitSaved } from './support/risk-form.js';

describe('the DASH panel on the officer’s call page, in Chromium (DASH-01, DASH-06)', () => {
  let server: RunningServer;
  const participants: Participant[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await Promise.all(participants.map((p) => p.close()));
    await server?.stop();
  });

  it('saves as the officer goes, survives a reload, merges a save from another tab, shows the score and flags, and completes only when all is answered', async () => {
    const consultationId = await acceptedConsultation(server.runtime.services);
    const officer = await officerOnCallPage(server, consultationId);
    participants.push(officer);
    const page = officer.page;
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    await page.getByTestId('risk-form').waitFor();
    assert.equal(await page.getByTestId('risk-complete').isDisabled(), true);
    await answer(page, '18', 'Yes');
    await page.locator('#risk-q-18-comment').fill('Hands round her neck last week');
    await waitSaved(page);
    assert.equal(await page.getByTestId('risk-score').textContent(), '1');
    assert.match((await page.getByTestId('risk-flags').textContent()) ?? '', /Non-fatal strangulation/);

    // Each question's test id holds that question's own three radios only (its follow-up has its own id).
    assert.equal(await page.getByTestId('risk-question-4').locator('input[type="radio"]').count(), 3);
    // Q4 Yes asks the honour-based abuse follow-up.
    assert.equal(await page.getByTestId('risk-question-4a').isVisible(), false);
    await answer(page, '4', 'Yes');
    await page.getByTestId('risk-question-4a').waitFor({ state: 'visible' });
    await answer(page, '4a', 'No');
    await waitSaved(page);

    // A second tab loaded now, then both change different questions: the later save meets a 409 and merges.
    const second = await officer.context.newPage();
    await second.goto(page.url());
    await answer(page, '2', 'Yes');
    await waitSaved(page);
    await answer(second, '3', 'No');
    await waitSaved(second);
    const stored = await server.runtime.services.data.repos.riskAssessments.findCurrent(consultationId);
    const answers = stored!.answers as Record<string, { answer?: string }>;
    assert.deepEqual(
      ['2', '3', '4', '4a', '18'].map((id) => answers[id]?.answer),
      ['yes', 'no', 'yes', 'no', 'yes'],
      'both tabs’ answers are kept',
    );
    await second.close();

    await page.reload();
    await page.getByTestId('risk-form').waitFor();
    assert.equal(await page.locator('#risk-q-18-yes').isChecked(), true, 'a reload restores the saved answers');
    assert.equal(await page.locator('#risk-q-3-no').isChecked(), true, 'including the other tab’s');
    assert.equal(await page.locator('#risk-q-18-comment').inputValue(), 'Hands round her neck last week');

    for (let n = 1; n <= 27; n++) {
      if (['2', '3', '4', '18'].includes(String(n))) continue;
      await answer(page, String(n), n <= 12 ? 'Yes' : 'No');
    }
    // Q8 Yes asks the S-DASH stalking follow-up: Complete stays disabled until it is answered.
    await page.getByTestId('risk-question-8a').waitFor({ state: 'visible' });
    await waitSaved(page);
    assert.equal(await page.getByTestId('risk-complete').isDisabled(), true);
    await answer(page, '8a', 'Not known');
    await page.getByTestId('risk-prior-incidents').fill('1');
    await waitSaved(page);
    assert.equal(await page.getByTestId('risk-complete').isEnabled(), true);
    assert.equal(await page.getByTestId('risk-grade').getAttribute('data-grade'), 'medium');
    await page.getByTestId('risk-complete').click();
    await page
      .getByTestId('risk-state')
      .filter({ hasText: /^Completed/ })
      .waitFor();
    assert.equal(await page.locator('#risk-q-1-yes').isDisabled(), true, 'a completed form is read-only');
    const row = await server.runtime.services.data.repos.riskAssessments.findCurrent(consultationId);
    assert.equal(row!.state, 'completed');
    assert.equal(row!.yesCount, 12);
    assert.ok(row!.evidenceItemId);

    // Amending from the panel starts version 2 without leaving the call.
    await page.getByTestId('risk-amendment-reason').fill('The victim added more about the threats');
    await page.getByTestId('risk-amend').click();
    await page
      .getByTestId('risk-state')
      .filter({ hasText: /^Draft/ })
      .waitFor();
    assert.equal(await page.locator('[data-risk-version]').textContent(), '2');
    assert.equal(await page.locator('#risk-q-1-yes').isDisabled(), false);
    assert.deepEqual(errors, []);
  });
});
