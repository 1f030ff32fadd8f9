import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { consentWording } from '../../src/features/video/call-consent.service.js';
import { DEFAULT_INVITE_TEXT, DEFAULT_INVITE_TEXT_CY } from '../../src/config.js';
import { ValidationError } from '../../src/platform/errors.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

// Issue 17 §2 (Welsh Language Standards) on a real database: the caller's language chosen at triage is stored on the
// consultation, decides the text's language and the victim page's default; the consent records its language and the
// exact words shown in it; the toggle switches the page.

await describeOnDatabase('Welsh for a caller who chose it at triage (issue 17 §2)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind);
    handler = await createUser(t.services, 'cy-handler', ['call_handler']);
    officer = await createUser(t.services, 'cy-officer', ['rvr_officer']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  /** Triage in the given language, accept, open the call and text the victim their link; returns the text and the token. */
  const textedLink = async (language?: string) => {
    const { consultation } = await newCall(t.services, handler, language === undefined ? {} : { language });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    t.services.smsOutbox!.clear();
    const { invite } = await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const body = t.services.smsOutbox!.list()[0]!.body;
    return { consultation, call, invite, body, token: /\/v\/([A-Za-z0-9_-]{43})/.exec(body)![1]! };
  };
  const browser = () => new Browser(t.app);

  it('stores Welsh on the consultation, texts the link in Welsh, opens the pages in Welsh and records the consent in Welsh', async () => {
    const { consultation, call, invite, body, token } = await textedLink('cy');
    const [stored] = await queryRows<{ language: string }>(t.db.database, sql`select language from consultations where id = ${consultation.id}`);
    assert.equal(stored!.language, 'cy');
    assert.equal(invite.language, 'cy');
    assert.equal(body, DEFAULT_INVITE_TEXT_CY.replace('{link}', `${t.config.publicBaseUrl}/v/${token}`));
    assert.match(body, /^Dyma’r ddolen ar gyfer eich galwad fideo: /);

    const victim = browser();
    assert.equal((await victim.get(`/v/${token}`)).statusCode, 303);
    const consentPage = await victim.get('/v/call');
    assert.equal(consentPage.statusCode, 200);
    assert.match(consentPage.body, /<html lang="cy"/);
    assert.match(consentPage.body, /data-testid="recording-notice">Mae’r fideo, y sain ac unrhyw negeseuon yn cael eu recordio/);
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes', lang: 'cy' })).statusCode, 303);

    const [consent] = await queryRows<{ language: string; wording: string }>(
      t.db.database,
      sql`select language, wording from call_consents where call_id = ${call.id}`,
    );
    assert.equal(consent!.language, 'cy');
    assert.equal(consent!.wording, consentWording(t.config.call, 'cy'));
    assert.match(consent!.wording, /^Rwy’n cytuno i gael galwad fideo/);

    // The toggle: English from here on, for this link's pages.
    const english = await victim.get('/v/call?lang=en');
    assert.match(english.body, /<html lang="en"/);
    assert.match(english.body, /Video call with an officer/);
    assert.match((await victim.get('/v/call')).body, /<html lang="en"/);
  });

  it('keeps English as the default: the text, the pages and the consent', async () => {
    const { call, body, token, consultation } = await textedLink();
    const [stored] = await queryRows<{ language: string }>(t.db.database, sql`select language from consultations where id = ${consultation.id}`);
    assert.equal(stored!.language, 'en');
    assert.match(body, new RegExp(`^${DEFAULT_INVITE_TEXT.replace('{link}', '')}`));
    const victim = browser();
    await victim.get(`/v/${token}`);
    const page = await victim.get('/v/call');
    assert.match(page.body, /<html lang="en"/);
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes', lang: 'en' })).statusCode, 303);
    const [consent] = await queryRows<{ language: string }>(t.db.database, sql`select language from call_consents where call_id = ${call.id}`);
    assert.equal(consent!.language, 'en');
  });

  it('refuses a language other than English or Welsh at triage, with a message the call handler can act on', async () => {
    await assert.rejects(newCall(t.services, handler, { language: 'fr' }), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.match(error.fieldErrors?.language ?? '', /Choose English or Cymraeg/);
      return true;
    });
  });
});
