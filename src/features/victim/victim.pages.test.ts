import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { ValidationError } from '../../platform/errors.js';
import { appWithAllRoutes, submitConsentForm, type AppWithAllRoutes } from '../../../test/support/app-with-all-routes.js';

// Page tests over fake services (no database): the link-holder's consent step (RVR-04, SC-3) as the real route,
// request guard and template render it.
const env = { FORCE_NAME: 'Testshire Police' };

describe('victim consent page, over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('shows a victim who has not consented the consent wording, the recording notice and the form', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Video call with an officer from Testshire Police/);
    assert.match(
      page.body,
      /<legend[^>]*>I agree to a video call with an officer from Testshire Police\. I understand the call, including video, sound and chat, is recorded on the police system and may be used as evidence\.<\/legend>/,
    );
    assert.match(page.body, /data-testid="recording-notice"/);
    assert.match(page.body, /<form method="post" action="\/v\/call\/consent"[\s\S]*?name="_csrf" value="[^"]+"/);
    assert.doesNotMatch(page.body, /interpreter-intro/);
  });

  it('tells an interpreter why they are joining', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false, participantRole: 'interpreter' } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="interpreter-intro"/);
  });

  it('takes a link-holder who has consented to the call page, not the consent step', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: true } });
    const page = await fake.inject({ method: 'GET', url: '/v/call' });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /action="\/v\/call\/consent"/);
  });

  it('shows the consent step again, with the reason, when a box is left unticked', async () => {
    const giveConsent = mock.fn(async (_context: unknown, _session: unknown, input: { video: boolean; recording: boolean }) => {
      if (!input.video || !input.recording) throw new ValidationError('To have the video call, tick both boxes.', { consent: 'Tick both boxes to continue' });
    });
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false }, services: { calls: { consent: { giveConsent } } } });
    const { answer } = await submitConsentForm(fake, { video: 'yes' });
    assert.equal(answer.statusCode, 400);
    assert.match(answer.body, /govuk-error-summary[\s\S]*To have the video call, tick both boxes\./);
    assert.deepEqual(giveConsent.mock.calls[0]!.arguments[2], { video: true, recording: false, language: 'en' });
  });
});
