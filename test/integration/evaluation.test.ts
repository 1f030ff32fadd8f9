import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { sql } from 'drizzle-orm';
import { armFor, type Arm } from '../../src/domain/block-randomisation.js';
import { triageResponse } from '../../src/features/cad-api/cad-api.schemas.js';
import { evaluationNotRandomised } from '../../src/features/evaluation/evaluation.schema.js';
import { STANDARD_ATTENDANCE_REASON } from '../../src/features/evaluation/evaluation.service.js';
import type { RequestContext } from '../../src/platform/context.js';
import { parseCsv } from '../support/csv.js';
import { EXPORT_HEADER } from '../support/evaluation-export-contract.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, callInput, cliContext, contextFor, createUser, type TestApp } from '../support/test-app.js';

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validTriageResponse = ajv.compile(triageResponse);

await describeOnDatabase('randomised evaluation mode (policy 2.2): trials, allocation at triage, tampering refused, export', (kind) => {
  let t: TestApp;
  // A clock the test moves by hand, so the exported timings can be computed by hand.
  let clock = new Date(Math.floor(Date.now() / 1000) * 1000);
  const tick = (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000));
  let admin: Browser;
  let handler: Browser;
  let supervisor: Browser;
  let officerOnStandby: Awaited<ReturnType<typeof createUser>>;
  let officerAnswering: Awaited<ReturnType<typeof createUser>>;
  let supervisorUser: Awaited<ReturnType<typeof createUser>>;
  let cadKey: string;
  const system: RequestContext = { actor: { type: 'system', name: 'test-media' }, correlationId: 'test-media' };

  before(async () => {
    t = await buildTestApp(kind, { now: () => clock });
    await createUser(t.services, 'trial.admin', ['admin']);
    await createUser(t.services, 'trial.handler', ['call_handler']);
    supervisorUser = await createUser(t.services, 'trial.sarge', ['supervisor']);
    officerOnStandby = await createUser(t.services, 'trial.pc1', ['rvr_officer']);
    officerAnswering = await createUser(t.services, 'trial.pc2', ['rvr_officer']);
    await allowRoundTheClock(t.services);
    // RVR-05: the trial randomises only while an RVR officer is available.
    await t.services.availability.set(contextFor(officerOnStandby), officerOnStandby.id, 'available');
    cadKey = (await t.services.apiKeys.create(cliContext, 'Trial CAD', ['incidents:write', 'consultations:read'])).key;
    admin = new Browser(t.app);
    await admin.signIn('trial.admin');
    handler = new Browser(t.app);
    await handler.signIn('trial.handler');
    supervisor = new Browser(t.app);
    await supervisor.signIn('trial.sarge');
  });
  after(() => t.close());

  const intakeForm = (overrides: Record<string, string | string[]> = {}) => ({
    cadReference: `CAD-E-${Math.random().toString(36).slice(2, 10)}`,
    receivedAt: new Date(clock.getTime() - 120_000).toISOString(),
    grade: '2',
    callerName: 'Trial Caller',
    mobile: '07700 900456',
    relationship: 'partner',
    ageBand: '18_plus',
    suspectAgeBand: '18_plus',
    location: '1 Example Street',
    consents: ['video', 'recording'],
    prefersPhone: 'no',
    ...overrides,
  });
  /** The call handler's form, as the browser sends it; returns the new consultation's id and its page. */
  const takeCall = async (overrides: Record<string, string | string[]> = {}) => {
    await handler.get('/control-room/calls/new');
    const body = new URLSearchParams([['_csrf', handler.csrfToken]]);
    for (const [k, v] of Object.entries(intakeForm(overrides))) for (const item of [v].flat()) body.append(k, item);
    const response = await t.app.inject({
      method: 'POST',
      url: '/control-room/calls',
      payload: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: handler.cookieHeader },
    });
    assert.equal(response.statusCode, 303, response.body);
    const id = String(response.headers.location).split('/').pop()!;
    const page = await handler.get(`/consultations/${id}`);
    assert.equal(page.statusCode, 200);
    return { id, page: page.body };
  };
  const cadIntake = async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: JSON.stringify({ ...callInput(), receivedAt: new Date(clock.getTime() - 60_000).toISOString(), grade: 2 }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${cadKey}`, 'idempotency-key': `trial-${Math.random().toString(36).slice(2)}` },
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{
      consultationId: string;
      state: string;
      allocation: { trialId: string; arm: Arm | null; notRandomisedReason: string | null } | null;
    }>();
  };
  const startTrial = async (form: Record<string, string>) => {
    tick(1);
    await admin.get('/admin/evaluation');
    return admin.post('/admin/evaluation/trials', form);
  };
  const stopTrial = async (reason: string) => {
    const page = await admin.get('/admin/evaluation');
    const trialId = /action="\/admin\/evaluation\/trials\/([0-9a-f-]+)\/stop"/.exec(page.body)?.[1];
    assert.ok(trialId, 'the page offers to stop the running trial');
    return { trialId, response: await admin.post(`/admin/evaluation/trials/${trialId}/stop`, { reason }) };
  };
  const allocationOf = (consultationId: string) => t.services.data.repos.evaluation.findAllocation(consultationId);
  const auditOf = (what: string) => t.services.data.repos.audit.search({ what }, 100);

  it('starts and stops a trial only with a reason, each audited; a second start is refused while one runs; bad settings refused', async () => {
    const empty = await admin.get('/admin/evaluation');
    assert.equal(empty.statusCode, 200);
    assert.match(empty.body, /No trial has been run yet/);

    const odd = await startTrial({ seed: '', blockSize: '5', note: '', reason: 'Force evaluation approved' });
    assert.equal(odd.statusCode, 400);
    assert.match(odd.body, /block size must be even/);
    const huge = await startTrial({ seed: '', blockSize: '102', note: '', reason: 'Force evaluation approved' });
    assert.equal(huge.statusCode, 400);
    assert.match(huge.body, /between 2 and 100/);
    const noReason = await startTrial({ seed: 'short', blockSize: '4', note: '', reason: 'x' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Say why the trial starts/);
    assert.match(noReason.body, /seed must be 8 to 200 characters/);
    assert.equal(await t.services.evaluation.isTrialRunning(), false, 'nothing written by a refused start');

    const started = await startTrial({ seed: '', blockSize: '4', note: 'Study RVR-2027', reason: 'Force evaluation approved by the board' });
    assert.equal(started.statusCode, 303);
    const page = await admin.get('/admin/evaluation');
    const seed = /data-testid="trial-seed">([^<]+)</.exec(page.body)?.[1];
    assert.match(seed ?? '', /^[0-9a-f]{32}$/, 'a generated seed is 128 random bits, shown');
    assert.match(page.body, /data-testid="trial-block-size">4</);
    assert.match(page.body, /Study RVR-2027/);

    const second = await startTrial({ seed: '', blockSize: '6', note: '', reason: 'Another evaluation please' });
    assert.equal(second.statusCode, 409);
    assert.match(second.body, /already running/);
    assert.equal((await t.services.evaluation.listTrials()).length, 1);

    const [startEvent] = await auditOf('evaluation.trial_started');
    assert.equal(startEvent!.justification, 'Force evaluation approved by the board');
    assert.equal(startEvent!.actorRole, 'admin');
    assert.deepEqual(startEvent!.details, {
      blockSize: 4,
      seedGenerated: true,
      seedSha256: createHash('sha256').update(seed!).digest('hex'),
      algorithm: 'hmac-sha256-fisher-yates/v1',
    });
    assert.doesNotMatch(JSON.stringify(startEvent), new RegExp(seed!), 'the seed stays out of the audit log (it would reveal allocations to come)');

    const blankStop = await stopTrial('  ');
    assert.equal(blankStop.response.statusCode, 400);
    assert.match(blankStop.response.body, /Say why the trial stops/);
    const stopped = await stopTrial('Pilot period finished');
    assert.equal(stopped.response.statusCode, 303);
    assert.equal(await t.services.evaluation.isTrialRunning(), false);
    const [stopEvent] = await auditOf('evaluation.trial_stopped');
    assert.equal(stopEvent!.justification, 'Pilot period finished');
    assert.equal(stopEvent!.subject, `evaluation_trial:${stopped.trialId}`);
    const again = await admin.post(`/admin/evaluation/trials/${stopped.trialId}/stop`, { reason: 'Stop it once more' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already been stopped/);
  });

  let firstArms: Arm[] = [];
  let unallocatedId = '';
  let allocatedId = '';
  const seed = 'evaluation-test-seed-1';

  it('allocates eligible, consenting calls at triage in balanced blocks; the handler sees the arm; standard goes straight to attendance', async () => {
    assert.equal((await startTrial({ seed, blockSize: '4', note: '', reason: 'Block size four evaluation' })).statusCode, 303);
    const newCallPage = await handler.get('/control-room/calls/new');
    assert.match(newCallPage.body, /data-testid="trial-running"/);
    const calls: { id: string; page: string }[] = [];
    for (let i = 0; i < 8; i += 1) calls.push(await takeCall());

    const allocations = await Promise.all(calls.map((c) => allocationOf(c.id)));
    assert.deepEqual(
      allocations.map((a) => a!.sequence),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    firstArms = allocations.map((a) => a!.arm as Arm);
    allocatedId = calls[0]!.id;
    assert.deepEqual(
      firstArms,
      Array.from({ length: 8 }, (_, i) => armFor(seed, 4, i)),
      'the recorded seed and block size reproduce every allocation',
    );
    for (const block of [firstArms.slice(0, 4), firstArms.slice(4, 8)]) {
      assert.equal(block.filter((a) => a === 'rvr').length, 2, `each block of 4 is balanced: ${block.join(',')}`);
    }
    for (const [i, call] of calls.entries()) {
      const consultation = (await t.services.data.repos.consultations.findById(call.id))!;
      const events = await t.services.data.repos.consultations.listEvents(call.id);
      if (firstArms[i] === 'standard') {
        assert.equal(consultation.state, 'escalated_to_attendance');
        assert.equal(consultation.queuedAt, null, 'never entered the RVR queue');
        assert.equal(events.at(-1)!.reason, STANDARD_ATTENDANCE_REASON);
        assert.equal(events.at(-1)!.fromState, 'triaged_eligible');
        assert.match(call.page, /data-arm="standard"/);
        assert.match(call.page, /Randomised to: standard attendance — dispatch as usual/);
        assert.match(call.page, /Randomised to standard attendance \(evaluation trial\)/, 'the reason is on the timeline');
        // Policy 2.2: the standard arm is surveyed too (48 h after triage by default), so satisfaction can be compared.
        const survey = (await t.services.data.repos.surveys.findByConsultation(call.id))!;
        assert.ok(survey, 'a standard-arm victim gets the survey');
        assert.equal(survey.sendAfter.getTime() - consultation.endedAt!.getTime(), 48 * 3_600_000);
      } else {
        assert.equal(consultation.state, 'queued');
        assert.equal(await t.services.data.repos.surveys.findByConsultation(call.id), undefined, 'an RVR call is surveyed when its video call ends');
        assert.match(call.page, /data-arm="rvr"/);
        assert.match(call.page, /Randomised to: RVR video response/);
      }
    }
    const queue = await t.services.consultations.listQueue();
    for (const [i, call] of calls.entries())
      assert.equal(
        queue.some((q) => q.id === call.id),
        firstArms[i] === 'rvr',
        'only the RVR arm is in the queue',
      );

    const page = await admin.get('/admin/evaluation');
    assert.match(page.body, /data-testid="count-rvr">4</);
    assert.match(page.body, /data-testid="count-standard">4</);
    assert.equal((page.body.match(/data-arm="standard"/g) ?? []).length, 4, 'the allocation table lists every allocation');
    const allocated = await auditOf('evaluation.allocated');
    assert.equal(allocated.length, 8);
    assert.doesNotMatch(JSON.stringify(allocated), /Trial Caller|7700|Example Street/, 'no personal data in the audit details');
  });

  it('reproduces the sequence from the same seed in a new trial; the CAD API gets the allocation in its documented response', async () => {
    assert.equal((await stopTrial('First run complete')).response.statusCode, 303);
    assert.equal((await startTrial({ seed, blockSize: '4', note: '', reason: 'Re-run with the same seed' })).statusCode, 303);
    const responses = [];
    for (let i = 0; i < 8; i += 1) responses.push(await cadIntake());
    assert.deepEqual(
      responses.map((r) => r.allocation?.arm),
      firstArms,
    );
    for (const response of responses) {
      assert.ok(validTriageResponse(response), JSON.stringify(validTriageResponse.errors));
      assert.equal(response.state, response.allocation!.arm === 'standard' ? 'escalated_to_attendance' : 'queued', 'a CAD call is routed by the system actor');
      assert.equal(response.allocation!.notRandomisedReason, null);
      assert.equal('sequence' in response.allocation!, false, 'the sequence stays concealed from CAD');
    }
    // Concurrent intakes take sequence numbers one at a time (the trial row is locked): the next block is whole and balanced.
    const concurrent = await Promise.all([cadIntake(), cadIntake(), cadIntake(), cadIntake()]);
    const sequences = await Promise.all(concurrent.map(async (r) => (await allocationOf(r.consultationId))!.sequence));
    assert.deepEqual(
      [...sequences].sort((a, b) => a - b),
      [8, 9, 10, 11],
    );
    assert.equal(concurrent.filter((r) => r.allocation!.arm === 'rvr').length, 2);
    for (const [i, r] of concurrent.entries()) assert.equal(r.allocation!.arm, armFor(seed, 4, sequences[i]!));
    assert.equal((await t.services.evaluation.listTrials()).length, 3);
  });

  it('does not randomise ineligible calls, calls without consent, or calls made when no trial runs; records calls with no officer available', async () => {
    const trialId = (await t.services.data.repos.evaluation.findActiveTrial())!.id;
    const allocatedInTrial = async () => Object.values(await t.services.data.repos.evaluation.countByArm(trialId)).reduce((a, b) => a + b, 0);
    assert.equal(await allocatedInTrial(), 12);
    // RVR-02: the suspect present can never be overridden, so a soft (configured) exclusion is the one overridden here.
    const offenderPresent = await takeCall({ flags: 'no_smartphone_or_signal' });
    const noRecordingConsent = await takeCall({ consents: 'video' });
    for (const call of [offenderPresent, noRecordingConsent]) {
      assert.equal(await allocationOf(call.id), undefined);
      assert.doesNotMatch(call.page, /data-testid="allocation"/);
      assert.equal((await t.services.data.repos.consultations.findById(call.id))!.state, 'triaged_ineligible');
    }
    // A supervisor's override makes the call eligible; it is then randomised like any other (the next in sequence).
    await supervisor.get(`/consultations/${offenderPresent.id}`);
    const override = await supervisor.post(`/consultations/${offenderPresent.id}/override`, {
      rationale: 'Caller has borrowed a neighbour’s smartphone with signal',
    });
    assert.equal(override.statusCode, 303);
    const overridden = (await allocationOf(offenderPresent.id))!;
    assert.equal(overridden.sequence, 12);
    assert.equal(overridden.arm, armFor(seed, 4, 12));
    assert.equal(
      (await t.services.data.repos.consultations.findById(offenderPresent.id))!.state,
      overridden.arm === 'standard' ? 'escalated_to_attendance' : 'queued',
    );

    // RVR-05 / market.md §1.2: with no RVR officer available, the Kent trial did not randomise; the call is recorded and queued as usual.
    await t.services.availability.set(contextFor(officerOnStandby), officerOnStandby.id, 'offline');
    const noOfficer = await takeCall();
    assert.equal(await allocationOf(noOfficer.id), undefined);
    assert.equal((await t.services.data.repos.consultations.findById(noOfficer.id))!.state, 'queued');
    assert.match(noOfficer.page, /data-arm="none"/);
    assert.match(noOfficer.page, /not randomised/);
    const [skipped] = await auditOf('evaluation.not_randomised');
    assert.equal(skipped!.subject, `consultation:${noOfficer.id}`);
    assert.equal((skipped!.details as { reason: string }).reason, 'no_officer_available');
    // Issue 14: the evaluation's own record, written in the audit event's transaction, is what the pages read.
    assert.deepEqual(await t.services.data.repos.evaluation.notRandomisedReason(noOfficer.id), { trialId, reason: 'no_officer_available' });
    const cadNoOfficer = await cadIntake();
    assert.deepEqual(
      { arm: cadNoOfficer.allocation!.arm, reason: cadNoOfficer.allocation!.notRandomisedReason },
      { arm: null, reason: 'no_officer_available' },
    );
    assert.match((await admin.get('/admin/evaluation')).body, /data-testid="count-not-randomised">2</);
    await t.services.availability.set(contextFor(officerOnStandby), officerOnStandby.id, 'available');

    assert.equal(await allocatedInTrial(), 13, 'only the overridden call was added');

    assert.equal((await stopTrial('Second run complete')).response.statusCode, 303);
    const noTrial = await takeCall();
    unallocatedId = noTrial.id;
    assert.equal(await allocationOf(noTrial.id), undefined);
    assert.equal((await t.services.data.repos.consultations.findById(noTrial.id))!.state, 'queued');
    assert.doesNotMatch(noTrial.page, /data-testid="allocation"/);
    assert.doesNotMatch((await handler.get('/control-room/calls/new')).body, /data-testid="trial-running"/);
    const cadNoTrial = await cadIntake();
    assert.equal(cadNoTrial.allocation, null);
    assert.ok(validTriageResponse(cadNoTrial), JSON.stringify(validTriageResponse.errors));
  });

  it('migration 0009 fills the evaluation_not_randomised table from the audit events written before it (issue 14)', async () => {
    const migration = await readFile(new URL('../../src/platform/db/migrations/0009_evaluation_not_randomised.sql', import.meta.url), 'utf8');
    const backfill = migration.split('--> statement-breakpoint').at(-1)!;
    assert.match(backfill, /^\s*-- Existing installations keep their data[\s\S]*INSERT INTO "evaluation_not_randomised"/);
    const events = await auditOf('evaluation.not_randomised');
    assert.equal(events.length, 2, 'a form call and a CAD call were not randomised');
    const fromEvents = events
      .map((e) => ({
        consultationId: e.subject!.replace('consultation:', ''),
        trialId: (e.details as { trialId: string }).trialId,
        reason: (e.details as { reason: string }).reason,
        recordedAt: e.at.toISOString(),
      }))
      .sort((a, b) => a.consultationId.localeCompare(b.consultationId));
    const rowsOf = async (db: typeof t.db.database.db) =>
      (await db.select().from(evaluationNotRandomised))
        .map((r) => ({ consultationId: r.consultationId, trialId: r.trialId, reason: r.reason, recordedAt: new Date(r.recordedAt).toISOString() }))
        .sort((a, b) => a.consultationId.localeCompare(b.consultationId));
    const withoutTime = (rows: { consultationId: string; trialId: string; reason: string }[]) =>
      rows.map((r) => ({ consultationId: r.consultationId, trialId: r.trialId, reason: r.reason }));
    const written = await rowsOf(t.db.database.db);
    assert.deepEqual(withoutTime(written), withoutTime(fromEvents), 'written at triage, one row per audit event');
    // Replayed on an emptied table (as on an installation upgraded to 0009), inside a transaction that is then undone.
    const undo = new Error('undo');
    await assert.rejects(
      t.db.database.transaction(async (tx) => {
        await tx.execute(sql`delete from evaluation_not_randomised`);
        await tx.execute(sql.raw(backfill));
        assert.deepEqual(await rowsOf(tx), fromEvents);
        throw undo;
      }),
      (error) => error === undo,
    );
    assert.deepEqual(await rowsOf(t.db.database.db), written);
  });

  it('refuses allocation tampering: through the service (409, audited) and by the database trigger; one allocation per call', async () => {
    const [trial] = await t.services.evaluation.listTrials();
    const allocation = (await t.services.data.repos.evaluation.listAllocations(trial!.id))[0]!;
    const otherArm = allocation.arm === 'rvr' ? 'standard' : 'rvr';
    await admin.get('/admin/evaluation');
    const change = await admin.post(`/admin/evaluation/allocations/${allocation.consultationId}`, { arm: otherArm, reason: 'Caller would prefer a visit' });
    assert.equal(change.statusCode, 409);
    assert.match(change.body, /cannot be changed or made again/);
    const reallocate = await admin.postJson(`/admin/evaluation/allocations/${allocation.consultationId}`, {});
    assert.equal(reallocate.statusCode, 409);
    assert.match(reallocate.json<{ error: string }>().error, /cannot be changed/);
    const late = await admin.post(`/admin/evaluation/allocations/${unallocatedId}`, { arm: 'rvr', reason: 'Add it to the trial' });
    assert.equal(late.statusCode, 409);
    assert.match(late.body, /was not randomised/);
    assert.equal(await allocationOf(unallocatedId), undefined);
    assert.equal((await allocationOf(allocation.consultationId))!.arm, allocation.arm, 'the arm is unchanged');
    const refusals = await auditOf('evaluation.allocation_change_refused');
    assert.equal(refusals.length, 3);
    const changeRefusal = refusals.find(
      (r) => (r.details as { attempted: string }).attempted === 'change_arm' && r.subject === `consultation:${allocation.consultationId}`,
    )!;
    assert.equal(changeRefusal.justification, 'Caller would prefer a visit');
    assert.deepEqual(changeRefusal.details, { attempted: 'change_arm', requestedArm: otherArm, trialId: trial!.id, arm: allocation.arm });
    assert.equal(changeRefusal.actorRole, 'admin');

    // The database itself: append-only trigger, primary key, unique (trial, sequence).
    const db = t.db.database.db;
    const appendOnly = (error: Error & { cause?: Error }) => /append-only/.test(`${error.message} ${error.cause?.message ?? ''}`);
    await assert.rejects(db.execute(sql`update evaluation_allocations set arm = ${otherArm} where consultation_id = ${allocation.consultationId}`), appendOnly);
    await assert.rejects(db.execute(sql`delete from evaluation_allocations where consultation_id = ${allocation.consultationId}`), appendOnly);
    await assert.rejects(db.execute(sql`truncate evaluation_allocations`), appendOnly);
    await assert.rejects(
      t.services.data.repos.evaluation.insertAllocation({ ...(await allocationOf(allocation.consultationId))!, sequence: 999 }),
      'a consultation is allocated at most once (primary key)',
    );
    const spare = await t.services.triage.intake(
      contextFor(supervisorUser),
      callInput({ receivedAt: new Date(clock.getTime() - 60_000).toISOString() }),
      'test',
    );
    await assert.rejects(
      t.services.data.repos.evaluation.insertAllocation({
        consultationId: spare.consultation.id,
        trialId: trial!.id,
        sequence: allocation.sequence,
        arm: 'rvr',
        allocatedAt: clock,
        allocatedBy: null,
      }),
      'one allocation per sequence number in a trial',
    );
    assert.equal((await allocationOf(allocation.consultationId))!.arm, allocation.arm);
  });

  it('exports one pseudonymous row per allocated call with its timings and outcomes, justified and audited; CSV injection safe', async () => {
    assert.equal((await startTrial({ seed: 'export-trial-seed', blockSize: '2', note: '', reason: 'Export check trial' })).statusCode, 303);
    const [trial] = await t.services.evaluation.listTrials();
    // Block size 2: one of the first two calls is RVR, the other standard attendance.
    const receivedAt = new Date(clock.getTime() - 90_000);
    const first = await takeCall({ receivedAt: receivedAt.toISOString() });
    const second = await takeCall({ receivedAt: receivedAt.toISOString() });
    const triagedAt = clock;
    const [rvrCall, standardCall] = (await allocationOf(first.id))!.arm === 'rvr' ? [first, second] : [second, first];
    // Allocation tampering from inside: the service refuses to allocate a call a second time while the trial runs.
    await assert.rejects(
      t.services.data.transaction((tx) => t.services.evaluation.allocateAtTriage(tx, contextFor(supervisorUser), first.id)),
      (error: Error & { statusCode?: number }) => error.statusCode === 409 && /already been allocated/.test(error.message),
    );

    // The RVR call runs its course on the hand-moved clock.
    const officer = contextFor(officerAnswering);
    tick(40);
    await t.services.consultations.transition(officer, rvrCall.id, 'accepted');
    tick(5);
    await t.services.consultations.transition(officer, rvrCall.id, 'invited');
    tick(20);
    await t.services.consultations.transition(system, rvrCall.id, 'victim_joined');
    tick(5);
    await t.services.consultations.transition(system, rvrCall.id, 'connected');
    tick(600);
    await t.services.consultations.transition(officer, rvrCall.id, 'completed');

    // Outcomes, risk assessments and the survey answer, as the other features store them.
    const db = t.db.database.db;
    for (const kindName of ['referral_made', 'arrest_requested', 'referral_made', '=HYPERLINK("http://evil.example","x")'])
      await db.execute(
        sql`insert into consultation_outcomes (consultation_id, kind, details, recorded_at) values (${rvrCall.id}, ${kindName}, '{}'::jsonb, ${clock.toISOString()})`,
      );
    for (const [version, state, marac] of [
      [1, 'superseded', false],
      [2, 'signed_off', true],
      [3, 'draft', false],
    ] as const)
      await db.execute(
        sql`insert into risk_assessments (consultation_id, form_version, version, state, answers, marac_referral, updated_at) values (${rvrCall.id}, 'DASH2009', ${version}, ${state}, '{}'::jsonb, ${marac}, ${clock.toISOString()})`,
      );
    await db.execute(
      sql`insert into satisfaction_surveys (consultation_id, token_hash, state, send_after, expires_at, answered_at, rating)
          values (${rvrCall.id}, ${'hash-' + rvrCall.id}, 'answered', ${clock.toISOString()}, ${clock.toISOString()}, ${clock.toISOString()}, 4)
          on conflict (consultation_id) do update set state = 'answered', rating = 4, answered_at = excluded.answered_at`,
    );

    await supervisor.get('/evaluation/export');
    const unjustified = await supervisor.post('/evaluation/export', { trialId: trial!.id, justification: 'x' });
    assert.equal(unjustified.statusCode, 400);
    assert.match(unjustified.body, /Say why you need the export/);
    const exported = await supervisor.post('/evaluation/export', { trialId: trial!.id, justification: 'Quarterly analysis for the evaluation board' });
    assert.equal(exported.statusCode, 200, exported.body);
    assert.match(String(exported.headers['content-type']), /^text\/csv/);
    assert.match(String(exported.headers['content-disposition']), /^attachment; filename="rvr-evaluation-[0-9a-f]{8}-.*\.csv"$/);
    assert.match(String(exported.headers['cache-control']), /\bno-store\b/, 'the export is never kept by a browser or proxy');
    assert.doesNotMatch(exported.body, /Trial Caller|7700|900456|Example Street|CAD-E-/, 'pseudonymous: no names, numbers, addresses or CAD references');

    const [header, ...rows] = parseCsv(exported.body);
    assert.deepEqual(header, EXPORT_HEADER);
    assert.equal(rows.length, 2);
    const byRef = new Map(rows.map((r) => [r[6], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
    const rvrRow = byRef.get((await t.services.data.repos.consultations.findById(rvrCall.id))!.reference)!;
    const standardRow = byRef.get((await t.services.data.repos.consultations.findById(standardCall.id))!.reference)!;
    const rvrAllocation = (await allocationOf(rvrCall.id))!;
    assert.deepEqual(rvrRow, {
      trial_id: trial!.id,
      sequence: String(rvrAllocation.sequence),
      block: '0',
      position_in_block: String(rvrAllocation.sequence),
      arm: 'rvr',
      allocated_at: triagedAt.toISOString(),
      consultation_reference: rvrRow.consultation_reference,
      incident_grade: '2',
      state_reached: 'completed',
      call_received_at: receivedAt.toISOString(),
      triaged_at: triagedAt.toISOString(),
      queued_at: triagedAt.toISOString(),
      accepted_at: new Date(triagedAt.getTime() + 40_000).toISOString(),
      connected_at: new Date(triagedAt.getTime() + 70_000).toISOString(),
      ended_at: new Date(triagedAt.getTime() + 670_000).toISOString(),
      seconds_received_to_triaged: '90',
      seconds_received_to_queued: '90',
      seconds_received_to_accepted: '130',
      seconds_to_officer_on_video: '160',
      seconds_received_to_ended: '760',
      seconds_on_video: '600',
      outcome_kinds: `'=HYPERLINK("http://evil.example","x");arrest_requested;referral_made`,
      marac_referral: 'true',
      satisfaction_rating: '4',
    });
    assert.match(rvrRow.consultation_reference!, /^RVR-\d{8}-[A-Z0-9]{6}$/);
    assert.match(exported.body, /"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\);arrest_requested;referral_made"/, 'the formula is quoted and neutralised');
    assert.deepEqual(
      {
        arm: standardRow.arm,
        state: standardRow.state_reached,
        queued: standardRow.queued_at,
        accepted: standardRow.accepted_at,
        toVideo: standardRow.seconds_to_officer_on_video,
        toEnd: standardRow.seconds_received_to_ended,
        outcomes: standardRow.outcome_kinds,
        marac: standardRow.marac_referral,
        rating: standardRow.satisfaction_rating,
      },
      { arm: 'standard', state: 'escalated_to_attendance', queued: '', accepted: '', toVideo: '', toEnd: '90', outcomes: '', marac: '', rating: '' },
    );

    const [exportEvent] = await auditOf('evaluation.exported');
    assert.equal(exportEvent!.justification, 'Quarterly analysis for the evaluation board');
    assert.equal(exportEvent!.who, `user:${supervisorUser.id}`);
    assert.equal(exportEvent!.subject, `evaluation_trial:${trial!.id}`);
    assert.deepEqual(exportEvent!.details, { rows: 2, columns: EXPORT_HEADER.length });
    assert.equal((await auditOf('evaluation.exported')).length, 1, 'the refused export was not logged as an export');
  });

  it('keeps the trial pages and the export to their roles', async () => {
    const [trial] = await t.services.evaluation.listTrials();
    for (const [browser, url] of [
      [handler, '/admin/evaluation'],
      [supervisor, '/admin/evaluation'],
      [handler, '/evaluation/export'],
    ] as const) {
      assert.equal((await browser.get(url)).statusCode, 403, url);
    }
    await supervisor.get('/evaluation/export');
    const start = await supervisor.post('/admin/evaluation/trials', { seed: '', blockSize: '4', note: '', reason: 'Not my job to start it' });
    assert.equal(start.statusCode, 403);
    await handler.get('/control-room/calls/new');
    const exported = await handler.post('/evaluation/export', { trialId: trial!.id, justification: 'Curious about the data' });
    assert.equal(exported.statusCode, 403);
    assert.equal((await auditOf('evaluation.exported')).length, 1);
    const page = await admin.get('/admin');
    assert.match(page.body, /href="\/admin\/evaluation"/, 'the admin page links to the trial');
    assert.match((await supervisor.get('/supervisor')).body, /href="\/evaluation\/export"/, 'the supervisor page links to the export');
  });

  it('refuses hostile or malformed trial, allocation and export input with a 4xx, never a 500, and renders it escaped', async () => {
    const hostile = ['<script>alert(1)</script>', "' OR '1'='1' --", '{{ 7*7 }}', 'admin\u202Egnp.exe', 'x'.repeat(5000), '', ' ', '٤', '-4', '4.0', '1e1'];
    const assertSafe = (status: number, body: string, what: string) => {
      assert.ok(status >= 200 && status < 500, `${what}: status ${status}`);
      assert.doesNotMatch(body, /<script>alert/, `${what}: markup rendered unescaped`);
    };
    const valid = { seed: '', blockSize: '4', note: '', reason: 'Hostile input check' };
    const [running] = await t.services.evaluation.listTrials();
    await admin.get('/admin/evaluation');
    assert.equal((await admin.post(`/admin/evaluation/trials/${running!.id}/stop`, { reason: 'Before the hostile input check' })).statusCode, 303);
    for (const field of Object.keys(valid)) {
      for (const value of hostile) {
        const response = await startTrial({ ...valid, [field]: value });
        assertSafe(response.statusCode, response.body, `${field}=${value.slice(0, 20)}`);
        if (response.statusCode === 303) {
          assertSafe(200, (await admin.get('/admin/evaluation')).body, `page after ${field}=${value.slice(0, 20)}`);
          const [started] = await t.services.evaluation.listTrials();
          assert.equal((await admin.post(`/admin/evaluation/trials/${started!.id}/stop`, { reason: 'Hostile input check done' })).statusCode, 303);
        }
      }
    }
    const typed = await admin.postJson('/admin/evaluation/trials', { ...valid, blockSize: 4 });
    assert.equal(typed.statusCode, 400, 'a number where the form sends text is refused (no type coercion)');
    const [trial] = await t.services.evaluation.listTrials();
    const allocated = (await allocationOf(allocatedId))!;
    for (const value of hostile) {
      await admin.get('/admin/evaluation');
      const change = await admin.post(`/admin/evaluation/allocations/${allocated.consultationId}`, { arm: value, reason: value });
      assert.equal(change.statusCode, value.length > 20 ? 400 : 409, `arm=${value.slice(0, 20)}`);
      assertSafe(change.statusCode, change.body, 'allocation change');
      await supervisor.get('/evaluation/export');
      const exported = await supervisor.post('/evaluation/export', { trialId: trial!.id, justification: value });
      assertSafe(exported.statusCode, exported.body, `justification=${value.slice(0, 20)}`);
    }
    const notUuid = await admin.post('/admin/evaluation/allocations/not-a-uuid', { arm: 'rvr', reason: 'x' });
    assert.equal(notUuid.statusCode, 400);
    assert.equal((await allocationOf(allocated.consultationId))!.arm, allocated.arm);
    assert.equal(await t.services.evaluation.isTrialRunning(), false);
  });
});
