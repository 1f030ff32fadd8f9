import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal, type FakeServices } from '../../../test/support/app-with-all-routes.js';
import { AppError, ConflictError, ValidationError } from '../../platform/errors.js';
import { AppointmentJoinRefusedError, type AppointmentPage } from '../appointments/appointment.service.js';

// Issue 17 §2: the GOV.UK language toggle of every victim page must link to a page that exists. A page shown in reply to
// a POST (a form shown again with its error, the appointment's "another time" answer, an error page) used to link to
// the POST's own address ("?lang=cy" relative to it), which has no GET route: 404. Here every victim POST route is
// answered with a page, its toggle's links are resolved as a browser would, and each must land on a GET route.
const TOKEN = 'A'.repeat(43);
const LINK: FakePrincipal = { kind: 'link', consented: true };
const LINK_BEFORE_CONSENT: FakePrincipal = { kind: 'link', consented: false };

const appointmentPage = (language: 'en' | 'cy'): AppointmentPage => ({
  position: 'early',
  status: 'booked',
  slotText: 'Saturday 5 December at 2:30pm',
  opensAtText: '2:20pm',
  offered: [{ value: '2026-12-06T14:30:00.000Z', text: 'Sunday 6 December at 2:30pm' }],
  bestTimes: [{ value: 'morning', text: 'Morning (9am to 12pm)' }],
  canAskForAnotherTime: true,
  changeRequested: false,
  language,
});

interface Case {
  /** The route as registered (method and pattern), so the list can be checked against the app's routes. */
  route: string;
  why: string;
  url: string;
  as?: FakePrincipal;
  body?: Record<string, string>;
  services?: FakeServices;
  /** The answer's status: the page is the one meant (not, say, a CSRF refusal). */
  status: number;
  /** Sent as a raw file (the upload), with the CSRF token in its header, as the call page's script does. */
  file?: boolean;
}

const refuse = (error: Error) => async () => {
  throw error;
};

/** One or more pages in reply to each victim POST route (an empty form makes the schema's 400 page where it has one). */
const CASES: Case[] = [
  {
    route: 'POST /v/:token',
    why: 'the link refused',
    url: `/v/${TOKEN}`,
    services: { calls: { links: { redeemLink: refuse(new AppError(404, 'No such link')) } } },
    status: 404,
  },
  {
    route: 'POST /v/call/consent',
    why: 'consent error state (a box not ticked)',
    url: '/v/call/consent',
    as: LINK_BEFORE_CONSENT,
    body: { video: 'yes' },
    services: { calls: { consent: { giveConsent: refuse(new ValidationError('Tick both boxes', { consent: 'Tick both boxes' })) } } },
    status: 400,
  },
  {
    route: 'POST /v/quick-exit',
    why: 'an error page',
    url: '/v/quick-exit',
    as: LINK,
    services: { callSockets: { relayAlert: refuse(new ConflictError('x')) } },
    status: 409,
  },
  {
    route: 'POST /v/call/uploads',
    why: 'an upload refused',
    url: '/v/call/uploads',
    as: LINK,
    file: true,
    services: { calls: { uploads: { assertDeclaredSize: () => undefined, saveUpload: refuse(new AppError(413, 'Too large')) } } },
    status: 413,
  },
  { route: 'POST /v/call/statement/corrections', why: 'statement: the form incomplete', url: '/v/call/statement/corrections', as: LINK, status: 400 },
  {
    route: 'POST /v/call/statement/confirm',
    why: 'statement: confirming a revision that changed',
    url: '/v/call/statement/confirm',
    as: LINK,
    body: { revision: '1', sha256: 'a'.repeat(64), signatureName: 'Sam' },
    services: { victimStatements: { confirm: refuse(new ConflictError('The statement changed')) } },
    status: 409,
  },
  {
    route: 'POST /v/call/not-safe',
    why: 'an error page',
    url: '/v/call/not-safe',
    as: LINK,
    services: { safetyAlerts: { raise: refuse(new ConflictError('x')) } },
    status: 409,
  },
  { route: 'POST /v/call/location', why: 'location: the position incomplete', url: '/v/call/location', as: LINK, status: 400 },
  { route: 'POST /v/call/location/decision', why: 'location: no decision', url: '/v/call/location/decision', as: LINK, status: 400 },
  {
    route: 'POST /s/:token',
    why: 'survey: no rating (the form again)',
    url: `/s/${TOKEN}`,
    services: { surveys: { answer: refuse(new ValidationError('Choose a rating', { rating: 'Choose a rating' })) } },
    status: 400,
  },
  {
    route: 'POST /a/:token/another-time',
    why: 'appointment change: asked (the page again, with its notice)',
    url: `/a/${TOKEN}/another-time`,
    body: { choice: 'morning' },
    services: { appointments: { requestChange: async () => appointmentPage('cy') } },
    status: 200,
  },
  {
    route: 'POST /a/:token/another-time',
    why: 'appointment change: refused (already asked)',
    url: `/a/${TOKEN}/another-time`,
    body: { choice: 'morning' },
    services: { appointments: { requestChange: refuse(new AppError(429, 'Already asked')), page: async () => appointmentPage('en') } },
    status: 429,
  },
  {
    route: 'POST /a/:token/join',
    why: 'appointment: an error page (the victim error page, not the staff one)',
    url: `/a/${TOKEN}/join`,
    services: { appointments: { join: refuse(new AppError(503, 'Busy')) } },
    status: 503,
  },
  {
    route: 'POST /s/:token',
    why: 'survey: an error page (the victim error page, not the staff one)',
    url: `/s/${TOKEN}`,
    services: { surveys: { answer: refuse(new TypeError('broken')) } },
    status: 500,
  },
  {
    route: 'POST /a/:token/join',
    why: 'appointment: too early to join',
    url: `/a/${TOKEN}/join`,
    services: { appointments: { join: refuse(new AppointmentJoinRefusedError('Not yet', appointmentPage('en'), 'early')) } },
    status: 409,
  },
];

