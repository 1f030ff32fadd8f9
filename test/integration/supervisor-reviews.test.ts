import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { riskAssessments } from '../../src/features/investigation/investigation.schema.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';
import { systemContext } from '../../src/platform/context.js';
import { REVIEW_CHECKLIST } from '../../src/features/supervisor/review-checklist.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

type User = Awaited<ReturnType<typeof createUser>>;

/** A test app with its staff, and ways to end a consultation the way officers do. */
async function reviewApp(kind: 'pglite' | 'postgres', samplePercent: string) {
  const t = await buildTestApp(kind, { env: { REVIEW_SAMPLE_PERCENT: samplePercent } });
  const officer = await createUser(t.services, 'qr-officer', ['rvr_officer']);
  const officer2 = await createUser(t.services, 'qr-officer2', ['rvr_officer']);
  const handler = await createUser(t.services, 'qr-handler', ['call_handler']);
  const supervisor = await createUser(t.services, 'qr-super', ['supervisor']);
  await allowRoundTheClock(t.services);
  const accepted = async (by: User = officer) => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(by), consultation.id, 'accepted');
    return consultation.id;
  };
  const gradeHigh = (consultationId: string) =>
    t.db.database.db.insert(riskAssessments).values({
      consultationId,
      formVersion: 'DASH2009',
      state: 'completed',
      answers: {},
      grade: 'high',
      actuarialGrade: 'high',
      yesCount: 15,
      updatedAt: new Date(),
      completedAt: new Date(),
    });
  const escalate = (consultationId: string, by: User = officer) =>
    t.services.consultations.transition(contextFor(by), consultationId, 'escalated_to_attendance', 'Needs officers at the address');
  const review = (consultationId: string) => t.services.data.repos.supervision.findReviewByConsultation(consultationId);
  return { t, officer, officer2, handler, supervisor, accepted, gradeHigh, escalate, review };
}

const auditOf = async (t: TestApp, what: string, subject?: string) =>
  (await t.services.data.repos.audit.pageAfter(0, 100_000)).filter((e) => e.what === what && (!subject || e.subject === subject));

/** A full checklist answer, every item met, with feedback. */
function completeForm(overrides: Record<string, string> = {}): Record<string, string> {
  const form: Record<string, string> = { feedback: 'Clear consent, thorough DASH. Remember to give Clare’s Law information.' };
  for (const item of REVIEW_CHECKLIST) form[`score_${item.id}`] = 'met';
  return { ...form, ...overrides };
}

await describeOnDatabase('quality review sampling: 100 % sample (policy 4.0, EVD-15)', (kind) => {
  let s: Awaited<ReturnType<typeof reviewApp>>;
  before(async () => (s = await reviewApp(kind, '100')));
  after(() => s.t.close());

  it('EVD-15: with a 100 % sample every consultation an officer answered is queued when it ends, with why and the officer', async () => {
    const id = await s.accepted();
    assert.equal(await s.review(id), undefined, 'nothing is queued before the end');
    await s.escalate(id);
    const queued = (await s.review(id))!;
    assert.equal(queued.state, 'queued');
    assert.equal(queued.sampledBecause, 'random');
    assert.equal(queued.officerId, s.officer.id);
    const audit = await auditOf(s.t, 'quality_review.queued', `consultation:${id}`);
    assert.equal(audit.length, 1);
    assert.equal((audit[0]!.details as { sampledBecause: string }).sampledBecause, 'random');
  });

  it('an abandoned consultation (no response given) is not in the random sample, even at 100 %', async () => {
    const id = await s.accepted();
    await s.t.services.consultations.transition(contextFor(s.officer), id, 'abandoned', 'Victim could not be reached');
    assert.equal(await s.review(id), undefined);
  });

  it('EVD-15: an abandoned consultation with a High risk assessment is still queued, as high risk', async () => {
    const id = await s.accepted();
    await s.gradeHigh(id);
    await s.t.services.consultations.transition(contextFor(s.officer), id, 'abandoned', 'The victim stopped answering');
    assert.equal((await s.review(id))?.sampledBecause, 'high_risk');
  });

  it('a High-risk call picked at random too is recorded as both', async () => {
    const id = await s.accepted();
    await s.gradeHigh(id);
    await s.escalate(id);
    assert.equal((await s.review(id))!.sampledBecause, 'random_and_high_risk');
  });

  it('a High grade completed after the end adds high risk to a queued random review (queueIfHighRisk)', async () => {
    const id = await s.accepted();
    await s.escalate(id);
    await s.gradeHigh(id);
    await s.t.services.data.transaction((tx) => s.t.services.qualityReviews.queueIfHighRisk(tx, systemContext('test', 'test'), id, new Date()));
    assert.equal((await s.review(id))!.sampledBecause, 'random_and_high_risk');
  });
});

