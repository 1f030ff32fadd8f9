import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnEachDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, callInput, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

await describeOnEachDatabase('control room: intake, triage, queue and handover (RVR-01..RVR-06)', (kind) => {
  let t: TestApp;
  let handler: Browser;
  let handlerUser: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind);
    handlerUser = await createUser(t.services, 'ch', ['call_handler']);
    await createUser(t.services, 'pc1', ['rvr_officer']);
    await createUser(t.services, 'pc2', ['rvr_officer']);
    await createUser(t.services, 'sarge', ['supervisor']);
    await allowRoundTheClock(t.services);
    handler = new Browser(t.app);
    await handler.signIn('ch');
  });
  after(() => t.close());

  const form = (overrides: Record<string, string | string[]> = {}) => ({
    cadReference: `CAD-F-${Math.random().toString(36).slice(2, 8)}`,
    receivedAt: new Date(Date.now() - 120_000).toISOString().slice(0, 16),
    grade: '2',
    callerName: 'Form Caller',
    mobile: '07700 900321',
    relationship: 'partner',
    ageBand: '18_plus',
    suspectAgeBand: '18_plus',
    consents: ['video', 'recording'],
    prefersPhone: 'no',
    ...overrides,
  });
  const postForm = async (browser: Browser, values: Record<string, string | string[]>) => {
    await browser.get('/control-room/calls/new');
    const body = new URLSearchParams([['_csrf', browser.csrfToken]]);
    for (const [k, v] of Object.entries(values)) for (const item of [v].flat()) body.append(k, item);
    return t.app.inject({
      method: 'POST',
      url: '/control-room/calls',
      payload: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader },
    });
  };

  it('queues an eligible call at once, storing the E.164 number, the consents with their wording and every timestamp', async () => {
    const response = await postForm(handler, form({ spokenLanguage: 'Polish' }));
    assert.equal(response.statusCode, 303);
    const id = String(response.headers.location).split('/').pop()!;
    const consultation = (await t.services.data.repos.consultations.findById(id))!;
    assert.equal(consultation.state, 'queued');
    assert.equal(consultation.interpreterRequired, true, 'a language need marks an interpreter, it does not exclude');
    assert.ok(consultation.queuedAt);
    const incident = (await t.services.data.repos.incidents.findById(consultation.incidentId))!;
    assert.equal(incident.callerPhone, '+447700900321');
    const triage = (await t.services.data.repos.triages.findByConsultation(id))!;
    assert.equal(triage.decision, 'eligible');
    assert.match(triage.videoConsentWording!, /video call/);
    assert.match(triage.recordingConsentWording!, /recorded/);
    assert.ok(triage.startedAt <= triage.decidedAt);
    const page = await handler.get(`/consultations/${id}`);
    assert.match(page.body, /Eligible for RVR/);
    const room = await handler.get('/control-room');
    assert.match(room.body, new RegExp(`data-testid="my-open-calls"[\\s\\S]*${consultation.reference}`), 'the call is among the handler’s open calls');
    const fragment = await handler.get(`/consultations/${id}/live`);
    assert.equal(fragment.statusCode, 200, 'the live fragment renders on its own');
    assert.match(fragment.body, /data-testid="state"/);
    assert.doesNotMatch(fragment.body, /<html/);
  });

  it('keeps an ineligible call out of the queue with every reason, and routes it to attendance in one click', async () => {
    const response = await postForm(handler, form({ grade: '1', flags: ['offender_present'] }));
    const id = String(response.headers.location).split('/').pop()!;
    assert.equal((await t.services.data.repos.consultations.findById(id))!.state, 'triaged_ineligible');
    const page = await handler.get(`/consultations/${id}`);
    assert.match(page.body, /Not eligible for RVR/);
    assert.ok((page.body.match(/<li>/g) ?? []).length >= 2, 'both reasons are listed');
    assert.equal((await handler.post(`/consultations/${id}/transitions`, { to: 'escalated_to_attendance' })).statusCode, 303);
    assert.equal((await t.services.data.repos.consultations.findById(id))!.state, 'escalated_to_attendance');
  });

  it('answers bad input naming each field, and writes nothing', async () => {
    const before = (await t.services.consultations.listSummaries('all')).length;
    const response = await postForm(handler, {
      cadReference: '',
      receivedAt: new Date(Date.now() + 3_600_000).toISOString().slice(0, 16),
      grade: '7',
      callerName: '',
      mobile: '01632 960123',
      relationship: 'stranger',
      ageBand: '',
      suspectAgeBand: '',
      victimSex: 'robot',
    });
    assert.equal(response.statusCode, 400);
    for (const text of [
      'Enter the CAD incident reference',
      'cannot be in the future',
      'Choose the grade',
      'Enter the caller’s name',
      'mobile',
      'Choose the relationship',
      'Choose the victim’s age band',
      'Choose the suspect’s age band',
      'Choose female, male or prefer not to say',
    ]) {
      assert.ok(response.body.includes(text), `missing: ${text}`);
    }
    assert.equal((await t.services.consultations.listSummaries('all')).length, before);
  });

  it('refuses a duplicate CAD reference with 409 and keeps the form', async () => {
    const values = form();
    assert.equal((await postForm(handler, values)).statusCode, 303);
    const again = await postForm(handler, { ...values, callerName: 'Someone Else' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already has an RVR consultation/);
    assert.match(again.body, /value="Someone Else"/);
  });

  it('RVR-04: never queues without both consents, whatever the path', async () => {
    const { consultation, decision } = await newCall(t.services, handlerUser, { consentToRecording: false });
    assert.equal(decision.outcome, 'ineligible');
    assert.equal(consultation.state, 'triaged_ineligible');
    const sarge = (await t.services.data.repos.users.findByUsername('sarge'))!;
    await assert.rejects(t.services.triage.override(contextFor(sarge), consultation.id, 'Supervisor thinks it is fine'), /cannot be overridden/);
  });

  it('lets a supervisor override a soft exclusion with a rationale; the call then joins the queue', async () => {
    const { consultation } = await newCall(t.services, handlerUser, { flags: ['no_smartphone_or_signal'] });
    assert.equal(consultation.state, 'triaged_ineligible');
    const sarge = new Browser(t.app);
    await sarge.signIn('sarge');
    await sarge.get(`/consultations/${consultation.id}`);
    const short = await sarge.post(`/consultations/${consultation.id}/override`, { rationale: 'ok' });
    assert.equal(short.statusCode, 400);
    const ok = await sarge.post(`/consultations/${consultation.id}/override`, { rationale: 'Caller has borrowed a smartphone with signal' });
    assert.equal(ok.statusCode, 303);
    const row = (await t.services.data.repos.consultations.findById(consultation.id))!;
    assert.equal(row.state, 'queued');
    const triage = (await t.services.data.repos.triages.findByConsultation(consultation.id))!;
    assert.equal(triage.overrideRationale, 'Caller has borrowed a smartphone with signal');
    assert.equal((await handler.post(`/consultations/${consultation.id}/override`, { rationale: 'handler tries' })).statusCode, 403);
  });

  it('accept is atomic: of two officers at once exactly one wins; availability follows the call', async () => {
    const { consultation } = await newCall(t.services, handlerUser);
    const pc1 = (await t.services.data.repos.users.findByUsername('pc1'))!;
    const pc2 = (await t.services.data.repos.users.findByUsername('pc2'))!;
    const results = await Promise.allSettled([
      t.services.consultations.transition(contextFor(pc1), consultation.id, 'accepted'),
      t.services.consultations.transition(contextFor(pc2), consultation.id, 'accepted'),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    assert.match(String(loser.reason), /changed this consultation a moment ago|cannot move to accepted/);
    const winner = (await t.services.data.repos.consultations.findById(consultation.id))!.officerId!;
    assert.equal(await t.services.availability.get(winner), 'on_call');
    await t.services.consultations.transition(contextFor(winner === pc1.id ? pc1 : pc2), consultation.id, 'escalated_to_attendance', 'test over');
    assert.equal(await t.services.availability.get(winner), 'available');
  });

  it('RVR-05: a supervisor changes which flags exclude, as a new audited version used by later triage', async () => {
    const sarge = new Browser(t.app);
    await sarge.signIn('sarge');
    await sarge.get('/settings/triage');
    const bad = await sarge.post('/settings/triage', {
      roundTheClock: 'no',
      start: '25:00',
      end: '22:00',
      videoConsentWording: 'short',
      recordingConsentWording: 'short',
      queueAlertSeconds: '5',
    });
    assert.equal(bad.statusCode, 400);
    for (const text of ['HH:MM', 'consent to a video call', 'consent to recording', 'from 30 to 3600']) assert.ok(bad.body.includes(text), text);
    const before = await t.services.triage.currentSettings();
    const saved = await sarge.post('/settings/triage', {
      excludingFlags: 'offender_present',
      roundTheClock: 'yes',
      videoConsentWording: 'Are you happy to talk to an officer by video now?',
      recordingConsentWording: 'The call will be recorded as evidence. Is that all right?',
      queueAlertSeconds: '90',
    });
    assert.equal(saved.statusCode, 303);
    const after = await t.services.triage.currentSettings();
    assert.equal(after.version, before.version + 1);
    // RVR-02: a condition of eligibility posted as a setting is dropped; it is not a setting.
    assert.deepEqual(after.settings.eligibility.excludingFlags, []);
    // "No smartphone" no longer excludes under the new version; the triage records the version used.
    const { consultation, decision } = await newCall(t.services, handlerUser, { flags: ['no_smartphone_or_signal'] });
    assert.equal(decision.outcome, 'eligible');
    const triage = (await t.services.data.repos.triages.findByConsultation(consultation.id))!;
    assert.equal(triage.ruleSetVersion, after.version);
    assert.match(triage.videoConsentWording!, /talk to an officer by video now/);
    const [audit] = await t.services.data.repos.audit.search({ what: 'triage.settings_changed' }, 1);
    assert.equal(audit!.actorRole, 'supervisor');
  });

  it('RVR-02 (policy 2.3, 2.4): the suspect present and the victim not safe always exclude and can never be overridden, even under an old settings row that switched them off', async () => {
    const sarge = new Browser(t.app);
    await sarge.signIn('sarge');
    const page = await sarge.get('/settings/triage');
    assert.doesNotMatch(page.body, /name="excludingFlags" type="checkbox" value="offender_present"/, 'the settings page does not offer it');
    assert.doesNotMatch(page.body, /value="victim_not_safe"/);
    assert.match(page.body, /data-testid="hard-flags"[\s\S]*The suspect is present[\s\S]*The victim is not safe/);
    // An old row (saved before this rule) that leaves them out: written straight to the store, as it would be.
    const sargeUser = (await t.services.data.repos.users.findByUsername('sarge'))!;
    const { version, settings } = await t.services.triage.currentSettings();
    await t.services.data.repos.triages.saveSettings(
      version + 1,
      { ...settings, eligibility: { ...settings.eligibility, version: version + 1, excludingFlags: [] } },
      sargeUser.id,
    );
    for (const flag of ['offender_present', 'victim_not_safe'] as const) {
      const { consultation, decision } = await newCall(t.services, handlerUser, { flags: [flag] });
      assert.equal(decision.outcome, 'ineligible', flag);
      assert.equal(consultation.state, 'triaged_ineligible');
      await sarge.get(`/consultations/${consultation.id}`);
      const refused = await sarge.post(`/consultations/${consultation.id}/override`, { rationale: 'Supervisor thinks it is fine really' });
      assert.equal(refused.statusCode, 409, flag);
      assert.match(refused.body, /cannot be overridden/);
      assert.equal((await t.services.data.repos.consultations.findById(consultation.id))!.state, 'triaged_ineligible');
    }
  });

  it('RVR-02: a triage stored as overridable before the rule (offender present, soft) still cannot be overridden', async () => {
    const { consultation } = await newCall(t.services, handlerUser, { flags: ['offender_present'] });
    const triage = (await t.services.data.repos.triages.findByConsultation(consultation.id))!;
    await t.db.database.db.execute(
      sql`update triages set overridable = true, reasons = ${JSON.stringify([{ code: 'offender_present', text: 'old', hard: false }])}::jsonb where id = ${triage.id}`,
    );
    const sarge = (await t.services.data.repos.users.findByUsername('sarge'))!;
    await assert.rejects(t.services.triage.override(contextFor(sarge), consultation.id, 'Supervisor thinks it is fine'), /cannot be overridden/);
  });

  it('DA-01: a victim or suspect of unknown age goes to a supervisor, as for 16–17; a suspect under 16 is a hard block', async () => {
    const victim = await newCall(t.services, handlerUser, { ageBand: 'unknown' });
    assert.equal(victim.consultation.state, 'triaged_ineligible');
    assert.equal(victim.decision.outcome === 'ineligible' && victim.decision.supervisorDecisionRequired, true);
    const suspect = await newCall(t.services, handlerUser, { suspectAgeBand: 'unknown' });
    assert.deepEqual(
      suspect.decision.reasons.map((r) => r.code),
      ['suspect_age_unknown'],
    );
    const sarge = (await t.services.data.repos.users.findByUsername('sarge'))!;
    const overridden = await t.services.triage.override(contextFor(sarge), suspect.consultation.id, 'Caller confirms the suspect is an adult, 34');
    assert.equal(overridden.state, 'queued');
    const child = await newCall(t.services, handlerUser, { suspectAgeBand: 'under_16' });
    assert.deepEqual(
      child.decision.reasons.map((r) => [r.code, r.hard]),
      [['suspect_under_16', true]],
    );
    // An older CAD client that does not send the suspect's age: taken as unknown, so a supervisor decides.
    const { suspectAgeBand: _omitted, ...withoutSuspect } = callInput();
    const legacy = await t.services.triage.intake(contextFor(handlerUser), withoutSuspect, 'test');
    assert.deepEqual(
      legacy.decision.reasons.map((r) => r.code),
      ['suspect_age_unknown'],
    );
    const stored = (await t.services.data.repos.triages.findByConsultation(legacy.consultation.id))!;
    assert.equal((stored.answers as { suspectAgeBand: string }).suspectAgeBand, 'unknown');
    // Policy 2.2: the victim's sex is optional and never a reason; "prefer not to say" is kept as such.
    const asked = await newCall(t.services, handlerUser, { victimSex: 'prefer_not_to_say' });
    assert.equal(asked.decision.outcome, 'eligible');
    const askedRow = (await t.services.data.repos.triages.findByConsultation(asked.consultation.id))!;
    assert.equal((askedRow.answers as { victimSex: string | null }).victimSex, 'prefer_not_to_say');
    assert.equal((stored.answers as { victimSex: string | null }).victimSex, null, 'not asked: null');
  });

  it('tells live listeners of each change only after it commits', async () => {
    const events: { type: string; id?: string; state?: string }[] = [];
    const stop = t.services.live!.subscribe((event) => events.push(event));
    const { consultation } = await newCall(t.services, handlerUser);
    for (let i = 0; i < 50 && !events.some((e) => e.id === consultation.id && e.state === 'queued'); i += 1) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(
      events.filter((e) => e.id === consultation.id).map((e) => e.state),
      ['triaged_eligible', 'queued'],
    );
    await assert.rejects(newCall(t.services, handlerUser, { cadReference: callInput().cadReference, mobile: 'not a phone' }));
  });
});
