import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { appWithAllRoutes, submitConsentForm, type AppWithAllRoutes } from '../../../test/support/app-with-all-routes.js';
import { LinkRefusedError } from '../video/call-links.service.js';
import { ValidationError } from '../../platform/errors.js';
import type { Services } from '../../composition.js';

// Issue 17 §2 (Welsh Language Standards), over fake services: the victim's pages in Welsh, <html lang>, the GOV.UK
// language toggle and its cookie scoped to the link's pages, the link's own language as the default, and the consent
// given in the language its page was shown in.
const env = { FORCE_NAME: 'Testshire Police', FORCE_NAME_CY: 'Heddlu Testshire' };
const TOKEN = 'A'.repeat(43);

const cookieOf = (page: { cookies: { name: string; value: string; path?: string }[] }, name: string) => page.cookies.find((c) => c.name === name);

describe('victim pages in Welsh, over fake services (issue 17 §2)', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  it('shows the consent page in Welsh for ?lang=cy, with <html lang="cy">, the toggle to English and a cookie for the link’s pages', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false } });
    const page = await fake.inject({ method: 'GET', url: '/v/call?lang=cy' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="cy"/);
    assert.match(page.body, /Galwad fideo gyda swyddog o Heddlu Testshire/);
    assert.match(page.body, /<legend[^>]*>Rwy’n cytuno i gael galwad fideo gyda swyddog o Heddlu Testshire\./);
    assert.match(page.body, /Gadael y dudalen hon/);
    assert.match(page.body, /<input type="hidden" name="lang" value="cy">/);
    assert.doesNotMatch(page.body, /I agree to the video call/);
    // The GOV.UK language navigation: Cymraeg current, English a link to the same page.
    assert.match(page.body, /<nav class="govuk-language-navigation[^"]*"[^>]*aria-label="Iaith"/);
    assert.match(page.body, /aria-current="true" lang="cy">Cymraeg/);
    assert.match(page.body, /<a class="govuk-language-navigation__link" href="\?lang=en" rel="alternate" lang="en" hreflang="en">English/);
    const cookie = cookieOf(page, 'rvr_lang');
    assert.equal(cookie?.value, 'cy');
    assert.equal(cookie?.path, '/v/');
  });

  it('keeps Welsh on the link’s next pages through the cookie, and the toggle switches back to English', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false } });
    const welsh = await fake.inject({ method: 'GET', url: '/v/call', headers: { cookie: 'rvr_lang=cy' } });
    assert.match(welsh.body, /<html lang="cy"/);
    assert.match(welsh.body, /Mae’r alwad yn cael ei recordio/);
    const english = await fake.inject({ method: 'GET', url: '/v/call?lang=en', headers: { cookie: 'rvr_lang=cy' } });
    assert.match(english.body, /<html lang="en"/);
    assert.match(english.body, /The call is recorded/);
    assert.equal(cookieOf(english, 'rvr_lang')?.value, 'en');
    assert.match(english.body, /href="\?lang=cy" rel="alternate" lang="cy" hreflang="cy">Cymraeg/);
  });

  it('gives the consent the language its page was shown in, and shows the refusal of an unticked box in Welsh', async () => {
    const giveConsent = mock.fn(async (_context: unknown, _session: unknown, _input: unknown) => undefined);
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false }, services: { calls: { consent: { giveConsent } } } });
    const { answer, again } = await submitConsentForm(fake, { video: 'yes', recording: 'yes', lang: 'cy' }, '/v/call?lang=cy');
    assert.equal(answer.statusCode, 303);
    assert.deepEqual(giveConsent.mock.calls[0]!.arguments[2], { video: true, recording: true, language: 'cy' });
    const refused = await again({ lang: 'xx' });
    assert.equal(refused.statusCode, 400, 'an unknown language is refused at the edge');
  });

  it('opens a Welsh link in Welsh (the link’s language becomes the pages’ default), unless the person chose a language', async () => {
    const redeemLink = mock.fn(async () => ({
      sessionSecret: 'B'.repeat(43),
      participant: { id: 'p' } as Awaited<ReturnType<Services['calls']['links']['redeemLink']>>['participant'],
      language: 'cy' as const,
    }));
    fake = await appWithAllRoutes({ env, services: { calls: { links: { redeemLink } } } });
    const opened = await fake.inject({ method: 'GET', url: `/v/${TOKEN}` });
    assert.equal(opened.statusCode, 303);
    assert.equal(cookieOf(opened, 'rvr_lang')?.value, 'cy');
    const chosen = await fake.inject({ method: 'GET', url: `/v/${TOKEN}`, headers: { cookie: 'rvr_lang=en' } });
    assert.equal(cookieOf(chosen, 'rvr_lang'), undefined, 'the person’s own choice stands');
  });

  it('says why a used link does not work in Welsh', async () => {
    const redeemLink = mock.fn(async () => {
      throw new LinkRefusedError('used');
    });
    fake = await appWithAllRoutes({ env, services: { calls: { links: { redeemLink } } } });
    const page = await fake.inject({ method: 'GET', url: `/v/${TOKEN}`, headers: { cookie: 'rvr_lang=cy' } });
    assert.equal(page.statusCode, 410);
    assert.match(page.body, /<html lang="cy"/);
    assert.match(page.body, /Mae’r ddolen hon eisoes wedi cael ei defnyddio/);
  });

  it('shows the ended page in Welsh, and its toggle keeps the page’s own query', async () => {
    fake = await appWithAllRoutes({ env });
    const page = await fake.inject({ method: 'GET', url: '/v/ended?left=1&lang=cy' });
    assert.match(page.body, /Rydych wedi gadael yr alwad/);
    assert.match(page.body, /href="\?left=1&amp;lang=en"/);
  });

  it('shows the survey in Welsh from its Welsh link (?lang=cy), with the cookie scoped to the survey', async () => {
    const open = mock.fn(async () => ({ surveyId: 's' }));
    fake = await appWithAllRoutes({ env, services: { surveys: { open } } });
    const page = await fake.inject({ method: 'GET', url: `/s/${TOKEN}?lang=cy` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="cy"/);
    assert.match(page.body, /Pa mor fodlon ydych chi/);
    assert.match(page.body, /5 – Bodlon iawn/);
    assert.equal(cookieOf(page, 'rvr_lang')?.path, '/s/');
    assert.doesNotMatch(page.body, new RegExp(TOKEN), 'the toggle never writes the link’s token into the page');
  });

  it('points the toggle of a consent page shown again after its POST at the consent page itself', async () => {
    const giveConsent = mock.fn(async () => {
      throw new ValidationError('To have the video call, tick both boxes.', { consent: 'Tick both boxes to continue' });
    });
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false }, services: { calls: { consent: { giveConsent } } } });
    const { answer } = await submitConsentForm(fake, { lang: 'cy' }, '/v/call?lang=cy');
    assert.equal(answer.statusCode, 400);
    assert.match(answer.body, /<html lang="cy"/);
    assert.match(answer.body, /href="\/v\/call\?lang=en"/);
  });

  it('gives the browser advice in Welsh on a Welsh consent page opened in an app’s browser', async () => {
    fake = await appWithAllRoutes({ env, principal: { kind: 'link', consented: false } });
    const userAgent =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.46.117]';
    const page = await fake.inject({ method: 'GET', url: '/v/call?lang=cy', headers: { 'user-agent': userAgent } });
    assert.match(page.body, /Efallai na fydd y camera’n gweithio yn yr ap hwn\. Mae’r dudalen hon wedi agor yn y porwr sydd wedi’i gynnwys yn Facebook/);
  });

  it('leaves staff pages in English whatever the cookie says', async () => {
    fake = await appWithAllRoutes({ env });
    const page = await fake.inject({ method: 'GET', url: '/sign-in?lang=cy', headers: { cookie: 'rvr_lang=cy' } });
    assert.match(page.body, /<html lang="en"/);
    assert.equal(cookieOf(page, 'rvr_lang'), undefined);
  });
});
