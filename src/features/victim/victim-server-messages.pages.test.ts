import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { appWithAllRoutes, type AppWithAllRoutes, type FakePrincipal, type FakeServices } from '../../../test/support/app-with-all-routes.js';
import { checkCorrection, checkSignature, checkVictimResponse } from '../../domain/victim-statement.js';
import { AppError, ConflictError } from '../../platform/errors.js';
import { catalogKeys, readCatalog, translator } from '../../platform/i18n/i18n.js';
import { TooManyPositionsError } from '../victim-location/victim-location.service.js';
import { CallUploadsService } from '../video/call-uploads.service.js';
import { ConsentRequiredError } from '../video/call.service.js';

// Issue 17 §2 (Welsh Language Standards): what the server itself says to a victim's page (a script's JSON answer, an
// error page, the call's socket) is in the victim's language: the catalogs' `server.*` words (or, for a refusal with
// no words of its own, `error.*` by its kind). Staff answers stay English. Over fake services: the HTTP answers of
// each route family; the services' own refusals are checked to carry their catalog key.
const TOKEN = 'A'.repeat(43);
const LINK: FakePrincipal = { kind: 'link', consented: true };
const cy = translator('cy');
const en = translator('en');

describe('server messages to a victim in Welsh (issue 17 §2), over fake services', () => {
  let fake: AppWithAllRoutes | undefined;
  afterEach(() => fake?.close());

  /** A page script's request (JSON) with a CSRF token, as the victim whose page is in `language`. */
  async function script(
    options: { method: 'POST' | 'GET'; url: string; body?: unknown; raw?: Buffer },
    language: 'en' | 'cy',
    as: FakePrincipal | null = LINK,
  ) {
    const page = await fake!.inject({ method: 'GET', url: '/v/call' }, { kind: 'link', consented: false });
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const cookie = [`rvr_lang=${language}`, ...page.cookies.map((c) => `${c.name}=${c.value}`)].join('; ');
    const request: InjectOptions = {
      method: options.method,
      url: options.url,
      headers: {
        accept: 'application/json',
        'x-csrf-token': token,
        cookie,
        ...(options.raw ? { 'content-type': 'application/octet-stream' } : options.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.raw ? { payload: options.raw } : options.body ? { payload: JSON.stringify(options.body) } : {}),
    };
    const answer = await fake!.inject(request, as ?? undefined);
    return { status: answer.statusCode, json: JSON.parse(answer.body) as { message?: string; error?: string; fields?: unknown } };
  }

  const withServices = async (services: FakeServices) => {
    fake = await appWithAllRoutes({ services });
  };

  it('photo upload: "sent" and a refusal with its own words, in Welsh for a Welsh page and as before in English', async () => {
    const next: { refusal?: Error } = {};
    await withServices({
      calls: {
        uploads: {
          assertDeclaredSize: () => undefined,
          saveUpload: async () => {
            if (next.refusal) throw next.refusal;
            return { id: 'u1', mediaType: 'image/jpeg', sha256: 'a'.repeat(64) };
          },
        },
      },
      callSockets: { relayAlert: async () => undefined },
    });
    const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    assert.deepEqual((await script({ method: 'POST', url: '/v/call/uploads', raw: photo }, 'cy')).json.message, cy('server.upload.sent'));
    assert.equal((await script({ method: 'POST', url: '/v/call/uploads', raw: photo }, 'en')).json.message, 'Sent. The officer has been told.');
    next.refusal = new AppError(413, 'That file is too big').forVictim('server.upload.tooBig', { megabytes: 5 });
    const tooBig = await script({ method: 'POST', url: '/v/call/uploads', raw: photo }, 'cy');
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json.error, 'Mae’r ffeil honno’n rhy fawr i’w hanfon yma: y terfyn yw 5 MB. Anfonwch fideo byrrach, neu dywedwch wrth y swyddog.');
  });

  it('statement: the confirmation, and the refusals the victim reads (changed since read, already confirmed), in Welsh', async () => {
    const next: { refusal?: Error } = {};
    await withServices({
      calls: { links: { linkContext: () => ({ actor: { type: 'system', name: 'link' }, correlationId: 'c' }) } },
      victimStatements: {
        confirm: async () => {
          if (next.refusal) throw next.refusal;
          return {} as never;
        },
      },
    });
    const body = { revision: 1, sha256: 'a'.repeat(64), signatureName: 'Sam Jones' };
    const confirmed = await script({ method: 'POST', url: '/v/call/statement/confirm', body }, 'cy');
    assert.equal(confirmed.json.message, cy('server.statement.confirmed'));
    assert.equal((await script({ method: 'POST', url: '/v/call/statement/confirm', body }, 'en')).json.message, 'Thank you. Your statement is confirmed.');
    next.refusal = new ConflictError('The officer changed the statement; read it again.').forVictim('server.statement.changedSinceRead');
    const changed = await script({ method: 'POST', url: '/v/call/statement/confirm', body }, 'cy');
    assert.equal(changed.status, 409);
    assert.equal(changed.json.error, 'Mae’r swyddog wedi newid y datganiad; darllenwch ef eto.');
    assert.equal(
      (await script({ method: 'POST', url: '/v/call/statement/confirm', body }, 'en')).json.error,
      'The officer changed the statement; read it again.',
    );
  });

  it('location: "sent", and "sent a moment ago" (429), in Welsh', async () => {
    const next: { refusal?: Error } = {};
    await withServices({
      victimLocation: {
        receivePosition: async () => {
          if (next.refusal) throw next.refusal;
          return { receivedAt: new Date() } as never;
        },
      },
    });
    const body = { latitude: 51.48, longitude: -3.18, accuracy: 20 };
    assert.equal((await script({ method: 'POST', url: '/v/call/location', body }, 'cy')).json.message, 'Lleoliad wedi’i anfon.');
    next.refusal = new TooManyPositionsError();
    const tooSoon = await script({ method: 'POST', url: '/v/call/location', body }, 'cy');
    assert.equal(tooSoon.status, 429);
    assert.equal(tooSoon.json.error, cy('server.location.tooSoon'));
    assert.equal(
      (await script({ method: 'POST', url: '/v/call/location', body }, 'en')).json.error,
      'Your location was sent a moment ago. It is sent again when you move.',
    );
  });

  it('"I\'m not safe": the calm "Sent." in Welsh', async () => {
    await withServices({ safetyAlerts: { raise: async () => ({}) as never } });
    assert.equal((await script({ method: 'POST', url: '/v/call/not-safe', body: {} }, 'cy')).json.message, 'Wedi’i anfon.');
    assert.equal((await script({ method: 'POST', url: '/v/call/not-safe', body: {} }, 'en')).json.message, 'Sent.');
  });

  it('the request guard: consent first (403) and the call has ended (401), in Welsh', async () => {
    await withServices({});
    const beforeConsent = await script({ method: 'GET', url: '/v/call/statement' }, 'cy', { kind: 'link', consented: false });
    assert.equal(beforeConsent.status, 403);
    assert.equal(beforeConsent.json.error, cy('server.consentRequired'));
    const ended = await script({ method: 'GET', url: '/v/call/statement' }, 'cy', null);
    assert.equal(ended.status, 401);
    assert.equal(ended.json.error, cy('server.callEnded'));
    assert.equal((await script({ method: 'GET', url: '/v/call/statement' }, 'en', null)).json.error, en('server.callEnded'));
  });

  it('a refusal with no words of its own is said by its kind in Welsh, and a form that expired says so; field messages (English) are left out', async () => {
    await withServices({ safetyAlerts: { raise: async () => Promise.reject(new AppError(400, 'Something English', { x: 'English field' })) } });
    const refused = await script({ method: 'POST', url: '/v/call/not-safe', body: {} }, 'cy');
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json.error, cy('error.badRequest'));
    assert.equal(refused.json.fields, undefined);
    const english = await script({ method: 'POST', url: '/v/call/not-safe', body: {} }, 'en');
    assert.equal(english.json.error, 'Something English');
    assert.deepEqual(english.json.fields, { x: 'English field' });
    const expired = await fake!.inject(
      {
        method: 'POST',
        url: '/v/call/not-safe',
        headers: { accept: 'application/json', cookie: 'rvr_lang=cy', 'content-type': 'application/json' },
        payload: '{}',
      },
      LINK,
    );
    assert.equal(expired.statusCode, 403);
    assert.equal((JSON.parse(expired.body) as { error: string }).error, cy('error.formExpired'));
  });

  it("the appointment page and the survey: an error page on their links is the victim's, in Welsh", async () => {
    await withServices({
      appointments: { join: async () => Promise.reject(new AppError(503, 'Busy')) },
      surveys: { answer: async () => Promise.reject(new Error('x')) },
    });
    for (const [url, fields] of [
      [`/a/${TOKEN}/join`, {}],
      [`/s/${TOKEN}`, { rating: '5' }],
    ] as const) {
      const form = await fake!.inject({ method: 'GET', url: '/v/call' }, { kind: 'link', consented: false });
      const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
      const page = await fake!.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: [`rvr_lang=cy`, ...form.cookies.map((c) => `${c.name}=${c.value}`)].join('; '),
        },
        payload: new URLSearchParams({ _csrf: token, ...fields }).toString(),
      });
      assert.ok(page.statusCode >= 500, `${url}: ${page.statusCode}`);
      assert.match(page.body, /<html lang="cy"/, url);
      assert.match(page.body, new RegExp(cy('error.server')), url);
      assert.match(page.body, /data-testid="exit-this-page"/, `${url}: the victim's error page, with "Exit this page"`);
      assert.doesNotMatch(page.body, /Rapid Video Response/, `${url}: not the staff error page`);
    }
  });

  it('staff answers stay English whatever the cookie says', async () => {
    fake = await appWithAllRoutes({ services: {} });
    const answer = await fake.inject({
      method: 'GET',
      url: '/consultations/00000000-0000-4000-8000-000000000000',
      headers: { accept: 'application/json', cookie: 'rvr_lang=cy' },
    });
    assert.equal(answer.statusCode, 401);
    assert.match((JSON.parse(answer.body) as { error: string }).error, /^Sign in/);
  });
});

