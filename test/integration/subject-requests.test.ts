import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, it } from 'node:test';
import { sql, type SQL } from 'drizzle-orm';
import { REDACTION_MARK } from '../../src/domain/third-party-redaction.js';
import type { SubjectAccessManifest } from '../../src/features/dpo/subject-requests.service.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { pngFrame } from '../support/media-fixtures.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';

const DAY = 86_400_000;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/**
 * Issue 16 §1 (DP-06..DP-11): the DPO's register of data subjects' requests, and a subject access request run on a
 * seeded subject: the pack holds the subject's data, the third party named in chat and statement is redacted, the
 * recording goes only as its approved redacted copy, an unredacted snapshot is withheld, and all of it is audited.
 */
await describeOnDatabase('data subjects’ requests: register, clock, rectification, restriction and the disclosure pack (issue 16 §1)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let dpo: Browser;
  before(async () => {
    t = await buildTestApp(kind);
    handler = await createUser(t.services, 'sar-handler', ['call_handler']);
    officer = await createUser(t.services, 'sar-officer', ['rvr_officer']);
    manager = await createUser(t.services, 'sar-manager', ['evidence_manager']);
    await createUser(t.services, 'sar-dpo', ['dpo']);
    await allowRoundTheClock(t.services);
    dpo = new Browser(t.app);
    await dpo.signIn('sar-dpo');
  });
  after(() => t.close());

  const rows = <T = Record<string, unknown>>(query: SQL) => queryRows<T>(t.db.database, query);
  const idFrom = (location: string | string[] | number | undefined) => /\/dpo\/requests\/([0-9a-f-]{36})$/.exec(String(location))![1]!;

  const putBlob = async (key: string, bytes: Buffer) => {
    const stored = await t.services.blobs.put(key, Readable.from([bytes]));
    return { sha256: stored.sha256, size: stored.size };
  };

  /** A victim, a third party (a child) named in chat and in the statement, a recording with an approved redacted copy, and an unredacted snapshot. */
  const seedSubject = async () => {
    const { consultation } = await newCall(t.services, handler, {
      callerName: 'Sarah Subjectperson',
      mobile: '07700 900555',
      summary: 'Sarah said her ex-partner threatened her',
    });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, pngFrame('color=red:size=32x32'));
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    await t.services.data.repos.calls.insertChat({
      callId: call.id,
      participantId: staff.id,
      role: 'victim',
      text: 'Ellie Thirdchild saw him hit me',
      at: new Date(),
    });
    const c = consultation.id;
    const now = new Date();
    await rows(sql`insert into victim_statements (consultation_id, state, text, corrections, confirmed_text, confirmed_sha256, signature_name, updated_at)
      values (${c}, 'confirmed', 'draft', '[]'::jsonb, ${'I am Sarah. My daughter ELLIE THIRDCHILD was in the room.'}, ${'a'.repeat(64)}, 'Sarah Subjectperson', ${now}) returning id`);
    const masterBytes = Buffer.from('RECORDING-MASTER-BYTES showing Ellie Thirdchild');
    const copyBytes = Buffer.from('RECORDING-REDACTED-COPY-BYTES child blurred');
    const master = await putBlob(`test/${c}/recording.webm`, masterBytes);
    const copy = await putBlob(`test/${c}/redacted.webm`, copyBytes);
    const [masterItem] = await rows<{
      id: string;
    }>(sql`insert into evidence_items (consultation_id, call_id, kind, source_id, label, file_key, media_type, sha256, size_bytes, captured_at, captured_by)
      values (${c}, ${call.id}, 'recording', ${`recording:${c}`}, 'Recording of the call', ${`test/${c}/recording.webm`}, 'video/webm', ${master.sha256}, ${master.size}, ${now}, 'system:recorder') returning id`);
    const [copyItem] = await rows<{
      id: string;
    }>(sql`insert into evidence_items (consultation_id, kind, source_id, label, file_key, media_type, sha256, size_bytes, captured_at, captured_by, derived_from)
      values (${c}, 'redacted_copy', ${`redaction:${c}`}, 'Redacted copy: child blurred', ${`test/${c}/redacted.webm`}, 'video/webm', ${copy.sha256}, ${copy.size}, ${now}, ${`user:${manager.id}`}, ${JSON.stringify([masterItem!.id])}::jsonb) returning id`);
    await rows(sql`insert into evidence_redactions (consultation_id, source_item_id, spec, state, result_item_id, requested_by, requested_at, decided_by, decided_at, updated_at)
      values (${c}, ${masterItem!.id}, '{}'::jsonb, 'approved', ${copyItem!.id}, ${manager.id}, ${now}, ${officer.id}, ${now}, ${now}) returning id`);
    const [ref] = await rows<{ reference: string }>(sql`select reference from consultations where id = ${c}`);
    return { consultationId: c, reference: ref!.reference, masterId: masterItem!.id, copyId: copyItem!.id, copyBytes };
  };

  const newRequest = async (form: Record<string, string>) => {
    await dpo.get('/dpo/requests');
    const made = await dpo.post('/dpo/requests', form);
    assert.equal(made.statusCode, 303, made.body.slice(0, 400));
    return idFrom(made.headers.location);
  };

  it('DP-07: the register records a request; the clock waits for identity, then shows the days left; an extension must be noticed in the first month', async () => {
    await dpo.get('/dpo/requests');
    const bad = await dpo.post('/dpo/requests', { kind: 'access', subjectName: 'S', receivedOn: day(1) });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Enter the name the requester gave/);
    assert.equal((await dpo.post('/dpo/requests', { kind: 'access', subjectName: 'Sam Requester', receivedOn: day(1) })).statusCode, 400, 'not in the future');
    assert.equal((await dpo.post('/dpo/requests', { kind: 'gossip', subjectName: 'Sam Requester', receivedOn: day(0) })).statusCode, 400);

    const id = await newRequest({ kind: 'access', subjectName: 'Sam Requester', receivedOn: day(-40), identityNeeded: 'yes' });
    let page = await dpo.get(`/dpo/requests/${id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /DSR-\d{4}-\d{4}/);
    assert.match(page.body, /Not started: waiting for identity information/);

    const early = await dpo.post(`/dpo/requests/${id}/identity`, { identityReceivedOn: day(-41), identityCheck: 'Passport seen at the front counter' });
    assert.equal(early.statusCode, 400, 'identity cannot arrive before the request');
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/identity`, { identityReceivedOn: day(-10), identityCheck: 'Passport seen at the front counter' })).statusCode,
      303,
    );
    page = await dpo.get(`/dpo/requests/${id}`);
    assert.match(page.body, new RegExp(`Runs from ${day(-10)}`), 'the clock runs from the latest of receipt and identity (DP-07)');
    assert.match(page.body, /\d+ days left/);

    const late = await dpo.post(`/dpo/requests/${id}/extension`, { months: '2', reason: 'Several consultations over two years to review', noticedOn: day(0) });
    assert.equal(late.statusCode, 303, late.body.match(/govuk-error-message[^<]*<[^<]*/)?.[0]);
    const twice = await dpo.post(`/dpo/requests/${id}/extension`, { months: '1', reason: 'Several consultations over two years to review', noticedOn: day(0) });
    assert.equal(twice.statusCode, 400);
    assert.match(twice.body, /already been extended/);

    // DP-07: the clock pauses while clarification is awaited, and the paused days are added when it resumes.
    assert.equal((await dpo.post(`/dpo/requests/${id}/clock`, { action: 'pause', on: day(-5) })).statusCode, 303);
    assert.match((await dpo.get(`/dpo/requests/${id}`)).body, new RegExp(`paused since ${day(-5)}`));
    assert.equal((await dpo.post(`/dpo/requests/${id}/clock`, { action: 'resume', on: day(-6) })).statusCode, 400, 'not before it paused');
    assert.equal((await dpo.post(`/dpo/requests/${id}/clock`, { action: 'resume', on: day(-2) })).statusCode, 303);
    assert.match((await dpo.get(`/dpo/requests/${id}`)).body, /Paused for 3 days awaiting clarification/);

    // Overdue: received 70 days ago with no identity step, no extension.
    const overdue = await newRequest({ kind: 'rectification', subjectName: 'Olive Overdue', receivedOn: day(-70) });
    const list = await dpo.get('/dpo/requests');
    assert.match(list.body, /Overdue<\/strong> by \d+ days/);
    const noExtension = await dpo.post(`/dpo/requests/${overdue}/extension`, {
      months: '1',
      reason: 'Too many requests at once this month',
      noticedOn: day(0),
    });
    assert.equal(noExtension.statusCode, 400);
    assert.match(noExtension.body, /before the first month ends/);

    const audited = await rows<{ what: string }>(sql`select what from audit_events where subject = ${`subject_request:${id}`} order by seq`);
    assert.deepEqual(
      audited.map((a) => a.what),
      [
        'subject_request.received',
        'subject_request.identity_checked',
        'subject_request.extended',
        'subject_request.clock_paused',
        'subject_request.clock_resumed',
      ],
    );
  });

  it('DP-06/DP-08: a SAR on a seeded subject makes a pack with the subject’s data, the third party redacted, media only as the approved redacted copy; audited', async () => {
    const s = await seedSubject();
    // The subject search finds a person named only in what was said (chat, statement), not only the caller (issue 16 §1).
    await dpo.get('/dpo/subjects');
    const named = await dpo.post('/dpo/subjects', { name: 'ellie thirdchild', justification: 'SAR from the caller, finding all records' });
    assert.match(named.body, new RegExp(`${s.reference} · CAD`));
    assert.match(named.body, /Matched by: named/);
    const id = await newRequest({ kind: 'access', subjectName: 'Sarah Subjectperson', subjectPhone: '07700900555', receivedOn: day(-2) });
    await dpo.get(`/dpo/requests/${id}`);
    // SEC-07: the pack is an export of personal data and evidence: refused without a fresh step-up.
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/disclosure`, { justification: 'SAR from the caller', recipient: 'Sarah Subjectperson' })).statusCode,
      403,
    );
    await dpo.stepUp();
    await dpo.get(`/dpo/requests/${id}`);
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/disclosure`, { justification: 'SAR from the caller', recipient: 'Sarah Subjectperson' })).statusCode,
      400,
      'nothing linked yet',
    );
    assert.equal((await dpo.post(`/dpo/requests/${id}/consultations`, { reference: 'RVR-NOPE' })).statusCode, 400);
    assert.equal((await dpo.post(`/dpo/requests/${id}/consultations`, { reference: s.reference })).statusCode, 303);
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/access-restriction`, { grounds: 'rights_of_others', reason: 'The child’s identity is protected in the pack' }))
        .statusCode,
      303,
    );
    assert.equal((await dpo.post(`/dpo/requests/${id}/disclosure`, { justification: 'short', recipient: 'Sarah Subjectperson' })).statusCode, 400);

    const response = await dpo.post(`/dpo/requests/${id}/disclosure`, {
      justification: 'Subject access request from the caller, identity checked',
      recipient: 'Sarah Subjectperson',
      thirdParties: 'Ellie Thirdchild',
    });
    assert.equal(response.statusCode, 200, response.body.slice(0, 400));
    assert.equal(response.headers['content-type'], 'application/x-tar');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sar-pack-'));
    try {
      fs.writeFileSync(path.join(dir, 'pack.tar'), response.rawPayload);
      fs.mkdirSync(path.join(dir, 'out'));
      execFileSync('tar', ['-xf', path.join(dir, 'pack.tar'), '-C', path.join(dir, 'out')]);
      const out = path.join(dir, 'out');
      execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: out });
      const manifestText = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
      assert.equal(createHash('sha256').update(manifestText).digest('hex'), response.headers['x-manifest-sha256']);
      const manifest = JSON.parse(manifestText) as SubjectAccessManifest;
      assert.equal(manifest.format, 'rvr-subject-access-pack');
      assert.deepEqual(manifest.accessRestriction.grounds, ['rights_of_others']);
      assert.match(manifest.information.ico, /Information Commissioner/);
      assert.ok(manifest.information.categories.includes('chat_messages') && manifest.information.categories.includes('victim_statements'));

      // The subject's own data is there.
      const data = fs.readFileSync(path.join(out, manifest.consultations[0]!.path), 'utf8');
      assert.match(data, /Sarah Subjectperson/);
      assert.match(data, /saw him hit me/);
      assert.match(data, /My daughter/);
      assert.ok(data.includes(REDACTION_MARK));
      assert.ok(manifest.thirdParties.replacements >= 2);
      // The third party is nowhere in the pack: not in data, manifest or media.
      const everything = execFileSync('find', [out, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
      for (const file of everything) assert.ok(!/thirdchild/i.test(fs.readFileSync(file, 'latin1')), `${file} names the third party`);

      // Media: the redacted copy is in the pack byte for byte; the master is not; the unredacted snapshot is withheld.
      const disclosed = manifest.media.filter((m) => m.disposition === 'disclosed');
      assert.deepEqual(
        disclosed.map((m) => m.id),
        [s.copyId],
      );
      assert.deepEqual(fs.readFileSync(path.join(out, disclosed[0]!.path!)), s.copyBytes);
      assert.equal(manifest.media.find((m) => m.id === s.masterId)?.disposition, 'replaced_by_redacted_copy');
      const snapshot = manifest.media.find((m) => m.kind === 'snapshot');
      assert.equal(snapshot?.disposition, 'withheld_pending_redaction');
      assert.deepEqual(fs.readdirSync(path.join(out, 'media')), [path.basename(disclosed[0]!.path!)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const [event] = await rows<{
      justification: string;
      recipient: string;
      details: { manifestSha256: string; mediaWithheld: string[]; consultationIds: string[] };
    }>(sql`select justification, recipient, details from audit_events where what = 'subject_request.disclosed' and subject = ${`subject_request:${id}`}`);
    assert.equal(event?.justification, 'Subject access request from the caller, identity checked');
    assert.equal(event?.recipient, 'Sarah Subjectperson');
    assert.equal(event?.details.manifestSha256, response.headers['x-manifest-sha256']);
    assert.deepEqual(event?.details.consultationIds, [s.consultationId]);
    assert.equal(JSON.stringify(event).toLowerCase().includes('thirdchild'), false, 'the log holds no third party’s name');
  });

  it('DP-09: a rectification corrects the field and keeps the original beside it, with who and why; a supplementary statement changes nothing', async () => {
    const s = await seedSubject();
    const id = await newRequest({ kind: 'rectification', subjectName: 'Sarah Subjectperson', receivedOn: day(0) });
    await dpo.get(`/dpo/requests/${id}`);
    await dpo.post(`/dpo/requests/${id}/consultations`, { reference: s.reference });
    const unknownField = await dpo.post(`/dpo/requests/${id}/rectifications`, {
      consultationId: s.consultationId,
      field: 'users.password',
      value: 'x',
      reason: 'Name misspelt by the call handler',
    });
    assert.equal(unknownField.statusCode, 400);
    const notLinked = await dpo.post(`/dpo/requests/${id}/rectifications`, {
      consultationId: '00000000-0000-4000-8000-000000000000',
      field: 'incidents.caller_name',
      value: 'Sara Subjectperson',
      reason: 'Name misspelt by the call handler',
    });
    assert.equal(notLinked.statusCode, 400);
    assert.equal(
      (
        await dpo.post(`/dpo/requests/${id}/rectifications`, {
          consultationId: s.consultationId,
          field: 'incidents.caller_name',
          value: 'Sara Subjectperson',
          reason: 'Name misspelt by the call handler',
        })
      ).statusCode,
      303,
    );
    assert.equal(
      (
        await dpo.post(`/dpo/requests/${id}/rectifications`, {
          consultationId: s.consultationId,
          field: 'supplementary',
          value: 'The incident was on Tuesday, not Monday.',
          reason: 'Date in the statement is wrong',
        })
      ).statusCode,
      303,
    );
    const [incident] = await rows<{ caller_name: string }>(
      sql`select i.caller_name from incidents i join consultations c on c.incident_id = i.id where c.id = ${s.consultationId}`,
    );
    assert.equal(incident?.caller_name, 'Sara Subjectperson', 'the field shows the correction');
    const [statement] = await rows<{ confirmed_text: string }>(sql`select confirmed_text from victim_statements where consultation_id = ${s.consultationId}`);
    assert.match(statement!.confirmed_text, /^I am Sarah/, 'the statement (evidence) is never edited');
    const page = await dpo.get(`/dpo/requests/${id}`);
    assert.match(
      page.body,
      /Sarah Subjectperson<\/td><td class="govuk-table__cell">Sara Subjectperson/,
      'the original stays readable to the DPO beside the correction',
    );
    assert.match(page.body, /Supplementary statement/);
    const logged = await rows<{ justification: string; details: Record<string, unknown> }>(
      sql`select justification, details from audit_events where what = 'personal_data.rectified' and subject = ${`subject_request:${id}`}`,
    );
    assert.equal(logged.length, 2);
    assert.equal(JSON.stringify(logged).includes('Sara Subjectperson'), false, 'the log names the field, not the values');

    // The rectification holds the subject's data: an erasure of the consultation erases it too (ADR 0016 inventory).
    await dpo.stepUp(); // SEC-07: erasing needs a fresh re-authentication
    await dpo.get('/dpo/erasures');
    const erased = await dpo.post('/dpo/erasures', { reference: s.reference, justification: 'Erasure ordered under s.47 after the request' });
    assert.equal(erased.statusCode, 303, erased.body.match(/govuk-error-message[^<]*<[^<]*/)?.[0]);
    const after = await rows<{ original_value: string | null; corrected_value: string; reason: string }>(
      sql`select original_value, corrected_value, reason from subject_rectifications where consultation_id = ${s.consultationId}`,
    );
    assert.deepEqual(
      after.map((r) => [r.original_value, r.corrected_value, r.reason]),
      [
        [null, '[erased]', '[erased]'],
        [null, '[erased]', '[erased]'],
      ],
    );
  });

  it('DP-10: a restriction of processing stops the export of the consultation’s material, audited; lifting it is recorded', async () => {
    const s = await seedSubject();
    const id = await newRequest({ kind: 'restriction', subjectName: 'Sarah Subjectperson', receivedOn: day(0) });
    await dpo.get(`/dpo/requests/${id}`);
    await dpo.post(`/dpo/requests/${id}/consultations`, { reference: s.reference });
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/processing-restriction`, { consultationId: s.consultationId, reason: 'Accuracy of the summary is contested' }))
        .statusCode,
      303,
    );
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/processing-restriction`, { consultationId: s.consultationId, reason: 'Accuracy of the summary is contested' }))
        .statusCode,
      400,
      'once',
    );
    await assert.rejects(t.services.evidenceWork.requestExport(contextFor(manager), s.consultationId, 'both'), /restricted by the data protection officer/);
    await assert.rejects(
      t.services.evidence.access.download(contextFor(manager), s.copyId, {
        justification: 'Disclosure to the CPS lawyer',
        recipient: 'CPS Kent, reviewing lawyer',
      }),
      /restricted by the data protection officer/,
    );
    const enforced = await rows<{ details: { refused: string } }>(
      sql`select details from audit_events where what = 'processing.restriction_enforced' and subject = ${`consultation:${s.consultationId}`} order by seq`,
    );
    assert.deepEqual(
      enforced.map((e) => e.details.refused),
      ['export', 'download'],
    );
    assert.equal(
      (await dpo.post(`/dpo/requests/${id}/processing-restriction-lift`, { consultationId: s.consultationId, reason: 'Accuracy resolved with the caller' }))
        .statusCode,
      303,
    );
    assert.equal(await t.services.data.repos.subjectRequests.activeRestriction(s.consultationId), undefined, 'lifted: the export is no longer refused for it');
    const trail = await rows<{ what: string }>(
      sql`select what from audit_events where subject = ${`consultation:${s.consultationId}`} and what like 'processing.%' order by seq`,
    );
    assert.deepEqual(
      trail.map((e) => e.what),
      ['processing.restricted', 'processing.restriction_enforced', 'processing.restriction_enforced', 'processing.restriction_lifted'],
    );
  });

  it('DP-11: the decision needs reasons when refused; the notice states the right to complain to the ICO and go to court; the request is then closed', async () => {
    const id = await newRequest({ kind: 'erasure', subjectName: 'Eve Eraseme', receivedOn: day(-3) });
    await dpo.get(`/dpo/requests/${id}`);
    assert.equal((await dpo.post(`/dpo/requests/${id}/decision`, { decision: 'refused', reason: '', noticeSentOn: day(0) })).statusCode, 400);
    assert.equal(
      (
        await dpo.post(`/dpo/requests/${id}/decision`, {
          decision: 'refused',
          reason: 'The material is needed as evidence: restricted instead (s.47(2))',
          noticeSentOn: day(0),
        })
      ).statusCode,
      303,
    );
    const page = await dpo.get(`/dpo/requests/${id}`);
    assert.match(page.body, /Our decision: Refused/);
    assert.match(page.body, /Our reasons: The material is needed as evidence/);
    assert.match(page.body, /complain to the Information Commissioner and apply to a court/);
    assert.match(page.body, /Answered/);
    const closed = await dpo.post(`/dpo/requests/${id}/extension`, { months: '1', reason: 'Several consultations to review', noticedOn: day(0) });
    assert.equal(closed.statusCode, 409);
  });

  it('the register is the DPO’s alone; a bad id is a 404, a malformed one a 400; bad choices are 400s', async () => {
    const other = new Browser(t.app);
    await other.signIn('sar-manager');
    assert.equal((await other.get('/dpo/requests')).statusCode, 403);
    assert.equal((await dpo.get('/dpo/requests/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    assert.equal((await dpo.get('/dpo/requests/nope')).statusCode, 400);
    // Names of Object.prototype's own members are not choices (never a 500).
    const id = await newRequest({ kind: 'access', subjectName: 'Hana Hostile', receivedOn: day(0) });
    await dpo.get(`/dpo/requests/${id}`);
    assert.equal((await dpo.post('/dpo/requests', { kind: 'constructor', subjectName: 'Hana Hostile', receivedOn: day(0) })).statusCode, 400);
    assert.equal((await dpo.post(`/dpo/requests/${id}/decision`, { decision: '__proto__', reason: 'x'.repeat(20), noticeSentOn: day(0) })).statusCode, 400);
    assert.equal((await dpo.post(`/dpo/requests/${id}/access-restriction`, { grounds: 'toString', reason: 'x'.repeat(20) })).statusCode, 400);
    assert.equal((await dpo.post(`/dpo/requests/${id}/extension`, { months: 'abc', reason: 'x'.repeat(20), noticedOn: day(0) })).statusCode, 400);
    assert.equal((await dpo.post(`/dpo/requests/${id}/identity`, { identityReceivedOn: '2026-02-30', identityCheck: 'x'.repeat(20) })).statusCode, 400);
  });
});