await describeOnDatabase('quality review sampling: 0 % sample, High risk always (EVD-15)', (kind) => {
  let s: Awaited<ReturnType<typeof reviewApp>>;
  before(async () => (s = await reviewApp(kind, '0')));
  after(() => s.t.close());

  it('a draft assessment showing High is not final: not queued at the end', async () => {
    const id = await s.accepted();
    await s.t.db.database.db
      .insert(riskAssessments)
      .values({ consultationId: id, formVersion: 'DASH2009', state: 'draft', answers: {}, grade: 'high', actuarialGrade: 'high', updatedAt: new Date() });
    await s.escalate(id);
    assert.equal(await s.review(id), undefined);
  });

  it('a High assessment being amended stays High until the amendment is completed (the latest final version counts)', async () => {
    const id = await s.accepted();
    const base = { consultationId: id, formVersion: 'DASH2009', answers: {}, updatedAt: new Date() };
    await s.t.db.database.db.insert(riskAssessments).values([
      { ...base, version: 1, state: 'superseded', grade: 'high', actuarialGrade: 'high', completedAt: new Date() },
      { ...base, version: 2, state: 'draft', grade: 'standard', actuarialGrade: 'standard' },
    ]);
    await s.escalate(id);
    assert.equal((await s.review(id))?.sampledBecause, 'high_risk');
  });

  it('with a 0 % sample an ordinary consultation is never queued', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await s.accepted();
      await s.escalate(id);
      assert.equal(await s.review(id), undefined);
    }
  });

  it('a consultation assessed High is always queued, as high risk', async () => {
    const id = await s.accepted();
    await s.gradeHigh(id);
    await s.escalate(id);
    const queued = (await s.review(id))!;
    assert.equal(queued.sampledBecause, 'high_risk');
    assert.equal(queued.officerId, s.officer.id);
  });

  it('a DASH completed High after the call ended queues the review then (queueIfHighRisk); before the end it waits for the end', async () => {
    const open = await s.accepted();
    await s.gradeHigh(open);
    await s.t.services.data.transaction((tx) => s.t.services.qualityReviews.queueIfHighRisk(tx, systemContext('test', 'test'), open, new Date()));
    assert.equal(await s.review(open), undefined, 'not ended yet: the ending samples it');
    const id = await s.accepted();
    await s.escalate(id);
    assert.equal(await s.review(id), undefined);
    await s.t.services.data.transaction((tx) => s.t.services.qualityReviews.queueIfHighRisk(tx, systemContext('test', 'test'), id, new Date()));
    assert.equal(await s.review(id), undefined, 'not High yet: nothing queued');
    await s.gradeHigh(id);
    await s.t.services.data.transaction((tx) => s.t.services.qualityReviews.queueIfHighRisk(tx, systemContext('test', 'test'), id, new Date()));
    assert.equal((await s.review(id))!.sampledBecause, 'high_risk');
  });
});

