import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_PASSWORD } from '../src/features/demo/demo-seeder.js';
import { officerEndsCall, officerSendsLink, victimJoins, waitForDecodedVideo } from './support/call.js';
import { evaluateWithin, freePort, launchParticipant, startServer, type Participant, type RunningServer } from './support/harness.js';
import { SignInPage } from './support/pages.js';
import { pngFrame } from '../test/support/media-fixtures.js';

describe('evidence after a real call (issue 6): opened with a reason, played from the master, exported, verified, purged', () => {
  let server: RunningServer;
  const people: Participant[] = [];
  before(async () => {
    const port = await freePort();
    // No delay before the purge, so the test sees it happen right after the receiver's hashes are confirmed (RET-23).
    server = await startServer({
      PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      EVIDENCE_PURGE_AFTER_DAYS: '0',
      EVIDENCE_PURGE_EXPORTED: 'true',
    });
  });
  after(async () => {
    await Promise.all(people.map((p) => p.close()));
    await server?.stop();
  });

  it('EVD-03/EVD-06/RET-23: the evidence manager opens a recording with a reason and it plays; the export passes sha256sum -c; the copies here go only after verification', async () => {
    const { services } = server.runtime;
    const { consultationId, officer, link } = await officerSendsLink(server);
    people.push(officer);
    const victim = await victimJoins(link);
    people.push(victim);
    await waitForDecodedVideo(officer.page);
    // The victim sends a photo from the call page (policy: "send photos or videos").
    const photo = pngFrame('color=blue:size=64x48');
    await victim.page.getByTestId('upload-input').setInputFiles({ name: 'injury.png', mimeType: 'image/png', buffer: photo });
    await victim.page.getByTestId('upload-send').click();
    await victim.page.getByText('Sent. The officer has been told.').waitFor({ timeout: 10_000 });
    await officer.page.locator('[data-alert][data-kind="upload"]').waitFor({ timeout: 5000 });
    await officer.page.waitForTimeout(1000);
    await officerEndsCall(officer);
    await victim.page.getByTestId('call-ended').waitFor({ timeout: 10_000 });
    let items = await services.data.repos.evidence.listByConsultation(consultationId);
    for (let i = 0; i < 50 && items.filter((item) => item.kind === 'recording').length < 2; i++) {
      await officer.page.waitForTimeout(200);
      items = await services.data.repos.evidence.listByConsultation(consultationId);
    }
    const recordings = items.filter((item) => item.kind === 'recording');
    assert.equal(recordings.length, 2, 'both sides’ recordings are evidence items');
    const upload = items.find((item) => item.kind === 'upload')!;
    assert.equal(upload.sha256, createHash('sha256').update(photo).digest('hex'), 'the photo is kept byte for byte');

    const manager = await launchParticipant();
    people.push(manager);
    await new SignInPage(manager.page).signInAndAcknowledge(server.baseUrl, 'evidence', DEMO_PASSWORD);
    const victimRecording = recordings.find((item) => item.label.includes('victim'))!;
    await manager.page.goto(`${server.baseUrl}/evidence/items/${victimRecording.id}`);
    await manager.page.getByLabel('Why do you need to open it?').fill('Preparing the case file for the CPS');
    await manager.page.getByRole('button', { name: 'Open the item' }).click();
    await manager.page.getByTestId('item-sha256').waitFor();
    assert.equal((await manager.page.getByTestId('item-sha256').textContent())?.trim(), victimRecording.sha256);
    // The browser's player reads the master by ranges and finds a playable VP8/Opus WebM.
    const playable = await evaluateWithin(manager.page, 15_000, async () => {
      const video = document.querySelector('video')!;
      if (video.readyState < 1) await new Promise((resolve, reject) => ((video.onloadedmetadata = resolve), (video.onerror = reject)));
      return { width: video.videoWidth, error: video.error?.message ?? null };
    });
    assert.equal(playable.error, null);
    assert.ok(playable.width > 0, 'the recording decodes in the browser');

    // Both sides together on one clock, each from its master.
    await manager.page.goto(`${server.baseUrl}/evidence/consultations/${consultationId}`);
    await manager.page.getByLabel('To play the whole call, with everyone in sync, give your reason').fill('Hearing the call as it happened');
    await manager.page.getByRole('button', { name: 'Play the call' }).click();
    await manager.page.getByTestId('player-play').click();
    const readPlayer = () =>
      evaluateWithin(manager.page, 5000, () =>
        [...document.querySelectorAll('video')].map((v) => ({ at: v.currentTime, offset: Number(v.dataset.offsetMs) / 1000, paused: v.paused })),
      );
    let tracks = await readPlayer();
    // A track starts at its offset on the call's clock (the victim joins seconds after the officer): wait past the last one.
    const waits = Math.ceil((Math.max(...tracks.map((track) => track.offset)) + 6) / 0.2);
    for (let i = 0; i < waits && !tracks.every((track) => track.at > 0.5); i++) {
      await manager.page.waitForTimeout(200);
      tracks = await readPlayer();
    }
    assert.equal(tracks.length, 2);
    assert.ok(
      tracks.every((track) => track.at > 0.5 && !track.paused),
      `every recording plays (${JSON.stringify(tracks)})`,
    );
    // On the call's clock (position in the file plus where it starts) the two sides are at the same moment.
    const callTimes = tracks.map((track) => track.at + track.offset);
    assert.ok(Math.abs(callTimes[0]! - callTimes[1]!) < 0.75, `the two sides stay together (${JSON.stringify(tracks)})`);

    await manager.page.goto(`${server.baseUrl}/evidence/consultations/${consultationId}`);
    await manager.page.getByRole('button', { name: 'Export to the evidence system' }).click();
    // SEC-07: an export needs a fresh step-up; the form is kept and sent again once the manager has confirmed who they are.
    await manager.page.getByRole('heading', { name: 'Confirm it is you' }).waitFor();
    await manager.page.getByLabel('Password').fill(DEMO_PASSWORD);
    await manager.page.getByRole('button', { name: 'Confirm' }).click();
    await manager.page.getByRole('button', { name: 'Send again' }).click();
    // The case page refreshes itself while the export runs.
    await manager.page.locator('[data-task-state="verified"], [data-task-state="failed"]').first().waitFor({ timeout: 30_000 });
    const [task] = await services.evidenceWork.tasks(consultationId);
    assert.equal(task!.state, 'verified', task!.error ?? '');
    const folder = path.join(path.dirname(services.mediaRoot), 'exports', task!.id);
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: folder });
    const listed = fs.readFileSync(path.join(folder, 'SHA256SUMS'), 'utf8');
    for (const item of items) assert.ok(listed.includes(item.sha256), `${item.kind} ${item.id} is in the package with its hash`);

    for (const item of items) assert.ok(fs.existsSync(path.join(services.mediaRoot, item.fileKey)), 'nothing is purged by the export itself');

    // Issue 16 §3: an investigator opens the case only once a supervisor has assigned it, through the supervisor's page.
    const investigator = await launchParticipant();
    people.push(investigator);
    await new SignInPage(investigator.page).signInAndAcknowledge(server.baseUrl, 'investigator', DEMO_PASSWORD);
    const refused = await investigator.page.goto(`${server.baseUrl}/evidence/consultations/${consultationId}`);
    assert.equal(refused?.status(), 403, 'not assigned: refused');
    const supervisor = await launchParticipant();
    people.push(supervisor);
    await new SignInPage(supervisor.page).signInAndAcknowledge(server.baseUrl, 'supervisor', DEMO_PASSWORD);
    await supervisor.page.goto(`${server.baseUrl}/evidence/consultations/${consultationId}`);
    await supervisor.page.getByTestId('case-access-link').click();
    await supervisor.page.getByLabel('Investigator', { exact: true }).selectOption({ label: 'DC Demo Investigator (investigator)' });
    await supervisor.page.getByLabel('Reason').fill('CID takes the case on');
    await supervisor.page.getByRole('button', { name: 'Assign the case' }).click();
    await supervisor.page.getByTestId('assignments').getByText('DC Demo Investigator').waitFor();
    const allowed = await investigator.page.goto(`${server.baseUrl}/evidence/consultations/${consultationId}`);
    assert.equal(allowed?.status(), 200, 'assigned: the case opens');
    await investigator.page.goto(`${server.baseUrl}/investigations`);
    await investigator.page.getByTestId('assigned-cases').waitFor();
    const purge = await services.evidenceWork.purgeExported();
    assert.equal(purge.purged, items.length);
    for (const item of items) {
      assert.ok(!fs.existsSync(path.join(services.mediaRoot, item.fileKey)));
      assert.equal((await services.data.repos.evidence.findItem(item.id))!.state, 'purged');
    }
    execFileSync('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], { cwd: folder });
  });
});
