import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { EvidenceItemRow } from '../../src/features/evidence/evidence.repository.js';
import { UNFINISHED_TASK_STATES } from '../../src/features/evidence/evidence-work.service.js';
import { UNFINISHED_REDACTION_STATES } from '../../src/features/evidence/redaction/redaction.service.js';
import { sha256File } from '../../src/platform/media/sha256-file.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { allowRoundTheClock, assignCase, Browser, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

// Issue 15 §2, EVD-08, EVD-09: redacted copies of a real recording and a real photo, made by ffmpeg in the job, checked
// frame by frame and sample by sample against the master, approved by a second person, and exported with sha256sum -c.

const W = 160;
const H = 120;
const FPS = 10;
const SECONDS = 5;

/** Every frame of a file as 8-bit grey W × H (the picture's brightness), decoded by ffmpeg. */
function greyFrames(file: string): Buffer[] {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const frames: Buffer[] = [];
  for (let at = 0; at + W * H <= raw.length; at += W * H) frames.push(raw.subarray(at, at + W * H));
  return frames;
}

type Box = { x: number; y: number; w: number; h: number };
const within = (box: Box, x: number, y: number) => x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;

/** Mean absolute difference of two grey frames over the pixels `where` picks. */
function meanDiff(a: Buffer, b: Buffer, where: (x: number, y: number) => boolean): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      if (!where(x, y)) continue;
      sum += Math.abs(a[y * W + x]! - b[y * W + x]!);
      count++;
    }
  return sum / count;
}

/** Mono 16-bit samples at 8 kHz. */
function samples(file: string): Int16Array {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
}

/** RMS and zero crossings per second of the samples between two times. */
function window(pcm: Int16Array, from: number, to: number) {
  const slice = pcm.subarray(Math.round(from * 8000), Math.round(to * 8000));
  let sum = 0;
  let crossings = 0;
  for (let i = 0; i < slice.length; i++) {
    sum += slice[i]! * slice[i]!;
    if (i > 0 && slice[i - 1]! < 0 !== slice[i]! < 0) crossings++;
  }
  return { rms: Math.sqrt(sum / Math.max(1, slice.length)), hz: crossings / 2 / (to - from) };
}