/** The toggle's links as written in the page (the GOV.UK language navigation). */
function toggleHrefs(body: string): string[] {
  const nav = /<nav class="govuk-language-navigation[\s\S]*?<\/nav>/.exec(body)?.[0] ?? '';
  return [...nav.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

/** Whether a GET route of the app takes this path (the router ignores a trailing slash). */
function hasGetRoute(fake: AppWithAllRoutes, path: string): boolean {
  const wanted = path.length > 1 ? path.replace(/\/$/, '') : path;
  return fake.app.routeCatalogue.some((route) => route.method === 'GET' && new RegExp(`^${route.url.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(wanted));
}

describe('the language toggle of a victim page shown after a POST links to a GET page (issue 17 §2)', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  /** Posts the case's form with a CSRF token and cookie from a victim page, as the person's browser would. */
  async function post(c: Case, cookie = ''): Promise<LightMyRequestResponse> {
    // The consent page has a form; the CSRF secret is the cookie's, whoever holds the page.
    const page = await fake!.inject({ method: 'GET', url: '/v/call' }, LINK_BEFORE_CONSENT);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const csrfCookie = page.cookies.map((k) => `${k.name}=${k.value}`).join('; ');
    const cookies = [cookie, csrfCookie].filter(Boolean).join('; ');
    const options: InjectOptions = c.file
      ? {
          method: 'POST',
          url: c.url,
          headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': token, accept: 'text/html', cookie: cookies },
          payload: Buffer.from('a photo'),
        }
      : {
          method: 'POST',
          url: c.url,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: cookies },
          payload: new URLSearchParams({ _csrf: token, ...c.body }).toString(),
        };
    return fake!.inject(options, c.as);
  }

  it('covers every victim POST route (a new one must be added here)', async () => {
    fake = await appWithAllRoutes();
    const victimPosts = fake.app.routeCatalogue
      .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && /^\/(v|s|a)\//.test(r.url))
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual([...new Set(victimPosts)].sort(), [...new Set(CASES.map((c) => c.route))].sort());
  });

  for (const c of CASES) {
    it(`${c.route}, ${c.why}: every toggle link is a GET page, and the link's token is never written by it`, async () => {
      fake = await appWithAllRoutes({ services: c.services ?? {} });
      for (const language of ['en', 'cy'] as const) {
        const answer = await post(c, `rvr_lang=${language}`);
        assert.equal(answer.statusCode, c.status, answer.body.match(/data-testid="error-message">[^<]*/)?.[0] ?? answer.body.slice(0, 300));
        assert.match(String(answer.headers['content-type']), /text\/html/, `${answer.statusCode} ${answer.body.slice(0, 200)}`);
        const hrefs = toggleHrefs(answer.body);
        assert.equal(hrefs.length, 1, `one link to the other language (${answer.statusCode}): ${answer.body.slice(0, 300)}`);
        for (const href of hrefs) {
          assert.doesNotMatch(href, new RegExp(TOKEN), 'the toggle never writes the token');
          const target = new URL(href, `http://localhost${c.url}`);
          assert.ok(hasGetRoute(fake, target.pathname), `${href} from ${c.url} goes to ${target.pathname}, which has no GET route`);
          const shownIn = /<html lang="(en|cy)"/.exec(answer.body)?.[1];
          assert.equal(target.searchParams.get('lang'), shownIn === 'en' ? 'cy' : 'en', 'the link is to the other language');
        }
      }
    });
  }

  it('the appointment page after "another time" toggles to the appointment page itself, relative to its address', async () => {
    fake = await appWithAllRoutes({
      services: { appointments: { requestChange: async () => appointmentPage('cy'), page: async () => appointmentPage('en') } },
    });
    const answer = await post(CASES.find((c) => c.route === 'POST /a/:token/another-time')!);
    assert.equal(answer.statusCode, 200);
    const [href] = toggleHrefs(answer.body);
    assert.equal(href, './?lang=en');
    assert.equal(new URL(href, `http://localhost/a/${TOKEN}/another-time`).pathname, `/a/${TOKEN}/`);
    // The router takes the trailing slash as the page's own address.
    const page = await fake.inject({ method: 'GET', url: `/a/${TOKEN}/?lang=en` });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html lang="en"/);
  });
});
