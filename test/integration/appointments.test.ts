import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { londonWallClock } from '../../src/domain/retention.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

type Staff = Awaited<ReturnType<typeof createUser>>;

const MINUTE = 60_000;
const pad = (n: number) => String(n).padStart(2, '0');
/** The booking form's UK date and time for an instant (whole minutes). */
function londonForm(at: Date): { date: string; time: string } {
  const w = londonWallClock(at);
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}` };
}

// Issue 17 §4 (policy 4.0 "a delayed service where possible"): a video appointment for later. RVR-07 link rules, RVR-11
// neutral texts, every change audited; the reminder and the missed check are the job's work (runDue).
await describeOnDatabase('video appointment for later (issue 17 §4, policy 4.0, RVR-07, RVR-11)', (kind) => {
  let t: TestApp;
  // Moved forward to reach the reminder, the window and its end; otherwise the app's clock follows real time.
  let clockOffset = 0;
  let phoneNumber = 0;
  let handler: Staff;
  let officer: Staff;
  let officerBrowser: Browser;
  let supervisorBrowser: Browser;
  const now = () => new Date(Date.now() + clockOffset);

  before(async () => {
    t = await buildTestApp(kind, { now });
    handler = await createUser(t.services, 'ap-handler', ['call_handler']);
    officer = await createUser(t.services, 'ap-officer', ['rvr_officer']);
    await createUser(t.services, 'ap-supervisor', ['supervisor']);
    await allowRoundTheClock(t.services);
    officerBrowser = new Browser(t.app);
    await officerBrowser.signIn('ap-officer');
    supervisorBrowser = new Browser(t.app);
    await supervisorBrowser.signIn('ap-supervisor');
  });
  after(() => t.close());
  afterEach(() => {
    clockOffset = 0;
  });

  /** An accepted consultation and its victim's number, as the outbox shows it. */
  const accepted = async () => {
    phoneNumber += 1;
    const mobile = `07700 900${String(300 + phoneNumber)}`;
    const { consultation } = await newCall(t.services, handler, { mobile });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    return { consultationId: consultation.id, e164: `+44${mobile.replace(/\s/g, '').slice(1)}` };
  };
  const textsTo = (e164: string) => t.services.smsOutbox!.list().filter((m) => m.to === e164);
  const tokenOf = (body: string) => /\/a\/([A-Za-z0-9_-]{43})(?:\s|$)/.exec(body)![1]!;
  const audited = (what: string, consultationId: string) =>
    queryRows<{ details: Record<string, unknown>; justification: string | null }>(
      t.db.database,
      sql`select details, justification from audit_events where what = ${what} and subject = ${`consultation:${consultationId}`} order by seq`,
    );
  /** Books through the officer's form, `minutesAhead` from now. */
  const book = async (consultationId: string, minutesAhead: number, reason = 'cannot_talk_now') => {
    await officerBrowser.get(`/consultations/${consultationId}/appointment`);
    const slot = new Date(Math.ceil((now().getTime() + minutesAhead * MINUTE) / MINUTE) * MINUTE);
    const response = await officerBrowser.post(`/consultations/${consultationId}/appointment`, { ...londonForm(slot), reason });
    return { response, slot };
  };

  /**
   * Issue 17 §4: the call handler's intake form with "the caller cannot talk now: book a video appointment" (the two
   * consents repeat a field name, so the form is encoded here rather than by Browser.post).
   */
  const intakeWithAppointment = async (booking: { date: string; time: string; reason?: string }, more: [string, string][] = []) => {
    phoneNumber += 1;
    const mobile = `07700 900${String(300 + phoneNumber)}`;
    const handlerBrowser = new Browser(t.app);
    await handlerBrowser.signIn('ap-handler');
    await handlerBrowser.get('/control-room/calls/new');
    const form = new URLSearchParams([
      ['_csrf', handlerBrowser.csrfToken],
      ['cadReference', `CAD-AP-${process.pid}-${phoneNumber}`],
      ['receivedAt', londonForm(new Date(now().getTime() - 5 * MINUTE)).date + 'T' + londonForm(new Date(now().getTime() - 5 * MINUTE)).time],
      ['grade', '2'],
      ['callerName', 'Test Caller'],
      ['mobile', mobile],
      ['relationship', 'ex_partner'],
      ['ageBand', '18_plus'],
      ['suspectAgeBand', '18_plus'],
      ['consents', 'video'],
      ['consents', 'recording'],
      ['whenToTalk', 'later'],
      ['appointmentDate', booking.date],
      ['appointmentTime', booking.time],
      ['appointmentReason', booking.reason ?? 'cannot_talk_now'],
    ]);
    for (const [name, value] of more)
      if (name === 'flags') form.append(name, value);
      else form.set(name, value);
    const response = await t.app.inject({
      method: 'POST',
      url: '/control-room/calls',
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: handlerBrowser.cookieHeader },
    });
    return { response, e164: `+44${mobile.replace(/\s/g, '').slice(1)}`, cadReference: form.get('cadReference')! };
  };
  const consultationIdOf = (location: unknown) => /^\/consultations\/([0-9a-f-]{36})/.exec(String(location))![1]!;

  it('the call handler books at triage: straight to appointment booked (never queued), no officer yet, the same neutral text and audit', async () => {
    const slot = new Date(Math.ceil((now().getTime() + 180 * MINUTE) / MINUTE) * MINUTE);
    const { response, e164 } = await intakeWithAppointment(londonForm(slot));
    assert.equal(response.statusCode, 303, response.body.slice(0, 2000));
    const consultationId = consultationIdOf(response.headers.location);
    assert.equal(response.headers.location, `/consultations/${consultationId}`);
    const consultation = await t.services.consultations.summary(consultationId);
    assert.equal(consultation.state, 'appointment_booked');
    assert.equal(consultation.officerId, null, 'no officer holds it yet');
    assert.equal(consultation.queuedAt, null, 'it never waited in the queue as a call to take now');
    const events = await queryRows<{ from_state: string; to_state: string; actor_role: string }>(
      t.db.database,
      sql`select from_state, to_state, actor_role from consultation_events where consultation_id = ${consultationId} order by at, id`,
    );
    assert.ok(events.some((e) => e.from_state === 'triaged_eligible' && e.to_state === 'appointment_booked' && e.actor_role === 'call_handler'));
    const appointment = (await t.services.appointments.forConsultation(consultationId))!;
    assert.equal(appointment.status, 'booked');
    assert.equal(appointment.officerId, null);
    assert.equal(appointment.slot.toISOString(), slot.toISOString());
    assert.equal(appointment.bookedBy, handler.id);
    const [booked] = await audited('appointment.booked', consultationId);
    assert.equal(booked?.details.slot, slot.toISOString());
    assert.equal(booked?.details.atTriage, true);
    const [text] = textsTo(e164);
    assert.ok(text, 'the booking was texted');
    assert.match(text.body, /\/a\/[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(text.body, /police|abuse|officer|crime/i, 'RVR-11: nothing in the text says police');
    assert.equal((await audited('appointment.text_sent', consultationId)).length, 1);
    // The RVR queue lists it without an officer, with the officer's "Take it"; the consultation page says who booked it.
    const queue = await officerBrowser.get('/officer/queue');
    assert.match(queue.body, new RegExp(`data-appointment="${appointment.id}"[\\s\\S]*?No officer yet[\\s\\S]*?action="/appointments/${appointment.id}/take"`));
    assert.doesNotMatch(queue.body, new RegExp(`action="/consultations/${consultationId}/transitions"`), 'not offered as a call to accept now');
    assert.match((await officerBrowser.get(`/consultations/${consultationId}`)).body, /data-testid="appointment-no-officer"/);
  });

  it('an officer takes the appointment booked at triage (audited, once); they stay free until the reminder, which invites as for their own booking', async () => {
    const slot = new Date(Math.ceil((now().getTime() + 90 * MINUTE) / MINUTE) * MINUTE);
    const { response, e164 } = await intakeWithAppointment(londonForm(slot));
    const consultationId = consultationIdOf(response.headers.location);
    const appointmentId = (await t.services.appointments.forConsultation(consultationId))!.id;
    await officerBrowser.get('/officer/queue');
    const taken = await officerBrowser.post(`/appointments/${appointmentId}/take`, {});
    assert.equal(taken.statusCode, 303, taken.body.slice(0, 2000));
    assert.equal(taken.headers.location, `/consultations/${consultationId}`);
    assert.equal((await t.services.consultations.summary(consultationId)).officerId, officer.id);
    assert.equal((await t.services.appointments.forConsultation(consultationId))!.officerId, officer.id);
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'appointment_booked');
    assert.notEqual(await t.services.availability.get(officer.id), 'on_call', 'taking it does not put them on a call: free until the appointment');
    assert.equal((await audited('appointment.taken', consultationId)).length, 1);
    const queue = await officerBrowser.get('/officer/queue');
    assert.match(queue.body, new RegExp(`data-appointment="${appointmentId}"[\\s\\S]*?Test ap-officer`), 'listed with its officer now');
    // Once: a second take (another officer, or the same again) is refused.
    const again = await officerBrowser.post(`/appointments/${appointmentId}/take`, {});
    assert.equal(again.statusCode, 409);
    // A call handler cannot take it (call.conduct is the officer's).
    const handlerBrowser = new Browser(t.app);
    await handlerBrowser.signIn('ap-handler');
    await handlerBrowser.get('/control-room');
    assert.equal((await handlerBrowser.post(`/appointments/${appointmentId}/take`, {})).statusCode, 403);

    clockOffset = slot.getTime() - t.config.appointments.reminderMinutes * MINUTE - Date.now() + 1000;
    await t.services.appointments.runDue();
    clockOffset = 0;
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'invited');
    assert.equal(textsTo(e164).length, 2, 'the booking text, then the reminder');
    assert.equal(await t.services.availability.get(officer.id), 'on_call');
    // Cleared for the next tests: the officer is free again.
    await t.services.consultations.transition(contextFor(officer), consultationId, 'abandoned', 'Test over');
  });

  it('one booked at triage that no officer has taken is not reminded (its link would open a call nobody answers); taken, it is', async () => {
    const slot = new Date(Math.ceil((now().getTime() + 120 * MINUTE) / MINUTE) * MINUTE);
    const { response, e164 } = await intakeWithAppointment(londonForm(slot));
    const consultationId = consultationIdOf(response.headers.location);
    const appointmentId = (await t.services.appointments.forConsultation(consultationId))!.id;
    clockOffset = slot.getTime() - t.config.appointments.reminderMinutes * MINUTE - Date.now() + 1000;
    try {
      await t.services.appointments.runDue();
      assert.equal((await t.services.appointments.forConsultation(consultationId))!.status, 'booked', 'held: no officer yet');
      assert.equal((await t.services.consultations.summary(consultationId)).state, 'appointment_booked');
      assert.equal(textsTo(e164).length, 1, 'only the booking text: no link to an unanswered call');
      // Still takeable (the officer's session lives on the real clock); the next run after that reminds it.
      clockOffset = 0;
      await officerBrowser.get('/officer/queue');
      const taken = await officerBrowser.post(`/appointments/${appointmentId}/take`, {});
      assert.equal(taken.headers.location, `/consultations/${consultationId}`);
      clockOffset = slot.getTime() - t.config.appointments.reminderMinutes * MINUTE - Date.now() + 1000;
      assert.equal((await t.services.appointments.runDue()).reminded, 1);
      assert.equal((await t.services.consultations.summary(consultationId)).state, 'invited');
      assert.equal(textsTo(e164).length, 2, 'the booking text, then the reminder');
    } finally {
      clockOffset = 0;
    }
    await t.services.consultations.transition(contextFor(officer), consultationId, 'abandoned', 'Test over');
  });

  it('one booked at triage that nobody takes before its window closes is missed, to a supervisor, with no link ever texted', async () => {
    const slot = new Date(Math.ceil((now().getTime() + 150 * MINUTE) / MINUTE) * MINUTE);
    const { response, e164 } = await intakeWithAppointment(londonForm(slot));
    const consultationId = consultationIdOf(response.headers.location);
    clockOffset = slot.getTime() + (t.config.appointments.windowAfterMinutes + 1) * MINUTE - Date.now();
    try {
      await t.services.appointments.runDue();
    } finally {
      clockOffset = 0;
    }
    const appointment = (await t.services.appointments.forConsultation(consultationId))!;
    assert.equal(appointment.status, 'missed');
    assert.equal(appointment.officerId, null);
    assert.equal(textsTo(e164).length, 1, 'only the booking text');
    assert.equal((await audited('appointment.missed', consultationId)).length, 1);
    assert.match((await supervisorBrowser.get('/supervisor/appointments')).body, new RegExp(`data-appointment="${appointment.id}"`));
  });

  it('a bad booking at triage is shown on the intake form with the other errors, and nothing is written or texted', async () => {
    const { response, e164, cadReference } = await intakeWithAppointment(londonForm(new Date(now().getTime() - 60 * MINUTE)), [['callerName', '']]);
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /href="#appointmentTime">The appointment must be in the future/);
    assert.match(response.body, /href="#callerName">/);
    assert.equal(textsTo(e164).length, 0);
    const incidents = await queryRows(t.db.database, sql`select id from incidents where cad_reference = ${cadReference}`);
    assert.equal(incidents.length, 0);
  });

  it('a call that is not eligible at triage is not booked: triaged as usual, nothing texted, and the consultation page says so', async () => {
    const slot = new Date(Math.ceil((now().getTime() + 120 * MINUTE) / MINUTE) * MINUTE);
    const { response, e164 } = await intakeWithAppointment(londonForm(slot), [['flags', 'offender_present']]);
    assert.equal(response.statusCode, 303);
    assert.match(String(response.headers.location), /\?appointment=not-booked$/);
    const consultationId = consultationIdOf(response.headers.location);
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'triaged_ineligible');
    assert.equal(await t.services.appointments.forConsultation(consultationId), undefined);
    assert.equal(textsTo(e164).length, 0);
    assert.match((await supervisorBrowser.get(String(response.headers.location))).body, /data-testid="appointment-not-booked"/);
  });

  it('the officer books a time: the consultation waits as appointment booked, the officer is free, and the victim is texted the time in neutral words', async () => {
    const { consultationId, e164 } = await accepted();
    const { response, slot } = await book(consultationId, 120);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `/consultations/${consultationId}`);
    const consultation = await t.services.consultations.summary(consultationId);
    assert.equal(consultation.state, 'appointment_booked');
    assert.equal(await t.services.availability.get(officer.id), 'available', 'free for other calls until the appointment');
    const [text] = textsTo(e164);
    assert.ok(text, 'the booking was texted');
    assert.match(text.body, /\/a\/[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(text.body, /police|abuse|officer|crime/i, 'RVR-11: nothing in the text says police');
    assert.match(text.body, new RegExp(`${londonWallClock(slot).hour % 12 || 12}:${pad(londonWallClock(slot).minute)}(am|pm)`), 'the time in UK time');
    const [booked] = await audited('appointment.booked', consultationId);
    assert.equal(booked?.details.slot, slot.toISOString());
    // The consultation page shows it; the RVR queue lists it with its officer.
    const page = await officerBrowser.get(`/consultations/${consultationId}`);
    assert.match(page.body, /data-testid="appointment"/);
    const queue = await officerBrowser.get('/officer/queue');
    assert.match(queue.body, /data-testid="appointments"/);
    assert.match(queue.body, /Test ap-officer/, 'with its officer');
  });

  it('issue 17 §2: a caller who chose Cymraeg at triage gets the booking text and the appointment page in Welsh; the toggle switches to English', async () => {
    phoneNumber += 1;
    const mobile = `07700 900${String(300 + phoneNumber)}`;
    const { consultation } = await newCall(t.services, handler, { mobile, language: 'cy' });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const e164 = `+44${mobile.replace(/\s/g, '').slice(1)}`;
    const { slot } = await book(consultation.id, 120);
    const [text] = textsTo(e164);
    assert.ok(text, 'the booking was texted');
    assert.match(text.body, /^Mae eich apwyntiad fideo ar Dydd \S+, \d+ \S+ am \d+:\d\d(yb|yp)\. Manylion, neu i ofyn am amser arall: /);
    assert.match(text.body, new RegExp(`${londonWallClock(slot).hour % 12 || 12}:${pad(londonWallClock(slot).minute)}(yb|yp)`), 'the time in UK time');
    const token = tokenOf(text.body);
    const victim = new Browser(t.app);
    const welsh = await victim.get(`/a/${token}`);
    assert.equal(welsh.statusCode, 200);
    assert.match(welsh.body, /<html lang="cy"/);
    assert.match(welsh.body, /<h1 class="govuk-heading-l">Eich apwyntiad fideo<\/h1>/);
    assert.match(welsh.body, /Gallwch ymuno o \d+:\d\d(yb|yp)\./);
    assert.match(welsh.body, /Bore \(9yb i 12yp\)/);
    assert.doesNotMatch(welsh.body, /Your video appointment|You can join from/);
    const refused = await victim.post(`/a/${token}/join`, {});
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /Nid yw’n amser eto\. Dewch yn ôl i’r ddolen hon o/);
    const english = await victim.get(`/a/${token}?lang=en`);
    assert.match(english.body, /<html lang="en"/);
    assert.match(english.body, /You can join from/);
    assert.match((await victim.get(`/a/${token}`)).body, /<html lang="en"/, 'the choice is kept for the link');
  });

  it('refuses a time in the past, a bad date or no reason with a 400 that says what to fix, and writes nothing', async () => {
    const { consultationId, e164 } = await accepted();
    await officerBrowser.get(`/consultations/${consultationId}/appointment`);
    const past = londonForm(new Date(now().getTime() - 60 * MINUTE));
    for (const [form, message] of [
      [{ ...past, reason: 'cannot_talk_now' }, /The appointment must be in the future/],
      [{ date: '2026-02-30', time: '10:00', reason: 'cannot_talk_now' }, /Enter a real date/],
      [{ date: 'tomorrow', time: '10:00', reason: 'cannot_talk_now' }, /Enter the date as YYYY-MM-DD/],
      [{ date: '2099-01-01', time: '25:00', reason: 'cannot_talk_now' }, /Enter the time as HH:MM/],
      [{ ...londonForm(new Date(now().getTime() + 60 * MINUTE)), reason: '' }, /Select why the call is booked for later/],
      [{ ...londonForm(new Date(now().getTime() + 40 * 24 * 60 * MINUTE)), reason: 'interpreter_needed' }, /within 14 days/],
    ] as const) {
      const response = await officerBrowser.post(`/consultations/${consultationId}/appointment`, form);
      assert.equal(response.statusCode, 400, JSON.stringify(form));
      assert.match(response.body, message);
    }
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'accepted');
    assert.equal(textsTo(e164).length, 0);
    assert.equal(await t.services.appointments.forConsultation(consultationId), undefined);
  });

  it('another officer may not book on a consultation they do not hold (403)', async () => {
    const { consultationId } = await accepted();
    await createUser(t.services, 'ap-other', ['rvr_officer']);
    const other = new Browser(t.app);
    await other.signIn('ap-other');
    await other.get('/officer');
    const response = await other.post(`/consultations/${consultationId}/appointment`, {
      ...londonForm(new Date(now().getTime() + 60 * MINUTE)),
      reason: 'cannot_talk_now',
    });
    assert.equal(response.statusCode, 403);
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'accepted');
  });

  it('early, the page says calmly when to come back; the reminder goes once with the link; in the window the victim joins once into the consent step', async () => {
    const { consultationId, e164 } = await accepted();
    const { slot } = await book(consultationId, 60);
    const token = tokenOf(textsTo(e164)[0]!.body);
    const victim = new Browser(t.app);
    const early = await victim.get(`/a/${token}`);
    assert.equal(early.statusCode, 200);
    assert.match(early.body, /You can join from/);
    assert.match(early.body, /data-testid="exit-this-page"/);
    assert.doesNotMatch(early.body, /join-appointment/);
    assert.doesNotMatch(early.body, /police/i);
    const tooEarly = await victim.post(`/a/${token}/join`, {});
    assert.equal(tooEarly.statusCode, 409, tooEarly.body.slice(0, 3000));
    assert.match(tooEarly.body, /It is not time yet\. Come back to this link from/);
    assert.equal((await audited('appointment.join_refused', consultationId)).length, 1);

    // Not due yet: nothing is sent.
    await t.services.appointments.runDue();
    assert.equal(textsTo(e164).length, 1);
    // The reminder's time (APPOINTMENT_REMINDER_MINUTES before): the call opens, the consultation is invited, the link is texted once.
    clockOffset = slot.getTime() - t.config.appointments.reminderMinutes * MINUTE - Date.now() + 1000;
    const first = await t.services.appointments.runDue();
    assert.ok(first.reminded >= 1);
    await t.services.appointments.runDue();
    const texts = textsTo(e164);
    assert.equal(texts.length, 2, 'the reminder goes once');
    assert.doesNotMatch(texts[1]!.body, /police|abuse|officer|crime/i);
    assert.equal((await t.services.consultations.summary(consultationId)).state, 'invited');
    assert.ok(await t.services.calls.lifecycle.findOpenCall(consultationId), 'the call is open for the officer and the victim');
    assert.equal(await t.services.availability.get(officer.id), 'on_call', 'the officer is due on this call: no new call clashes with it');
    const reminderToken = tokenOf(texts[1]!.body);

    const open = await victim.get(`/a/${reminderToken}`);
    assert.match(open.body, /data-testid="join-appointment"/);
    assert.match(open.body, new RegExp(`<form method="post" action="/a/${reminderToken}/join">`), 'the form posts to this link');
    const joined = await victim.post(`/a/${reminderToken}/join`, {});
    assert.equal(joined.statusCode, 303);
    assert.match(String(joined.headers.location), /^\/v\/[A-Za-z0-9_-]{43}$/);
    const redeemed = await victim.get(String(joined.headers.location));
    assert.equal(redeemed.statusCode, 303);
    assert.equal(redeemed.headers.location, '/v/call');
    const consent = await victim.get('/v/call');
    assert.match(consent.body, /I agree to the video call/);
    assert.equal((await t.services.appointments.forConsultation(consultationId))?.status, 'joined');
    assert.equal((await audited('appointment.joined', consultationId)).length, 1);
    // RVR-07: once. The first link (from the booking text) is the same appointment: refused too.
    await victim.get(`/a/${token}`);
    const again = await victim.post(`/a/${token}/join`, {});
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already used this link/);
    clockOffset = 0;
  });

  it('the victim asks for another time from the page: audited, capped, shown to the officer and on the queue; a bad choice gets a 400', async () => {
    const { consultationId, e164 } = await accepted();
    await book(consultationId, 180);
    const token = tokenOf(textsTo(e164)[0]!.body);
    const victim = new Browser(t.app);
    const page = await victim.get(`/a/${token}`);
    assert.match(page.body, /data-testid="another-time-form"/);
    const offered = [...page.body.matchAll(/name="choice" type="radio" value="(\d{4}-[^"]+)"/g)].map((m) => m[1]!);
    assert.ok(offered.length >= 1, 'a few times are offered');
    const bad = await victim.post(`/a/${token}/another-time`, { choice: 'next-tuesday' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Choose one of the times/);
    const asked = await victim.post(`/a/${token}/another-time`, { choice: offered[0]! });
    assert.equal(asked.statusCode, 200);
    assert.match(asked.body, /We have your request/);
    const [request] = await audited('appointment.change_requested', consultationId);
    assert.equal(request?.details.requestedSlot, offered[0]);
    const officerPage = await officerBrowser.get(`/consultations/${consultationId}`);
    assert.match(officerPage.body, /data-testid="appointment-request"/);
    await victim.get(`/a/${token}`);
    await victim.post(`/a/${token}/another-time`, { choice: 'evening' });
    await victim.get(`/a/${token}`);
    await victim.post(`/a/${token}/another-time`, { choice: 'morning' });
    await victim.get(`/a/${token}`);
    const capped = await victim.post(`/a/${token}/another-time`, { choice: 'afternoon' });
    assert.equal(capped.statusCode, 429);
    assert.equal((await audited('appointment.change_requested', consultationId)).length, t.config.appointments.maxChangeRequests);
    const upcoming = await t.services.appointments.upcoming();
    assert.equal(upcoming.find((a) => a.consultationId === consultationId)?.requestText, 'Morning (9am to 12pm)');
  });

  it('nobody joined by the end of the window: missed, a follow-up on the supervisor list, recorded with a note (audited)', async () => {
    const { consultationId, e164 } = await accepted();
    const { slot } = await book(consultationId, 30);
    clockOffset = slot.getTime() + (t.config.appointments.windowAfterMinutes + 1) * MINUTE - Date.now();
    await t.services.appointments.runDue();
    clockOffset = 0;
    const latest = await t.services.appointments.forConsultation(consultationId);
    assert.equal(latest?.status, 'missed');
    assert.equal(textsTo(e164).length, 1, 'no reminder for a window already closed');
    assert.equal((await audited('appointment.missed', consultationId)).length, 1);
    const victimPage = await new Browser(t.app).get(`/a/${tokenOf(textsTo(e164)[0]!.body)}`);
    assert.match(victimPage.body, /has passed/);
    assert.match((await supervisorBrowser.get('/supervisor/board')).body, /href="\/supervisor\/appointments"/, 'reached from the supervisor board');
    const list = await supervisorBrowser.get('/supervisor/appointments');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, new RegExp(`data-appointment="${latest.id}"`));
    const empty = await supervisorBrowser.post(`/supervisor/appointments/${latest.id}/follow-up`, { note: ' ' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Say what was done/);
    await supervisorBrowser.get('/supervisor/appointments');
    const done = await supervisorBrowser.post(`/supervisor/appointments/${latest.id}/follow-up`, { note: 'Texted a new time; she will call 101' });
    assert.equal(done.statusCode, 303);
    const [followUp] = await audited('appointment.follow_up_done', consultationId);
    assert.equal(followUp?.justification, 'Texted a new time; she will call 101');
    assert.doesNotMatch((await supervisorBrowser.get('/supervisor/appointments')).body, new RegExp(`data-appointment="${latest.id}"`));
    const twice = await supervisorBrowser.post(`/supervisor/appointments/${latest.id}/follow-up`, { note: 'again' });
    assert.equal(twice.statusCode, 409);
    clockOffset = 0;
  });

  it('handing the consultation back or ending it cancels its appointment: no reminder follows', async () => {
    const { consultationId, e164 } = await accepted();
    const { slot } = await book(consultationId, 45);
    await t.services.consultations.transition(contextFor(officer), consultationId, 'abandoned', 'The victim called back: attended in person');
    assert.equal((await t.services.appointments.forConsultation(consultationId))?.status, 'cancelled');
    clockOffset = slot.getTime() - Date.now();
    await t.services.appointments.runDue();
    assert.equal(textsTo(e164).length, 1);
    clockOffset = 0;
  });
});