await describeOnDatabase('redacted copies for disclosure (issue 15 §2, EVD-08, EVD-09)', (kind) => {
  let t: TestApp;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  let manager: Awaited<ReturnType<typeof createUser>>;
  let workDir: string;

  before(async () => {
    t = await buildTestApp(kind);
    handler = await createUser(t.services, 'rd-handler', ['call_handler']);
    officer = await createUser(t.services, 'rd-officer', ['rvr_officer']);
    manager = await createUser(t.services, 'rd-manager', ['evidence_manager']);
    await createUser(t.services, 'rd-investigator', ['investigator']);
    await createUser(t.services, 'rd-supervisor', ['supervisor']);
    await allowRoundTheClock(t.services);
    workDir = fs.mkdtempSync(path.join(t.config.dataDir, 'redaction-test-'));
  });
  after(() => t.close());

  const signedIn = async (username: string) => {
    const browser = new Browser(t.app);
    await browser.signIn(username);
    return browser;
  };
  const auditOf = (what: string, subject: string) =>
    queryRows<{ who: string; justification: string | null; details: Record<string, unknown> }>(
      t.db.database,
      sql`select who, justification, details from audit_events where what = ${what} and subject = ${subject} order by seq`,
    );
  const fileOf = (item: EvidenceItemRow) => t.services.blobs.localPath!(item.fileKey)!;

  /** A call with a finished 5-second video recording (testsrc + a 440 Hz tone) and a photo snapshot, as evidence items. */
  const callWithVideo = async () => {
    const { consultation } = await newCall(t.services, handler);
    // Issue 16 §3: the investigator (disclosure officer) in these tests has the case.
    await assignCase(t.services, consultation.id, 'rd-investigator');
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const photo = pngFrame(`testsrc=size=${W}x${H}`);
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, photo);
    const staff = await t.services.calls.lifecycle.staffParticipant(contextFor(officer), call.id, 'officer');
    const fileKey = `calls/${call.id}/victim-1.webm`;
    const file = await t.services.scratch.prepare(fileKey);
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${W}x${H}:rate=${FPS}:duration=${SECONDS}`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`],
      ...['-c:v', 'libvpx', '-b:v', '1M', '-c:a', 'libopus', '-f', 'webm', '-y', file],
    ]);
    await t.services.data.repos.recordings.create({
      callId: call.id,
      consultationId: consultation.id,
      participantId: staff.id,
      role: 'victim',
      segment: 1,
      fileKey,
      tracks: ['audio', 'video'],
      startedAt: new Date(),
    });
    await t.services.calls.recordings.recordingFinished(
      {
        participantId: staff.id,
        role: 'victim',
        path: file,
        finalisedByRecorder: true,
        durationMs: SECONDS * 1000,
        firstPacketAt: new Date(),
        clock: undefined,
        packets: 50,
      },
      file,
    );
    const items = await t.services.data.repos.evidence.listByConsultation(consultation.id);
    return { consultation, video: items.find((i) => i.kind === 'recording')!, photo: items.find((i) => i.kind === 'snapshot')! };
  };

  /** Opens the item with a reason (DP-01) and returns the grant the item page links the redaction form with. */
  const open = async (browser: Browser, item: EvidenceItemRow) => {
    const page = await browser.post(`/evidence/items/${item.id}/open`, { justification: 'Preparing material for disclosure' });
    assert.equal(page.statusCode, 200);
    const link = /href="\/evidence\/items\/[^/]+\/redactions\/new\?grant=([^"]+)"/.exec(page.body);
    assert.ok(link, 'the item page links to the redaction form');
    return decodeURIComponent(link[1]!.replace(/&amp;/g, '&'));
  };

  const finished = async (redactionId: string) => {
    for (let i = 0; i < 600; i++) {
      const row = (await t.services.data.repos.redactions.find(redactionId))!;
      if (!UNFINISHED_REDACTION_STATES.includes(row.state)) return row;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the redaction did not finish in 60 s');
  };

  const BLACK = { x: 16, y: 16, w: 48, h: 40 };
  const BLUR = { x: 96, y: 64, w: 48, h: 40 };
  const videoForm = {
    purpose: 'Disclosure to the defence: a child is in view',
    r0_start: '1',
    r0_end: '2',
    r0_x: String(BLACK.x),
    r0_y: String(BLACK.y),
    r0_w: String(BLACK.w),
    r0_h: String(BLACK.h),
    r0_effect: 'black',
    r0_reason: 'Child in view',
    r1_start: '0:02.5',
    r1_end: '3.5',
    r1_x: String(BLUR.x),
    r1_y: String(BLUR.y),
    r1_w: String(BLUR.w),
    r1_h: String(BLUR.h),
    r1_effect: 'blur',
    r1_reason: 'Another adult',
    a0_start: '0.5',
    a0_end: '1.5',
    a0_effect: 'mute',
    a0_reason: 'Child’s name said',
    a1_start: '2',
    a1_end: '2.5',
    a1_effect: 'bleep',
    a1_reason: 'Address said',
    c0_start: '4',
    c0_end: '4.5',
    c0_reason: 'Unrelated third party',
  };

  it('bad input is refused with the form shown again and each error beside its field: box outside the frame, end before start, beyond the length (400)', async () => {
    const { video } = await callWithVideo();
    const browser = await signedIn('rd-manager');
    const grant = await open(browser, video);
    const form = await browser.get(`/evidence/items/${video.id}/redactions/new?grant=${encodeURIComponent(grant)}`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /160 × 120 pixels/);
    const bad = await browser.post(`/evidence/items/${video.id}/redactions`, {
      grant,
      action: 'request',
      purpose: 'Disclosure to the defence',
      ...{ r0_start: '1', r0_end: '2', r0_x: '150', r0_y: '10', r0_w: '40', r0_h: '20', r0_reason: 'Child in view' },
      ...{ a0_start: '3', a0_end: '2', a0_reason: 'Name said' },
      ...{ c0_start: '4', c0_end: '9', c0_reason: 'Unrelated' },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /id="r0_w-error"[^>]*>[^<]*<span[^>]*>Error:<\/span> The box runs outside the frame/);
    assert.match(bad.body, /id="a0_end-error"[^>]*>[^<]*<span[^>]*>Error:<\/span> The end must be after the start/);
    assert.match(bad.body, /id="c0_end-error"[^>]*>[^<]*<span[^>]*>Error:<\/span> The recording is 5\.\d\d seconds long/);
    assert.match(bad.body, /value="150"/, 'what was typed is kept');
    assert.equal((await t.services.data.repos.redactions.listForItem(video.id)).length, 0, 'nothing half-written');
    const none = await browser.post(`/evidence/items/${video.id}/redactions`, { grant, action: 'request', purpose: 'Disclosure to the defence' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Mark at least one box, audio range or cut/);
    // Without a current grant (no justified opening), no frame of the master is shown.
    assert.equal((await browser.get(`/evidence/items/${video.id}/redactions/still?grant=1.forged&t=1`)).statusCode, 403);
  });

  it('EVD-09: the redacted copy decodes and differs from the master exactly in the marked ranges: boxes, mute, bleep and cut; a second person approves; the export passes sha256sum -c', async () => {
    const { consultation, video } = await callWithVideo();
    const browser = await signedIn('rd-manager');
    const grant = await open(browser, video);

    // The preview: a still with the boxes of that moment burnt in, before anything runs.
    const preview = await browser.post(`/evidence/items/${video.id}/redactions`, { grant, action: 'preview', previewAt: '1.5', ...videoForm });
    assert.equal(preview.statusCode, 200, preview.body.slice(0, 400));
    const previewSrc = /data-testid="preview">[\s\S]*?<img src="([^"]+)"/.exec(preview.body)![1]!.replace(/&amp;/g, '&');
    assert.match(previewSrc, /boxes=16%2C16%2C48%2C40%2Cblack/);
    const still = await browser.get(previewSrc);
    assert.equal(still.statusCode, 200);
    assert.equal(still.headers['content-type'], 'image/jpeg');
    const stillFile = path.join(workDir, 'still.jpg');
    fs.writeFileSync(stillFile, still.rawPayload);
    const stillGrey = execFileSync('ffmpeg', ['-v', 'error', '-i', stillFile, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
    assert.ok(stillGrey[(BLACK.y + 10) * W + BLACK.x + 10]! < 30, 'the black box is burnt into the preview');
    assert.equal((await t.services.data.repos.redactions.listForItem(video.id)).length, 0, 'a preview makes nothing');

    const asked = await browser.post(`/evidence/items/${video.id}/redactions`, { grant, action: 'request', ...videoForm });
    assert.equal(asked.statusCode, 303, asked.body.slice(0, 400));
    const redactionId = /\/evidence\/redactions\/([0-9a-f-]+)/.exec(asked.headers.location as string)![1]!;
    const progress = await browser.get(`/evidence/redactions/${redactionId}`);
    assert.equal(progress.statusCode, 200);
    assert.match(progress.body, /data-testid="redaction-state"/);
    const done = await finished(redactionId);
    assert.equal(done.state, 'awaiting_approval', done.error ?? '');
    assert.equal(done.progress, 100);

    const copy = (await t.services.data.repos.evidence.findItem(done.resultItemId!))!;
    const master = (await t.services.data.repos.evidence.findItem(video.id))!;
    assert.equal(copy.kind, 'redacted_copy');
    assert.deepEqual(copy.derivedFrom, [master.id]);
    assert.equal(copy.mediaType, 'video/mp4');
    assert.equal((await sha256File(fileOf(copy))).sha256, copy.sha256, 'the copy has its own SHA-256, of its own bytes');
    assert.equal((await sha256File(fileOf(master))).sha256, master.sha256, 'the master is unchanged');
    assert.equal(copy.consultationId, master.consultationId);
    assert.equal(copy.retentionBasis, master.retentionBasis, 'its retention follows the master');
    assert.equal(copy.disposalEligibleAt?.getTime(), master.disposalEligibleAt?.getTime());
    const decodeErrors = execFileSync('ffmpeg', ['-v', 'error', '-i', fileOf(copy), '-f', 'null', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(decodeErrors.trim(), '', 'the copy decodes cleanly');

    // Frames: copy frame k shows master frame k before the cut and k + 5 after it (0.5 s at 10 fps removed).
    const masterFrames = greyFrames(fileOf(master));
    const copyFrames = greyFrames(fileOf(copy));
    assert.equal(masterFrames.length, SECONDS * FPS);
    assert.equal(copyFrames.length, masterFrames.length - 5, 'the cut removed exactly its 5 frames');
    const inRange = (time: number, from: number, to: number) => time >= from - 1e-6 && time <= to + 1e-6;
    const nearEdge = (time: number, edges: number[]) => edges.some((edge) => Math.abs(time - edge) < 0.05);
    for (let k = 0; k < copyFrames.length; k++) {
      const m = k < 40 ? k : k + 5;
      const time = m / FPS;
      if (nearEdge(time, [1, 2, 2.5, 3.5, 4, 4.5])) continue;
      const black = meanDiff(copyFrames[k]!, masterFrames[m]!, (x, y) => within(BLACK, x, y));
      const blur = meanDiff(copyFrames[k]!, masterFrames[m]!, (x, y) => within(BLUR, x, y));
      const rest = meanDiff(copyFrames[k]!, masterFrames[m]!, (x, y) => !within(BLACK, x, y) && !within(BLUR, x, y));
      assert.ok(rest < 2, `frame ${m} (${time}s) matches the master outside the boxes (mean difference ${rest.toFixed(1)})`);
      if (inRange(time, 1, 2)) {
        assert.ok(black > 25, `frame ${m} (${time}s): the black box is there (difference ${black.toFixed(1)})`);
        const boxPixels = [...copyFrames[k]!.subarray((BLACK.y + 5) * W + BLACK.x + 5, (BLACK.y + 5) * W + BLACK.x + BLACK.w - 5)];
        assert.ok(Math.max(...boxPixels) < 30, `frame ${m}: black means black`);
      } else assert.ok(black < 2, `frame ${m} (${time}s): no black box outside its range (difference ${black.toFixed(1)})`);
      if (inRange(time, 2.5, 3.5)) assert.ok(blur > 8, `frame ${m} (${time}s): the blur is there (difference ${blur.toFixed(1)})`);
      else assert.ok(blur < 2, `frame ${m} (${time}s): no blur outside its range (difference ${blur.toFixed(1)})`);
    }

    // Audio: silent where muted, a 1 kHz tone where bleeped, the 440 Hz tone elsewhere, and the cut half-second gone.
    const masterPcm = samples(fileOf(master));
    const copyPcm = samples(fileOf(copy));
    const tone = window(masterPcm, 0.1, 0.4).rms;
    assert.ok(tone > 1000, `the master has its tone (${tone})`);
    for (const [from, to] of [[0.6, 1.4]] as const)
      assert.ok(window(copyPcm, from, to).rms < 30, `muted ${from}-${to}s is silent (${window(copyPcm, from, to).rms})`);
    const bleep = window(copyPcm, 2.1, 2.4);
    assert.ok(bleep.hz > 900 && bleep.hz < 1100 && bleep.rms > 2000, `bleeped 2.0-2.5s is a 1 kHz tone (${bleep.hz} Hz, rms ${bleep.rms})`);
    for (const [from, to] of [
      [0.1, 0.4],
      [1.6, 1.9],
      [2.7, 3.9],
      [4.1, 4.4],
    ] as const) {
      const heard = window(copyPcm, from, to);
      assert.ok(
        heard.hz > 400 && heard.hz < 480 && Math.abs(heard.rms - tone) < tone * 0.2,
        `${from}-${to}s (copy time) is the master's tone (${heard.hz} Hz, rms ${heard.rms})`,
      );
    }
    assert.ok(Math.abs(copyPcm.length / 8000 - (SECONDS - 0.5)) < 0.1, `the copy's audio is 4.5 s long (${copyPcm.length / 8000})`);

    // EVD-04: the request and the redaction are in the master's chain, with the list and both hashes.
    const requested = await auditOf('evidence.redaction_requested', `evidence:${master.id}`);
    assert.equal(requested.length, 1);
    assert.equal(requested[0]!.who, `user:${manager.id}`);
    const redacted = await auditOf('evidence.redacted', `evidence:${master.id}`);
    assert.equal(redacted[0]!.details.copySha256, copy.sha256);
    assert.equal((redacted[0]!.details.list as { regions: unknown[] }).regions.length, 2);
    const stored = done.spec as { plan: { regions: { reason: string }[]; audio: unknown[]; cuts: unknown[] } };
    assert.deepEqual(
      stored.plan.regions.map((r) => r.reason),
      ['Child in view', 'Another adult'],
    );

    // Not approved yet: a default (pre-charge: redacted) export carries the master, never the unapproved copy.
    assert.deepEqual(
      (await t.services.evidenceWork.exportItems(consultation.id, 'redacted')).map((i) => i.id).sort(),
      [master.id, (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'snapshot')!.id].sort(),
    );
    // The requester cannot approve their own copy; a second person can (ADR 0015).
    const self = await browser.post(`/evidence/redactions/${redactionId}/decision`, { decision: 'approve', reason: 'Checked every range myself' });
    assert.equal(self.statusCode, 403);
    const second = await signedIn('rd-investigator');
    const page = await second.get(`/evidence/redactions/${redactionId}`);
    assert.match(page.body, /Check and decide/);
    const noReason = await second.post(`/evidence/redactions/${redactionId}/decision`, { decision: 'approve', reason: 'ok' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /id="reason-error"/);
    assert.equal(
      (
        await second.post(`/evidence/redactions/${redactionId}/decision`, {
          decision: 'approve',
          reason: 'Watched the copy: child and adult hidden, name muted',
        })
      ).statusCode,
      303,
    );
    assert.equal((await auditOf('evidence.redaction_approved', `evidence:${copy.id}`)).length, 1);

    // The default export of a pre-charge case carries the approved copy instead of the master; sha256sum -c passes.
    await browser.get(`/evidence/consultations/${consultation.id}`);
    await browser.stepUp();
    assert.equal((await browser.post(`/evidence/consultations/${consultation.id}/exports`, { carry: 'default' })).statusCode, 303);
    const exported = await settledExport(consultation.id);
    const folder = path.join(t.config.dataDir, 'exports', exported.id);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: folder });
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as {
      items: { id: string; kind: string; sha256: string; derivedFrom: string | null }[];
    };
    assert.ok(manifest.items.some((i) => i.id === copy.id && i.kind === 'redacted_copy' && i.derivedFrom === master.id && i.sha256 === copy.sha256));
    assert.ok(!manifest.items.some((i) => i.id === master.id), 'the master stays here');
    const sums = fs.readFileSync(path.join(folder, 'SHA256SUMS'), 'utf8');
    assert.ok(sums.includes(copy.sha256), 'SHA256SUMS covers the copy');

    // The disclosure officer may choose both.
    assert.equal((await browser.post(`/evidence/consultations/${consultation.id}/exports`, { carry: 'both' })).statusCode, 303);
    const both = await settledExport(consultation.id);
    const bothFolder = path.join(t.config.dataDir, 'exports', both.id);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: bothFolder });
    const bothManifest = JSON.parse(fs.readFileSync(path.join(bothFolder, 'manifest.json'), 'utf8')) as { items: { id: string }[] };
    assert.ok(bothManifest.items.some((i) => i.id === copy.id) && bothManifest.items.some((i) => i.id === master.id));
  });

  const settledExport = async (consultationId: string) => {
    for (let i = 0; i < 300; i++) {
      const [task] = await t.services.evidenceWork.tasks(consultationId);
      if (task && !UNFINISHED_TASK_STATES.includes(task.state)) {
        assert.equal(task.state, 'verified', task.error ?? '');
        return task;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the export did not finish in 30 s');
  };

  it('EVD-09: a photo’s redacted copy is black exactly inside the box and identical outside it (lossless PNG); a hold on the master’s case covers it', async () => {
    const { consultation, photo } = await callWithVideo();
    const browser = await signedIn('rd-investigator');
    const grant = await open(browser, photo);
    const form = await browser.get(`/evidence/items/${photo.id}/redactions/new?grant=${encodeURIComponent(grant)}`);
    assert.equal(form.statusCode, 200);
    assert.doesNotMatch(form.body, /Audio to mute/, 'a photo has boxes only');
    const box = { x: 20, y: 30, w: 50, h: 40 };
    const asked = await browser.post(`/evidence/items/${photo.id}/redactions`, {
      grant,
      action: 'request',
      purpose: 'Disclosure: the child’s face is hidden',
      ...{ r0_x: String(box.x), r0_y: String(box.y), r0_w: String(box.w), r0_h: String(box.h), r0_effect: 'black', r0_reason: 'Child’s face' },
    });
    assert.equal(asked.statusCode, 303, asked.body.slice(0, 400));
    const redactionId = /\/evidence\/redactions\/([0-9a-f-]+)/.exec(asked.headers.location as string)![1]!;
    const done = await finished(redactionId);
    assert.equal(done.state, 'awaiting_approval', done.error ?? '');
    const copy = (await t.services.data.repos.evidence.findItem(done.resultItemId!))!;
    assert.equal(copy.mediaType, 'image/png');
    const rgb = (file: string) => execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const before = rgb(fileOf(photo));
    const after = rgb(fileOf(copy));
    assert.equal(after.length, before.length);
    let changedOutside = 0;
    let notBlackInside = 0;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const at = (y * W + x) * 3;
        const inside = x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h;
        const same = before[at] === after[at] && before[at + 1] === after[at + 1] && before[at + 2] === after[at + 2];
        if (inside && (after[at]! > 0 || after[at + 1]! > 0 || after[at + 2]! > 0)) notBlackInside++;
        if (!inside && !same) changedOutside++;
      }
    assert.equal(notBlackInside, 0, 'every pixel of the box is black');
    assert.equal(changedOutside, 0, 'no pixel outside the box changed');
    assert.equal((await sha256File(fileOf(photo))).sha256, photo.sha256, 'the master is unchanged');

    // Legal holds are on the case: a hold on the master's consultation keeps the copy too.
    await t.services.evidence.holds.placeHold(contextFor(manager), consultation.id, { type: 'LITIGATION', rationale: 'Civil claim notified by solicitors' });
    const lock = await t.services.blobs.head(copy.fileKey);
    assert.equal(lock?.lock.legalHold, true, 'the store holds the copy under the hold');
  });
});
