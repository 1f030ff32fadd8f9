import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { DEFAULT_SURVEY_TEXT } from '../../src/config.js';
import { hashToken } from '../../src/features/video/call-tokens.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

type Staff = Awaited<ReturnType<typeof createUser>>;

/** A call to its end, through the services, with the victim joining the video (or never opening the link). */
async function endCallThroughServices(
  t: TestApp,
  staff: { handler: Staff; officer: Staff },
  mobile: string,
  options: { victimJoins: boolean; quickExit?: boolean },
) {
  const { consultation } = await newCall(t.services, staff.handler, { mobile });
  const officerContext = contextFor(staff.officer);
  await t.services.consultations.transition(officerContext, consultation.id, 'accepted');
  const call = await t.services.calls.lifecycle.openCall(officerContext, consultation.id);
  const { link } = await t.services.calls.links.sendInvite(officerContext, call.id, { role: 'victim' });
  if (options.victimJoins) {
    const { participant } = await t.services.calls.links.redeemLink(link.split('/v/')[1]!, undefined, 'test');
    const victimContext = { actor: { type: 'link' as const, participantId: participant.id, role: 'victim' as const }, correlationId: 'test' };
    await t.services.calls.consent.giveConsent(victimContext, { participant, call }, { video: true, recording: true });
    await t.services.calls.lifecycle.participantJoined(victimContext, participant);
    await t.services.calls.lifecycle.markConnected(call.id);
    if (options.quickExit) await t.services.calls.lifecycle.participantLeft(victimContext, participant, 'quick_exit');
    await t.services.calls.lifecycle.endCall(officerContext, call.id, 'finished');
  } else {
    await t.services.consultations.transition(officerContext, consultation.id, 'abandoned', 'The victim did not open the link');
  }
  const ended = await t.services.consultations.summary(consultation.id);
  return { consultation: ended, e164: `+44${mobile.replace(/\s/g, '').slice(1)}` };
}

