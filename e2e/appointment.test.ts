import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { londonWallClock } from '../src/domain/retention.js';
import { allowRoundTheClock, callInput, contextFor } from '../test/support/test-app.js';
import { axeChecker } from './support/axe.js';
import { launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Issue 17 §4 (policy 4.0): a video appointment booked, reminded and joined, in Chromium. The officer books it on the
 * consultation page; the victim's texts (the development outbox) carry the time and then the link; the reminder is the
 * job's work (runDue, what the every-minute job runs); the victim joins from the appointment page in the window and
 * reaches the call's consent step. It stops there: no media, so this is not a call file.
 * The second case is one the call handler books at triage (intake form), which an officer takes from the RVR queue.
 */
describe('video appointment for later: booked, reminded, joined (issue 17 §4, RVR-07, RVR-11)', () => {
  let server: RunningServer;
  let officer: Participant;
  let victim: Participant;
  const axe = axeChecker();
  /** The job's work, run by each test at the step it means (see below). */
  let runDue: () => Promise<{ reminded: number; missed: number; failed: number }>;
  before(async () => {
    server = await startServer();
    // The server's every-minute job runs the same work on its own at the next minute boundary, and the slots here are
    // due at once: it would send the reminder at a moment of its choosing (once before an officer took the triage
    // booking, failing that step). So the scheduled run finds nothing to do, and the tests call the work themselves.
    const appointments = server.runtime.services.appointments;
    runDue = appointments.runDue.bind(appointments);
    appointments.runDue = () => Promise.resolve({ reminded: 0, missed: 0, failed: 0 });
    [officer, victim] = await Promise.all([launchParticipant(), launchParticipant()]);
  });
  after(async () => {
    await Promise.all([officer?.close(), victim?.close()]);
    await server?.stop();
  });

  it('books a time on the consultation page, texts it, reminds with the link, and the victim joins into the consent step', async () => {
    const services = server.runtime.services;
    await allowRoundTheClock(services);
    const handlerUser = (await services.data.repos.users.findByUsername('handler'))!;
    const officerUser = (await services.data.repos.users.findByUsername('officer'))!;
    const triaged = await services.triage.intake(contextFor(handlerUser), callInput({ mobile: '07700 900777' }), 'e2e');
    const consultationId = triaged.consultation.id;
    await services.consultations.transition(contextFor(officerUser), consultationId, 'accepted');

    // The officer books it: the slot a few minutes ahead, so the window (15 minutes before by default) is already open.
    const { page } = officer;
    await new SignInPage(page).signInAndAcknowledge(server.baseUrl, 'officer', DEMO_PASSWORD);
    await page.goto(`${server.baseUrl}/consultations/${consultationId}`);
    await page.getByTestId('book-appointment-link').click();
    await page.waitForURL(/\/appointment$/);
    await axe.check(page, 'officer: book a video appointment');
    const slot = new Date(Math.ceil((Date.now() + 3 * 60_000) / 60_000) * 60_000);
    const wall = londonWallClock(slot);
    await page.getByLabel('An interpreter is needed').check();
    await page.getByLabel('Date (UK)').fill(`${wall.year}-${pad(wall.month)}-${pad(wall.day)}`);
    await page.getByLabel('Time (UK, 24-hour)').fill(`${pad(wall.hour)}:${pad(wall.minute)}`);
    await page.getByTestId('book-appointment').click();
    await page.waitForURL(new RegExp(`/consultations/${consultationId}$`));
    assert.equal((await page.getByTestId('state').textContent())?.trim(), 'appointment booked');
    assert.match((await page.getByTestId('appointment').textContent()) ?? '', /An interpreter is needed/);

    // The booking text: the time, neutral words, the appointment page's link.
    const outbox = services.smsOutbox!;
    const booking = outbox.list().find((m) => m.to === '+447700900777')!;
    assert.ok(booking, 'the booking was texted');
    assert.doesNotMatch(booking.body, /police|abuse|officer/i, 'RVR-11');
    assert.match(booking.body, /Your video appointment is on .+ at \d{1,2}:\d{2}(am|pm)/);

    // The RVR queue shows the appointment with its officer.
    await page.goto(`${server.baseUrl}/officer`);
    const row = page.getByTestId('appointments').locator('tbody tr', { hasText: triaged.consultation.reference });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /PC /);

    // Shortly before: the job's work opens the call, invites, and texts the link.
    const run = await runDue();
    assert.equal(run.reminded, 1);
    const reminder = outbox.list().filter((m) => m.to === '+447700900777')[0]!;
    assert.notEqual(reminder.body, booking.body);
    assert.match(reminder.body, /Here is the link for your video call: http/);
    assert.doesNotMatch(reminder.body, /police|abuse|officer/i, 'RVR-11');
    // The server listens on a free port chosen at start, after PUBLIC_BASE_URL was read: the link's path on its address.
    const link = `${server.baseUrl}${new URL(/https?:\/\/\S+/.exec(reminder.body)![0]).pathname}`;

    // The victim opens it in the window, joins, and reaches the call's consent step.
    await victim.page.goto(link);
    await victim.page.getByTestId('exit-this-page').waitFor();
    assert.match((await victim.page.getByTestId('appointment-status').textContent()) ?? '', /It is time for your appointment/);
    await axe.check(victim.page, 'victim: appointment page (open)');
    await victim.page.getByTestId('join-appointment').click();
    await victim.page.getByLabel('I agree to the video call').waitFor();
    assert.match(new URL(victim.page.url()).pathname, /^\/v\/call$/);
    assert.equal((await services.appointments.forConsultation(consultationId))?.status, 'joined');
    assert.equal((await services.consultations.summary(consultationId)).state, 'invited');

    fs.mkdirSync('test-results', { recursive: true });
    await victim.page.screenshot({ path: 'test-results/appointment-joined.png', fullPage: true });
    assert.equal(axe.report(), '', 'no serious or critical accessibility violations');
  });

  it('the call handler books at triage in the intake form, an officer takes it from the RVR queue, the reminder texts the link, and the victim reaches the join step', async () => {
    const services = server.runtime.services;
    await allowRoundTheClock(services);
    // Its own people: the first case's officer is on that call now (the reminder invited them).
    const [handler, taker, caller] = await Promise.all([launchParticipant(), launchParticipant(), launchParticipant()]);
    try {
      // The call handler's intake form: "No, not now: book a video appointment", a few minutes ahead (window open).
      const { page } = handler;
      await new SignInPage(page).signInAndAcknowledge(server.baseUrl, 'handler', DEMO_PASSWORD);
      await page.goto(`${server.baseUrl}/control-room/calls/new`);
      const slot = new Date(Math.ceil((Date.now() + 3 * 60_000) / 60_000) * 60_000);
      const wall = londonWallClock(slot);
      await page.getByLabel('CAD incident reference').fill('CAD-E2E-APPT-1');
      await page.getByLabel('2 – priority').check();
      await page.getByLabel('Caller’s name').fill('E2E Appointment Caller');
      await page.getByLabel('Mobile number').fill('07700 900778');
      await page.getByLabel('Relationship to the suspect').selectOption('ex_partner');
      await page.getByLabel('18 or over', { exact: true }).check();
      await page.getByLabel('Suspect: 18 or over').check();
      await page.getByLabel('a video call').check();
      await page.getByLabel('the call being recorded').check();
      await page.getByLabel('No, not now: book a video appointment').check();
      await page.getByLabel('Date (UK)').fill(`${wall.year}-${pad(wall.month)}-${pad(wall.day)}`);
      await page.getByLabel('Time (UK, 24-hour)').fill(`${pad(wall.hour)}:${pad(wall.minute)}`);
      await axe.check(page, 'call handler: intake form, booking a video appointment');
      await page.getByRole('button', { name: 'Decide and hand over' }).click();
      await page.waitForURL(/\/consultations\/[0-9a-f-]{36}$/);
      assert.equal((await page.getByTestId('state').textContent())?.trim(), 'appointment booked');
      await page.getByTestId('appointment-no-officer').waitFor();
      await axe.check(page, 'call handler: consultation page, appointment booked at triage');
      const consultationId = /\/consultations\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
      const reference = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();

      // The booking text (RVR-11: neutral words), whose link is the appointment page.
      const outbox = services.smsOutbox!;
      const texts = () => outbox.list().filter((m) => m.to === '+447700900778');
      const [booking] = texts();
      assert.ok(booking, 'the booking was texted');
      assert.equal(texts().length, 1);
      assert.doesNotMatch(booking.body, /police|abuse|officer|crime/i, 'RVR-11');
      assert.match(booking.body, /Your video appointment is on .+ at \d{1,2}:\d{2}(am|pm)/);
      const appointmentPage = `${server.baseUrl}${new URL(/https?:\/\/\S+/.exec(booking.body)![0]).pathname}`;
      assert.match(appointmentPage, /\/a\/[A-Za-z0-9_-]{43}$/);

      // The victim's phone (issue 17 §5: 390×844).
      await caller.page.setViewportSize({ width: 390, height: 844 });
      // The victim opens the booking text's link: the appointment page, and its error state (asked for another time, none chosen).
      await caller.page.goto(appointmentPage);
      await caller.page.getByTestId('exit-this-page').waitFor();
      await axe.check(caller.page, 'victim: appointment page from the booking text');
      await caller.page.getByTestId('ask-another-time').click();
      await caller.page.locator('.govuk-error-summary').waitFor();
      await axe.check(caller.page, 'victim: appointment page, another time asked with none chosen (error state)');
      assert.equal((await services.appointments.forConsultation(consultationId))?.status, 'booked', 'nothing changed by the refused request');

      // An officer takes it from the RVR queue: "Take it" on the row without an officer.
      const officerPage = taker.page;
      await new SignInPage(officerPage).signInAndAcknowledge(server.baseUrl, 'officer2', DEMO_PASSWORD);
      await officerPage.goto(`${server.baseUrl}/officer`);
      const row = officerPage.getByTestId('appointments').locator('tbody tr', { hasText: reference });
      await row.waitFor();
      assert.match((await row.textContent()) ?? '', /No officer yet/);
      await axe.check(officerPage, 'officer: RVR queue with an appointment booked at triage');
      await row.getByTestId('take-appointment').click();
      await officerPage.waitForURL(new RegExp(`/consultations/${consultationId}$`));
      assert.equal((await officerPage.getByTestId('state').textContent())?.trim(), 'appointment booked');
      assert.equal(await officerPage.getByTestId('appointment-no-officer').count(), 0, 'an officer holds it now');
      await axe.check(officerPage, 'officer: consultation page, appointment taken');
      const officer2 = (await services.data.repos.users.findByUsername('officer2'))!;
      assert.equal((await services.appointments.forConsultation(consultationId))?.officerId, officer2.id);
      await officerPage.goto(`${server.baseUrl}/officer`);
      const takenRow = officerPage.getByTestId('appointments').locator('tbody tr', { hasText: reference });
      await takenRow.waitFor();
      assert.match((await takenRow.textContent()) ?? '', /PC Second Officer/);
      assert.equal(await takenRow.getByTestId('take-appointment').count(), 0);

      // Shortly before: the job's work (runDue) opens the call, invites, and texts the link.
      const run = await runDue();
      assert.equal(run.reminded, 1);
      assert.equal(texts().length, 2, 'the booking text, then the reminder');
      const reminder = texts()[0]!;
      assert.match(reminder.body, /Here is the link for your video call: http/);
      assert.doesNotMatch(reminder.body, /police|abuse|officer|crime/i, 'RVR-11');
      assert.equal((await services.consultations.summary(consultationId)).state, 'invited');
      const link = `${server.baseUrl}${new URL(/https?:\/\/\S+/.exec(reminder.body)![0]).pathname}`;

      // The victim opens it in the window: the page offers joining; joining leads to the call's consent step (no call yet).
      await caller.page.goto(link);
      await caller.page.getByTestId('exit-this-page').waitFor();
      assert.match((await caller.page.getByTestId('appointment-status').textContent()) ?? '', /It is time for your appointment/);
      const join = caller.page.getByTestId('join-appointment');
      assert.ok(await join.isVisible(), 'the page offers joining');
      await axe.check(caller.page, 'victim: appointment page in the window (booked at triage)');
      await join.click();
      await caller.page.getByLabel('I agree to the video call').waitFor();
      assert.match(new URL(caller.page.url()).pathname, /^\/v\/call$/);
      assert.equal((await services.appointments.forConsultation(consultationId))?.status, 'joined');
      await axe.check(caller.page, 'victim: consent step after joining an appointment');
      assert.equal(axe.report(), '', 'no serious or critical accessibility violations');
    } finally {
      await Promise.all([handler.close(), taker.close(), caller.close()]);
    }
  });
});
