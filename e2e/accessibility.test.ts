import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { axeChecker } from './support/axe.js';
import { officerEndsCall, officerSendsLink } from './support/call.js';
import { freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

/**
 * Issue 17 §5: the victim's journey by keyboard alone and as a screen reader hears it, on a 390×844 phone screen:
 * the notice page's focus order and 999 line above the fold, the consent given with the keyboard, the live region
 * saying when the officer joins and when the call ends, the "Recording" sign still on screen at the bottom of the
 * call page (policy 3.3), no empty interpreter tile, and "Leave the call" whose question never traps focus.
 * axe-core runs on each page on the way (and on the main staff pages) and fails on any serious or critical violation.
 * One server, one call, two browser contexts (the file's shared Chromium).
 */
const axe = axeChecker();
const PHONE = { width: 390, height: 844 };

/** What has focus, as a person would name it: the element's id, else its visible text. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return 'body';
    return el.id ? `#${el.id}` : (el.textContent ?? '').replace(/\s+/g, ' ').trim();
  });

/** Records every change of an aria-live region or status as the page's console line "live: <text>". */
async function listenToLiveRegions(page: Page): Promise<string[]> {
  const heard: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (text.startsWith('live: ')) heard.push(text.slice('live: '.length));
  });
  // A string, not a function: tsx would wrap a named function in a helper the page does not have.
  await page.addInitScript(`
    document.addEventListener('DOMContentLoaded', function () {
      new MutationObserver(function (records) {
        for (const record of records) {
          const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
          const region = node && node.closest('[aria-live], [role="status"], [role="alert"]');
          const text = region && region.textContent.replace(/\\s+/g, ' ').trim();
          if (text) console.log('live: ' + text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  `);
  return heard;
}

let server: RunningServer;
const people: Participant[] = [];
before(async () => {
  const port = await freePort();
  server = await startServer({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    QUICK_EXIT_URL: `http://127.0.0.1:${port}/v/ended`,
    SURVEY_DELAY_MINUTES: '0',
  });
});
after(async () => {
  await Promise.all(people.splice(0).map((p) => p.close()));
  await server?.stop();
});