await describeOnDatabase('quality review: checklist, immutability, feedback, evidence untouched (policy 4.0, EVD-15)', (kind) => {
  let s: Awaited<ReturnType<typeof reviewApp>>;
  let supervisor: Browser;
  let consultationId: string;
  let reviewId: string;
  before(async () => {
    s = await reviewApp(kind, '100');
    supervisor = new Browser(s.t.app);
    await supervisor.signIn('qr-super');
    // A completed video call with evidence: a snapshot, the officer's notes.
    consultationId = await s.accepted();
    const officerContext = contextFor(s.officer);
    const call = await s.t.services.calls.lifecycle.openCall(officerContext, consultationId);
    await s.t.services.calls.links.sendInvite(officerContext, call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(s.t.services.smsOutbox!.list()[0]!.body)![1]!;
    const { participant } = await s.t.services.calls.links.redeemLink(token, undefined, 'test');
    const victimContext = s.t.services.calls.links.linkContext({ participant }, 'test');
    await s.t.services.calls.consent.giveConsent(victimContext, { participant, call }, { video: true, recording: true });
    await s.t.services.calls.lifecycle.participantJoined(victimContext, participant);
    await s.t.services.calls.lifecycle.markConnected(call.id);
    await s.t.services.calls.snapshots.saveSnapshot(officerContext, call.id, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]));
    await s.t.services.calls.chat.saveNotes(officerContext, call.id, 'Victim seen; injuries to left arm photographed.');
    await s.t.services.callRooms.endCall(officerContext, call.id, 'Ended by the officer');
    assert.equal((await s.t.services.consultations.summary(consultationId)).state, 'completed');
    reviewId = (await s.review(consultationId))!.id;
  });
  after(() => s.t.close());

  const evidenceState = async () =>
    Promise.all(
      (await s.t.services.data.repos.evidence.listByConsultation(consultationId)).map(async (item) => ({
        id: item.id,
        kind: item.kind,
        sha256: item.sha256,
        fileKey: item.fileKey,
        sizeBytes: item.sizeBytes,
        state: item.state,
        onDisk: (await sha256File(path.join(s.t.services.mediaRoot, item.fileKey))).sha256,
      })),
    );

  it('the review page shows the consultation, its record, the way to watch the recording and the checklist', async () => {
    const page = await supervisor.get(`/supervisor/reviews/${reviewId}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="review-summary"/);
    assert.match(page.body, /Test qr-officer/);
    assert.match(page.body, /data-testid="review-no-risk"/);
    for (const item of REVIEW_CHECKLIST) {
      for (const score of ['met', 'partly', 'not_met', 'not_applicable']) assert.match(page.body, new RegExp(`data-testid="review-score-${item.id}-${score}"`));
    }
    assert.match(page.body, /data-testid="review-feedback"/);
    assert.match(page.body, /data-testid="review-complete"/);
    // DP-01: reading the record for the review is logged, with the review as the reason.
    const opened = await auditOf(s.t, 'quality_review.opened', `consultation:${consultationId}`);
    assert.ok(opened.length >= 1);
    assert.match(opened[0]!.justification!, /quality review/i);
    const list = await supervisor.get('/supervisor/reviews');
    assert.match(list.body, new RegExp(`data-consultation="${consultationId}" data-state="queued" data-sampled-because="random"`));
  });

  it('the checklist must be complete: each item scored, a note for partly/not met, feedback written; nothing saved otherwise', async () => {
    await supervisor.get(`/supervisor/reviews/${reviewId}`);
    const missing = await supervisor.post(`/supervisor/reviews/${reviewId}`, completeForm({ score_dash_complete: '', feedback: ' ' }));
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /Choose how well this was done: dash risk assessment complete/);
    assert.match(missing.body, /Write feedback for the officer/);
    const noNote = await supervisor.post(`/supervisor/reviews/${reviewId}`, completeForm({ score_safeguarding_advice: 'not_met' }));
    assert.equal(noNote.statusCode, 400);
    assert.match(noNote.body, /Say what was missing: safeguarding advice given/);
    const badScore = await supervisor.post(`/supervisor/reviews/${reviewId}`, completeForm({ score_professionalism: 'excellent' }));
    assert.equal(badScore.statusCode, 400);
    assert.equal((await s.review(consultationId))!.state, 'queued');
  });

  it('EVD-15: completing the review is audited, never alters the evidence, and a completed review cannot be edited (refused, logged)', async () => {
    const before = await evidenceState();
    assert.deepEqual(before.map((e) => e.kind).sort(), ['notes', 'snapshot']);
    await supervisor.get(`/supervisor/reviews/${reviewId}`);
    const done = await supervisor.post(
      `/supervisor/reviews/${reviewId}`,
      completeForm({
        score_safeguarding_advice: 'partly',
        note_safeguarding_advice: 'No Clare’s Law information given',
        score_dash_complete: 'not_applicable',
      }),
    );
    assert.equal(done.statusCode, 303);
    const completed = (await s.review(consultationId))!;
    assert.equal(completed.state, 'completed');
    assert.equal(completed.reviewerId, s.supervisor.id);
    assert.deepEqual((completed.scores as Record<string, unknown>).safeguarding_advice, { score: 'partly', note: 'No Clare’s Law information given' });
    const audit = await auditOf(s.t, 'quality_review.completed', `consultation:${consultationId}`);
    assert.equal(audit.length, 1);
    assert.equal((audit[0]!.details as { scores: Record<string, string> }).scores.safeguarding_advice, 'partly');
    assert.doesNotMatch(JSON.stringify(audit[0]!.details), /Clare/, 'notes and feedback stay out of the audit trail');

    await supervisor.get(`/supervisor/reviews/${reviewId}`);
    const edit = await supervisor.post(`/supervisor/reviews/${reviewId}`, completeForm({ feedback: 'Changed my mind' }));
    assert.equal(edit.statusCode, 409);
    assert.match(edit.body, /cannot be changed/);
    assert.deepEqual(await s.review(consultationId), completed, 'the completed review is unchanged');
    assert.equal((await auditOf(s.t, 'quality_review.edit_refused', `consultation:${consultationId}`)).length, 1);

    const after = await evidenceState();
    assert.deepEqual(after, before, 'the same evidence items, hashes and files after the review');
    for (const item of after) assert.equal(item.onDisk, item.sha256);
    const page = await supervisor.get(`/supervisor/reviews/${reviewId}`);
    assert.match(page.body, /data-testid="review-completed"/);
    assert.doesNotMatch(page.body, /data-testid="review-complete"/);
  });

  it('the officer sees feedback addressed to them, marked seen; another officer does not; a supervisor has no such page', async () => {
    const officer = new Browser(s.t.app);
    await officer.signIn('qr-officer');
    const first = await officer.get('/officer/feedback');
    assert.equal(first.statusCode, 200);
    assert.match(first.body, new RegExp(`data-testid="feedback-item" data-review="${reviewId}"`));
    assert.match(first.body, /Remember to give Clare’s Law information/);
    assert.match(first.body, /data-testid="feedback-new"/);
    assert.ok((await s.review(consultationId))!.feedbackSeenAt, 'marked seen');
    assert.equal((await auditOf(s.t, 'quality_review.feedback_seen', `user:${s.officer.id}`)).length, 1);
    assert.doesNotMatch((await officer.get('/officer/feedback')).body, /data-testid="feedback-new"/, 'not new the second time');

    const other = new Browser(s.t.app);
    await other.signIn('qr-officer2');
    const theirs = await other.get('/officer/feedback');
    assert.equal(theirs.statusCode, 200);
    assert.match(theirs.body, /data-testid="feedback-empty"/);
    assert.doesNotMatch(theirs.body, /Clare/);
    assert.equal((await supervisor.get('/officer/feedback')).statusCode, 403);
    assert.equal((await officer.get(`/supervisor/reviews/${reviewId}`)).statusCode, 403, 'an officer cannot open the review itself');
  });
});
