import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { questionsOf } from '../../src/domain/risk-forms/risk-form.js';
import { DASH2009 } from '../../src/domain/risk-forms/dash-2009.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

type Entry = { answer?: string; comment?: string };
interface AssessmentJson {
  id: string;
  version: number;
  revision: number;
  state: string;
  answers: Record<string, Entry>;
  supersedesId: string | null;
  amendmentReason: string | null;
  score: { yesCount: number; grade: string; actuarialGrade: string; marac: { referral: boolean; reasons: { code: string }[] }; missing: string[] };
}

const IDS = questionsOf(DASH2009).map((q) => q.id);

/** Every question answered, the first `yes` of them Yes (follow-ups answered when asked). */
function allAnswers(yes: number): Record<string, Entry> {
  const answers: Record<string, Entry> = {};
  IDS.forEach((id, index) => (answers[id] = { answer: index < yes ? 'yes' : 'no' }));
  if (answers['4']!.answer === 'yes') answers['4a'] = { answer: 'no' };
  if (answers['8']!.answer === 'yes') answers['8a'] = { answer: 'not_known' };
  return answers;
}

await describeOnDatabase('risk assessment in the call (DASH-01..DASH-08, RVR-08)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let otherOfficer: Awaited<ReturnType<typeof createUser>>;
  let supervisor: Awaited<ReturnType<typeof createUser>>;
  const browsers: Record<string, Browser> = {};

  before(async () => {
    // No random review sample here, so a queued review can only be the High-risk rule's doing.
    t = await buildTestApp(kind, { env: { REVIEW_SAMPLE_PERCENT: '0' } });
    handler = await createUser(t.services, 'ra-handler', ['call_handler']);
    officer = await createUser(t.services, 'ra-officer', ['rvr_officer']);
    otherOfficer = await createUser(t.services, 'ra-officer2', ['rvr_officer']);
    supervisor = await createUser(t.services, 'ra-supervisor', ['supervisor']);
    await createUser(t.services, 'ra-investigator', ['investigator']);
    await allowRoundTheClock(t.services);
    for (const name of ['ra-officer', 'ra-officer2', 'ra-supervisor', 'ra-investigator']) {
      browsers[name] = new Browser(t.app);
      await browsers[name].signIn(name);
      await browsers[name].get('/');
    }
  });
  after(() => t.close());

  /** A consultation the officer has accepted, with its call page loaded in the officer's browser. */
  const acceptedConsultation = async (overrides: Parameters<typeof newCall>[2] = {}) => {
    const { consultation } = await newCall(t.services, handler, overrides);
    // Issue 16 §3: the investigator in these tests has the case.
    await assignCase(t.services, consultation.id, 'ra-investigator');
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const page = await browsers['ra-officer']!.get(`/consultations/${consultation.id}/call`);
    assert.equal(page.statusCode, 200);
    return { id: consultation.id, page };
  };
  const send = (who: string, method: 'PUT' | 'POST', url: string, body: unknown, headers: Record<string, string> = {}) => {
    const browser = browsers[who]!;
    return t.app.inject({
      method,
      url,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': browser.csrfToken, cookie: browser.cookieHeader, ...headers },
    });
  };
  const save = (id: string, body: unknown, who = 'ra-officer') => send(who, 'PUT', `/consultations/${id}/risk-assessment`, body);
  const complete = (id: string, revision: number, who = 'ra-officer') => send(who, 'POST', `/consultations/${id}/risk-assessment/complete`, { revision });
  const rows = (consultationId: string) =>
    queryRows<Record<string, unknown>>(t.db.database, sql`select * from risk_assessments where consultation_id = ${consultationId} order by version`);
  const audits = (what: string) =>
    queryRows<{ subject: string; details: Record<string, unknown>; justification: string | null }>(
      t.db.database,
      sql`select subject, details, justification from audit_events where what = ${what} order by seq`,
    );
  /** A completed assessment with `yes` Yes answers; returns the assessment JSON. */
  const completed = async (id: string, yes: number, facts: Record<string, unknown> = {}) => {
    const saved = await save(id, { revision: 0, answers: allAnswers(yes), facts: { victimAgeBand: '18_plus', priorIncidents12Months: 0, ...facts } });
    assert.equal(saved.statusCode, 200, saved.body);
    const done = await complete(id, saved.json<{ assessment: AssessmentJson }>().assessment.revision);
    assert.equal(done.statusCode, 200, done.body);
    return done.json<{ assessment: AssessmentJson }>().assessment;
  };

  it('the DASH panel is on the officer’s call page with all 27 questions, Yes/No/Not known each, and stable test ids', async () => {
    const { page } = await acceptedConsultation();
    assert.match(page.body, /data-testid="risk-form"/);
    for (let n = 1; n <= 27; n++) assert.match(page.body, new RegExp(`data-testid="risk-question-${n}"`), `question ${n}`);
    for (const value of ['yes', 'no', 'not_known']) assert.match(page.body, new RegExp(`name="q-18" type="radio" value="${value}"`));
    for (const id of ['risk-complete', 'risk-score', 'risk-grade', 'risk-marac', 'risk-flags']) assert.match(page.body, new RegExp(`data-testid="${id}"`));
    assert.match(page.body, /data-revision="0"/);
    assert.match(page.body, /<script type="module" src="\/static\/js\/risk-form.js" nonce="[^"]+"><\/script>/);
    assert.match(page.body, /data-testid="risk-complete"[^>]*disabled/, 'Complete is disabled until every question is answered');
    const script = await t.app.inject({ method: 'GET', url: '/static/js/risk-form.js' });
    assert.equal(script.statusCode, 200);
  });

  it('DASH-01: saves as the officer goes, each save on the revision it read; a stale revision is a 409 with the server copy; a reload keeps the answers', async () => {
    const { id } = await acceptedConsultation();
    const first = await save(id, { revision: 0, answers: { 1: { answer: 'yes', comment: 'Cut to the left eyebrow, first injury' } } });
    assert.equal(first.statusCode, 200, first.body);
    const a1 = first.json<{ assessment: AssessmentJson }>().assessment;
    assert.equal(a1.revision, 1);
    assert.equal(a1.score.yesCount, 1);
    assert.equal(a1.score.missing.length, 26);

    // A second tab that loaded the page before the first save.
    const stale = await save(id, { revision: 0, answers: { 2: { answer: 'no' } } });
    assert.equal(stale.statusCode, 409);
    const conflict = stale.json<{ error: string; current: AssessmentJson }>();
    assert.match(conflict.error, /saved from another page/);
    assert.equal(conflict.current.revision, 1);
    assert.equal(conflict.current.answers['1']!.answer, 'yes');
    assert.equal(conflict.current.answers['2'], undefined, 'the stale save changed nothing');
    const merged = await save(id, { revision: conflict.current.revision, answers: { 2: { answer: 'no' } } });
    assert.equal(merged.statusCode, 200);
    assert.equal(merged.json<{ assessment: AssessmentJson }>().assessment.revision, 2);
    // Clearing an answer (null) and the facts and judgement save too.
    const third = await save(id, {
      revision: 2,
      answers: { 2: null, 3: { answer: 'not_known' } },
      facts: { priorIncidents12Months: 2, lastMaracReferralOn: '2026-01-10' },
    });
    assert.equal(third.statusCode, 200, third.body);
    assert.deepEqual(Object.keys(third.json<{ assessment: AssessmentJson }>().assessment.answers).sort(), ['1', '3']);
    // A follow-up saved on its own is checked against its question as saved earlier; clearing the question without it is refused.
    const q4 = await save(id, { revision: 3, answers: { 4: { answer: 'yes' } } });
    assert.equal(q4.statusCode, 200, q4.body);
    const followUp = await save(id, { revision: 4, answers: { '4a': { answer: 'no' } } });
    assert.equal(followUp.statusCode, 200, followUp.body);
    const orphaned = await save(id, { revision: 5, answers: { 4: { answer: 'no' } } });
    assert.equal(orphaned.statusCode, 400);
    assert.match(orphaned.json<{ fields: Record<string, string> }>().fields['4a']!, /only asked when question 4 is Yes/);
    const cleared = await save(id, { revision: 5, answers: { 4: { answer: 'no' }, '4a': null } });
    assert.equal(cleared.statusCode, 200, cleared.body);

    const reloaded = await browsers['ra-officer']!.get(`/consultations/${id}/call`);
    assert.match(reloaded.body, /id="risk-q-1-yes"[^>]*checked/);
    assert.match(reloaded.body, /id="risk-q-3-not_known"[^>]*checked/);
    assert.doesNotMatch(reloaded.body, /id="risk-q-2-no"[^>]*checked/);
    assert.match(reloaded.body, /Cut to the left eyebrow, first injury<\/textarea>/);
    assert.match(reloaded.body, /data-revision="6"/);
    assert.match(reloaded.body, /id="risk-prior-incidents"[^>]*value="2"/);
    assert.match(reloaded.body, /value="2026-01-10"/);

    const stored = await rows(id);
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.form_version, 'DASH2009');
    assert.equal(stored[0]!.state, 'draft');
    const saves = [...(await audits('risk_assessment.started')), ...(await audits('risk_assessment.saved'))].filter((a) => a.subject === `consultation:${id}`);
    assert.equal(saves.length, 6);
    assert.deepEqual(saves[0]!.details.questions, ['1']);
    assert.ok(!JSON.stringify(saves).includes('eyebrow'), 'no answer text in the audit trail');
    assert.ok(!JSON.stringify(saves).includes('"yes"'), 'no answer values in the audit trail');
  });

  it('DASH-01: completion is refused while any question is unanswered, naming them; then stores the scores, the form version and an evidence item whose hash matches', async () => {
    const { id } = await acceptedConsultation();
    const answers = allAnswers(14);
    delete answers['27'];
    delete answers['9'];
    const saved = await save(id, { revision: 0, answers, facts: { victimAgeBand: '18_plus' } });
    assert.equal(saved.statusCode, 200, saved.body);
    const refused = await complete(id, 1);
    assert.equal(refused.statusCode, 400);
    const body = refused.json<{ error: string; fields: Record<string, string> }>();
    assert.match(body.error, /Not yet answered: 9, 27/);
    assert.match(body.fields.priorIncidents12Months!, /intelligence searches/);
    assert.equal((await rows(id))[0]!.state, 'draft');

    const rest = await save(id, {
      revision: 1,
      answers: { 9: { answer: 'yes' }, 27: { answer: 'not_known', comment: 'Unsure' } },
      facts: { priorIncidents12Months: 1 },
    });
    assert.equal(rest.statusCode, 200, rest.body);
    const done = await complete(id, 2);
    assert.equal(done.statusCode, 200, done.body);
    const assessment = done.json<{ assessment: AssessmentJson }>().assessment;
    assert.equal(assessment.state, 'completed');

    const [row] = await rows(id);
    assert.equal(row!.state, 'completed');
    assert.equal(row!.form_version, 'DASH2009');
    assert.equal(row!.version, 1);
    assert.equal(row!.yes_count, 14);
    assert.equal(row!.actuarial_grade, 'high');
    assert.equal(row!.grade, 'high');
    assert.equal(row!.marac_referral, true);
    assert.deepEqual(
      (row!.marac_reasons as { code: string }[]).map((r) => r.code),
      ['visible_high_risk'],
    );
    assert.deepEqual((row!.high_risk_flags as { code: string }[]).map((f) => f.code).sort(), ['escalation', 'separation', 'stalking', 'victim_perception']);
    assert.equal(row!.routing, 'adult');
    assert.deepEqual(row!.scoring_settings, { dashMediumFrom: 10, dashHighFrom: 14, maracEscalationIncidents: 3, visibleHighRiskFrom: 14 });
    assert.ok(row!.completed_at);
    assert.equal(row!.completed_by, officer.id);

    const item = (await t.services.data.repos.evidence.findItem(row!.evidence_item_id as string))!;
    assert.equal(item.kind, 'form');
    assert.equal(item.consultationId, id);
    const file = path.join(t.services.mediaRoot, item.fileKey);
    const bytes = fs.readFileSync(file);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), item.sha256);
    assert.equal(bytes.length, item.sizeBytes);
    assert.equal(fs.statSync(file).mode & 0o222, 0, 'the master is read-only');
    const document = bytes.toString('utf8');
    assert.match(document, /form version DASH2009/);
    assert.match(
      document,
      /27\. Does the victim know whether the abuser has been in trouble with the police[^\n]*\n {3}Answer: Not known\n {3}Comment: Unsure/,
    );
    assert.match(document, /MARAC referral: Yes/);
    const completion = (await audits('risk_assessment.completed')).find((a) => a.subject === `consultation:${id}`)!;
    assert.equal(completion.details.evidenceItemId, item.id);
    assert.equal((await audits('evidence.captured')).filter((a) => (a.details as { kind?: string }).kind === 'form').length >= 1, true);

    const summary = await t.services.riskAssessments.currentSummary(id);
    assert.deepEqual(
      { state: summary!.state, grade: summary!.grade, marac: summary!.maracReferral, yes: summary!.yesCount, form: summary!.formVersion },
      { state: 'completed', grade: 'high', marac: true, yes: 14, form: 'DASH2009' },
    );
  });

  it('a completed or signed-off assessment is never edited (refused and audited); an amendment makes version 2 with its reason', async () => {
    const { id } = await acceptedConsultation();
    const first = await completed(id, 3);
    const edit = await save(id, { revision: first.revision, answers: { 1: { answer: 'no' } } });
    assert.equal(edit.statusCode, 409);
    assert.match(edit.json<{ error: string }>().error, /completed and cannot be changed\. Amend it/);
    const again = await complete(id, first.revision);
    assert.equal(again.statusCode, 409);
    const refusals = (await audits('risk_assessment.refused')).filter((a) => a.subject === `consultation:${id}`);
    assert.deepEqual(
      refusals.map((r) => [r.details.action, r.details.refusal, r.details.state]),
      [
        ['save', 'not_a_draft', 'completed'],
        ['complete', 'not_a_draft', 'completed'],
      ],
    );

    const tooShort = await send('ra-officer', 'POST', `/consultations/${id}/risk-assessment/amend`, { amendmentReason: 'typo' });
    assert.equal(tooShort.statusCode, 400);
    const amended = await send('ra-officer', 'POST', `/consultations/${id}/risk-assessment/amend`, {
      amendmentReason: 'The victim disclosed a threat to kill after completion',
    });
    assert.equal(amended.statusCode, 201, amended.body);
    const v2 = amended.json<{ assessment: AssessmentJson }>().assessment;
    assert.equal(v2.version, 2);
    assert.equal(v2.state, 'draft');
    assert.equal(v2.supersedesId, first.id);
    assert.equal(v2.amendmentReason, 'The victim disclosed a threat to kill after completion');
    assert.deepEqual(v2.answers, first.answers, 'the new version starts from the old answers');
    const [old, current] = await rows(id);
    assert.equal(old!.state, 'superseded');
    assert.equal(old!.yes_count, 3, 'the old version keeps its result');
    assert.equal(current!.version, 2);
    const amendedAudit = (await audits('risk_assessment.amended')).find((a) => a.subject === `consultation:${id}`)!;
    assert.equal(amendedAudit.justification, 'The victim disclosed a threat to kill after completion');
    const draftAmend = await send('ra-officer', 'POST', `/consultations/${id}/risk-assessment/amend`, { amendmentReason: 'Amending a draft again' });
    assert.equal(draftAmend.statusCode, 409);

    // Version 2: changed, completed, signed off; then an edit is refused and an amendment makes version 3.
    const changed = await save(id, { revision: v2.revision, answers: { 17: { answer: 'yes', comment: 'Said he would kill her' } } });
    assert.equal(changed.statusCode, 200, changed.body);
    const v2done = await complete(id, changed.json<{ assessment: AssessmentJson }>().assessment.revision);
    assert.equal(v2done.statusCode, 200, v2done.body);
    assert.equal(v2done.json<{ assessment: AssessmentJson }>().assessment.score.yesCount, 4);
    const v2row = (await rows(id))[1]!;
    assert.notEqual(v2row.evidence_item_id, old!.evidence_item_id, 'each completed version is its own evidence item');
    const signed = await send('ra-supervisor', 'POST', `/risk-assessments/${v2row.id as string}/sign-off`, { note: 'Agree with the grade' });
    assert.equal(signed.statusCode, 200, signed.body);
    const signedEdit = await save(id, { revision: 99, answers: { 1: { answer: 'no' } } });
    assert.equal(signedEdit.statusCode, 409);
    assert.match(signedEdit.json<{ error: string }>().error, /signed off and cannot be changed/);
    const lastRefusal = (await audits('risk_assessment.refused')).filter((a) => a.subject === `consultation:${id}`).at(-1)!;
    assert.equal(lastRefusal.details.state, 'signed_off');
    const v3 = await send('ra-officer', 'POST', `/consultations/${id}/risk-assessment/amend`, { amendmentReason: 'Age band recorded wrongly' });
    assert.equal(v3.statusCode, 201);
    assert.deepEqual(
      (await rows(id)).map((r) => [r.version, r.state]),
      [
        [1, 'superseded'],
        [2, 'superseded'],
        [3, 'draft'],
      ],
    );
  });

  it('DASH-04 and DASH-03(b): judgement cannot lower an actuarial High; lowering Medium or a referral on judgement needs the concerns written; under-16s are not referred to MARAC', async () => {
    const { id } = await acceptedConsultation();
    const base = await save(id, { revision: 0, answers: allAnswers(15), facts: { victimAgeBand: '18_plus', priorIncidents12Months: 0 } });
    assert.equal(base.statusCode, 200);
    const downgrade = await save(id, { revision: 1, judgement: { grade: 'medium', reason: 'She seemed calm on the call' } });
    assert.equal(downgrade.statusCode, 400);
    assert.match(downgrade.json<{ fields: Record<string, string> }>().fields.grade!, /cannot lower an actuarial High \(15/);
    assert.equal((await rows(id))[0]!.grade, null, 'nothing was saved');

    const { id: medium } = await acceptedConsultation();
    await save(medium, { revision: 0, answers: allAnswers(11), facts: { victimAgeBand: '18_plus', priorIncidents12Months: 0 } });
    const noReason = await save(medium, { revision: 1, judgement: { grade: 'standard' } });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.json<{ fields: Record<string, string> }>().fields.judgementReason!, /Write down why/);
    const referral = await save(medium, { revision: 1, judgement: { referral: true } });
    assert.equal(referral.statusCode, 400);
    assert.match(referral.json<{ fields: Record<string, string> }>().fields.judgementReason!, /concerns behind a MARAC referral/);
    const lowered = await save(medium, { revision: 1, judgement: { grade: 'standard', reason: 'The abuser is in custody on remand for months' } });
    assert.equal(lowered.statusCode, 200, lowered.body);
    // Answers that later reach an actuarial High still save (never lost), with the judgement as a warning; completion refuses it.
    const toHigh = await save(medium, { revision: 2, answers: { 20: { answer: 'yes' }, 21: { answer: 'yes' }, 22: { answer: 'yes' } } });
    assert.equal(toHigh.statusCode, 200, toHigh.body);
    const saved = toHigh.json<{ assessment: AssessmentJson; warnings: Record<string, string> }>();
    assert.match(saved.warnings.grade!, /cannot lower an actuarial High \(14/);
    assert.equal(saved.assessment.score.grade, 'high', 'the High stands while the draft holds the lower judgement');
    const blocked = await complete(medium, 3);
    assert.equal(blocked.statusCode, 400);
    assert.match(blocked.json<{ fields: Record<string, string> }>().fields.grade!, /DASH-04/);
    const back = await save(medium, { revision: 3, answers: { 20: { answer: 'no' }, 21: { answer: 'no' }, 22: { answer: 'no' } } });
    assert.deepEqual(back.json<{ warnings: Record<string, string> }>().warnings, {});
    const done = await complete(medium, 4);
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual([done.json<{ assessment: AssessmentJson }>().assessment.score.grade, (await rows(medium))[0]!.actuarial_grade], ['standard', 'medium']);

    const { id: child } = await acceptedConsultation();
    const under16 = await save(child, {
      revision: 0,
      facts: { victimAgeBand: 'under_16' },
      judgement: { referral: true, reason: 'Very worried about her safety tonight' },
    });
    assert.equal(under16.statusCode, 400);
    assert.match(under16.json<{ fields: Record<string, string> }>().fields.judgementReferral!, /aged 16 or over.*DASH-07/);
    const childDone = await completed(child, 16, { victimAgeBand: 'under_16' });
    assert.equal(childDone.score.marac.referral, false);
    assert.equal((await rows(child))[0]!.routing, 'child_safeguarding');
  });

  it('DASH-03(c)/(d): escalation and repeat referrals are stored with their reasons', async () => {
    const { id } = await acceptedConsultation();
    const lastYear = new Date(Date.now() - 200 * 24 * 3600_000).toISOString().slice(0, 10);
    const result = await completed(id, 2, { priorIncidents12Months: 3, lastMaracReferralOn: lastYear });
    assert.equal(result.score.marac.referral, true);
    assert.deepEqual(
      ((await rows(id))[0]!.marac_reasons as { code: string }[]).map((r) => r.code),
      ['escalation', 'repeat'],
    );
  });

  it('DASH-01: a supervisor signs off completed assessments (High first, then oldest); a draft, the officer and a second sign-off are refused', async () => {
    const { id: mediumId } = await acceptedConsultation();
    await completed(mediumId, 11);
    const { id: highId } = await acceptedConsultation();
    await completed(highId, 16);
    const { id: draftId } = await acceptedConsultation();
    await save(draftId, { revision: 0, answers: { 1: { answer: 'yes' } } });

    const list = await browsers['ra-supervisor']!.get('/risk-assessments/sign-off', { accept: 'application/json' });
    assert.equal(list.statusCode, 200);
    const awaiting = list.json<{ awaiting: { consultationId: string; grade: string }[] }>().awaiting.map((a) => a.consultationId);
    assert.ok(awaiting.indexOf(highId) >= 0 && awaiting.indexOf(highId) < awaiting.indexOf(mediumId), 'High before Medium');
    assert.ok(!awaiting.includes(draftId));
    const grades = list.json<{ awaiting: { grade: string }[] }>().awaiting.map((a) => a.grade);
    assert.deepEqual(
      grades,
      [...grades].sort((a, b) => ['high', 'medium', 'standard'].indexOf(a) - ['high', 'medium', 'standard'].indexOf(b)),
    );
    const page = await browsers['ra-supervisor']!.get('/risk-assessments/sign-off');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="risk-sign-off-list"/);

    const draftRow = (await rows(draftId))[0]!;
    const draftSignOff = await send('ra-supervisor', 'POST', `/risk-assessments/${draftRow.id as string}/sign-off`, {});
    assert.equal(draftSignOff.statusCode, 409);
    assert.match(draftSignOff.json<{ error: string }>().error, /still a draft/);
    assert.ok((await audits('risk_assessment.refused')).some((a) => a.details.refusal === 'draft' && a.details.action === 'sign_off'));

    const highRow = (await rows(highId))[0]!;
    const byOfficer = await send('ra-officer', 'POST', `/risk-assessments/${highRow.id as string}/sign-off`, {});
    assert.equal(byOfficer.statusCode, 403);
    const view = await browsers['ra-supervisor']!.get(`/consultations/${highId}/risk-assessment`);
    assert.equal(view.statusCode, 200);
    assert.match(view.body, /data-testid="risk-sign-off-form"/);
    const signed = await browsers['ra-supervisor']!.post(`/risk-assessments/${highRow.id as string}/sign-off`, { note: 'Agreed: MARAC referral made' });
    assert.equal(signed.statusCode, 303);
    assert.equal(signed.headers.location, `/consultations/${highId}/risk-assessment`);
    const after = (await rows(highId))[0]!;
    assert.equal(after.state, 'signed_off');
    assert.equal(after.signed_off_by, supervisor.id);
    assert.equal(after.sign_off_note, 'Agreed: MARAC referral made');
    const twice = await send('ra-supervisor', 'POST', `/risk-assessments/${highRow.id as string}/sign-off`, {});
    assert.equal(twice.statusCode, 409);
    const signOffAudit = (await audits('risk_assessment.signed_off')).find((a) => a.subject === `consultation:${highId}`)!;
    assert.deepEqual(signOffAudit.details, { assessmentId: highRow.id, version: 1, withNote: true });

    // Someone who is both officer and supervisor does not sign off their own assessment.
    const dual = await createUser(t.services, 'ra-dual', ['rvr_officer', 'supervisor']);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(dual), consultation.id, 'accepted');
    await t.services.riskAssessments.saveDraft(contextFor(dual), consultation.id, {
      revision: 0,
      answers: allAnswers(0) as never,
      facts: { victimAgeBand: '18_plus', priorIncidents12Months: 0 },
    });
    const own = await t.services.riskAssessments.complete(contextFor(dual), consultation.id, 1);
    assert.ok(own.saved);
    await assert.rejects(t.services.riskAssessments.signOff(contextFor(dual), own.assessment.id, undefined), /another supervisor/);
  });

  it('only the officer who accepted the consultation writes its assessment; supervisors and investigators read it, another officer may not (DP-01), and the reading is logged', async () => {
    const { id } = await acceptedConsultation();
    await save(id, { revision: 0, answers: { 5: { answer: 'yes', comment: 'Low mood for weeks' } } });
    await browsers['ra-officer2']!.get('/');
    const other = await save(id, { revision: 1, answers: { 5: { answer: 'no' } } }, 'ra-officer2');
    assert.equal(other.statusCode, 403);
    assert.match(other.json<{ error: string }>().error, /Only the officer who accepted/);
    const otherComplete = await complete(id, 1, 'ra-officer2');
    assert.equal(otherComplete.statusCode, 403);
    const otherAmend = await send('ra-officer2', 'POST', `/consultations/${id}/risk-assessment/amend`, { amendmentReason: 'Not my consultation at all' });
    assert.equal(otherAmend.statusCode, 403);
    assert.ok((await audits('risk_assessment.refused')).some((a) => a.subject === `consultation:${id}` && a.details.refusal === 'not_assigned_officer'));
    assert.equal((await rows(id))[0]!.revision, 1);
    assert.equal(otherOfficer.roles[0], 'rvr_officer');

    const supervisorWrite = await save(id, { revision: 1, answers: { 5: { answer: 'no' } } }, 'ra-supervisor');
    assert.equal(supervisorWrite.statusCode, 403);

    // DP-01, need to know: another RVR officer may not read this victim's answers.
    const otherRead = await browsers['ra-officer2']!.get(`/consultations/${id}/risk-assessment`);
    assert.equal(otherRead.statusCode, 403);
    assert.doesNotMatch(otherRead.body, /Low mood for weeks/);
    for (const reader of ['ra-investigator', 'ra-supervisor']) {
      const page = await browsers[reader]!.get(`/consultations/${id}/risk-assessment`);
      assert.equal(page.statusCode, 200, reader);
      assert.match(page.body, /data-testid="risk-version-1"/);
      assert.match(page.body, /Low mood for weeks/);
      assert.doesNotMatch(page.body, /data-testid="risk-form"/, `${reader} gets no editable panel`);
    }
    const json = await browsers['ra-investigator']!.get(`/consultations/${id}/risk-assessment`, { accept: 'application/json' });
    assert.equal(json.json<{ versions: AssessmentJson[] }>().versions[0]!.answers['5']!.answer, 'yes');
    const own = await browsers['ra-officer']!.get(`/consultations/${id}/risk-assessment`);
    assert.match(own.body, /data-testid="risk-form"/, 'the assigned officer can finish the draft here after the call');
    assert.ok((await audits('risk_assessment.viewed')).filter((a) => a.subject === `consultation:${id}`).length >= 3);
  });

  it('hostile input is refused with a 4xx, never a 500, and changes nothing', async () => {
    const { id } = await acceptedConsultation();
    const url = `/consultations/${id}/risk-assessment`;
    const cases: [string, unknown, number, RegExp?][] = [
      ['revision as a string', { revision: '0' }, 400],
      ['no revision', { answers: {} }, 400],
      ['negative revision', { revision: -1 }, 400],
      ['answers as an array', { revision: 0, answers: [] }, 400],
      ['answer as a boolean', { revision: 0, answers: { 1: { answer: true } } }, 400],
      ['comment as a number', { revision: 0, answers: { 1: { comment: 5 } } }, 400],
      ['an answer outside yes/no/not known', { revision: 0, answers: { 1: { answer: 'maybe' } } }, 400, /Question 1: answer Yes, No or Not known/],
      ['an unknown question', { revision: 0, answers: { 28: { answer: 'yes' } } }, 400, /no “28”/],
      ['a prototype-ish question id', { revision: 0, answers: { constructor: { answer: 'yes' } } }, 400],
      ['a follow-up without its trigger', { revision: 0, answers: { '4a': { answer: 'yes' } } }, 400, /only asked when question 4 is Yes/],
      ['a comment over 2,000 characters', { revision: 0, answers: { 1: { answer: 'yes', comment: 'x'.repeat(2001) } } }, 400, /Question 1: keep the comment/],
      ['an extra field in an answer', { revision: 0, answers: { 1: { answer: 'yes', score: 99 } } }, 400],
      ['an unknown top-level field', { revision: 0, grade: 'high' }, 400],
      ['an unknown age band', { revision: 0, facts: { victimAgeBand: '12' } }, 400],
      ['negative prior incidents', { revision: 0, facts: { priorIncidents12Months: -2 } }, 400, /whole number/],
      ['a fractional count', { revision: 0, facts: { priorIncidents12Months: 1.5 } }, 400],
      ['an impossible date', { revision: 0, facts: { lastMaracReferralOn: '2026-02-31' } }, 400, /real date/],
      ['a referral date in the future', { revision: 0, facts: { lastMaracReferralOn: '2999-01-01' } }, 400, /cannot be after this incident/],
      ['an unknown grade', { revision: 0, judgement: { grade: 'extreme' } }, 400],
      ['referral as a string', { revision: 0, judgement: { referral: 'yes' } }, 400],
      ['a NUL character', { revision: 0, answers: { 1: { comment: 'a\u0000b' } } }, 400],
    ];
    for (const [name, body, status, message] of cases) {
      const response = await save(id, body);
      assert.equal(response.statusCode, status, `${name}: ${response.body}`);
      if (message) assert.match(response.body, message, name);
    }
    const huge = await save(id, { revision: 0, answers: { 1: { comment: 'x'.repeat(300_000) } } });
    assert.equal(huge.statusCode, 413);
    const notJson = await save(id, '{"revision": 0,');
    assert.equal(notJson.statusCode, 400);
    const noCsrf = await send('ra-officer', 'PUT', url, { revision: 0 }, { 'x-csrf-token': 'forged' });
    assert.equal(noCsrf.statusCode, 403);
    const badId = await send('ra-officer', 'PUT', '/consultations/not-a-uuid/risk-assessment', { revision: 0 });
    assert.equal(badId.statusCode, 400);
    const unknown = await send('ra-officer', 'PUT', '/consultations/00000000-0000-4000-8000-000000000000/risk-assessment', { revision: 0 });
    assert.equal(unknown.statusCode, 404);
    const completeString = await send('ra-officer', 'POST', `${url}/complete`, { revision: 'latest' });
    assert.equal(completeString.statusCode, 400);
    const amendHuge = await send('ra-officer', 'POST', `${url}/amend`, { amendmentReason: 'x'.repeat(5000) });
    assert.equal(amendHuge.statusCode, 400);
    const signOffBadId = await send('ra-supervisor', 'POST', '/risk-assessments/00000000-0000-4000-8000-000000000000/sign-off', {});
    assert.equal(signOffBadId.statusCode, 404);
    assert.equal((await rows(id)).length, 0, 'nothing was written');

    // Whatever shape arrives, the answer is a 2xx, 400 or 409, never a server error, and never a stack trace.
    const key = fc.oneof(fc.constantFrom(...IDS, '4a', '8a', '0', '28', 'toString', 'hasOwnProperty'), fc.string({ maxLength: 12 }));
    const entry = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({ answer: fc.oneof(fc.constantFrom('yes', 'no', 'not_known'), fc.string()), comment: fc.string({ maxLength: 30 }) }, { requiredKeys: [] }),
    );
    const body = fc.record(
      {
        revision: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.jsonValue({ maxDepth: 1 })),
        answers: fc.oneof(fc.dictionary(key, entry, { maxKeys: 5 }), fc.jsonValue({ maxDepth: 2 })),
        facts: fc.oneof(
          fc.record(
            {
              victimAgeBand: fc.jsonValue({ maxDepth: 1 }),
              priorIncidents12Months: fc.jsonValue({ maxDepth: 1 }),
              lastMaracReferralOn: fc.jsonValue({ maxDepth: 1 }),
            },
            { requiredKeys: [] },
          ),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        judgement: fc.oneof(
          fc.record(
            { grade: fc.jsonValue({ maxDepth: 1 }), referral: fc.jsonValue({ maxDepth: 1 }), reason: fc.jsonValue({ maxDepth: 1 }) },
            { requiredKeys: [] },
          ),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    );
    const { id: fuzzed } = await acceptedConsultation();
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const response = await save(fuzzed, value);
        assert.ok([200, 400, 409].includes(response.statusCode), `${response.statusCode} for ${JSON.stringify(value)}: ${response.body}`);
        assert.doesNotMatch(response.body, /at [^ ]+\.(ts|js):\d+:\d+/);
      }),
      { numRuns: 150 },
    );
  });
  it('EVD-15: a High assessment completed after the consultation ended queues it for quality review as high risk', async () => {
    const { id } = await acceptedConsultation();
    await t.services.consultations.transition(contextFor(officer), id, 'escalated_to_attendance', 'Suspect returned home; patrol sent');
    assert.equal(await t.services.data.repos.supervision.findReviewByConsultation(id), undefined, 'not sampled at random (0%) and not yet High');
    const assessment = await completed(id, 14);
    assert.equal(assessment.score.grade, 'high');
    const review = await t.services.data.repos.supervision.findReviewByConsultation(id);
    assert.equal(review?.sampledBecause, 'high_risk');
    assert.equal(review?.state, 'queued');
  });
});
