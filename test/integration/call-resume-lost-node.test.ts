import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

/**
 * Issue 18 §2/§3 (ADR 0013): the pages are told within 5 s that a killed media node's call was interrupted, but its
 * heartbeat takes NODE_LAPSE_SECONDS to lapse. "Resume the call" pressed in that window must not hand the officer
 * the dead call again (or "wait a few seconds"): a node that refuses connections is taken as lost for that call.
 */
await describeOnDatabase('resuming a call whose media node was just lost (issue 18)', (kind) => {
  let lost: TestApp;
  let live: TestApp;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    // Port 9 (discard) has no listener here: the lost node's address refuses connections, as a killed node's does.
    lost = await buildTestApp(kind, { env: { NODE_ID: 'resume-lost', NODE_INTERNAL_URL: 'http://127.0.0.1:9' } });
    live = await buildTestApp(kind, { database: lost.db, env: { NODE_ID: 'resume-live' } });
    handler = await createUser(lost.services, 'rl-handler', ['call_handler']);
    officer = await createUser(lost.services, 'rl-officer', ['rvr_officer']);
    await allowRoundTheClock(lost.services);
  });
  after(async () => {
    await live?.close();
    await lost?.close();
  });

  it('the officer resumes at once: the lost node’s call ends as interrupted (its recordings left for it) and the new one is placed on a live node', async () => {
    const { consultation } = await newCall(lost.services, handler, { mobile: '07700 900789' });
    await lost.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await lost.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    assert.equal(call.mediaNodeId, 'resume-lost');
    // The live node registers itself (as a running node's heartbeat would) and is the less loaded one.
    await live.services.calls.lifecycle.openCall(contextFor(officer), (await accepted()).id);
    const participant = await lost.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    await lost.services.calls.recordings.recordingStarted(call.id, participant.id, { participantId: participant.id, role: 'officer', tracks: ['audio'] });

    // The lost node's heartbeat is still fresh: only its refused connection says it is gone.
    const resumed = await live.services.calls.resume.resume(contextFor(officer), consultation.id);
    assert.notEqual(resumed.call.id, call.id);
    assert.equal(resumed.call.mediaNodeId, 'resume-live');
    assert.equal((await lost.services.calls.lifecycle.requireCall(call.id)).state, 'interrupted');
    const [recording] = await queryRows<{ status: string }>(lost.db.database, sql`select status from recordings where call_id = ${call.id}`);
    assert.equal(recording!.status, 'recording', 'the lost node repairs its own segments when it starts again');
    const [node] = await queryRows<{ state: string }>(lost.db.database, sql`select state from media_nodes where id = 'resume-lost'`);
    assert.equal(node!.state, 'active', 'a refused connection ends the one call; only the reaper marks a node gone, after its lapse');
  });

  it('a node that still answers keeps its call: resuming rejoins the same call', async () => {
    // Nothing more is placed on the lost node, so the call is on the live one.
    await lost.db.database.db.execute(sql`update media_nodes set state = 'draining' where id = 'resume-lost'`);
    const consultation = await accepted();
    const call = await live.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    assert.equal(call.mediaNodeId, 'resume-live');
    // The live test node is not listening on a port; its own call is always its own to keep.
    const resumed = await live.services.calls.resume.resume(contextFor(officer), consultation.id);
    assert.equal(resumed.call.id, call.id);
    assert.equal((await live.services.calls.lifecycle.requireCall(call.id)).state, 'open');
  });

  it('another officer cannot end or resume the call (refused before anything is touched)', async () => {
    const other = await createUser(lost.services, 'rl-other', ['rvr_officer']);
    const consultation = await accepted();
    const call = await lost.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await assert.rejects(live.services.calls.resume.resume(contextFor(other), consultation.id), { statusCode: 403 });
    assert.equal((await lost.services.calls.lifecycle.requireCall(call.id)).state, 'open');
  });

  async function accepted() {
    const { consultation } = await newCall(lost.services, handler, { mobile: '07700 900790' });
    await lost.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    return consultation;
  }
});
