import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ValidationError } from '../../platform/errors.js';
import { LinkRefusedError } from '../video/call-links.service.js';
import { SurveyRefusedError } from '../outcomes/satisfaction-survey.service.js';
import { appWithAllRoutes, submitConsentForm, type AppWithAllRoutes } from '../../../test/support/app-with-all-routes.js';

// Issue 17 §5 (WCAG 2.2 AA, found on a 390×844 phone): the victim's pages as the real routes, guard and templates
// render them, over fake services. The browser side (focus order, live announcements, the sign staying on screen,
// no empty interpreter tile) is e2e/accessibility.test.ts.
const env = { FORCE_NAME: 'Testshire Police', QUICK_EXIT_URL: 'https://exit.example/weather' };

/** Every <script> on the page carries the nonce of the page's own Content Security Policy. */
function assertScriptsCarryTheNonce(page: LightMyRequestResponse, name: string) {
  const csp = String(page.headers['content-security-policy'] ?? '');
  const nonce = /script-src[^;]*'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce, `${name}: the page's CSP names a script nonce (${csp})`);
  const scripts = [...page.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
  assert.ok(scripts.length > 0, `${name}: has scripts to check`);
  for (const attributes of scripts) assert.match(attributes, new RegExp(`nonce="${nonce}"`), `${name}: <script${attributes}> has the CSP nonce`);
}

/** "Exit this page" is on the page: the GOV.UK button, to the configured exit address. */
function assertExitThisPage(body: string, name: string) {
  assert.match(body, /data-testid="exit-this-page"[\s\S]*?href="https:\/\/exit\.example\/weather"[\s\S]*?Exit this page/, `${name}: has Exit this page`);
  assert.match(body, /src="\/static\/js\/consent-exit\.js"/, `${name}: the exit leaves no history entry (its script)`);
}

describe('the victim’s pages are usable by everyone (issue 17 §5), over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('consent (notice) page: "If you are in danger now, call 999" comes right after the heading, above the form', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    const danger = page.body.indexOf('If you are in danger now, call 999.');
    assert.ok(danger > 0);
    assert.ok(danger < page.body.indexOf('data-testid="recording-notice"'), 'before the notice text');
    assert.ok(danger < page.body.indexOf('<form'), 'before the form');
    assert.equal(page.body.split('If you are in danger now').length - 1, 1, 'said once');
    assertExitThisPage(page.body, 'consent');
    // While a link session exists the officer is told of the exit (the beacon); on pages without one it is not sent.
    assert.match(page.body, /data-exit-beacon="\/v\/quick-exit"/);
    assertScriptsCarryTheNonce(page, 'consent');
  });

  it('consent error state: the error summary and every script under the CSP nonce', async () => {
    const giveConsent = async () => {
      throw new ValidationError('To have the video call, tick both boxes.', { consent: 'Tick both boxes' });
    };
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false }, services: { calls: { consent: { giveConsent } } } });
    const { answer: page } = await submitConsentForm(fake, {});
    assert.equal(page.statusCode, 400);
    assert.match(page.body, /govuk-error-summary/);
    assertScriptsCarryTheNonce(page, 'consent error');
  });

  it('call page: the "Recording" sign and Exit this page share the sticky bar; "Leave the call" is a separate control with a confirm', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: true } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    assert.equal(page.statusCode, 200);
    const bar = /<div class="rvr-callbar"[^>]*>([\s\S]*?)<\/div>\s*<\/div>\s*<h1/.exec(page.body)?.[1] ?? '';
    assert.match(bar, /data-testid="recording-indicator"/, 'the sign is in the bar');
    assert.match(bar, /data-testid="exit-this-page"/, 'the exit is in the bar');
    assert.match(page.body, /<h1[^>]*>Video call with an officer<\/h1>/, 'the live call page has a main heading');
    // Leaving is not the emergency exit.
    assert.match(page.body, /<button type="button"[^>]*data-leave-call[^>]*>Leave the call<\/button>/);
    assert.match(page.body, /id="leave-confirm"[^>]*hidden[\s\S]*Yes, leave the call[\s\S]*Stay in the call/);
    assertScriptsCarryTheNonce(page, 'call');
  });

  it('call page: the two "Send" buttons have distinct names, and no extra video tile is drawn until someone is in it', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: true } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    const buttons = [...page.body.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '').trim());
    assert.ok(buttons.includes('Send message'));
    assert.ok(buttons.includes('Send photo'));
    assert.ok(!buttons.includes('Send'), `no button is just "Send" (${buttons.join(' | ')})`);
    assert.match(page.body, /<video class="rvr-video rvr-video--extra" data-remote="interpreter"[^>]*hidden>/);
  });

  it('ended page: Exit this page, no history of the call, and "You left the call" after Leave the call', async () => {
    fake = await appWithAllRoutes({ env });
    const ended = await fake.inject({ method: 'GET', url: '/v/ended' });
    assert.equal(ended.statusCode, 200);
    assert.match(ended.body, /The call has ended/);
    assertExitThisPage(ended.body, 'ended');
    assert.doesNotMatch(ended.body, /data-exit-beacon/, 'no link session: no beacon');
    assertScriptsCarryTheNonce(ended, 'ended');
    const left = await fake.inject({ method: 'GET', url: '/v/ended?left=1' });
    assert.match(left.body, /You left the call/);
    assert.match(left.body, /ask for a new link/);
  });

  for (const refusal of ['used', 'unknown'] as const) {
    it(`a ${refusal} link: Exit this page, what to do, and no raw reference id`, async () => {
      const redeemLink = async () => {
        throw new LinkRefusedError(refusal);
      };
      fake = await appWithAllRoutes({ env, services: { calls: { links: { redeemLink } } } });
      const page = await fake.inject({ method: 'GET', url: '/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      assert.equal(page.statusCode, refusal === 'used' ? 410 : 404);
      assert.match(page.body, /call 101/);
      assert.doesNotMatch(page.body, /Reference:|req-[0-9a-z]/i, 'no correlation id shown to the victim');
      assertExitThisPage(page.body, `${refusal} link`);
      assertScriptsCarryTheNonce(page, `${refusal} link`);
    });
  }

  it('the "page not available" page after the call (no link session any more) runs its scripts under the CSP nonce', async () => {
    fake = await appWithAllRoutes({ env });
    // The call cookie is no longer valid: the request guard refuses before any page hook runs.
    const page = await fake.inject({ method: 'GET', url: '/v/call', headers: { cookie: 'rvr_call=ended-session' } });
    assert.ok(page.statusCode >= 400 && page.statusCode < 500, `refused (${page.statusCode})`);
    assert.match(page.body, /data-testid="refusal-title"/);
    assert.match(page.body, /call 101, or 999 in an emergency\./, 'says what to do');
    assert.equal(page.body.split('call 101').length - 1, 1, 'said once');
    assert.doesNotMatch(page.body, /Reference:/);
    assertExitThisPage(page.body, 'not available');
    assertScriptsCarryTheNonce(page, 'not available');
  });

  it('survey, its refusal and thanks: Exit this page, scripts under the nonce, no reference id', async () => {
    const open = async (token: string) => {
      if (token.startsWith('used')) throw new SurveyRefusedError('used');
      return { surveyId: 'survey-1' };
    };
    fake = await appWithAllRoutes({ env, services: { surveys: { open } } });
    const survey = await fake.inject({ method: 'GET', url: '/s/okAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(survey.statusCode, 200);
    assertExitThisPage(survey.body, 'survey');
    assertScriptsCarryTheNonce(survey, 'survey');
    const refused = await fake.inject({ method: 'GET', url: '/s/usedAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(refused.statusCode, 410);
    assertExitThisPage(refused.body, 'survey refused');
    assert.doesNotMatch(refused.body, /Reference:/);
    assertScriptsCarryTheNonce(refused, 'survey refused');
  });

  it('link preview (what a previewer sees) carries the nonce too', async () => {
    fake = await appWithAllRoutes({ env });
    const page = await fake.inject({ method: 'GET', url: '/v/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', headers: { 'user-agent': 'WhatsApp/2.23' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="link-preview-title"/);
    assertScriptsCarryTheNonce(page, 'link preview');
  });
});
