import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { UNFINISHED_TASK_STATES } from '../../src/features/evidence/evidence-work.service.js';
import type { EvidenceItemRow } from '../../src/features/evidence/evidence.repository.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

const DAY = 86_400_000;

await describeOnDatabase('evidence: items, justified views, holds, restriction, integrity and disposal (EVD, X-03, DP-01/03/10)', (kind) => {
  let t: TestApp;
  let clockOffset = 0;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let secondManager: Awaited<ReturnType<typeof createUser>>;
  let standards: Awaited<ReturnType<typeof createUser>>;
  before(async () => {
    t = await buildTestApp(kind, { now: () => new Date(Date.now() + clockOffset), env: { UPLOAD_MAX_MB: '1', EVIDENCE_PURGE_EXPORTED: 'true' } });
    handler = await createUser(t.services, 'ev-handler', ['call_handler']);
    officer = await createUser(t.services, 'ev-officer', ['rvr_officer']);
    manager = await createUser(t.services, 'ev-manager', ['evidence_manager']);
    await createUser(t.services, 'ev-investigator', ['investigator']);
    await createUser(t.services, 'ev-dpo', ['dpo']);
    secondManager = await createUser(t.services, 'ev-manager2', ['evidence_manager']);
    standards = await createUser(t.services, 'ev-standards', ['professional_standards']);
    await createUser(t.services, 'ev-standards2', ['professional_standards']);
    await allowRoundTheClock(t.services);
  });
  after(() => t.close());

  const png = () => pngFrame('color=red:size=32x32');

  /** A call whose officer took a snapshot and whose victim's recording segment finished: two evidence items. */
  const callWithEvidence = async () => {
    const { consultation } = await newCall(t.services, handler);
    // Issue 16 §3: the investigator in these tests has the case.
    await assignCase(t.services, consultation.id, 'ev-investigator');
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png());
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const fileKey = `calls/${call.id}/officer-1.webm`;
    // Recorded into the node's scratch folder; finishing moves it to the store (issue 15).
    const file = await t.services.scratch.prepare(fileKey);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus', '-f', 'webm', file]);
    await t.services.data.repos.recordings.create({
      callId: call.id,
      consultationId: consultation.id,
      participantId: staff.id,
      role: 'officer',
      segment: 1,
      fileKey,
      tracks: ['audio'],
      startedAt: new Date(Date.now() + clockOffset),
    });
    await t.services.calls.recordings.recordingFinished(
      {
        participantId: staff.id,
        role: 'officer',
        path: file,
        finalisedByRecorder: true,
        durationMs: 1000,
        firstPacketAt: new Date(),
        clock: undefined,
        packets: 50,
      },
      file,
    );
    const items = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    return { consultation, call, items };
  };
  const itemFile = (item: EvidenceItemRow) => path.join(t.services.mediaRoot, item.fileKey);
  const auditOf = (what: string, subject: string) =>
    queryRows<{ justification: string | null; recipient: string | null; details: Record<string, unknown> }>(
      t.db.database,
      sql`select justification, recipient, details from audit_events where what = ${what} and subject = ${subject} order by seq`,
    );
  const signedIn = async (username: string) => {
    const browser = new Browser(t.app);
    await browser.signIn(username);
    return browser;
  };

  it('EVD-01/EVD-02: a snapshot and a finished recording become items with their hash, read-only on disk, and their capture is in the chain', async () => {
    const { items } = await callWithEvidence();
    assert.deepEqual(items.map((i) => i.kind).sort(), ['recording', 'snapshot']);
    for (const item of items) {
      assert.equal((await sha256File(itemFile(item))).sha256, item.sha256);
      assert.equal(fs.statSync(itemFile(item)).mode & 0o777, 0o440, 'the master is read-only');
      assert.equal(item.classification, 'OFFICIAL-SENSITIVE');
      assert.equal(item.ownerId, officer.id, 'the officer in charge owns it');
      assert.equal((await auditOf('evidence.captured', `evidence:${item.id}`)).length, 1);
    }
    assert.equal(await t.services.evidence.registration.registerMissing(), 0, 'registering again adds nothing');
  });

  it('DP-01/EVD-03: an item opens only with a reason; playback serves byte ranges of the master; a download is logged with its recipient', async () => {
    const { items } = await callWithEvidence();
    const recording = items.find((i) => i.kind === 'recording')!;
    const investigator = await signedIn('ev-investigator');
    const form = await investigator.get(`/evidence/items/${recording.id}`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Why do you need to open it/);
    assert.doesNotMatch(form.body, /\/media\?grant=/, 'no player before a reason');

    const tooShort = await investigator.post(`/evidence/items/${recording.id}/open`, { justification: 'look' });
    assert.equal(tooShort.statusCode, 400);
    assert.match(tooShort.body, /reason for opening this item/);

    const opened = await investigator.post(`/evidence/items/${recording.id}/open`, { justification: 'Reviewing the account for the file' });
    assert.equal(opened.statusCode, 200);
    assert.ok(opened.body.includes(recording.sha256));
    const mediaUrl = /src="(\/evidence\/items\/[^"]+\/media\?grant=[^"]+)"/.exec(opened.body)![1]!.replace(/&amp;/g, '&');
    const ranged = await t.app.inject({ method: 'GET', url: mediaUrl, headers: { cookie: investigator.cookieHeader, range: 'bytes=4-13' } });
    assert.equal(ranged.statusCode, 206);
    assert.equal(ranged.headers['content-range'], `bytes 4-13/${recording.sizeBytes}`);
    assert.deepEqual(ranged.rawPayload, fs.readFileSync(itemFile(recording)).subarray(4, 14));
    const whole = await t.app.inject({ method: 'GET', url: mediaUrl, headers: { cookie: investigator.cookieHeader } });
    assert.equal(createHash('sha256').update(whole.rawPayload).digest('hex'), recording.sha256);
    const forged = await t.app.inject({
      method: 'GET',
      url: `/evidence/items/${recording.id}/media?grant=1.abc`,
      headers: { cookie: investigator.cookieHeader },
    });
    assert.equal(forged.statusCode, 403);
    const someoneElse = await signedIn('ev-manager');
    const borrowed = await t.app.inject({ method: 'GET', url: mediaUrl, headers: { cookie: someoneElse.cookieHeader } });
    assert.equal(borrowed.statusCode, 403, 'a grant is for the person who gave the reason');

    await investigator.stepUp();
    const noRecipient = await investigator.post(`/evidence/items/${recording.id}/download`, { justification: 'Case file for the CPS' });
    assert.equal(noRecipient.statusCode, 400);
    const download = await investigator.post(`/evidence/items/${recording.id}/download`, { justification: 'Case file for the CPS', recipient: 'CPS Kent' });
    assert.equal(download.statusCode, 200);
    assert.equal(createHash('sha256').update(download.rawPayload).digest('hex'), recording.sha256);
    assert.match(String(download.headers['content-disposition']), /attachment/);

    const views = await auditOf('evidence.viewed', `evidence:${recording.id}`);
    assert.deepEqual(
      views.map((v) => v.justification),
      ['Reviewing the account for the file'],
    );
    const disclosures = await auditOf('evidence.disclosed', `evidence:${recording.id}`);
    assert.deepEqual(
      disclosures.map((d) => [d.justification, d.recipient]),
      [['Case file for the CPS', 'CPS Kent']],
    );
    const page = await investigator.post(`/evidence/items/${recording.id}/open`, { justification: 'Checking the chain of custody' });
    for (const step of ['captured', 'viewed', 'disclosed']) assert.match(page.body, new RegExp(`moj-timeline__title">${step}<`), `${step} is on the timeline`);
    // EVD-04: every custody entry shows its reason and the hashes before and after (none before capture).
    const entries = page.body.match(/data-testid="custody-entry">[^]*?<\/span>/g) ?? [];
    assert.equal(entries.length, (page.body.match(/moj-timeline__item/g) ?? []).length, 'one custody line per entry');
    for (const entry of entries) assert.match(entry, new RegExp(`Reason: [^.]{3,}[^]*after <code>${recording.sha256}</code>`));
    assert.ok(
      entries.some((e) => e.includes('Hash before <code>none</code>') && e.includes('Captured')),
      'capture has no hash before',
    );
    assert.ok(entries.some((e) => e.includes('Reason: Checking the chain of custody')));

    const { consultationId } = recording;
    await investigator.get(`/evidence/consultations/${consultationId}`);
    assert.equal((await investigator.post(`/evidence/consultations/${consultationId}/play`, { justification: 'why' })).statusCode, 400);
    const player = await investigator.post(`/evidence/consultations/${consultationId}/play`, { justification: 'Hearing the whole call in order' });
    assert.equal(player.statusCode, 200);
    assert.match(player.body, new RegExp(`data-offset-ms="0" data-evidence-id="${recording.id}"`));
    assert.equal((await auditOf('evidence.viewed', `evidence:${recording.id}`)).filter((v) => v.justification === 'Hearing the whole call in order').length, 1);

    const callHandler = await signedIn('ev-handler');
    assert.equal((await callHandler.get('/evidence')).statusCode, 403);
  });

  it('RET-21/X-03: non-evidential material goes after 31 days; a hold blocks it whatever the dates; the certificate names what went', async () => {
    const { consultation, items } = await callWithEvidence();
    const evidenceManager = await signedIn('ev-manager');
    await evidenceManager.get(`/evidence/consultations/${consultation.id}`);
    const refused = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, {
      evidential: 'no',
      mopiGroup: '',
      caseStatus: 'under_investigation',
      complaintOrClaim: 'no',
    });
    // RET-17/RET-18 (issue 16 §4): not while the case is open; nothing is saved.
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /open case cannot be marked non-evidential/);
    assert.equal(await t.services.data.repos.evidence.findRetention(consultation.id), undefined);
    const saved = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, {
      evidential: 'no',
      mopiGroup: '',
      caseStatus: 'nfa',
      statusDate: new Date().toISOString().slice(0, 10),
      complaintOrClaim: 'no',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/evidence/consultations/${consultation.id}`);
    const dated = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!;
    const expected = new Date(Math.min(...items.map((i) => i.capturedAt.getTime())) + 31 * DAY);
    assert.ok(Math.abs(dated.disposalEligibleAt!.getTime() - expected.getTime()) <= 3_600_000, 'disposal from 31 calendar days after capture');

    const hold = await evidenceManager.post(`/evidence/consultations/${consultation.id}/holds`, {
      type: 'COMPLAINT',
      rationale: 'Complaint received from the victim',
    });
    assert.equal(hold.statusCode, 303);
    assert.equal(hold.headers.location, `/evidence/consultations/${consultation.id}`);
    assert.equal((await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!.disposalEligibleAt, null, 'a hold removes the disposal date');
    const badHold = await evidenceManager.post(`/evidence/consultations/${consultation.id}/holds`, { type: 'WHIM', rationale: 'No reason that holds up' });
    assert.equal(badHold.statusCode, 400);

    clockOffset = 40 * DAY;
    try {
      const heldRun = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.ok(!heldRun.items.some((i) => i.consultationId === consultation.id), 'nothing held is disposed of');
      for (const item of items) assert.ok(fs.existsSync(itemFile(item)));

      const [active] = await t.services.data.repos.evidence.listHolds(consultation.id);
      // (The staff session has long timed out 40 days on, so the release goes through the service.) EVD-13: by PSD.
      await t.services.evidence.holds.releaseHold(contextFor(standards), active!.id, 'Complaint closed, no further action');

      const dry = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: true });
      assert.deepEqual(
        dry.items
          .filter((i) => i.consultationId === consultation.id)
          .map((i) => i.id)
          .sort(),
        items.map((i) => i.id).sort(),
      );
      for (const item of items) assert.ok(fs.existsSync(itemFile(item)), 'a dry run deletes nothing');

      const run = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.deepEqual(
        run.items
          .filter((i) => i.consultationId === consultation.id)
          .map((i) => i.sha256)
          .sort(),
        items.map((i) => i.sha256).sort(),
      );
      for (const item of items) {
        assert.ok(!fs.existsSync(itemFile(item)), 'the file is gone');
        const row = (await t.services.data.repos.evidence.findItem(item.id))!;
        assert.equal(row.state, 'disposed');
        const erasure = await auditOf('evidence.disposed', `evidence:${item.id}`);
        assert.equal(erasure.length, 1);
        assert.deepEqual(Object.keys(erasure[0]!.details).sort(), ['custody', 'disposalId', 'sha256'], 'the erasure log holds no content (DP-03)');
        // EVD-04: the custody entry stored at write time: a fixed reason and the item's hashes, no content.
        assert.deepEqual(erasure[0]!.details.custody, {
          reason: 'Disposed of after the retention period',
          hashes: [{ itemId: item.id, hashBefore: item.sha256, hashAfter: null }],
        });
      }
      const later = await signedIn('ev-manager');
      const certificate = await later.get(`/evidence/disposals/${run.disposalId}/certificate`);
      assert.equal(certificate.statusCode, 200);
      assert.equal(createHash('sha256').update(certificate.body).digest('hex'), certificate.headers['x-content-sha256']);
      assert.equal((JSON.parse(certificate.body) as { items: unknown[] }).items.length, run.items.length);
      const disposedPage = await later.get(`/evidence/items/${items[0]!.id}`);
      assert.match(disposedPage.body, /was disposed of/);
    } finally {
      clockOffset = 0;
    }
  });

  it('EVD-13/SEC-11: a COMPLAINT or CONDUCT hold is released only by Professional Standards, and no hold by whoever placed it; refusals are 403 and logged', async () => {
    const { consultation } = await callWithEvidence();
    const page = `/evidence/consultations/${consultation.id}`;
    const psd = await signedIn('ev-standards');
    assert.equal((await psd.get(page)).statusCode, 200, 'Professional Standards sees the case’s evidence record');
    assert.equal((await psd.post(`${page}/holds`, { type: 'COMPLAINT', rationale: 'Complaint about the officer received' })).statusCode, 303);
    const evidenceManager = await signedIn('ev-manager');
    assert.equal((await evidenceManager.post(`${page}/holds`, { type: 'CONDUCT', rationale: 'Conduct matter recorded' })).statusCode, 303);
    assert.equal((await evidenceManager.post(`${page}/holds`, { type: 'LITIGATION', rationale: 'Civil claim notified' })).statusCode, 303);
    const holds = await t.services.data.repos.evidence.listHolds(consultation.id);
    const hold = (type: string) => holds.find((h) => h.type === type)!;
    const release = async (browser: Browser, type: string) => {
      await browser.get(page);
      await browser.stepUp();
      return browser.post(`/evidence/holds/${hold(type).id}/release`, { rationale: `Releasing the ${type} hold` });
    };
    const dpo = await signedIn('ev-dpo');
    const refusals: [Browser, string, RegExp][] = [
      [psd, 'COMPLAINT', /You placed this hold/],
      [evidenceManager, 'COMPLAINT', /Only Professional Standards can release a COMPLAINT hold/],
      [dpo, 'COMPLAINT', /Only Professional Standards/],
      [evidenceManager, 'CONDUCT', /Only Professional Standards can release a CONDUCT hold/],
      [evidenceManager, 'LITIGATION', /You placed this hold/],
    ];
    for (const [browser, type, message] of refusals) {
      const refused = await release(browser, type);
      assert.equal(refused.statusCode, 403, `${type}: ${refused.body.slice(0, 200)}`);
      assert.match(refused.body, message);
    }
    assert.ok(
      (await t.services.data.repos.evidence.listHolds(consultation.id)).every((h) => !h.releasedAt),
      'nothing was released',
    );
    const logged = await auditOf('evidence.hold_release_refused', `consultation:${consultation.id}`);
    assert.equal(logged.length, refusals.length, 'every refusal is in the audit chain');
    assert.equal(logged[0]!.details.holdId, hold('COMPLAINT').id);
    assert.match(String(logged[0]!.details.reason), /You placed this hold/);

    const pageForManager = await evidenceManager.get(page);
    assert.match(pageForManager.body, /Only Professional Standards can release a COMPLAINT hold/, 'the page says who may release it');
    assert.equal((await release(await signedIn('ev-standards2'), 'COMPLAINT')).statusCode, 303, 'another PSD officer releases the complaint hold');
    assert.equal((await release(psd, 'CONDUCT')).statusCode, 303, 'PSD releases a conduct hold someone else placed');
    assert.equal((await release(dpo, 'LITIGATION')).statusCode, 303, 'a LITIGATION hold by anyone with holds who did not place it');
    const released = await auditOf('evidence.hold_released', `consultation:${consultation.id}`);
    assert.deepEqual(
      released.map((e) => e.details.type),
      ['COMPLAINT', 'CONDUCT', 'LITIGATION'],
    );
    assert.deepEqual(
      (await t.services.data.repos.evidence.listHolds(consultation.id)).map((h) => [h.type, h.releasedBy !== h.placedBy]),
      [
        ['COMPLAINT', true],
        ['CONDUCT', true],
        ['LITIGATION', true],
      ],
    );
  });

  it('X-03: a hold that lands between listing and disposal still stops it, and the refusal is logged', async () => {
    const { consultation, items } = await callWithEvidence();
    await t.services.evidence.retention.setRetentionFacts(contextFor(manager), consultation.id, {
      evidential: false,
      // RET-17/RET-18: only a decided case's material can be non-evidential (issue 16 §4).
      caseStatus: { kind: 'nfa', decidedAt: new Date() },
      complaintOrClaim: false,
    });
    // As if another node placed it after the dates were worked out: the row only, no re-dating.
    await t.services.data.repos.evidence.createHold({
      consultationId: consultation.id,
      type: 'IPCO',
      rationale: 'IPCO inspection',
      placedBy: manager.id,
      placedAt: new Date(),
    });
    clockOffset = 40 * DAY;
    try {
      const run = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      assert.deepEqual(run.held.filter((id) => items.some((i) => i.id === id)).sort(), items.map((i) => i.id).sort());
      for (const item of items) {
        assert.ok(fs.existsSync(itemFile(item)));
        assert.equal((await auditOf('evidence.disposal_refused', `evidence:${item.id}`)).length, 1);
      }
    } finally {
      clockOffset = 0;
    }
  });

  it('a disposal interrupted by a crash (row marked, file maybe deleted) is finished on start: never half-deleted', async () => {
    const { items } = await callWithEvidence();
    const [first, second] = items;
    await t.services.data.repos.evidence.markDisposing(first!.id, '00000000-0000-4000-8000-000000000001');
    await t.services.data.repos.evidence.markDisposing(second!.id, '00000000-0000-4000-8000-000000000001');
    fs.rmSync(itemFile(second!)); // the crash came after this file went
    assert.equal(await t.services.evidence.disposal.resumeDisposals(), 2);
    for (const item of [first!, second!]) {
      assert.equal((await t.services.data.repos.evidence.findItem(item.id))!.state, 'disposed');
      assert.ok(!fs.existsSync(itemFile(item)));
    }
  });

  it('DP-10: a restricted item is hidden from the list and cannot be opened or downloaded, but stays intact and verified', async () => {
    const { items } = await callWithEvidence();
    const snapshot = items.find((i) => i.kind === 'snapshot')!;
    const dpo = await signedIn('ev-dpo');
    const header = await dpo.get(`/evidence/items/${snapshot.id}`);
    assert.equal(header.statusCode, 200);
    assert.doesNotMatch(header.body, /Open the item/, 'the DPO restricts but cannot open evidence');
    assert.equal((await dpo.post(`/evidence/items/${snapshot.id}/open`, { justification: 'Checking the disputed photo' })).statusCode, 403);
    await dpo.get(`/evidence/items/${snapshot.id}`);
    const restricted = await dpo.post(`/evidence/items/${snapshot.id}/restriction`, { restricted: 'yes', reason: 'Accuracy disputed by the data subject' });
    assert.equal(restricted.statusCode, 303);
    assert.equal(restricted.headers.location, `/evidence/items/${snapshot.id}`);
    const investigator = await signedIn('ev-investigator');
    assert.doesNotMatch((await investigator.get('/evidence')).body, new RegExp(snapshot.id));
    const open = await investigator.post(`/evidence/items/${snapshot.id}/open`, { justification: 'Reviewing the injury photo' });
    assert.equal(open.statusCode, 403);
    const evidenceManager = await signedIn('ev-manager');
    assert.match((await evidenceManager.get('/evidence?restricted=show')).body, new RegExp(snapshot.id));
    const check = await t.services.evidence.disposal.checkIntegrity();
    assert.ok(!check.failures.some((f) => f.id === snapshot.id));
    assert.equal((await t.services.data.repos.evidence.findItem(snapshot.id))!.integrity, 'ok', 'still verified');
    const again = await dpo.post(`/evidence/items/${snapshot.id}/restriction`, { restricted: 'yes', reason: 'Accuracy disputed by the data subject' });
    assert.equal(again.statusCode, 409);
  });

  it('EVD-02: one flipped byte in a master is found by the integrity job, alerted on the page, logged and counted; the hash on record is kept', async () => {
    const { items } = await callWithEvidence();
    const victim = items.find((i) => i.kind === 'recording')!;
    const file = itemFile(victim);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.chmodSync(file, 0o640);
    fs.writeFileSync(file, bytes);
    const check = await t.services.evidence.disposal.checkIntegrity();
    assert.deepEqual(
      check.failures.filter((f) => f.id === victim.id),
      [{ id: victim.id, problem: 'mismatch' }],
    );
    const row = (await t.services.data.repos.evidence.findItem(victim.id))!;
    assert.equal(row.sha256, victim.sha256, 'never silently re-hashed');
    assert.equal(row.integrity, 'mismatch');
    assert.equal((await auditOf('evidence.integrity_failed', `evidence:${victim.id}`)).length, 1);
    const evidenceManager = await signedIn('ev-manager');
    const list = await evidenceManager.get('/evidence');
    assert.match(list.body, /data-testid="integrity-alert"/);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /^rvr_evidence_integrity_failures [1-9]/m);
  });

  it('RET-03/RET-13: a review with any NRAC "yes" retains with a new review date; all "no" records a decision to dispose', async () => {
    const { consultation } = await callWithEvidence();
    const evidenceManager = await signedIn('ev-manager');
    await evidenceManager.get(`/evidence/consultations/${consultation.id}`);
    const no = { serious_harm: 'no', children_or_vulnerable: 'no', breach_of_trust: 'no', risky_links: 'no', substance_misuse: 'no', mental_state: 'no' };
    const incomplete = await evidenceManager.post(`/evidence/consultations/${consultation.id}/reviews`, {
      serious_harm: 'yes',
      rationale: 'Half a review only',
    });
    assert.equal(incomplete.statusCode, 400);
    assert.equal((await t.services.data.repos.evidence.listReviews(consultation.id)).length, 0, 'a refused review records nothing');
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/reviews`, {
      ...no,
      children_or_vulnerable: 'yes',
      rationale: 'Children live at the address',
    });
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/reviews`, { ...no, rationale: 'No risk factors remain' });
    const [latest, first] = await t.services.data.repos.evidence.listReviews(consultation.id);
    assert.equal(first!.decision, 'retain');
    assert.ok(first!.nextReviewAt && first!.nextReviewAt.getTime() > Date.now() + 4 * 365 * DAY);
    assert.equal(latest!.decision, 'dispose');
    assert.equal(latest!.reviewerId, manager.id);
    assert.equal((await auditOf('evidence.retention_reviewed', `consultation:${consultation.id}`)).length, 2);

    const convicted = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, {
      evidential: 'yes',
      mopiGroup: 'group3',
      caseStatus: 'convicted',
      statusDate: '2026-01-15',
      custodial: 'no',
      complaintOrClaim: 'no',
    });
    assert.equal(convicted.statusCode, 303, 'a dated case status is saved (its dates come back from jsonb as text)');
    const dated = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!;
    assert.equal(dated.disposalEligibleAt!.getUTCFullYear(), dated.capturedAt.getUTCFullYear() + 6, 'group 3: six years after capture, later than CPIA');
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/reviews`, { ...no, rationale: 'Checked again after conviction' });
    assert.equal((await t.services.data.repos.evidence.listReviews(consultation.id)).length, 3, 'a review after a dated status works too');
    const impossible = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, {
      evidential: 'yes',
      caseStatus: 'nfa',
      statusDate: '2026-02-31',
    });
    assert.equal(impossible.statusCode, 400);
    const convictedNoDate = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, { evidential: 'yes', caseStatus: 'convicted' });
    assert.equal(convictedNoDate.statusCode, 400);
    assert.match(convictedNoDate.body, /date of the conviction/);
  });

  it('RET-08/RET-06/RET-12 (issue 16 §4): records staff enter the date of birth, the child-under-10 flag and new information, and the dates follow', async () => {
    const { consultation } = await callWithEvidence();
    const evidenceManager = await signedIn('ev-manager');
    const page = await evidenceManager.get(`/evidence/consultations/${consultation.id}`);
    for (const field of ['subjectDateOfBirth', 'childUnder10', 'newInformationAt']) assert.match(page.body, new RegExp(`name="${field}"`), field);
    const facts = { evidential: 'yes', mopiGroup: 'group1', caseStatus: 'nfa', statusDate: '2026-01-15', complaintOrClaim: 'no' };
    // RET-08: group 1 without a date of birth cannot be dated; with one it is kept to age 100.
    assert.equal((await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, facts)).statusCode, 303);
    assert.equal((await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!.disposalEligibleAt, null);
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, { ...facts, subjectDateOfBirth: '1990-05-01' });
    const group1 = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!;
    assert.equal(group1.disposalEligibleAt?.toISOString().slice(0, 10), '2090-05-01');
    const future = await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, { ...facts, subjectDateOfBirth: '2999-01-01' });
    assert.equal(future.statusCode, 400);
    const [audit] = await auditOf('evidence.retention_set', `consultation:${consultation.id}`).then((events) => events.slice(-1));
    assert.equal(JSON.stringify(audit).includes('1990-05-01'), false, 'the date of birth itself is not in the audit chain');

    // RET-12: new information restarts the group 3 clear period and puts the case in the review queue.
    const group3 = { ...facts, mopiGroup: 'group3', subjectDateOfBirth: '1990-05-01' };
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, group3);
    const before = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!.disposalEligibleAt!;
    const today = new Date().toISOString().slice(0, 10);
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, { ...group3, newInformationAt: today });
    const retention = (await t.services.data.repos.evidence.findRetention(consultation.id))!;
    assert.equal(retention.clearPeriodStart?.toISOString().slice(0, 10), today);
    assert.ok(retention.reviewRequestedAt);
    const after = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!.disposalEligibleAt!;
    assert.ok(after.getTime() >= before.getTime(), 'the clear period never runs from earlier');
    assert.ok(
      (await t.services.evidence.retention.reviewQueue()).some((row) => JSON.stringify(row).includes(consultation.id)),
      'a review is due',
    );

    // RET-06: a child under 10 blocks disposal until a person reviews it.
    await evidenceManager.post(`/evidence/consultations/${consultation.id}/retention`, { ...group3, childUnder10: 'yes' });
    const child = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!;
    assert.equal(child.disposalEligibleAt, null);
    assert.match(child.retentionBasis ?? '', /RET-06/);
    assert.equal((await t.services.data.repos.evidence.findRetention(consultation.id))!.childUnder10, true);
  });
  const settled = async (taskId: string) => {
    for (let i = 0; i < 300; i++) {
      const task = (await t.services.data.repos.evidence.findTask(taskId))!;
      if (!UNFINISHED_TASK_STATES.includes(task.state)) return task;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the task did not finish in 30 s');
  };

  it('EVD-09/RET-15: a court working copy (MP4) is made from the recordings with its own hash and derivedFrom, and the copy is in each source’s custody', async () => {
    const { consultation, items } = await callWithEvidence();
    const recording = items.find((i) => i.kind === 'recording')!;
    const investigator = await signedIn('ev-investigator');
    await investigator.get(`/evidence/consultations/${consultation.id}`);
    const asked = await investigator.post(`/evidence/consultations/${consultation.id}/working-copies`, {});
    assert.equal(asked.statusCode, 303);
    const [requested] = await t.services.evidenceWork.tasks(consultation.id);
    const task = await settled(requested!.id);
    assert.equal(task.state, 'done', task.error ?? '');
    assert.equal(task.progress, 100);
    const copy = (await t.services.data.repos.evidence.findItem(task.resultItemId!))!;
    assert.equal(copy.kind, 'working_copy');
    assert.deepEqual(copy.derivedFrom, [recording.id]);
    assert.equal((await sha256File(itemFile(copy))).sha256, copy.sha256);
    const streams = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', itemFile(copy)])
      .toString()
      .trim()
      .split('\n');
    assert.deepEqual(streams.sort(), ['aac', 'h264']);
    assert.equal((await auditOf('evidence.copied', `evidence:${recording.id}`)).length, 1);
    const progress = await investigator.get(`/evidence/tasks/${task.id}`);
    assert.equal((JSON.parse(progress.body) as { state: string }).state, 'done');
  });

  it('EVD-06/RET-23: an export to the folder drop passes sha256sum -c; the copies here are purged only after verification, the delay, and no hold', async () => {
    const { consultation, items } = await callWithEvidence();
    const evidenceManager = await signedIn('ev-manager');
    await evidenceManager.get(`/evidence/consultations/${consultation.id}`);
    await evidenceManager.stepUp();
    assert.equal((await evidenceManager.post(`/evidence/consultations/${consultation.id}/exports`, {})).statusCode, 303);
    const [requested] = await t.services.evidenceWork.tasks(consultation.id);
    const task = await settled(requested!.id);
    assert.equal(task.state, 'verified', task.error ?? '');
    const folder = path.join(t.config.dataDir, 'exports', task.id);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: folder });
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as {
      items: { id: string; sha256: string }[];
      consultation: { id: string };
    };
    assert.equal(manifest.consultation.id, consultation.id);
    assert.deepEqual(manifest.items.map((i) => i.sha256).sort(), items.map((i) => i.sha256).sort());
    const continuity = fs
      .readFileSync(path.join(folder, 'continuity.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { what: string; reason: string; hashes: { itemId: string; hashBefore: string | null; hashAfter: string | null }[] });
    assert.ok(continuity.some((e) => e.what === 'evidence.captured'));
    // EVD-04: every exported custody entry carries its reason and before/after hashes.
    for (const entry of continuity) {
      assert.ok(entry.reason.length > 3, entry.what);
      assert.ok(entry.hashes.length > 0, entry.what);
      for (const h of entry.hashes) assert.equal(h.hashAfter, items.find((i) => i.id === h.itemId)!.sha256, entry.what);
    }
    for (const item of items) assert.equal((await auditOf('evidence.exported', `evidence:${item.id}`)).length, 1);

    assert.deepEqual(await t.services.evidenceWork.purgeExported(), { purged: 0, held: 0 }, 'not before the delay');
    await t.services.evidence.holds.placeHold(contextFor(manager), consultation.id, { type: 'LITIGATION', rationale: 'Civil claim notified by solicitors' });
    clockOffset = 31 * DAY;
    try {
      const held = await t.services.evidenceWork.purgeExported();
      assert.equal(held.purged, 0, 'a hold stops the purge');
      for (const item of items) assert.ok(fs.existsSync(itemFile(item)));
      const [hold] = await t.services.data.repos.evidence.listHolds(consultation.id);
      // SEC-11: not by the manager who placed it.
      await t.services.evidence.holds.releaseHold(contextFor(secondManager), hold!.id, 'Claim withdrawn by the claimant');
      const run = await t.services.evidenceWork.purgeExported();
      assert.ok(run.purged >= items.length);
      for (const item of items) {
        assert.ok(!fs.existsSync(itemFile(item)), 'the platform copy is gone');
        assert.equal((await t.services.data.repos.evidence.findItem(item.id))!.state, 'purged');
        assert.equal((await auditOf('evidence.purged', `evidence:${item.id}`)).length, 1);
      }
      execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: folder });
    } finally {
      clockOffset = 0;
    }
  });
  it('victim uploads: a photo sent from the call page is hashed on arrival and kept as an item; a non-image or an oversized file is refused and leaves nothing', async () => {
    const { consultation, call } = await callWithEvidence();
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victim = new Browser(t.app);
    await victim.get(`/v/${token}`);
    await victim.get('/v/call');
    await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    const page = await victim.get('/v/call');
    assert.match(page.body, /Send photos or videos/);
    const send = (payload: Buffer) =>
      t.app.inject({
        method: 'POST',
        url: '/v/call/uploads',
        payload,
        headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-csrf-token': victim.csrfToken, cookie: victim.cookieHeader },
      });
    const before = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    const photo = png();
    const accepted = await send(photo);
    assert.equal(accepted.statusCode, 201, accepted.body);
    const { id, sha256 } = JSON.parse(accepted.body) as { id: string; sha256: string };
    assert.equal(sha256, createHash('sha256').update(photo).digest('hex'));
    const item = (await t.services.data.repos.evidence.findItem(id))!;
    assert.equal(item.kind, 'upload');
    assert.equal(item.mediaType, 'image/png');
    assert.equal((await sha256File(itemFile(item))).sha256, sha256);
    assert.match(item.capturedBy, /^link:/);

    const text = await send(Buffer.from('this is not a photo at all'));
    assert.equal(text.statusCode, 415);
    assert.match((JSON.parse(text.body) as { error: string }).error, /photo \(JPEG, PNG or HEIC\) or a video/);
    const huge = await send(Buffer.concat([photo, Buffer.alloc(1_100_000)]));
    assert.equal(huge.statusCode, 413);
    assert.match((JSON.parse(huge.body) as { error: string }).error, /limit is 1 MB/);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/v/call/uploads',
      payload: photo,
      headers: { 'content-type': 'application/octet-stream', cookie: victim.cookieHeader },
    });
    assert.equal(noCsrf.statusCode, 403);
    const after = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    assert.equal(after.length, before.length + 1, 'only the photo was kept');
    const leftovers = fs.readdirSync(path.join(t.services.mediaRoot, 'calls', call.id)).filter((f) => f.startsWith('upload-'));
    assert.deepEqual(leftovers, [path.basename(item.fileKey)], 'refused files leave nothing on disk');
  });
  it("EVD-05: recordings are placed by media time from the senders' reports, not by when a busy server handled the first packet", async () => {
    const { consultation, call } = await callWithEvidence();
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    // The victim's camera started 0.3 s after the officer's (sender reports); the server, busy, stamped the victim's
    // first packet 0.1 s after the officer's reports place the officer's start, and the officer's own 1.2 s late.
    const officerRow = (await t.services.data.repos.recordings.listByCall(call.id)).find((r) => r.role === 'officer')!;
    const media = new Date(Date.now() - 60_000);
    await t.db.database.db.execute(
      sql`update recordings set media_started_at = ${media.toISOString()}, first_packet_at = ${new Date(media.getTime() + 1200).toISOString()} where id = ${officerRow.id}`,
    );
    // The segment is written where the media plane writes (the node's scratch folder) and moved to the store when it finishes.
    const file = await t.services.calls.recordings.recordingStarted(call.id, staff.id, { participantId: staff.id, role: 'victim', tracks: ['audio'] });
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', '-c:a', 'libopus', '-f', 'webm', '-y', file]);
    const victimStart = new Date(media.getTime() + 300).toISOString();
    const arrivedAt = new Date(media.getTime() + 100);
    const clock = {
      startedAt: victimStart,
      source: 'sender_reports' as const,
      disagreementMs: -200,
      flagged: false,
      tracks: [
        {
          kind: 'audio' as const,
          arrivedAt: arrivedAt.toISOString(),
          reportedAt: victimStart,
          senderClockAt: victimStart,
          senderClockOffsetMs: 3,
          senderReports: 4,
        },
      ],
    };
    await t.services.calls.recordings.recordingFinished(
      { participantId: staff.id, role: 'victim', path: file, finalisedByRecorder: true, durationMs: 1000, firstPacketAt: arrivedAt, clock, packets: 50 },
      file,
    );
    const victimRow = (await t.services.data.repos.recordings.listByCall(call.id)).find((r) => r.role === 'victim')!;
    assert.equal(victimRow.mediaStartedAt?.toISOString(), victimStart);
    assert.equal(victimRow.firstPacketAt?.toISOString(), arrivedAt.toISOString(), 'the arrival stamp is kept beside it');
    assert.deepEqual(victimRow.mediaClock, clock);
    const finished = await queryRows<{ details: Record<string, unknown> }>(
      t.db.database,
      sql`select details from call_events where call_id = ${call.id} and type = 'recording_finished' order by at desc limit 1`,
    );
    assert.equal(finished[0]?.details.mediaStartedAt, victimStart);

    const played = await t.services.evidence.access.openRecordings(contextFor(manager), consultation.id, 'Reviewing the call for the file');
    const offsets = Object.fromEntries(
      await Promise.all(
        played.tracks.map(async (track) => [
          (await t.services.data.repos.recordings.findById(track.item.sourceId.replace(/^recording:/, '')))!.role,
          track.offsetMs,
        ]),
      ),
    );
    assert.deepEqual(offsets, { officer: 0, victim: 300 }, 'by first-packet stamps the victim would have come first, 1.1 s early');
  });

  it('EVD-01: when the call ends, the officer’s notes and the chat transcript are kept as text masters of their own', async () => {
    const { consultation, call } = await callWithEvidence();
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    await t.services.calls.chat.saveNotes(contextFor(officer), call.id, 'Bruising to the left arm, photographed.');
    await t.services.calls.chat.postChat(contextFor(officer), staff, 'Are you safe to talk?');
    assert.ok(await t.services.calls.lifecycle.endCall(contextFor(officer), call.id, 'Ended by the officer'));
    const items = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    const notes = items.find((i) => i.kind === 'notes')!;
    const chat = items.find((i) => i.kind === 'chat')!;
    assert.equal(fs.readFileSync(itemFile(notes), 'utf8'), 'Bruising to the left arm, photographed.');
    assert.equal((await sha256File(itemFile(notes))).sha256, notes.sha256);
    const lines = fs
      .readFileSync(itemFile(chat), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { role: string; text: string });
    assert.deepEqual(
      lines.map((l) => [l.role, l.text]),
      [['officer', 'Are you safe to talk?']],
    );
    assert.equal((await sha256File(itemFile(chat))).sha256, chat.sha256);
  });
  it('an export a restart interrupted mid-send is queued again on start and finishes verified (delivery is idempotent)', async () => {
    const { consultation, items } = await callWithEvidence();
    const now = new Date();
    const interrupted = await t.services.data.repos.evidence.createTask({
      kind: 'export',
      consultationId: consultation.id,
      state: 'sending',
      itemIds: items.map((i) => i.id),
      sink: 'folder',
      requestedBy: manager.id,
      requestedAt: now,
      updatedAt: now,
      attempts: 1,
    });
    assert.ok((await t.services.evidenceWork.resumeInterrupted()) >= 1);
    const task = await settled(interrupted.id);
    assert.equal(task.state, 'verified', task.error ?? '');
    assert.equal(task.attempts, 2);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: path.join(t.config.dataDir, 'exports', task.id) });
  });
});
