import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { runCli } from '../../src/cli/cli.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { startFakeS3, type FakeS3 } from '../support/s3-server.js';
import { Browser, allowRoundTheClock, assignCase, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { sql } from 'drizzle-orm';
import { pngFrame } from '../support/media-fixtures.js';

const DAY = 86_400_000;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Issue 15 §1 with STORAGE_DRIVER=s3 against the local S3-compatible server (test/support/s3-server.ts): every
 * evidence file in the bucket and none on the node's disk, Object Lock from the retention date, a legal hold that
 * follows the platform's holds, disposal refused by the store while it locks, and `rvr storage move`.
 */
await describeOnDatabase('evidence in S3 with Object Lock (issue 15)', (kind) => {
  let s3: FakeS3;
  let t: TestApp;
  let clockOffset = 0;
  const now = () => new Date(Date.now() + clockOffset);
  let officer: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let standards: Awaited<ReturnType<typeof createUser>>;
  const storageEnv = () => ({
    STORAGE_DRIVER: 's3',
    STORAGE_S3_BUCKET: s3.bucket,
    STORAGE_S3_REGION: s3.region,
    STORAGE_S3_ENDPOINT: s3.endpoint,
    STORAGE_S3_PREFIX: 'masters',
    STORAGE_LOCK_MODE: 'COMPLIANCE',
  });
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  before(async () => {
    s3 = await startFakeS3({ now });
    // The SDK's standard credential chain, as a deployment would give it (here from the environment).
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    t = await buildTestApp(kind, { now, env: storageEnv() });
    officer = await createUser(t.services, 's3-officer', ['rvr_officer']);
    manager = await createUser(t.services, 's3-manager', ['evidence_manager']);
    standards = await createUser(t.services, 's3-standards', ['professional_standards']);
    await createUser(t.services, 's3-investigator', ['investigator']);
    await allowRoundTheClock(t.services);
  });
  after(async () => {
    await t.close();
    await s3.close();
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  });

  const png = () => pngFrame('color=red:size=32x32');

  const callWithEvidence = async () => {
    const handler = await createUser(t.services, `s3-handler-${Date.now()}`, ['call_handler']);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png());
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const file = await t.services.calls.recordings.recordingStarted(call.id, staff.id, { participantId: staff.id, role: 'officer', tracks: ['audio'] });
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus', '-f', 'webm', '-y', file]);
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
    assert.ok(!fs.existsSync(file), 'the scratch copy is removed once the store holds the segment');
    const items = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    return { consultation, call, items };
  };
  const objectOf = (fileKey: string) => s3.objects.get(`masters/${fileKey}`);

  it('snapshots and finished recordings go to the bucket with their SHA-256, none to the local disk; playback is a ranged read from S3', async () => {
    const { items } = await callWithEvidence();
    assert.deepEqual(items.map((i) => i.kind).sort(), ['recording', 'snapshot']);
    for (const item of items) {
      const object = objectOf(item.fileKey);
      assert.ok(object, `${item.kind} is in the bucket`);
      assert.equal(sha(object.body), item.sha256);
      assert.equal(object.sse, 'AES256');
      assert.ok(!fs.existsSync(path.join(t.services.mediaRoot, item.fileKey)), 'nothing on the node’s disk');
    }
    const recording = items.find((i) => i.kind === 'recording')!;
    await assignCase(t.services, recording.consultationId, 's3-investigator');
    const investigator = new Browser(t.app);
    await investigator.signIn('s3-investigator');
    await investigator.get(`/evidence/items/${recording.id}`);
    const opened = await investigator.post(`/evidence/items/${recording.id}/open`, { justification: 'Reviewing the call for the file' });
    const grant = /grant=([^"&]+)/.exec(opened.body)![1]!;
    const media = await investigator.get(`/evidence/items/${recording.id}/media?grant=${grant}`, { range: 'bytes=0-99' });
    assert.equal(media.statusCode, 206);
    assert.deepEqual(media.rawPayload, objectOf(recording.fileKey)!.body.subarray(0, 100));
    assert.ok(s3.requests.some((r) => r.method === 'GET' && r.key === `masters/${recording.fileKey}` && r.headers.range === 'bytes=0-99'));
  });

  it('RET-07/EVD-02: the retention date becomes the Object Lock retain-until; a hold sets the legal hold, released only through the platform’s hold rules', async () => {
    const { consultation, items } = await callWithEvidence();
    await t.services.evidence.retention.setRetentionFacts(contextFor(manager), consultation.id, {
      evidential: false,
      // RET-17/RET-18: only a decided case's material can be non-evidential (issue 16 §4).
      caseStatus: { kind: 'nfa', decidedAt: new Date() },
      complaintOrClaim: false,
    });
    const dated = (await t.services.data.repos.evidence.listByConsultation(consultation.id))[0]!.disposalEligibleAt!;
    for (const item of items) {
      assert.equal(objectOf(item.fileKey)!.lockMode, 'COMPLIANCE');
      assert.equal(objectOf(item.fileKey)!.retainUntil?.getTime(), dated.getTime());
    }
    assert.ok(s3.requests.some((r) => r.method === 'PUT' && 'retention' in r.query));

    await t.services.evidence.holds.placeHold(contextFor(manager), consultation.id, { type: 'COMPLAINT', rationale: 'Complaint received from the victim' });
    for (const item of items) assert.equal(objectOf(item.fileKey)!.legalHold, true, 'the legal hold follows the platform’s hold');
    assert.equal(objectOf(items[0]!.fileKey)!.retainUntil?.getTime(), dated.getTime(), 'retention is never shortened');
    const [hold] = await t.services.data.repos.evidence.listHolds(consultation.id);
    await assert.rejects(t.services.evidence.holds.releaseHold(contextFor(manager), hold!.id, 'Releasing my own hold'));
    for (const item of items) assert.equal(objectOf(item.fileKey)!.legalHold, true, 'a refused release leaves the store’s hold on');
    await t.services.evidence.holds.releaseHold(contextFor(standards), hold!.id, 'Complaint closed, no further action');
    for (const item of items) assert.equal(objectOf(item.fileKey)!.legalHold, false);
  });

  it('disposal deletes only what the lock allows, and says so when it cannot', async () => {
    const { consultation, items } = await callWithEvidence();
    await t.services.evidence.retention.setRetentionFacts(contextFor(manager), consultation.id, {
      evidential: false,
      // RET-17/RET-18: only a decided case's material can be non-evidential (issue 16 §4).
      caseStatus: { kind: 'nfa', decidedAt: new Date() },
      complaintOrClaim: false,
    });
    // An earlier, longer date (compliance mode never shortens): the store keeps the snapshot 60 days more.
    const snapshot = items.find((i) => i.kind === 'snapshot')!;
    const lockEnds = new Date(Date.now() + 100 * DAY);
    await t.services.blobs.extendRetention(snapshot.fileKey, lockEnds);
    clockOffset = 40 * DAY;
    try {
      const run = await t.services.evidence.disposal.dispose(contextFor(manager), { dryRun: false });
      const locked = run.locked.find((l) => l.id === snapshot.id);
      assert.match(locked?.reason ?? '', /the store's compliance object lock keeps it until/);
      // Issue 15 §4: the disposal page lists it, with when the store's lock ends.
      const listed = (await t.services.evidence.disposal.certificate(run.disposalId)).refused.find((r) => r.id === snapshot.id);
      assert.equal(listed?.by, 'store lock');
      assert.equal(listed?.until, (await t.services.blobs.head(snapshot.fileKey))!.lock.retainUntil!.toISOString());
      assert.ok(objectOf(snapshot.fileKey), 'the locked object stays');
      assert.equal((await t.services.data.repos.evidence.findItem(snapshot.id))!.state, 'present');
      const refused = await queryRows<{ details: { reason: string } }>(
        t.db.database,
        sql`select details from audit_events where what = 'evidence.disposal_refused' and subject = ${`evidence:${snapshot.id}`}`,
      );
      assert.equal(refused[0]?.details.reason, 'store lock');
      const recording = items.find((i) => i.kind === 'recording')!;
      assert.ok(
        run.items.some((i) => i.id === recording.id),
        'what the lock allows goes',
      );
      assert.equal(objectOf(recording.fileKey), undefined);
      assert.equal((await t.services.data.repos.evidence.findItem(recording.id))!.state, 'disposed');
      // Issue 16 §2 (RET-02): the consultation's personal data waits with its locked evidence, and the page says why and until when.
      assert.equal(locked?.until, lockEnds.toISOString());
      assert.ok(
        run.pendingErasures.some((p) => p.consultationId === consultation.id && /kept by the store/.test(p.reason)),
        'the erasure waits for the locked item',
      );
      assert.equal(await t.services.data.repos.erasure.findForConsultation(consultation.id), undefined, 'nothing of the record is erased yet');
      const evidenceManager = new Browser(t.app);
      await evidenceManager.signIn('s3-manager');
      const page = await evidenceManager.get(`/evidence/disposals/${run.disposalId}`);
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Past their date but kept/);
      assert.match(page.body, new RegExp(`data-evidence-id="${snapshot.id}"[\\s\\S]*?The store’s lock`));
      assert.match(page.body, /Erasure waiting/);
    } finally {
      clockOffset = 0;
    }
  });

  it(
    'rvr storage move: local masters go to S3 verified by hash, resumably, with a dry run first',
    { skip: kind !== 'postgres' && 'two apps on one database need PostgreSQL (an embedded PGlite is one process’s)' },
    async () => {
      // An installation from before: the same database, masters on local disk.
      const local = await buildTestApp(kind, { now, database: t.db });
      try {
        const handler = await createUser(local.services, 'mv-handler', ['call_handler']);
        const { consultation } = await newCall(local.services, handler);
        await local.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
        const call = await local.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
        const snapshot = await local.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png());
        const onDisk = path.join(local.services.mediaRoot, snapshot.fileKey);
        assert.ok(fs.existsSync(onDisk));
        const rvr = async (args: string[]) => {
          const out: string[] = [];
          const sink = () => new Writable({ write: (c, _e, done) => (out.push(String(c)), done()) });
          const env = { NODE_ENV: 'test', PASSWORD_HASHING: 'test-only-weak', DATA_DIR: local.config.dataDir, DATABASE_URL: t.db.url!, ...storageEnv() };
          const code = await runCli(args, { env, stdout: sink(), stderr: sink(), stdin: Readable.from(['']) });
          return { code, output: out.join('') };
        };
        const dry = await rvr(['storage', 'move', '--dry-run']);
        assert.equal(dry.code, 0, dry.output);
        assert.match(dry.output, /Would move: [1-9]\d* item/);
        assert.equal(objectOf(snapshot.fileKey), undefined, 'a dry run moves nothing');
        assert.ok(fs.existsSync(onDisk));

        // A file whose bytes no longer match its record is refused by the store and kept here.
        const tampered = await local.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png());
        const tamperedFile = path.join(local.services.mediaRoot, tampered.fileKey);
        fs.chmodSync(tamperedFile, 0o640);
        fs.appendFileSync(tamperedFile, 'x');
        const moved = await rvr(['storage', 'move']);
        assert.equal(moved.code, 1, moved.output);
        assert.match(moved.output, /Moved and verified: 1 item\(s\)/);
        assert.match(moved.output, /Not moved \(local copies kept; run again once fixed\): 1/);
        assert.equal(sha(objectOf(snapshot.fileKey)!.body), snapshot.sha256);
        assert.ok(!fs.existsSync(onDisk), 'the local copy goes once the store holds it verified');
        assert.equal(objectOf(tampered.fileKey), undefined);
        assert.ok(fs.existsSync(tamperedFile));
        const custody = await queryRows<{ details: { to: string } }>(
          t.db.database,
          sql`select details from audit_events where what = 'evidence.moved' and subject = ${`evidence:${(await t.services.data.repos.evidence.findBySource(`snapshot:${snapshot.id}`))!.id}`}`,
        );
        assert.match(custody[0]!.details.to, /S3 bucket/);

        // Resumed: what the store holds is not copied again; the tampered file is still refused.
        const again = await rvr(['storage', 'move']);
        assert.equal(again.code, 1);
        assert.match(again.output, /Moved and verified: 0 item\(s\), 0\.0 MiB\. Already in the store: /);
      } finally {
        await local.close();
      }
    },
  );
});
