import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, it } from 'node:test';
import { sql, type SQL } from 'drizzle-orm';
import { PERSONAL_DATA_INVENTORY, type TableInventory } from '../../src/features/dpo/personal-data-inventory.js';
import type { ErasureCertificate } from '../../src/features/dpo/personal-data-eraser.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

const DAY = 86_400_000;

/**
 * Issue 16 §2 (RET-02, DP-05, DP-10): disposal and a DPO's erasure remove the personal data of a consultation from
 * every table the inventory lists, and only that consultation's; the certificate says what went and what stayed.
 */
await describeOnDatabase('personal data erasure: disposal that erases, driven by the inventory (issue 16 §2; RET-02, DP-05, DP-10)', (kind) => {
  let t: TestApp;
  let clockOffset = 0;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind, { now: () => new Date(Date.now() + clockOffset) });
    handler = await createUser(t.services, 'pd-handler', ['call_handler']);
    officer = await createUser(t.services, 'pd-officer', ['rvr_officer']);
    manager = await createUser(t.services, 'pd-manager', ['evidence_manager']);
    await createUser(t.services, 'pd-dpo', ['dpo']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const rows = <T = Record<string, unknown>>(query: SQL) => queryRows<T>(t.db.database, query);
  const png = () => pngFrame('color=red:size=32x32');

  /**
   * A consultation with personal data in every place the issue names: caller details, chat, the officer's notes,
   * statement drafts and the confirmed text, DASH answers, outcomes, a survey comment, review notes, hold and review
   * rationales, and a snapshot as evidence. Every free text carries `mark`, so whatever is left of it can be found.
   */
  const seedConsultation = async (mark: string, options: { nonEvidential: boolean; mobile?: string }) => {
    const { consultation } = await newCall(t.services, handler, {
      callerName: `${mark} Caller`,
      location: `${mark} 1 High Street`,
      summary: `${mark} said her ex-partner threatened her`,
      spokenLanguage: `${mark} Polish`,
      ...(options.mobile ? { mobile: options.mobile } : {}),
    });
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png());
    await t.services.calls.chat.saveNotes(contextFor(officer), call.id, `${mark} notes: bruising to left arm`);
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    await t.services.data.repos.calls.insertChat({ callId: call.id, participantId: staff.id, role: 'victim', text: `${mark} he has a knife`, at: new Date() });
    const now = new Date();
    const c = consultation.id;
    await rows(sql`insert into consultation_events (consultation_id, from_state, to_state, actor_id, actor_role, reason)
      values (${c}, 'accepted', 'accepted', ${officer.id}, 'rvr_officer', ${`${mark} victim asked to wait`}) returning id`);
    await rows(sql`insert into call_invites (call_id, role, label, token_hash, expires_at, provider_message_id, send_error, revoked_reason)
      values (${call.id}, 'interpreter', ${`${mark} Polish`}, ${createHash('sha256').update(`invite-${mark}`).digest('hex')}, ${now}, ${`SM-${mark}`}, ${`${mark} 07700 900123 unreachable`}, ${`${mark} wrong number`}) returning id`);
    await rows(sql`insert into victim_statements (consultation_id, state, text, corrections, confirmed_text, confirmed_sha256, signature_name, updated_at)
      values (${c}, 'confirmed', ${`${mark} statement draft`}, ${JSON.stringify([{ at: now.toISOString(), text: `${mark} correction` }])}::jsonb,
              ${`${mark} confirmed statement`}, ${'a'.repeat(64)}, ${`${mark} Signature`}, ${now}) returning id`);
    await rows(sql`insert into risk_assessments (consultation_id, form_version, state, answers, updated_at, judgement_reason, amendment_reason, sign_off_note, yes_count, grade, actuarial_grade)
      values (${c}, 'DASH2009', 'completed', ${JSON.stringify({ q1: { answer: 'yes', comment: `${mark} punched` } })}::jsonb, ${now},
              ${`${mark} judgement`}, ${`${mark} amended`}, ${`${mark} sign-off`}, 1, 'standard', 'standard') returning id`);
    await rows(
      sql`insert into enquiry_lines (consultation_id, line, status, reason, updated_at) values (${c}, 'injuries', 'not_possible', ${`${mark} refused`}, ${now}) returning 1`,
    );
    await rows(sql`insert into consultation_outcomes (consultation_id, kind, details, recorded_at) values
      (${c}, 'arrest_requested', ${JSON.stringify({ suspectDetails: `${mark} John Smith`, lastKnownLocation: `${mark} pub` })}::jsonb, ${now}),
      (${c}, 'crime_recorded', ${JSON.stringify({ crimeReference: 'CR/0001/26' })}::jsonb, ${now}) returning id`);
    await rows(sql`insert into satisfaction_surveys (consultation_id, token_hash, state, send_after, expires_at, provider_message_id, send_error, rating, comment)
      values (${c}, ${createHash('sha256').update(`survey-${mark}`).digest('hex')}, 'answered', ${now}, ${now}, ${`SM2-${mark}`}, ${`${mark} error`}, 4, ${`${mark} the officer was kind`}) returning id`);
    await rows(sql`insert into quality_reviews (consultation_id, sampled_because, sampled_at, state, scores, feedback)
      values (${c}, 'random', ${now}, 'completed', ${JSON.stringify({ rapport: { score: 'met', note: `${mark} calmed her` } })}::jsonb, ${`${mark} feedback`}) returning id`);
    await rows(sql`insert into legal_holds (consultation_id, type, rationale, placed_by, placed_at, released_by, released_at, release_rationale)
      values (${c}, 'COMPLAINT', ${`${mark} complained`}, ${manager.id}, ${now}, ${manager.id}, ${now}, ${`${mark} closed`}) returning id`);
    await rows(sql`insert into retention_reviews (consultation_id, reviewer_id, answers, decision, rationale, decided_at)
      values (${c}, ${manager.id}, '{}'::jsonb, 'retain', ${`${mark} reviewed`}, ${now}) returning id`);
    await rows(sql`insert into evidence_tasks (kind, consultation_id, state, item_ids, error, requested_at, updated_at)
      values ('working_copy', ${c}, 'failed', '[]'::jsonb, ${`${mark} ffmpeg failed`}, ${now}, ${now}) returning id`);
    if (options.nonEvidential)
      await t.services.evidence.retention.setRetentionFacts(contextFor(manager), c, {
        evidential: false,
        // RET-17/RET-18: only a decided case's material can be non-evidential (issue 16 §4); decided a while ago.
        caseStatus: { kind: 'nfa', decidedAt: new Date(Date.now() - 60 * 86_400_000) },
        complaintOrClaim: false,
      });
    return { consultationId: c, callId: call.id, incidentId: consultation.incidentId };
  };

  const scoped = (entry: TableInventory, consultationId: string): SQL | undefined => {
    const s = entry.scope;
    if (s.via === 'self') return sql`id = ${consultationId}`;
    if (s.via === 'consultation') return sql`${sql.identifier(s.column)} = ${consultationId}`;
    if (s.via === 'call') return sql`${sql.identifier(s.column)} in (select id from calls where consultation_id = ${consultationId})`;
    if (s.via === 'incident') return sql`id = (select incident_id from consultations where id = ${consultationId})`;
    return undefined;
  };
  /** Every row of every table the inventory scopes to this consultation, read straight from the database. */
  const everything = async (consultationId: string) => {
    const all: Record<string, Record<string, unknown>[]> = {};
    for (const entry of PERSONAL_DATA_INVENTORY) {
      const where = scoped(entry, consultationId);
      if (where) all[entry.table] = await rows(sql`select * from ${sql.identifier(entry.table)} where ${where} order by 1`);
    }
    return all;
  };
  /** table.column of every value that still holds the mark. */
  const wherever = (all: Record<string, Record<string, unknown>[]>, mark: string) =>
    Object.entries(all).flatMap(([table, found]) =>
      found.flatMap((row) => Object.entries(row).flatMap(([column, value]) => (occurrences(value, mark) > 0 ? [`${table}.${column}`] : []))),
    );
  const occurrences = (value: unknown, mark: string) => (JSON.stringify(value).match(new RegExp(mark, 'g')) ?? []).length;

  it('RET-02/DP-05: disposal erases the consultation’s personal data from every inventory column; only kept columns keep values; others untouched', async () => {
    const a = await seedConsultation('PIIMARKA', { nonEvidential: true });
    const b = await seedConsultation('PIIMARKB', { nonEvidential: false });
    const beforeA = await everything(a.consultationId);
    const beforeB = await everything(b.consultationId);
    assert.ok(occurrences(beforeA, 'PIIMARKA') >= 25, `the seed put the mark in many places (${occurrences(beforeA, 'PIIMARKA')})`);
    assert.equal(beforeA.chat_messages!.length, 1);
    const [phone] = await rows<{ caller_phone: string }>(sql`select caller_phone from incidents where id = ${a.incidentId}`);
    assert.match(phone!.caller_phone, /\d{6}/);

    clockOffset = 40 * DAY;
    try {
      const run = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.equal(run.items.filter((i) => i.consultationId === a.consultationId).length, 1, 'the snapshot was disposed of');
      const erasure = run.erasures.find((e) => e.consultationId === a.consultationId);
      assert.ok(erasure, 'the run erased the consultation’s personal data');
      assert.ok(!run.erasures.some((e) => e.consultationId === b.consultationId), 'the other consultation is not erased');

      const afterA = await everything(a.consultationId);
      assert.deepEqual(wherever(afterA, 'PIIMARKA'), [], 'nothing typed about the caller is left');
      for (const entry of PERSONAL_DATA_INVENTORY) {
        const found = afterA[entry.table];
        if (!found) continue;
        if (entry.rows === 'delete') {
          assert.equal(found.length, 0, `${entry.table}: its rows are deleted`);
          continue;
        }
        for (const row of found)
          for (const [column, treatment] of Object.entries(entry.columns)) {
            const value = row[column];
            const where = `${entry.table}.${column}`;
            if (treatment.do === 'keep') continue;
            if (treatment.do === 'null') assert.equal(value, null, `${where} is null`);
            if (treatment.do === 'blank') assert.equal(value, '[erased]', `${where} is blanked`);
            if (treatment.do === 'empty-object') assert.deepEqual(value, {}, `${where} is emptied`);
            if (treatment.do === 'empty-array') assert.deepEqual(value, [], `${where} is emptied`);
            if (treatment.do === 'anonymise' && 'copyColumn' in treatment.how) assert.equal(value, row[treatment.how.copyColumn], `${where} is replaced`);
          }
      }
      // Anonymised JSON keeps only codes: the crime reference and the review's scores stay, the words go.
      assert.deepEqual(afterA.consultation_outcomes!.map((o) => JSON.stringify(o.details)).sort(), ['{"crimeReference":"CR/0001/26"}', '{}'].sort());
      assert.deepEqual(afterA.quality_reviews![0]!.scores, { rapport: { score: 'met' } });
      assert.equal((afterA.triages![0]!.answers as Record<string, unknown>).languageNeed, undefined);
      assert.equal((afterA.triages![0]!.answers as Record<string, unknown>).relationship, 'ex_partner', 'statistics codes stay');
      assert.equal(afterA.satisfaction_surveys![0]!.rating, 4, 'the survey score stays for the outcome measures');
      assert.equal(afterA.risk_assessments![0]!.yes_count, 1, 'the DASH count stays');

      // Every value left for the consultation is in a column the inventory keeps, or is the erased form of its treatment.
      for (const [table, found] of Object.entries(afterA)) {
        const entry = PERSONAL_DATA_INVENTORY.find((e) => e.table === table)!;
        for (const row of found)
          for (const [column, value] of Object.entries(row)) {
            const treatment = entry.columns[column];
            assert.ok(treatment, `${table}.${column} is in the inventory`);
            if (treatment.do === 'keep' || value === null || value === '[erased]') continue;
            assert.ok(treatment.do === 'anonymise' || treatment.do.startsWith('empty'), `${table}.${column} holds a value but is classified ${treatment.do}`);
          }
      }

      // The other consultation, whose evidence is not due, is untouched, row for row.
      assert.deepEqual(await everything(b.consultationId), beforeB, 'the other consultation is untouched');

      // The certificate: what was erased (tables, columns, row counts, files with hashes) and what was kept and why.
      const stored = (await t.services.data.repos.erasure.findForConsultation(a.consultationId))!;
      assert.equal(createHash('sha256').update(stored.certificate).digest('hex'), stored.certificateSha256);
      const certificate = JSON.parse(stored.certificate) as ErasureCertificate;
      assert.deepEqual(certificate, erasure);
      const erasedTables = Object.fromEntries(certificate.erased.map((e) => [e.table, e]));
      assert.equal(erasedTables.chat_messages!.action, 'delete');
      assert.equal(erasedTables.chat_messages!.rows, 1);
      assert.equal(erasedTables.incidents!.rows, 1);
      assert.ok(erasedTables.incidents!.columns.includes('caller_name') && erasedTables.incidents!.columns.includes('caller_phone'));
      assert.ok(erasedTables.victim_statements!.columns.includes('text'));
      assert.ok(erasedTables.calls!.columns.includes('officer_notes'));
      assert.ok(erasedTables.risk_assessments!.columns.includes('answers'));
      assert.equal(erasedTables.consultation_outcomes!.rows, 2);
      for (const e of certificate.erased) assert.equal(e.rows, beforeA[e.table]!.length, `${e.table}: the row count is the consultation's rows`);
      const keptIncidents = certificate.kept.find((k) => k.table === 'incidents')!;
      assert.ok(keptIncidents.columns.some((c) => c.column === 'cad_reference' && c.why === 'identifier'));
      assert.ok(!keptIncidents.columns.some((c) => c.column === 'caller_name'));
      assert.ok(certificate.kept.some((k) => k.table === 'consultations' && k.rows === 1));
      assert.deepEqual(
        certificate.files.map((f) => f.sha256),
        beforeA.snapshots!.map((s) => s.sha256),
        'the snapshot file deleted, with its hash',
      );
      // The disposal certificate carries the erasure; the audit entry holds ids, counts and hashes only (DP-03).
      const disposal = await t.services.evidence.disposal.certificate(run.disposalId);
      const disposalCertificate = JSON.parse(disposal.certificate) as { erasures: ErasureCertificate[] };
      assert.ok(disposalCertificate.erasures.some((e) => e.erasureId === certificate.erasureId));
      const [logged] = await rows<{ details: Record<string, unknown> }>(
        sql`select details from audit_events where what = 'personal_data.erased' and subject = ${`consultation:${a.consultationId}`}`,
      );
      assert.equal(logged!.details.certificateSha256, stored.certificateSha256);
      assert.equal(occurrences(logged, 'PIIMARKA'), 0);
      // The page shows what went and what stayed.
      const browser = new Browser(t.app);
      await browser.signIn('pd-manager');
      const page = await browser.get(`/evidence/disposals/${run.disposalId}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Personal data erased/);
      assert.match(page.body, /<code>caller_name<\/code>: the caller’s name/);
      assert.match(page.body, /Kept, and why/);
      assert.match(page.body, /<code>cad_reference<\/code> \(identifier/);
      assert.doesNotMatch(page.body, /PIIMARKA/);
      // Erased rows keep their shape: the consultation's evidence page still renders.
      const evidencePage = await browser.get(`/evidence/consultations/${a.consultationId}`);
      assert.equal(evidencePage.statusCode, 200);
      assert.doesNotMatch(evidencePage.body, /PIIMARKA/);
    } finally {
      clockOffset = 0;
    }
  });

  it('RET-02: a failure in the middle of an erasure leaves nothing half-erased; the next run finishes it', async () => {
    const c = await seedConsultation('PIIMARKC', { nonEvidential: true });
    const before = await everything(c.consultationId);
    // The survey table is near the end of the inventory: every table before it has been updated when this fires.
    await rows(
      sql.raw(`create or replace function erasure_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`),
    );
    await rows(sql.raw(`create trigger erasure_test_refuse before update on satisfaction_surveys for each row execute function erasure_test_refuse()`));
    clockOffset = 40 * DAY;
    try {
      const run = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.ok(
        run.items.some((i) => i.consultationId === c.consultationId),
        'the evidence went',
      );
      assert.ok(!run.erasures.some((e) => e.consultationId === c.consultationId));
      assert.ok(
        run.pendingErasures.some((p) => p.consultationId === c.consultationId),
        'the erasure is listed as pending',
      );
      const afterFailure = await everything(c.consultationId);
      for (const [table, found] of Object.entries(before))
        if (table !== 'evidence_items') assert.deepEqual(afterFailure[table], found, `${table} is as it was: nothing half-erased`);
      assert.equal(await t.services.data.repos.erasure.findForConsultation(c.consultationId), undefined);

      await rows(sql.raw(`drop trigger erasure_test_refuse on satisfaction_surveys`));
      const again = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.ok(
        again.erasures.some((e) => e.consultationId === c.consultationId),
        'the next run erases it',
      );
      assert.deepEqual(wherever(await everything(c.consultationId), 'PIIMARKC'), []);
    } finally {
      clockOffset = 0;
    }
  });

  it('DP-10: the DPO erases a consultation on request: refused under a hold or without a ground, then files and rows go in one step, with its certificate', async () => {
    const d = await seedConsultation('PIIMARKD', { nonEvidential: false });
    const [item] = await t.services.data.repos.evidence.listByConsultation(d.consultationId);
    assert.ok(item && item.state === 'present' && !item.disposalEligibleAt, 'evidential material with no disposal date yet');
    const [{ reference }] = (await rows<{ reference: string }>(sql`select reference from consultations where id = ${d.consultationId}`)) as [
      { reference: string },
    ];
    const [hold] = await rows<{ id: string }>(sql`insert into legal_holds (consultation_id, type, rationale, placed_by, placed_at)
      values (${d.consultationId}, 'LITIGATION', 'Civil claim pending', ${manager.id}, ${new Date()}) returning id`);
    const dpo = new Browser(t.app);
    await dpo.signIn('pd-dpo');
    assert.equal((await dpo.get('/dpo/erasures')).statusCode, 200);

    await dpo.stepUp();
    const held = await dpo.post('/dpo/erasures', { reference, justification: 'Victim asked for erasure under s.47' });
    assert.equal(held.statusCode, 400);
    assert.match(held.body, /A legal hold stands \(LITIGATION\)/);
    const noGround = await dpo.post('/dpo/erasures', { reference, justification: 'because' });
    assert.equal(noGround.statusCode, 400);
    const unknown = await dpo.post('/dpo/erasures', { reference: 'RVR-NOPE', justification: 'Victim asked for erasure under s.47' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body, /There is no consultation with that reference/);
    assert.ok(occurrences(await everything(d.consultationId), 'PIIMARKD') > 0, 'a refusal changes nothing');
    assert.equal((await t.services.data.repos.evidence.findItem(item.id))!.state, 'present');

    await rows(
      sql`update legal_holds set released_at = ${new Date()}, released_by = ${manager.id}, release_rationale = 'Claim withdrawn' where id = ${hold!.id}`,
    );
    const erased = await dpo.post('/dpo/erasures', { reference, justification: 'Victim asked for erasure under s.47; not needed for any case' });
    assert.equal(erased.statusCode, 303);
    const stored = (await t.services.data.repos.erasure.findForConsultation(d.consultationId))!;
    assert.equal(erased.headers.location, `/dpo/erasures/${stored.id}`);
    assert.equal(stored.basis, 'dpo_request');
    assert.deepEqual(wherever(await everything(d.consultationId), 'PIIMARKD'), []);
    assert.equal((await t.services.data.repos.evidence.findItem(item.id))!.state, 'disposed', 'the file went through the store');
    assert.equal(await t.services.blobs.head(item.fileKey), undefined);
    const page = await dpo.get(`/dpo/erasures/${stored.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<code>caller_phone<\/code>: the caller’s mobile number/);
    assert.match(page.body, new RegExp(item.sha256));
    const [logged] = await rows<{ justification: string }>(
      sql`select justification from audit_events where what = 'personal_data.erased' and subject = ${`consultation:${d.consultationId}`}`,
    );
    assert.equal(logged!.justification, 'Victim asked for erasure under s.47; not needed for any case');
    const again = await dpo.post('/dpo/erasures', { reference, justification: 'Victim asked for erasure under s.47' });
    assert.equal(again.statusCode, 400, 'an erasure is done once');
  });

  it('DP-06/DP-01 (issue 16 §1, start): the DPO finds what is held about a subject by number, name, CAD or crime reference; each search is logged with its reason', async () => {
    const e = await seedConsultation('PIIMARKE', { nonEvidential: false, mobile: '07700 900777' });
    const [{ reference, cad_reference }] = (await rows<{ reference: string; cad_reference: string }>(
      sql`select c.reference, i.cad_reference from consultations c join incidents i on i.id = c.incident_id where c.id = ${e.consultationId}`,
    )) as [{ reference: string; cad_reference: string }];
    const dpo = new Browser(t.app);
    await dpo.signIn('pd-dpo');
    assert.equal((await dpo.get('/dpo/subjects')).statusCode, 200);
    const noReason = await dpo.post('/dpo/subjects', { phone: '07700900777', justification: '' });
    assert.equal(noReason.statusCode, 400);
    const badPhone = await dpo.post('/dpo/subjects', { phone: '12', justification: 'SAR 2026/014 from the caller' });
    assert.equal(badPhone.statusCode, 400);
    assert.equal((await dpo.post('/dpo/subjects', { justification: 'SAR 2026/014 from the caller' })).statusCode, 400, 'a criterion is needed');

    for (const [criteria, label] of [
      [{ phone: '+44 7700 900777' }, 'phone'],
      [{ name: 'piimarke caller' }, 'name'],
      [{ cadReference: cad_reference }, 'cad'],
    ] as const) {
      const found = await dpo.post('/dpo/subjects', { ...criteria, justification: 'SAR 2026/014 from the caller' });
      assert.equal(found.statusCode, 200);
      assert.match(found.body, new RegExp(`${reference} · CAD`), `found by ${label}`);
      assert.match(found.body, /<code>victim_statements<\/code>: 1 row/);
      assert.match(found.body, /<code>chat_messages<\/code>: 1 row/);
      assert.match(found.body, new RegExp(`Matched by: ${label}`));
    }
    const none = await dpo.post('/dpo/subjects', { phone: '07700 900778', justification: 'SAR 2026/014 from the caller' });
    assert.match(none.body, /Nothing is held that matches/);

    const logged = await rows<{ justification: string; details: { criteria: string[]; consultationIds: string[] } }>(
      sql`select justification, details from audit_events where what = 'subject.searched' order by seq`,
    );
    assert.equal(logged.length, 4, 'every search that ran is logged (refused ones are not searches)');
    assert.deepEqual(logged[0]!.details.criteria, ['phone']);
    assert.ok(logged[0]!.details.consultationIds.includes(e.consultationId));
    assert.equal(logged[0]!.justification, 'SAR 2026/014 from the caller');
    assert.equal(occurrences(logged, '900777'), 0, 'the log holds a hash of the terms, not the number');
    assert.equal(occurrences(logged, 'PIIMARKE'), 0);
  });
});
