import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ENQUIRY_LINE_IDS, ENQUIRY_STATUSES } from '../../src/domain/enquiry-lines.js';
import { cliContext } from '../support/test-app.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);
const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

await describeOnDatabase('the officer’s investigation in the call: enquiries, statement, outcomes, not safe (RVR-08, RVR-11, EVD-01)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let officerBrowser: Browser;
  let otherBrowser: Browser;
  let supervisorBrowser: Browser;
  before(async () => {
    t = await buildTestApp(kind, { env: { CRIME_REFERENCE_PATTERN: '^\\d{2}/\\d{6}/\\d{2}$' } });
    handler = await createUser(t.services, 'inv-handler', ['call_handler']);
    officer = await createUser(t.services, 'inv-officer', ['rvr_officer']);
    await createUser(t.services, 'inv-officer2', ['rvr_officer']);
    await createUser(t.services, 'inv-supervisor', ['supervisor']);
    await allowRoundTheClock(t.services);
    officerBrowser = new Browser(t.app);
    await officerBrowser.signIn('inv-officer');
    otherBrowser = new Browser(t.app);
    await otherBrowser.signIn('inv-officer2');
    supervisorBrowser = new Browser(t.app);
    await supervisorBrowser.signIn('inv-supervisor');
  });
  after(() => t.close());

  /** An accepted consultation with its call open and the victim in it (link opened, consent given). */
  const liveCall = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    t.services.smsOutbox!.clear();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const texts = t.services.smsOutbox!.list();
    const token = /\/v\/([A-Za-z0-9_-]+)/.exec(texts[0]!.body)![1]!;
    const victim = new Browser(t.app);
    assert.equal((await victim.get(`/v/${token}`)).statusCode, 303);
    await victim.get('/v/call');
    assert.equal((await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' })).statusCode, 303);
    const page = await victim.get('/v/call');
    assert.equal(page.statusCode, 200);
    // The officer's panels carry the CSRF token for the officer's posts.
    await officerBrowser.get(`/consultations/${consultation.id}/statement/panel`);
    return { consultation, call, victim, page };
  };
  let address: string | undefined;
  const listening = async () => (address ??= await t.app.listen({ host: '127.0.0.1', port: 0 }));
  const audits = async (what: string) =>
    queryRows<{ subject: string; details: Record<string, unknown> }>(
      t.db.database,
      sql`select subject, details from audit_events where what = ${what} order by seq`,
    );

  it('RVR-08: every line takes every status; not possible needs a reason; an unknown line or status is refused; all audited', async () => {
    const { consultation } = await liveCall();
    const callPage = await officerBrowser.get(`/consultations/${consultation.id}/call`);
    for (const panel of ['safety-panel', 'statement-panel', 'enquiry-panel', 'outcome-panel'])
      assert.match(callPage.body, new RegExp(`data-testid="${panel}"`));
    assert.match(callPage.body, /<script type="module" src="\/static\/js\/investigation-call.js" nonce="[^"]+"><\/script>/);
    assert.equal((await t.app.inject('/static/js/investigation-call.js')).statusCode, 200);
    assert.equal((await t.app.inject('/static/js/statement-victim.js')).statusCode, 200);
    const url = `/consultations/${consultation.id}/enquiry-lines`;
    for (const line of ENQUIRY_LINE_IDS) {
      for (const status of ENQUIRY_STATUSES) {
        const response = await officerBrowser.postJson(url, { line, status, reason: status === 'not_possible' ? 'Victim could not show it' : undefined });
        assert.equal(response.statusCode, 200, `${line} ${status}: ${response.body}`);
        assert.equal(response.json().line.status, status);
      }
    }
    const noReason = await officerBrowser.postJson(url, { line: 'injuries', status: 'not_possible', reason: '  ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.json<{ error: string }>().error, /Say why/);
    assert.ok(noReason.json().fields.reason);
    assert.equal((await officerBrowser.postJson(url, { line: 'telepathy', status: 'done' })).statusCode, 400);
    assert.equal((await officerBrowser.postJson(url, { line: 'injuries', status: 'maybe' })).statusCode, 400);
    const panel = await officerBrowser.get(`${url}/panel`, { accept: 'application/json' });
    const lines = panel.json().lines as { id: string; status: string; reason: string | null }[];
    assert.equal(lines.length, ENQUIRY_LINE_IDS.length);
    assert.ok(lines.every((l) => l.status === 'not_possible' && l.reason === 'Victim could not show it'));
    assert.equal(panel.json().progress.complete, true);
    const html = await officerBrowser.get(`${url}/panel`);
    for (const line of ENQUIRY_LINE_IDS) assert.match(html.body, new RegExp(`data-testid="enquiry-line-${line}"`));
    const recorded = (await audits('investigation.enquiry_line_recorded')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.equal(recorded.length, ENQUIRY_LINE_IDS.length * ENQUIRY_STATUSES.length);
    assert.ok(!JSON.stringify(recorded).includes('Victim could not show it'), 'the reason text stays out of the audit trail');
    // Only the officer who accepted the consultation records it.
    // DP-01, need to know: another RVR officer may neither record nor read it; a supervisor's reading is logged.
    const otherRecord = await otherBrowser.get(`/consultations/${consultation.id}/enquiries`);
    assert.equal(otherRecord.statusCode, 403);
    assert.doesNotMatch(otherRecord.body, /Victim could not show it/);
    const other = await otherBrowser.get(`${url}/panel`, { accept: 'application/json' });
    assert.equal(other.statusCode, 403);
    const read = await supervisorBrowser.get(`/consultations/${consultation.id}/enquiries`);
    assert.equal(read.statusCode, 200);
    assert.ok((await audits('investigation.viewed')).some((a) => a.subject === `consultation:${consultation.id}`));
  });

  it('RVR-08: photos of this consultation can be linked to injuries; another consultation’s evidence is refused (400) and logged', async () => {
    const { consultation, call } = await liveCall();
    const mine = await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, JPEG);
    const mineItem = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.sourceId.endsWith(mine.id))!;
    const other = await liveCall();
    const theirs = await t.services.calls.snapshots.saveSnapshot(contextFor(officer), other.call.id, JPEG);
    const theirItem = (await t.services.data.repos.evidence.listByConsultation(other.consultation.id)).find((i) => i.sourceId.endsWith(theirs.id))!;
    await officerBrowser.get(`/consultations/${consultation.id}/statement/panel`);
    const url = `/consultations/${consultation.id}/enquiry-lines`;
    const linked = await officerBrowser.postJson(url, { line: 'injuries', status: 'done', evidenceItemIds: [mineItem.id] });
    assert.equal(linked.statusCode, 200, linked.body);
    assert.deepEqual(linked.json().line.evidenceItemIds, [mineItem.id]);
    const foreign = await officerBrowser.postJson(url, { line: 'injuries', status: 'done', evidenceItemIds: [mineItem.id, theirItem.id] });
    assert.equal(foreign.statusCode, 400);
    assert.match(foreign.json<{ error: string }>().error, /Only photos and videos from this consultation/);
    const unknown = await officerBrowser.postJson(url, { line: 'injuries', status: 'done', evidenceItemIds: ['00000000-0000-4000-8000-000000000000'] });
    assert.equal(unknown.statusCode, 400);
    assert.equal((await officerBrowser.postJson(url, { line: 'injuries', status: 'done', evidenceItemIds: ['not-a-uuid'] })).statusCode, 400);
    assert.equal((await officerBrowser.postJson(url, { line: 'suspect', status: 'done', evidenceItemIds: [mineItem.id] })).statusCode, 400);
    const refusals = (await audits('investigation.enquiry_evidence_refused')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.ok(refusals.some((r) => r.details.evidenceItemId === theirItem.id));
    const rows = await queryRows<{ evidence_item_ids: string[] }>(
      t.db.database,
      sql`select evidence_item_ids from enquiry_lines where consultation_id = ${consultation.id} and line = 'injuries'`,
    );
    assert.deepEqual(rows[0]!.evidence_item_ids, [mineItem.id], 'the refused update changed nothing');
  });

  it('statement: autosave bumps the revision; a stale revision is a 409 carrying the saved copy, and nothing is lost', async () => {
    const { consultation } = await liveCall();
    const url = `/consultations/${consultation.id}/statement`;
    const first = await officerBrowser.postJson(url, { text: 'He came home at 10pm.', revision: 0 });
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().statement.revision, 1);
    const second = await officerBrowser.postJson(url, { text: 'He came home at 10pm and shouted.', revision: 1 });
    assert.equal(second.json().statement.revision, 2);
    const stale = await officerBrowser.postJson(url, { text: 'Typed in another tab', revision: 1 });
    assert.equal(stale.statusCode, 409);
    assert.deepEqual(stale.json().current, { text: 'He came home at 10pm and shouted.', revision: 2, state: 'draft' });
    const firstEver = await officerBrowser.postJson(`/consultations/${(await liveCall()).consultation.id}/statement`, { text: 'x', revision: 5 });
    assert.equal(firstEver.statusCode, 409, 'a first save must start from revision 0');
    // Form posts (no script) send the revision as text.
    await officerBrowser.get(`${url}/panel`);
    const form = await officerBrowser.post(url, { text: 'He came home at 10pm and shouted at me.', revision: '2' });
    assert.equal(form.statusCode, 303);
    const panel = await officerBrowser.get(`${url}/panel`, { accept: 'application/json' });
    assert.equal(panel.json().statement.text, 'He came home at 10pm and shouted at me.');
    assert.equal(panel.json().statement.revision, 3);
    const saved = (await audits('investigation.statement_saved')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.equal(saved.length, 3);
    assert.ok(!JSON.stringify(saved).includes('shouted'), 'the account stays out of the audit trail');
  });

  it('statement: the victim sees the exact shared text, asks for a correction that reaches the officer live, then confirms the re-shared text', async () => {
    const { consultation, call, victim } = await liveCall();
    const text = 'On Tuesday <b>he</b> pushed me.\n\n  Twice — “hard”. 😢 & then left.';
    const url = `/consultations/${consultation.id}/statement`;
    assert.equal((await officerBrowser.postJson(url, { text, revision: 0 })).statusCode, 200);
    const before = await victim.get('/v/call/statement', { accept: 'application/json' });
    assert.deepEqual(before.json(), { statement: { state: 'none' } }, 'a draft never shown is not on the victim’s page');
    assert.equal((await officerBrowser.postJson(`${url}/share`, { revision: 0 })).statusCode, 409, 'sharing names the revision on screen');
    assert.equal((await officerBrowser.postJson(`${url}/share`, { revision: 1 })).statusCode, 200);

    const seen = (await victim.get('/v/call/statement', { accept: 'application/json' })).json().statement;
    assert.equal(seen.text, text, 'the exact text');
    assert.equal(seen.sha256, sha256(text));
    assert.deepEqual(Object.keys(seen as object).sort(), ['confirmedAt', 'revision', 'sha256', 'state', 'text'], 'nothing else about the case');
    const html = await victim.get('/v/call/statement');
    assert.match(html.body, /data-testid="victim-statement"/);
    assert.ok(
      html.body.includes('On Tuesday &lt;b&gt;he&lt;/b&gt; pushed me.\n\n  Twice — “hard”. 😢 &amp; then left.'),
      'the text, escaped, line breaks kept',
    );
    assert.match(html.body, /data-testid="victim-signature"/);
    assert.match(html.body, /<label class="govuk-label" for="victim-signature">Your full name<\/label>/);
    assert.doesNotMatch(html.body, new RegExp(consultation.reference), 'no case reference on the victim’s page');

    // The officer's call socket hears the correction request at once.
    const socket = new WebSocket(`${(await listening()).replace('http', 'ws')}/calls/${call.id}/socket`, { headers: { cookie: officerBrowser.cookieHeader } });
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const next = async (match: (m: Record<string, unknown>) => boolean) => {
      for (let i = 0; i < 200; i++) {
        const found = messages.find(match);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no matching message in ${JSON.stringify(messages.map((m) => m.type))}`);
    };
    await next((m) => m.type === 'hello');

    const correction = await victim.postJson('/v/call/statement/corrections', { revision: seen.revision, sha256: seen.sha256, correction: 'It was Wednesday' });
    assert.equal(correction.statusCode, 200, correction.body);
    assert.equal((await next((m) => m.type === 'statement')).state, 'correction_requested');
    const officerView = (await officerBrowser.get(`${url}/panel`, { accept: 'application/json' })).json().statement;
    assert.equal(officerView.state, 'correction_requested');
    assert.equal(officerView.corrections[0].text, 'It was Wednesday');
    assert.match((await officerBrowser.get(`${url}/panel`)).body, /data-testid="statement-correction">[^<]*It was Wednesday/);
    const pending = await victim.postJson('/v/call/statement/confirm', { revision: seen.revision, sha256: seen.sha256, signatureName: 'Jane Doe' });
    assert.equal(pending.statusCode, 409, 'after asking for changes the victim waits for the re-shared text');

    // The officer corrects and re-shares; the victim confirms what they now see.
    const corrected = text.replace('Tuesday', 'Wednesday');
    assert.equal((await officerBrowser.postJson(url, { text: corrected, revision: 1 })).statusCode, 200);
    assert.equal((await victim.get('/v/call/statement', { accept: 'application/json' })).json().statement.state, 'updating');
    assert.equal((await officerBrowser.postJson(`${url}/share`, { revision: 2 })).statusCode, 200);
    const seenAgain = (await victim.get('/v/call/statement', { accept: 'application/json' })).json().statement;
    assert.equal(seenAgain.text, corrected);
    await victim.get('/v/call/statement');
    const badName = await victim.postJson('/v/call/statement/confirm', { revision: seenAgain.revision, sha256: seenAgain.sha256, signatureName: ' ' });
    assert.equal(badName.statusCode, 400);
    assert.match(badName.json<{ error: string }>().error, /Type your full name/);
    const confirmed = await victim.post('/v/call/statement/confirm', {
      revision: String(seenAgain.revision),
      sha256: seenAgain.sha256,
      signatureName: 'Jane Doe',
    });
    assert.equal(confirmed.statusCode, 303, confirmed.body);
    await next((m) => m.type === 'statement' && m.state === 'confirmed');
    socket.close();

    const [row] = await queryRows<{ confirmed_text: string; confirmed_sha256: string; signature_name: string; confirmed_at: Date; evidence_item_id: string }>(
      t.db.database,
      sql`select confirmed_text, confirmed_sha256, signature_name, confirmed_at, evidence_item_id from victim_statements where consultation_id = ${consultation.id}`,
    );
    assert.equal(row!.confirmed_text, corrected);
    assert.equal(row!.confirmed_sha256, sha256(corrected));
    assert.equal(row!.signature_name, 'Jane Doe');
    assert.ok(row!.confirmed_at);
    const item = (await t.services.data.repos.evidence.findItem(row!.evidence_item_id))!;
    assert.equal(item.kind, 'statement');
    assert.equal(item.consultationId, consultation.id);
    const file = path.join(t.services.mediaRoot, item.fileKey);
    assert.equal(createHash('sha256').update(fs.readFileSync(file)).digest('hex'), sha256(corrected), 'the master holds exactly the confirmed text');
    assert.equal(item.sha256, sha256(corrected));
    assert.equal(fs.statSync(file).mode & 0o222, 0, 'the master is read-only');
    const audit = (await audits('investigation.statement_confirmed')).find((a) => a.subject === `consultation:${consultation.id}`)!;
    assert.equal(audit.details.sha256, sha256(corrected));
    assert.ok(!JSON.stringify(audit).includes('Jane'), 'the signature stays out of the audit trail');
    assert.match((await victim.get('/v/call/statement')).body, /data-testid="victim-statement-confirmed"/);

    // After confirmation: no edit, no re-share, no second confirmation; each refusal on record.
    const edit = await officerBrowser.postJson(url, { text: 'changed afterwards', revision: 2 });
    assert.equal(edit.statusCode, 409);
    assert.match(edit.json<{ error: string }>().error, /confirmed/);
    assert.equal((await officerBrowser.postJson(`${url}/share`, { revision: 2 })).statusCode, 409);
    assert.equal(
      (await victim.postJson('/v/call/statement/confirm', { revision: seenAgain.revision, sha256: seenAgain.sha256, signatureName: 'Jane Doe' })).statusCode,
      409,
    );
    const refusals = (await audits('investigation.statement_change_refused')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.deepEqual(
      refusals.map((r) => r.details.action),
      ['save', 'share'],
    );
    const record = await supervisorBrowser.get(`/consultations/${consultation.id}/enquiries`, { accept: 'application/json' });
    assert.equal(record.json().statement.state, 'confirmed');
    assert.equal(record.json().statement.text, undefined, 'the investigation record shows the statement’s state and hash, not its text');

    // RET-19 (issue 16 §4): both drafts shown to the victim are kept word for word, with their hashes, not overwritten.
    const kept = (await officerBrowser.get(`${url}/panel`, { accept: 'application/json' })).json().statement.shownVersions as {
      revision: number;
      sha256: string;
      text: string;
    }[];
    assert.deepEqual(
      kept.map((v) => [v.revision, v.text, v.sha256]),
      [
        [1, text, sha256(text)],
        [2, corrected, sha256(corrected)],
      ],
    );
    assert.match((await officerBrowser.get(`${url}/panel`)).body, /data-testid="statement-versions"[\s\S]*On Tuesday &lt;b&gt;he&lt;\/b&gt; pushed me/);
    assert.deepEqual(
      (record.json().statement.shownVersions as { revision: number; text?: string }[]).map((v) => [v.revision, v.text]),
      [
        [1, undefined],
        [2, undefined],
      ],
      'the record lists the versions shown by revision and hash, without their text',
    );
    const shared = (await audits('investigation.statement_shared')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.equal(shared.length, 2);
    assert.ok(shared.every((a) => typeof a.details.versionId === 'string'));
  });

  it('statement: a confirmation of a text the officer has changed since is refused ("read it again") and logged', async () => {
    const { consultation, victim } = await liveCall();
    const url = `/consultations/${consultation.id}/statement`;
    await officerBrowser.postJson(url, { text: 'First version', revision: 0 });
    await officerBrowser.postJson(`${url}/share`, { revision: 1 });
    const seen = (await victim.get('/v/call/statement', { accept: 'application/json' })).json().statement;
    await victim.get('/v/call/statement');
    // The officer changes it and shows it again, while the victim still has the first version on screen.
    await officerBrowser.postJson(url, { text: 'Second version', revision: 1 });
    await officerBrowser.postJson(`${url}/share`, { revision: 2 });
    const outdated = await victim.postJson('/v/call/statement/confirm', { revision: seen.revision, sha256: seen.sha256, signatureName: 'Jane Doe' });
    assert.equal(outdated.statusCode, 409);
    assert.equal(outdated.json<{ error: string }>().error, 'The officer changed the statement; read it again.');
    const forgedHash = await victim.postJson('/v/call/statement/confirm', { revision: 2, sha256: sha256('First version'), signatureName: 'Jane Doe' });
    assert.equal(forgedHash.statusCode, 409, 'the hash must be of the text now shown');
    const [row] = await queryRows<{ state: string }>(t.db.database, sql`select state from victim_statements where consultation_id = ${consultation.id}`);
    assert.equal(row!.state, 'shared');
    assert.ok((await audits('investigation.statement_response_refused')).some((a) => a.subject === `consultation:${consultation.id}`));
    assert.equal((await t.services.data.repos.evidence.listByConsultation(consultation.id)).filter((i) => i.kind === 'statement').length, 0);
  });

  it('outcomes: each kind recorded with its time and audited; bad crime reference, arrest without location and NFA without reason refused; the CAD read shows them without personal data', async () => {
    const { consultation } = await liveCall();
    const url = `/consultations/${consultation.id}/outcomes`;
    await officerBrowser.get(`${url}/panel`);
    const bad = await officerBrowser.postJson(url, { kind: 'crime_recorded', crimeReference: 'CR-1' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json<{ fields: { crimeReference: string } }>().fields.crimeReference, /not a crime reference in this force’s format/);
    const noLocation = await officerBrowser.postJson(url, { kind: 'arrest_requested', suspectDetails: 'John Suspect, 6ft' });
    assert.equal(noLocation.statusCode, 400);
    assert.ok(noLocation.json().fields.lastKnownLocation);
    assert.equal((await officerBrowser.postJson(url, { kind: 'patrol_tasked', lastKnownLocation: '1 High St' })).statusCode, 400);
    const nfa = await officerBrowser.postJson(url, { kind: 'no_further_action' });
    assert.equal(nfa.statusCode, 400);
    assert.ok(nfa.json().fields.reason);
    assert.equal((await officerBrowser.postJson(url, { kind: 'referral_made', referralType: 'other' })).statusCode, 400);
    assert.equal((await officerBrowser.postJson(url, { kind: 'teleported' })).statusCode, 400);

    for (const body of [
      { kind: 'crime_recorded', crimeReference: '46/123456/26' },
      { kind: 'arrest_requested', suspectDetails: 'John Suspect, 6ft', lastKnownLocation: '1 High St' },
      { kind: 'patrol_tasked', suspectDetails: 'John Suspect', lastKnownLocation: 'The Red Lion' },
      { kind: 'attendance_escalated', reason: 'Injuries need to be seen' },
      { kind: 'referral_made', referralType: 'idva' },
      { kind: 'referral_made', referralType: 'other', referralOther: 'Housing team' },
      { kind: 'no_further_action', reason: 'Victim does not support' },
    ]) {
      const response = await officerBrowser.postJson(url, body);
      assert.equal(response.statusCode, 200, `${body.kind}: ${response.body}`);
    }
    const rows = await queryRows<{ kind: string; recorded_at: Date; recorded_by: string }>(
      t.db.database,
      sql`select kind, recorded_at, recorded_by from consultation_outcomes where consultation_id = ${consultation.id} order by recorded_at`,
    );
    assert.equal(rows.length, 7);
    assert.ok(rows.every((r) => r.recorded_at && r.recorded_by === officer.id));
    const audited = (await audits('investigation.outcome_recorded')).filter((a) => a.subject === `consultation:${consultation.id}`);
    assert.equal(audited.length, 7);
    assert.ok(!JSON.stringify(audited).includes('John Suspect') && !JSON.stringify(audited).includes('High St'));
    assert.equal((await otherBrowser.postJson(url, { kind: 'no_further_action', reason: 'x' })).statusCode, 403, 'not their consultation');

    const { key } = await t.services.apiKeys.create(cliContext, `CAD ${kind}`, ['consultations:read']);
    const cad = await t.app.inject({ url: `/api/v1/consultations/${consultation.id}`, headers: { authorization: `Bearer ${key}` } });
    assert.equal(cad.statusCode, 200);
    const outcomes = cad.json().outcomes as { kind: string; recordedAt: string; crimeReference: string | null; referralType: string | null }[];
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['crime_recorded', 'arrest_requested', 'patrol_tasked', 'attendance_escalated', 'referral_made', 'referral_made', 'no_further_action'],
    );
    assert.equal(outcomes[0]!.crimeReference, '46/123456/26');
    assert.deepEqual(
      outcomes.filter((o) => o.referralType).map((o) => o.referralType),
      ['idva', 'other'],
    );
    assert.ok(outcomes.every((o) => !Number.isNaN(Date.parse(o.recordedAt))));
    assert.doesNotMatch(cad.body, /John Suspect|High St|Red Lion|Housing team|Victim does not support/, 'no personal data or free text in the CAD read');
    const consultationAfter = await t.services.consultations.summary(consultation.id);
    assert.equal(consultationAfter.state, 'invited', 'recording an outcome does not change the consultation’s state');
    const record = await supervisorBrowser.get(`/consultations/${consultation.id}/enquiries`);
    assert.equal(record.statusCode, 200);
    assert.match(record.body, /46\/123456\/26/);
  });

  it('RVR-11: "not safe" from the victim’s session alerts the officer at once; one action escalates, keeping both times and an emergency outcome', async () => {
    const { consultation, call, victim, page } = await liveCall();
    assert.match(page.body, /data-testid="not-safe"/);
    assert.match(page.body, /data-testid="quick-exit"|Exit this page/);
    const socket = new WebSocket(`${(await listening()).replace('http', 'ws')}/calls/${call.id}/socket`, { headers: { cookie: officerBrowser.cookieHeader } });
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));

    // As the page sends it: a keepalive fetch (or beacon) with the form's token, and no JSON asked for.
    const raised = await victim.post('/v/call/not-safe', {});
    assert.equal(raised.statusCode, 303);
    const again = await victim.postJson('/v/call/not-safe', {});
    assert.equal(again.statusCode, 201);
    assert.deepEqual(again.json(), { message: 'Sent.' }, 'calm words only');
    let alertMessage: Record<string, unknown> | undefined;
    for (let i = 0; i < 200 && !alertMessage; i++) {
      alertMessage = messages.find((m) => m.type === 'alert' && m.kind === 'not_safe');
      if (!alertMessage) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    socket.close();
    assert.ok(alertMessage, 'the officer’s call page is alerted');
    const alerts = await queryRows<{ id: string; raised_at: Date; call_id: string; participant_id: string }>(
      t.db.database,
      sql`select id, raised_at, call_id, participant_id from safety_alerts where consultation_id = ${consultation.id}`,
    );
    assert.equal(alerts.length, 1, 'a second press moments later is the same alert');
    assert.equal(alertMessage.alertId, alerts[0]!.id);
    assert.equal(alerts[0]!.call_id, call.id);
    assert.ok((await audits('safety.not_safe_raised')).some((a) => a.details.alertId === alerts[0]!.id));
    const panel = await officerBrowser.get(`/consultations/${consultation.id}/safety-alerts/panel`);
    assert.match(panel.body, /data-testid="not-safe-alert"/);
    assert.match(panel.body, /role="alert"/);
    assert.match(panel.body, /data-testid="escalate-emergency"/);

    const alertId = alerts[0]!.id;
    const seen = await officerBrowser.postJson(`/safety-alerts/${alertId}/acknowledge`, {});
    assert.equal(seen.statusCode, 200, seen.body);
    assert.ok(seen.json<{ alert: { acknowledgedAt: string } }>().alert.acknowledgedAt);
    assert.ok((await audits('safety.alert_acknowledged')).some((a) => a.details.alertId === alertId));
    assert.equal((await otherBrowser.postJson(`/safety-alerts/${alertId}/escalate`, {})).statusCode, 403, 'only the assigned officer');
    const escalated = await officerBrowser.postJson(`/safety-alerts/${alertId}/escalate`, {});
    assert.equal(escalated.statusCode, 200, escalated.body);
    const twice = await officerBrowser.postJson(`/safety-alerts/${alertId}/escalate`, {});
    assert.equal(twice.statusCode, 200);
    const [alert] = await queryRows<{ raised_at: Date; escalated_at: Date; escalated_by: string; outcome_id: string }>(
      t.db.database,
      sql`select raised_at, escalated_at, escalated_by, outcome_id from safety_alerts where id = ${alertId}`,
    );
    assert.ok(alert!.raised_at && alert!.escalated_at);
    assert.ok(new Date(alert!.escalated_at) >= new Date(alert!.raised_at));
    assert.equal(alert!.escalated_by, officer.id);
    const outcomes = await queryRows<{ id: string; kind: string; details: Record<string, unknown> }>(
      t.db.database,
      sql`select id, kind, details from consultation_outcomes where consultation_id = ${consultation.id}`,
    );
    assert.equal(outcomes.length, 1, 'a repeat press does not record a second escalation');
    assert.equal(outcomes[0]!.kind, 'attendance_escalated');
    assert.deepEqual(outcomes[0]!.details, { emergency: true, alertId });
    assert.equal(alert!.outcome_id, outcomes[0]!.id);
    const escalation = (await audits('safety.escalated_to_emergency_attendance')).find((a) => a.details.alertId === alertId)!;
    assert.ok(escalation.details.raisedAt && escalation.details.escalatedAt);
    // The call goes on: the officer keeps the victim talking until patrol arrives.
    assert.equal((await t.services.calls.lifecycle.requireCall(call.id)).state, 'open');
    assert.match((await officerBrowser.get(`/consultations/${consultation.id}/safety-alerts/panel`)).body, /data-testid="not-safe-escalated"/);
  });

  it('RVR-11: a victim of another call cannot raise an alert on this one; an interpreter cannot use the control', async () => {
    const first = await liveCall();
    const second = await liveCall();
    assert.equal((await second.victim.postJson('/v/call/not-safe', {})).statusCode, 201);
    const onFirst = await queryRows(t.db.database, sql`select id from safety_alerts where consultation_id = ${first.consultation.id}`);
    const onSecond = await queryRows(t.db.database, sql`select id from safety_alerts where consultation_id = ${second.consultation.id}`);
    assert.equal(onFirst.length, 0);
    assert.equal(onSecond.length, 1);
    // Another officer cannot read the first call's alerts; nobody without a call session can raise one.
    assert.equal((await otherBrowser.get(`/consultations/${first.consultation.id}/safety-alerts/panel`, { accept: 'application/json' })).statusCode, 403);
    const anonymous = await t.app.inject({ method: 'POST', url: '/v/call/not-safe', headers: { accept: 'application/json' }, payload: {} });
    assert.equal(anonymous.statusCode, 401);
    const noToken = await first.victim.post('/v/call/not-safe', {}, { withCsrf: false });
    assert.equal(noToken.statusCode, 403, 'the form token is required');
    // An interpreter on the call has no "not safe" control and cannot raise one.
    await t.services.calls.links.sendInvite(contextFor(officer), first.call.id, { role: 'interpreter', phone: '+447700900555', label: 'Polish' });
    const interpreterToken = /\/v\/([A-Za-z0-9_-]+)/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const interpreter = new Browser(t.app);
    await interpreter.get(`/v/${interpreterToken}`);
    await interpreter.get('/v/call');
    await interpreter.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    const interpreterPage = await interpreter.get('/v/call');
    assert.doesNotMatch(interpreterPage.body, /data-testid="not-safe"|data-victim-statement/);
    assert.equal((await interpreter.postJson('/v/call/not-safe', {})).statusCode, 403);
    assert.equal((await interpreter.get('/v/call/statement', { accept: 'application/json' })).statusCode, 403);
    assert.equal((await queryRows(t.db.database, sql`select id from safety_alerts where consultation_id = ${first.consultation.id}`)).length, 0);
  });

  it('hostile input to every route is refused with a 4xx, never a 500', async () => {
    const { consultation, victim } = await liveCall();
    await victim.get('/v/call/statement');
    const hostile = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom("'; drop table victim_statements; --", '<script>alert(1)</script>', '\u0000', 'x'.repeat(60_000), -1, 1e12, null, [], {}, true),
    );
    const routes: [Browser, string][] = [
      [officerBrowser, `/consultations/${consultation.id}/enquiry-lines`],
      [officerBrowser, `/consultations/${consultation.id}/statement`],
      [officerBrowser, `/consultations/${consultation.id}/statement/share`],
      [officerBrowser, `/consultations/${consultation.id}/outcomes`],
      [officerBrowser, `/safety-alerts/${consultation.id}/escalate`],
      [victim, '/v/call/statement/corrections'],
      [victim, '/v/call/statement/confirm'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.dictionary(
          fc.constantFrom('line', 'status', 'reason', 'evidenceItemIds', 'text', 'revision', 'kind', 'crimeReference', 'sha256', 'signatureName', 'correction'),
          hostile,
        ),
        async ([browser, url], body) => {
          const response = await browser.postJson(url, body);
          assert.ok(response.statusCode < 500, `${url} ${JSON.stringify(body).slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 200)}`);
          assert.doesNotMatch(response.body, /<script>alert/);
        },
      ),
      { numRuns: 80 },
    );
  });
});