describe('the victim’s journey by keyboard and screen reader on a phone (issue 17 §5)', () => {
  it('focus order, consent by keyboard, live announcements, the Recording sign on screen, Leave the call without a trap', async () => {
    const { officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await launchParticipant({ fakeMedia: true });
    people.push(victim);
    const page = victim.page;
    await page.setViewportSize(PHONE);
    const heard = await listenToLiveRegions(page);

    // The notice (consent) page: "call 999" is above the fold, and Tab meets the controls in reading order.
    await page.goto(link);
    const danger = await page.getByTestId('danger-999').boundingBox();
    assert.ok(danger && danger.y + danger.height <= PHONE.height, `the 999 line is above the fold (${JSON.stringify(danger)})`);
    await axe.check(page, 'victim: link notice (consent)');
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
      if (order.at(-1) === 'Continue') break;
    }
    assert.deepEqual(
      order,
      // Issue 17 §2: the language toggle comes right after the emergency exit.
      [
        'Skip to main content',
        'Emergency Exit this page',
        'Cymraeg',
        'Your information and how to complain',
        '#consent-video',
        '#consent-recording',
        'Continue',
      ],
      'Tab order through the notice page',
    );

    // Continue with nothing ticked: the error state, then consent with the keyboard alone (Space ticks, Enter goes on).
    await page.keyboard.press('Enter');
    await page.locator('.govuk-error-summary').waitFor();
    await axe.check(page, 'victim: consent error state');
    await page.locator('#consent-video').focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), '#consent-recording');
    await page.keyboard.press('Space');
    assert.equal(await page.locator('#consent-video').isChecked(), true);
    assert.equal(await page.locator('#consent-recording').isChecked(), true);
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'Continue');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rvr-call');

    // The live region says, in words, that the officer has joined.
    await page.getByTestId('call-status').getByText('The officer has joined the call').waitFor({ timeout: 20_000 });
    assert.ok(
      heard.some((text) => text.includes('The officer has joined the call')),
      `announced: ${heard.join(' | ')}`,
    );
    await page.getByTestId('recording-indicator').waitFor();
    await axe.check(page, 'victim: live call');
    await axe.check(officer.page, 'staff: officer call page');

    // No empty interpreter tile over the officer's video: none was invited (both pages).
    assert.equal(await page.locator('video[data-remote="interpreter"]').isVisible(), false, 'victim page: no interpreter tile');
    assert.equal(await officer.page.locator('video[data-remote="interpreter"]').isVisible(), false, 'officer page: no interpreter tile');

    // Policy 3.3: scrolled to the bottom of the (long) call page, the sign and Exit this page are still on screen.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(height > PHONE.height * 1.2, `the call page is longer than the screen (${height} px), so the check means something`);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    for (const testId of ['recording-indicator', 'exit-this-page']) {
      const box = await page.getByTestId(testId).boundingBox();
      assert.ok(box && box.y >= 0 && box.y + box.height <= PHONE.height, `${testId} is on screen at the bottom of the page (${JSON.stringify(box)})`);
    }

    // "Leave the call" is not the emergency exit; its question is in the page, takes focus, and Escape gives it back.
    const leave = page.getByTestId('leave-call');
    await leave.focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('leave-confirm').waitFor();
    assert.equal(await focused(page), '#leave-confirm-title');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'Yes, leave the call');
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'Stay in the call');
    await page.keyboard.press('Tab');
    assert.notEqual(await focused(page), '#leave-confirm-title', 'focus moves on out of the question: no trap');
    await page.getByTestId('leave-stay').focus();
    await page.keyboard.press('Escape');
    assert.equal(await page.getByTestId('leave-confirm').isVisible(), false);
    assert.equal(await leave.getAttribute('aria-expanded'), 'false');
    assert.equal(await focused(page), 'Leave the call');

    // The officer ends the call: the live region says so, then the ended page, with its own Exit this page.
    await officerEndsCall(officer);
    await page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    assert.ok(
      heard.some((text) => text.startsWith('The call has ended')),
      `the end was announced: ${heard.join(' | ')}`,
    );
    assert.ok(await page.getByTestId('exit-this-page').isVisible(), 'Exit this page on the ended page');
    await axe.check(page, 'victim: call ended');

    // The same link again (used) and a link that never existed: what to do, Exit this page, no reference id.
    for (const [name, url] of [
      ['used link', link],
      ['unknown link', `${server.baseUrl}/v/${'A'.repeat(43)}`],
    ] as const) {
      await page.goto(url);
      await page.getByTestId('refusal-title').waitFor();
      assert.ok(await page.getByTestId('exit-this-page').isVisible(), `Exit this page on the ${name} page`);
      assert.doesNotMatch((await page.textContent('main')) ?? '', /Reference/);
      await axe.check(page, `victim: ${name}`);
    }

    // The survey texted after the call, and its error state.
    const { services } = server.runtime;
    // Ending the call completed the consultation; the survey is due at once (SURVEY_DELAY_MINUTES=0).
    await services.surveys.sendDue();
    const surveyText = services.smsOutbox!.list().find((m) => m.body.includes('/s/'));
    assert.ok(surveyText, 'the survey was texted');
    await page.goto(/https?:\/\/\S+/.exec(surveyText.body)![0]);
    assert.ok(await page.getByTestId('exit-this-page').isVisible(), 'Exit this page on the survey');
    await axe.check(page, 'victim: survey');
    await page.getByTestId('survey-submit').click();
    await page.getByTestId('survey-errors').waitFor();
    await axe.check(page, 'victim: survey error state');
    assert.equal(axe.report(), '', 'no serious or critical accessibility violation');
  });

  it('axe-core: the main staff pages have no serious or critical violation', async () => {
    const staff = await launchParticipant();
    people.push(staff);
    const signIn = new SignInPage(staff.page);
    await staff.page.goto(`${server.baseUrl}/sign-in`);
    await axe.check(staff.page, 'staff: sign-in');
    for (const [username, path, name] of [
      ['handler', '/control-room', 'control room'],
      ['officer', '/officer', 'officer queue'],
      ['supervisor', '/supervisor/board', 'supervisor board'],
      ['evidence', '/evidence', 'evidence list'],
    ] as const) {
      await signIn.signInAndAcknowledge(server.baseUrl, username, DEMO_PASSWORD);
      await staff.page.goto(`${server.baseUrl}${path}`);
      await staff.page.locator('h1').first().waitFor();
      await axe.check(staff.page, `staff: ${name}`);
      await signIn.signOut();
    }
    assert.equal(axe.report(), '', 'no serious or critical accessibility violation');
    for (const name of [
      'victim: link notice (consent)',
      'victim: consent error state',
      'victim: live call',
      'victim: call ended',
      'victim: survey',
      'staff: officer call page',
    ])
      assert.ok(axe.checked.includes(name), `axe ran on ${name}`);
  });
});