describe('the services mark what a victim reads with its catalog key (issue 17 §2)', () => {
  it('uploads, location, consent and the statement checks carry a server.* key that exists in both languages, with its values', () => {
    const keys = new Set([...catalogKeys(readCatalog('en'))].filter((k) => k.startsWith('server.')));
    const welsh = new Set([...catalogKeys(readCatalog('cy'))].filter((k) => k.startsWith('server.')));
    const tooBig = (() => {
      try {
        new CallUploadsService({ config: { uploadMaxBytes: 5_000_000 } } as never).assertDeclaredSize(9_000_000);
      } catch (error) {
        return error as AppError;
      }
      throw new Error('not refused');
    })();
    const marked: AppError[] = [tooBig, new TooManyPositionsError(), new ConsentRequiredError()];
    for (const error of marked) {
      assert.ok(error.victimMessage, `${error.message} has a key`);
      assert.ok(keys.has(error.victimMessage.key) && welsh.has(error.victimMessage.key), error.victimMessage.key);
    }
    assert.equal(cy(tooBig.victimMessage!.key, tooBig.victimMessage!.values), cy('server.upload.tooBig', { megabytes: 5 }));
    assert.equal(en(tooBig.victimMessage!.key, tooBig.victimMessage!.values), tooBig.message, 'the English words are the ones the service wrote');
    const checks = [
      checkVictimResponse(undefined, { revision: 1 }, 'confirm'),
      checkVictimResponse({ state: 'confirmed', revision: 1, text: 'x' }, { revision: 1 }, 'confirm'),
      checkVictimResponse({ state: 'correction_requested', revision: 1, text: 'x' }, { revision: 1 }, 'confirm'),
      checkSignature(''),
      checkSignature('x'.repeat(300)),
      checkCorrection(''),
      checkCorrection('x'.repeat(3000)),
    ];
    for (const check of checks) {
      assert.ok(!check.ok && check.victimKey, JSON.stringify(check));
      if (check.ok) continue;
      const key = `server.statement.${check.victimKey}`;
      assert.ok(keys.has(key) && welsh.has(key), key);
      assert.equal(en(key, check.values), check.message, `${key}: the English words are the check's`);
    }
  });
});