// Issue 7 item 8 (policy 2.2): the victim satisfaction survey. RVR-07 link rules, RVR-11 neutral text, DP-* nothing personal kept.
await describeOnDatabase('victim satisfaction survey (issue 7 item 8, RVR-07, RVR-11)', (kind) => {
  let t: TestApp;
  // Moved forward to pass the survey's delay and expiry; otherwise the app's clock follows real time.
  let clockOffset = 0;
  let phoneNumber = 0;
  const logLines: string[] = [];
  let handler: Staff;
  let officer: Staff;
  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    t = await buildTestApp(kind, { now: () => new Date(Date.now() + clockOffset), logDestination: destination });
    handler = await createUser(t.services, 'sv-handler', ['call_handler']);
    officer = await createUser(t.services, 'sv-officer', ['rvr_officer']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const endedCall = async (victimJoins: boolean, options: { quickExit?: boolean } = {}) => {
    phoneNumber += 1;
    return endCallThroughServices(t, { handler, officer }, `07700 900${String(100 + phoneNumber)}`, { victimJoins, ...options });
  };
  const surveyTextTo = (e164: string) => t.services.smsOutbox!.list().find((m) => m.to === e164 && m.body.includes('/s/'));
  const tokenOf = (body: string) => /\/s\/([A-Za-z0-9_-]{43})(?:\s|$)/.exec(body)![1]!;
  /** Ends a call the victim joined, moves the clock past the delay and sends; returns the survey's link token. */
  const sentSurvey = async () => {
    const { consultation, e164 } = await endedCall(true);
    clockOffset = (t.config.outcomes.surveyDelayMinutes + 1) * 60_000;
    await t.services.surveys.sendDue();
    clockOffset = 0;
    const text = surveyTextTo(e164);
    assert.ok(text, 'the survey was texted');
    return { consultation, token: tokenOf(text.body), text };
  };
  const refusals = () =>
    queryRows<{ refusal: string; survey_id: string | null }>(
      t.db.database,
      sql`select details->>'refusal' as refusal, details->>'surveyId' as survey_id from audit_events where what = 'survey.link_refused' order by seq`,
    );

  it('is scheduled when a consultation the victim joined ends, with the configured delay and lifetime; not when the victim never joined', async () => {
    const before = (await t.services.outcomes.dashboard({})).total;
    const joined = await endedCall(true);
    assert.equal(joined.consultation.state, 'completed');
    // The call made through the services shows in the dashboard's figures, read from what the services stored.
    const after = (await t.services.outcomes.dashboard({})).total;
    assert.equal(after.callsTriaged, before.callsTriaged + 1);
    assert.equal(after.connected.count, before.connected.count + 1);
    assert.equal(after.timeToOfficer.count, before.timeToOfficer.count + 1);
    assert.equal(after.queueWait.count, before.queueWait.count + 1);
    assert.equal(after.officerTime.count, before.officerTime.count + 1);
    assert.equal(after.videoTime.count, before.videoTime.count + 1);
    const survey = await t.services.data.repos.surveys.findByConsultation(joined.consultation.id);
    assert.ok(survey);
    assert.equal(survey.state, 'scheduled');
    // send_after = ended + 60 min (default); expires_at = send_after + 72 h (default)
    assert.equal(survey.sendAfter.getTime(), joined.consultation.endedAt!.getTime() + t.config.outcomes.surveyDelayMinutes * 60_000);
    assert.equal(survey.expiresAt.getTime(), survey.sendAfter.getTime() + t.config.outcomes.surveyTtlHours * 3_600_000);
    assert.equal(survey.rating, null);
    const scheduled = await queryRows(
      t.db.database,
      sql`select 1 from audit_events where what = 'survey.scheduled' and subject = ${`consultation:${joined.consultation.id}`}`,
    );
    assert.equal(scheduled.length, 1);

    const neverJoined = await endedCall(false);
    assert.equal(neverJoined.consultation.state, 'abandoned');
    assert.equal(await t.services.data.repos.surveys.findByConsultation(neverJoined.consultation.id), undefined);
  });

  it('RVR-11: a victim who used the quick exit is not texted a survey (someone else may have the phone)', async () => {
    const { consultation } = await endedCall(true, { quickExit: true });
    assert.equal(consultation.state, 'completed');
    assert.equal(await t.services.data.repos.surveys.findByConsultation(consultation.id), undefined);
    const skipped = await queryRows(
      t.db.database,
      sql`select 1 from audit_events where what = 'survey.not_scheduled' and subject = ${`consultation:${consultation.id}`}`,
    );
    assert.equal(skipped.length, 1);
  });

  it('RVR-11: is not sent before the delay; after it, a neutral text with the single-use link goes to the incident’s number', async () => {
    const { consultation, e164 } = await endedCall(true);
    clockOffset = (t.config.outcomes.surveyDelayMinutes - 1) * 60_000;
    await t.services.surveys.sendDue();
    assert.equal(surveyTextTo(e164), undefined, 'nothing sent a minute before the delay');
    assert.equal((await t.services.data.repos.surveys.findByConsultation(consultation.id))!.state, 'scheduled');

    clockOffset = (t.config.outcomes.surveyDelayMinutes + 1) * 60_000;
    const result = await t.services.surveys.sendDue();
    clockOffset = 0;
    assert.ok(result.sent >= 1);
    const text = surveyTextTo(e164)!;
    const token = tokenOf(text.body);
    assert.equal(text.body, DEFAULT_SURVEY_TEXT.replace('{link}', `${t.config.publicBaseUrl}/s/${token}`));
    assert.doesNotMatch(text.body, /police|officer|crime|abuse|victim|999|101/i);
    // 256 random bits; only the hash is stored, and the number is not copied onto the survey.
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    const survey = (await t.services.data.repos.surveys.findByConsultation(consultation.id))!;
    assert.equal(survey.state, 'sent');
    assert.equal(survey.tokenHash, hashToken(token));
    assert.equal(survey.provider, 'outbox');
    assert.ok(survey.providerMessageId);
    assert.ok(survey.sentAt);
    const stored = JSON.stringify(await queryRows(t.db.database, sql`select * from satisfaction_surveys`));
    assert.ok(!stored.includes(token) && !stored.includes(e164.slice(3)), 'neither the token nor the number is stored with the survey');
    const audit = JSON.stringify(await queryRows(t.db.database, sql`select * from audit_events`));
    assert.ok(!audit.includes(token), 'the token is in no audit event');
    // Sent once: a second run sends nothing more for it.
    await t.services.surveys.sendDue();
    assert.equal(t.services.smsOutbox!.list().filter((m) => m.to === e164 && m.body.includes('/s/')).length, 1);
  });

  it('is answered once with a 1–5 rating and an optional comment; bad answers get a 400 that says what to fix; reuse is refused and audited; the answer reaches the dashboard', async () => {
    const before = (await t.services.outcomes.dashboard({})).total.satisfaction;
    const { consultation, token } = await sentSurvey();
    const victim = new Browser(t.app);
    const page = await victim.get(`/s/${token}`);
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.body, /data-testid="survey-form"/);
    assert.match(page.body, /<legend[^>]*>\s*How satisfied are you with how your call was handled\?/);
    assert.doesNotMatch(page.body, /rvr-header|Sign out|police/i, 'no staff header, nothing that says police');
    assert.doesNotMatch(page.body, new RegExp(token), 'the token is not repeated in the page');

    for (const [rating, expected] of [
      ['0', /Choose a number from 1 to 5/],
      ['6', /Choose a number from 1 to 5/],
      ['x', /Choose a number from 1 to 5/],
      ['', /Choose a number from 1 to 5/],
    ] as const) {
      const refused = await victim.post(`/s/${token}`, { rating });
      assert.equal(refused.statusCode, 400, `rating "${rating}"`);
      assert.match(refused.body, expected);
      assert.match(refused.body, /data-testid="survey-errors"/);
    }
    const tooLong = await victim.post(`/s/${token}`, { rating: '4', comment: 'a'.repeat(1001) });
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.body, /Your comment must be 1000 characters or fewer/);
    assert.equal((await t.services.data.repos.surveys.findByConsultation(consultation.id))!.state, 'sent', 'nothing recorded by a refused answer');

    const answered = await victim.post(`/s/${token}`, { rating: '4', comment: '  Quick and kind.  ' });
    assert.equal(answered.statusCode, 200);
    assert.match(answered.body, /data-testid="survey-thanks"/);
    const survey = (await t.services.data.repos.surveys.findByConsultation(consultation.id))!;
    assert.equal(survey.state, 'answered');
    assert.equal(survey.rating, 4);
    assert.equal(survey.comment, 'Quick and kind.');

    const again = await victim.post(`/s/${token}`, { rating: '1' });
    assert.equal(again.statusCode, 410);
    assert.match(again.body, /You have already answered/);
    const reopened = await victim.get(`/s/${token}`);
    assert.equal(reopened.statusCode, 410);
    assert.equal((await t.services.data.repos.surveys.findByConsultation(consultation.id))!.rating, 4, 'the first answer stands');
    const used = (await refusals()).filter((r) => r.survey_id === survey.id);
    assert.deepEqual(
      used.map((r) => r.refusal),
      ['used', 'used'],
    );
    const answeredAudit = JSON.stringify(await queryRows(t.db.database, sql`select details from audit_events where what = 'survey.answered'`));
    assert.doesNotMatch(answeredAudit, /Quick and kind/, 'the comment stays in its table');

    const after = (await t.services.outcomes.dashboard({})).total.satisfaction;
    assert.equal(after.answered, before.answered + 1);
    assert.equal(after.distribution[3], before.distribution[3] + 1);
  });

  it('an expired link is refused (410) and audited; a survey not sent before its link would expire is never sent', async () => {
    const { token } = await sentSurvey();
    const hours = t.config.outcomes.surveyTtlHours;
    clockOffset = (t.config.outcomes.surveyDelayMinutes + hours * 60 + 2) * 60_000;
    const victim = new Browser(t.app);
    const expired = await victim.get(`/s/${token}`);
    assert.equal(expired.statusCode, 410);
    assert.match(expired.body, /This link has expired/);
    const posted = await victim.post(`/s/${token}`, { rating: '5' }, { withCsrf: false });
    // Without a page to take a form token from, the form cannot be sent; with the link expired it is refused either way.
    assert.ok([403, 410].includes(posted.statusCode));
    clockOffset = 0;

    const { consultation, e164 } = await endedCall(true);
    clockOffset = (t.config.outcomes.surveyDelayMinutes + hours * 60 + 2) * 60_000;
    const result = await t.services.surveys.sendDue();
    clockOffset = 0;
    assert.ok(result.expired >= 1);
    assert.equal(surveyTextTo(e164), undefined);
    assert.equal((await t.services.data.repos.surveys.findByConsultation(consultation.id))!.state, 'expired');
    assert.ok((await refusals()).some((r) => r.refusal === 'expired'));
  });

  it('unknown and malformed links get a calm 404, logged but not audited (they concern no one); no token reaches the logs', async () => {
    const refusedBefore = (await refusals()).length;
    const unknownToken = 'A'.repeat(43);
    const unknown = await t.app.inject({ method: 'GET', url: `/s/${unknownToken}` });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /This link does not work/);
    const malformed = await t.app.inject({ method: 'GET', url: '/s/not-a-token' });
    assert.equal(malformed.statusCode, 404);
    assert.match(malformed.body, /This link is not complete/);
    assert.equal((await refusals()).length, refusedBefore, 'a stranger cannot write to the audit chain from a public page');
    assert.match(logLines.join(''), /"refusal":"unknown"/);
    assert.match(logLines.join(''), /"refusal":"malformed"/);
    const { token } = await sentSurvey();
    await t.app.inject({ method: 'GET', url: `/s/${token}` });
    const logs = logLines.join('');
    assert.ok(logs.includes('/s/[redacted]'), 'survey requests are logged with the token redacted');
    assert.ok(!logs.includes(token) && !logs.includes(unknownToken), 'no survey token in the logs');
  });
});

