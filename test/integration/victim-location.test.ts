import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { LOCATION_CONSENT_WORDING, MIN_POSITION_INTERVAL_MS } from '../../src/domain/victim-location.js';
import { locationConsentWording } from '../../src/features/victim-location/victim-location.service.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, cliContext, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

// Issue 17 §1 (policy 2.3; RVR-07 "the link can request location"; RVR-04 consent; DP-01 logging; DP-05): the victim's
// location, with their consent. The server enforces everything (the page is not trusted): only the victim of that
// call, only after the call consents and their own "share", validated ranges, rate-limited; staff views are logged.

await describeOnDatabase('the victim’s location, with consent (issue 17 §1, RVR-07, RVR-04, DP-01)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let officerBrowser: Browser;
  let otherOfficer: Browser;
  let supervisor: Browser;
  let cadKey: string;
  /** The server's clock runs ahead by this much where a test needs time to pass (the rate limit). */
  let aheadMs = 0;
  let address = 0;
  before(async () => {
    t = await buildTestApp(kind, {
      now: () => new Date(Date.now() + aheadMs),
      env: { LOCATION_LINK_TEMPLATE: 'https://maps.force.example/view?lat={lat}&lon={lon}&r={accuracy}' },
    });
    handler = await createUser(t.services, 'vl-handler', ['call_handler']);
    officer = await createUser(t.services, 'vl-officer', ['rvr_officer']);
    await createUser(t.services, 'vl-officer2', ['rvr_officer']);
    await createUser(t.services, 'vl-supervisor', ['supervisor']);
    await allowRoundTheClock(t.services);
    const signedIn = async (username: string) => {
      const browser = new Browser(t.app);
      await browser.signIn(username);
      return browser;
    };
    officerBrowser = await signedIn('vl-officer');
    otherOfficer = await signedIn('vl-officer2');
    supervisor = await signedIn('vl-supervisor');
    cadKey = (await t.services.apiKeys.create(cliContext, 'VL CAD', ['consultations:read'])).key;
  });
  after(() => t.close());

  const sendLink = async (callId: string, role: 'victim' | 'interpreter') => {
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), callId, role === 'victim' ? { role } : { role, phone: '07700 900321', label: 'Polish' });
    return /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
  };
  const openLink = async (token: string) => {
    const browser = new Browser(t.app);
    // Each link from its own address, so the per-address limit on opening links never mixes tests up.
    address += 1;
    const opened = await t.app.inject({ method: 'GET', url: `/v/${token}`, remoteAddress: `10.9.0.${address}` });
    assert.equal(opened.statusCode, 303, opened.body);
    const cookie = opened.cookies.find((c) => c.name === 'rvr_call')!;
    (browser as unknown as { cookies: Map<string, string> }).cookies.set(cookie.name, cookie.value);
    await browser.get('/v/call');
    return browser;
  };
  const consent = async (browser: Browser) => {
    assert.equal((await browser.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
    await browser.get('/v/call');
  };
  /** A live call with the victim at the call page (both consents given), and the officer's call page loaded. */
  const liveCall = async (options: { consented?: boolean } = {}) => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    assert.equal((await officerBrowser.get(`/consultations/${consultation.id}/call`)).statusCode, 200);
    const call = (await t.services.calls.lifecycle.findOpenCall(consultation.id))!;
    const victim = await openLink(await sendLink(call.id, 'victim'));
    if (options.consented !== false) await consent(victim);
    return { consultation, call, victim };
  };
  const decide = (browser: Browser, decision: string) => browser.postJson('/v/call/location/decision', { decision });
  const position = (browser: Browser, body: Record<string, unknown>) => browser.postJson('/v/call/location', body);
  const here = { latitude: 51.27803, longitude: 1.07887, accuracy: 14.2, measuredAt: Date.now() };
  const rows = async (consultationId: string) => t.services.data.repos.victimLocations.listByConsultation(consultationId);
  const audits = (what: string, subject: string) =>
    queryRows<{ details: Record<string, unknown>; justification: string | null }>(
      t.db.database,
      sql`select details, justification from audit_events where what = ${what} and subject = ${subject} order by seq`,
    );
  const panel = (browser: Browser, consultationId: string) => browser.get(`/consultations/${consultationId}/location/panel`);

  it('RVR-04: before the call consents nothing about location is shown or taken', async () => {
    const { consultation, victim } = await liveCall({ consented: false });
    for (const response of [
      await victim.get('/v/call/location', { accept: 'application/json' }),
      await decide(victim, 'shared'),
      await position(victim, here),
    ]) {
      assert.equal(response.statusCode, 403, response.body);
      assert.equal(response.json<{ consentRequired: boolean }>().consentRequired, true);
    }
    assert.deepEqual(await rows(consultation.id), []);
    assert.deepEqual(await t.services.data.repos.victimLocations.listDecisionsByConsultation(consultation.id), []);
  });

  it('RVR-07: after the call consents the page asks one question, and no position is taken before the victim says yes', async () => {
    const { consultation, victim } = await liveCall();
    const page = await victim.get('/v/call');
    assert.match(page.body, /data-victim-location="\/v\/call\/location"/, 'the call page has the location section');
    const fragment = await victim.get('/v/call/location');
    assert.match(fragment.body, /data-testid="location-question"/);
    assert.match(fragment.body, /Share your location with the officer\?/);
    assert.match(fragment.body, /data-testid="location-not-now"/);
    const early = await position(victim, here);
    assert.equal(early.statusCode, 403);
    assert.match(early.json<{ error: string }>().error, /only after you choose to share it/);
    assert.deepEqual(await rows(consultation.id), []);
  });

  it('issue 17 §2: in Welsh the question and its buttons are Welsh, and the decision keeps the Welsh words shown and the language (RVR-04)', async () => {
    const { consultation, victim } = await liveCall();
    assert.match((await victim.get('/v/call?lang=cy')).body, /<html lang="cy"/);
    const fragment = await victim.get('/v/call/location');
    assert.match(fragment.body, /Rhannu eich lleoliad gyda’r swyddog\?/);
    assert.match(fragment.body, /data-testid="location-share">Rhannu fy lleoliad</);
    assert.match(fragment.body, /data-testid="location-not-now">Dim nawr</);
    assert.doesNotMatch(fragment.body, /Share my location|Not now/);
    assert.equal((await decide(victim, 'shared')).statusCode, 201);
    assert.match((await victim.get('/v/call/location')).body, /data-testid="location-sharing">Mae eich lleoliad yn cael ei rannu/);
    const [decision] = await queryRows<{ language: string; wording: string }>(
      t.db.database,
      sql`select language, wording from location_consents where consultation_id = ${consultation.id}`,
    );
    assert.equal(decision!.language, 'cy');
    assert.equal(decision!.wording, locationConsentWording('cy'));
    assert.match(decision!.wording, /^Rhannu eich lleoliad/);
    // English by default: the English words (LOCATION_CONSENT_WORDING) and 'en'.
    const other = await liveCall();
    assert.equal((await decide(other.victim, 'declined')).statusCode, 201);
    const [english] = await queryRows<{ language: string; wording: string }>(
      t.db.database,
      sql`select language, wording from location_consents where consultation_id = ${other.consultation.id}`,
    );
    assert.deepEqual(english, { language: 'en', wording: LOCATION_CONSENT_WORDING });
  });

  it('"Not now" is recorded, audited and respected: no question again, only the small link; no position taken', async () => {
    const { consultation, call, victim } = await liveCall();
    assert.equal((await decide(victim, 'declined')).statusCode, 201);
    const fragment = await victim.get('/v/call/location');
    assert.doesNotMatch(fragment.body, /location-question/, 'not asked twice');
    assert.match(fragment.body, /data-testid="location-share-link"/);
    assert.equal((await position(victim, here)).statusCode, 403);
    assert.deepEqual(await rows(consultation.id), []);
    const events = (await t.services.calls.record.callView(call.id)).events.map((e) => e.type);
    assert.ok(events.includes('location_declined'), events.join(', '));
    assert.equal((await audits('call.location_declined', `call:${call.id}`)).length, 1);
    // The officer sees the refusal, with advice not to press.
    const seen = await panel(officerBrowser, consultation.id);
    assert.equal(seen.statusCode, 200);
    assert.match(seen.body, /data-testid="location-declined"/);
    assert.match(seen.body, /Do not press them/);
    assert.equal((await audits('location.viewed', `consultation:${consultation.id}`)).length, 0, 'no position, no view of one');
  });

  it('only the victim shares: an interpreter is refused', async () => {
    const { call } = await liveCall();
    const interpreter = await openLink(await sendLink(call.id, 'interpreter'));
    await consent(interpreter);
    const refused = await decide(interpreter, 'shared');
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json<{ error: string }>().error, /Only the victim/);
    assert.equal((await position(interpreter, here)).statusCode, 403);
  });

  it('validates each position at the edge (4xx with a message, no row), and limits how often', async () => {
    const { consultation, victim } = await liveCall();
    assert.equal((await decide(victim, 'shared')).statusCode, 201);
    for (const [body, word] of [
      [{ ...here, latitude: 91 }, /latitude/],
      [{ ...here, longitude: -180.5 }, /longitude/],
      [{ ...here, accuracy: 0 }, /accuracy/],
      [{ ...here, accuracy: 250_000 }, /accuracy/],
      [{ ...here, latitude: 'north' }, /latitude/],
      [{ latitude: 51, longitude: 1 }, /accuracy/],
      [{ ...here, measuredAt: 'yesterday' }, /measuredAt/],
    ] as const) {
      const response = await position(victim, body);
      assert.equal(response.statusCode, 400, `${JSON.stringify(body)}: ${response.body}`);
      assert.match(response.body, word);
    }
    assert.deepEqual(await rows(consultation.id), [], 'nothing half-written');
    assert.equal((await position(victim, here)).statusCode, 201);
    const tooSoon = await position(victim, { ...here, latitude: 51.3 });
    assert.equal(tooSoon.statusCode, 429);
    assert.match(tooSoon.json<{ error: string }>().error, /sent a moment ago/);
    aheadMs += MIN_POSITION_INTERVAL_MS;
    assert.equal((await position(victim, { ...here, latitude: 51.3 })).statusCode, 201);
    const stored = await rows(consultation.id);
    assert.equal(stored.length, 2);
    assert.deepEqual(
      stored.map((r) => [r.latitude, r.longitude, r.accuracyMetres]),
      [
        [51.27803, 1.07887, 14.2],
        [51.3, 1.07887, 14.2],
      ],
    );
    assert.ok(stored[0]!.measuredAt, 'the phone’s time is kept beside the server’s');
    // Each collection is logged (DP-01) without the position itself.
    const collected = await audits('location.received', `consultation:${consultation.id}`);
    assert.equal(collected.length, 2);
    assert.ok(!JSON.stringify(collected).includes('51.27803'), 'the audit log is not a copy of the position');
  });

  it('the officer’s page shows the position, accuracy, age and the force map link (encoded); each view is logged; another officer is refused', async () => {
    const { consultation, victim } = await liveCall();
    const callPage = await officerBrowser.get(`/consultations/${consultation.id}/call`);
    assert.match(callPage.body, /data-investigation-panel="\/consultations\/[^"]+\/location\/panel"/);
    assert.match((await panel(officerBrowser, consultation.id)).body, /data-testid="location-none"/);
    await decide(victim, 'shared');
    assert.match((await panel(officerBrowser, consultation.id)).body, /data-testid="location-waiting"/);
    assert.equal((await position(victim, { ...here, longitude: -0.12345 })).statusCode, 201);
    const seen = await panel(officerBrowser, consultation.id);
    assert.match(seen.body, /data-testid="location-coordinates">51\.27803, -0\.12345</);
    assert.match(seen.body, /within 14 m/);
    assert.match(seen.body, /data-testid="location-age">\d+ seconds? ago</);
    assert.match(seen.body, /href="https:\/\/maps\.force\.example\/view\?lat=51\.27803&amp;lon=-0\.12345&amp;r=14"/);
    assert.equal((await audits('location.viewed', `consultation:${consultation.id}`)).length, 1);
    const refused = await panel(otherOfficer, consultation.id);
    assert.equal(refused.statusCode, 403);
    assert.equal((await panel(supervisor, consultation.id)).statusCode, 403);
    // "Stop sharing" is respected: no more positions, the officer is told, the last one stays on the record.
    aheadMs += MIN_POSITION_INTERVAL_MS;
    assert.equal((await decide(victim, 'stopped')).statusCode, 201);
    assert.equal((await position(victim, here)).statusCode, 403);
    assert.match((await panel(officerBrowser, consultation.id)).body, /data-testid="location-stopped"/);
    // The victim may choose to share again later, from the small link.
    assert.match((await victim.get('/v/call/location')).body, /data-testid="location-share-link"/);
    assert.equal((await decide(victim, 'shared')).statusCode, 201);
    assert.match((await victim.get('/v/call/location')).body, /data-testid="location-sharing"/);
  });

  it('"unavailable" (the phone refused after a yes) is recorded only after a share, and the officer is told', async () => {
    const { consultation, victim } = await liveCall();
    const alone = await decide(victim, 'unavailable');
    assert.equal(alone.statusCode, 400);
    await decide(victim, 'shared');
    assert.equal((await decide(victim, 'unavailable')).statusCode, 201);
    assert.match((await victim.get('/v/call/location')).body, /data-testid="location-unavailable"/);
    assert.match((await panel(officerBrowser, consultation.id)).body, /data-testid="location-unavailable"/);
  });

  it('the arrest request and attendance carry it; the CAD API returns it as a logged disclosure; the call record and evidence keep it with when it was given', async () => {
    const { consultation, call, victim } = await liveCall();
    await decide(victim, 'shared');
    assert.equal((await position(victim, here)).statusCode, 201);
    const outcome = await t.services.consultationOutcomes.record(contextFor(officer), consultation.id, {
      kind: 'arrest_requested',
      suspectDetails: 'J Smith, 40s',
      lastKnownLocation: 'Town centre',
    });
    const carried = (outcome.details as { victimLocation: Record<string, unknown> }).victimLocation;
    assert.equal(carried.latitude, 51.27803);
    assert.equal(carried.accuracyMetres, 14.2);
    assert.ok(carried.sharedAt && carried.receivedAt && Date.parse(carried.sharedAt as string) <= Date.parse(carried.receivedAt as string));
    const attendance = await t.services.consultationOutcomes.record(contextFor(officer), consultation.id, { kind: 'attendance_escalated' });
    assert.ok((attendance.details as { victimLocation?: unknown }).victimLocation, 'attendance carries it');
    const nfa = await t.services.consultationOutcomes.record(contextFor(officer), consultation.id, { kind: 'no_further_action', reason: 'Advice given' });
    assert.equal((nfa.details as { victimLocation?: unknown }).victimLocation, undefined, 'other outcomes do not');
    const outcomesPanel = await officerBrowser.get(`/consultations/${consultation.id}/outcomes/panel`);
    assert.equal(outcomesPanel.statusCode, 200);
    assert.match(outcomesPanel.body, /data-testid="outcome-victim-location">victim’s location 51\.27803, 1\.07887 \(within 14 m\)/);

    const read = await t.app.inject({ url: `/api/v1/consultations/${consultation.id}`, headers: { authorization: `Bearer ${cadKey}` } });
    assert.equal(read.statusCode, 200, read.body);
    const body = read.json<{ victimLocation: Record<string, unknown> | null; outcomes: Record<string, unknown>[] }>();
    assert.deepEqual(Object.keys(body.victimLocation!).sort(), ['accuracyMetres', 'latitude', 'longitude', 'measuredAt', 'receivedAt', 'sharedAt']);
    assert.equal(body.victimLocation!.longitude, 1.07887);
    const disclosed = await audits('location.disclosed', `consultation:${consultation.id}`);
    assert.equal(disclosed.length, 1);
    assert.equal(disclosed[0]!.details.recipient, 'cad:VL CAD');
    assert.match(disclosed[0]!.justification!, /CAD API/);
    const docs = (await t.app.inject({ url: '/api/docs' })).json<{ components: { schemas: { Consultation: { properties: Record<string, unknown> } } } }>();
    assert.ok(docs.components.schemas.Consultation.properties.victimLocation, 'the OpenAPI document describes it');

    const record = await supervisor.get(`/calls/${call.id}`);
    assert.equal(record.statusCode, 200);
    assert.match(record.body, /data-testid="location-positions"/);
    assert.match(record.body, /51\.27803, 1\.07887/);
    assert.match(record.body, /chose to share/);
    assert.deepEqual((await audits('call.record_viewed', `call:${call.id}`)).at(-1)!.details, { victimLocationsShown: 1 });

    await t.services.callRooms.endCall(contextFor(officer), call.id, 'Finished');
    const item = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'location');
    assert.ok(item, 'the location is an evidence item of the call');
    const chunks: Buffer[] = [];
    for await (const chunk of await t.services.blobs.get(item.fileKey)) chunks.push(chunk as Buffer);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => l.type),
      ['decision', 'position'],
    );
    assert.equal(lines[0]!.decision, 'shared');
    assert.match(lines[0]!.wording as string, /Share your location/);
    assert.equal(lines[1]!.latitude, 51.27803);
  });

  it('a consultation with no location: the CAD API says null and logs no disclosure', async () => {
    const { consultation } = await liveCall();
    const read = await t.app.inject({ url: `/api/v1/consultations/${consultation.id}`, headers: { authorization: `Bearer ${cadKey}` } });
    assert.equal(read.json<{ victimLocation: unknown }>().victimLocation, null);
    assert.equal((await audits('location.disclosed', `consultation:${consultation.id}`)).length, 0);
  });
});