await describeOnDatabase('victim satisfaction survey: texts through a real provider protocol', (kind) => {
  let t: TestApp;
  let twilio: FakeTwilio;
  let clockOffset = 0;
  let staff: { handler: Staff; officer: Staff };
  before(async () => {
    twilio = await startFakeTwilio();
    t = await buildTestApp(kind, {
      now: () => new Date(Date.now() + clockOffset),
      env: {
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_FROM: '+447700900000',
        TWILIO_BASE_URL: twilio.url,
      },
    });
    staff = { handler: await createUser(t.services, 'svt-handler', ['call_handler']), officer: await createUser(t.services, 'svt-officer', ['rvr_officer']) };
    await allowRoundTheClock(t.services);
  });
  after(async () => {
    await t.close();
    await twilio.close();
  });
  const sendDueLater = async () => {
    clockOffset = (t.config.outcomes.surveyDelayMinutes + 1) * 60_000;
    try {
      return await t.services.surveys.sendDue();
    } finally {
      clockOffset = 0;
    }
  };

  it('records the provider’s message id; a provider outage is retried on the next run, a refused number is not, and neither error holds the number', async () => {
    const { consultation } = await endCallThroughServices(t, staff, '07700 900551', { victimJoins: true });
    twilio.failNext(503);
    assert.deepEqual(await sendDueLater(), { sent: 0, failed: 1, expired: 0 });
    let survey = (await t.services.data.repos.surveys.findByConsultation(consultation.id))!;
    assert.equal(survey.state, 'scheduled', 'retryable: back in the queue');
    assert.match(survey.sendError!, /unavailable/);
    assert.equal(survey.sentAt, null);

    assert.deepEqual(await sendDueLater(), { sent: 1, failed: 0, expired: 0 });
    const request = twilio.received.at(-1)!;
    assert.equal(request.form.To, '+447700900551');
    assert.match(request.form.Body ?? '', /\/s\/[A-Za-z0-9_-]{43}$/);
    survey = (await t.services.data.repos.surveys.findByConsultation(consultation.id))!;
    assert.equal(survey.state, 'sent');
    assert.equal(survey.provider, 'twilio');
    assert.equal(survey.providerMessageId, request.sid);
    assert.equal(survey.sendError, null);

    const refused = await endCallThroughServices(t, staff, '07700 900552', { victimJoins: true });
    twilio.failNext(400);
    assert.deepEqual(await sendDueLater(), { sent: 0, failed: 1, expired: 0 });
    const failed = (await t.services.data.repos.surveys.findByConsultation(refused.consultation.id))!;
    assert.equal(failed.state, 'send_failed');
    assert.ok(failed.sendError);
    assert.doesNotMatch(failed.sendError, /7700/);
    assert.deepEqual(await sendDueLater(), { sent: 0, failed: 0, expired: 0 }, 'not retried');
  });
});
