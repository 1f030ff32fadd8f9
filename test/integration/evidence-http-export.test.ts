import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { UNFINISHED_TASK_STATES } from '../../src/features/evidence/evidence-work.service.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, contextFor, createUser, newCall, type TestApp } from '../support/test-app.js';
import { pngFrame } from '../support/media-fixtures.js';

const SECRET = 'receiver-shared-secret-0123456789abcdef';

/** A DEMS receiver that checks our signature and answers with hashes that are wrong for one file. */
function startLyingReceiver() {
  const seen: { signed: boolean }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const expected = createHmac('sha256', SECRET)
        .update(`${String(request.headers['x-rvr-timestamp'])}.`)
        .update(body)
        .digest('hex');
      seen.push({ signed: request.headers['x-rvr-signature'] === `sha256=${expected}` });
      const names = [...body.toString('latin1').matchAll(/name="([^"]+)"/g)].map((m) => m[1]!);
      const sha256 = Object.fromEntries(names.map((name) => [name, name === 'manifest.json' ? '0'.repeat(64) : 'f'.repeat(64)]));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ reference: 'DEMS-42', sha256 }));
    });
  });
  return { server, seen };
}

await describeOnDatabase('evidence export to an HTTP receiver (EVD-06)', (kind) => {
  let t: TestApp;
  const receiver = startLyingReceiver();
  before(async () => {
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    const port = (receiver.server.address() as AddressInfo).port;
    t = await buildTestApp(kind, { env: { EVIDENCE_SINK: 'http', EVIDENCE_HTTP_URL: `http://127.0.0.1:${port}/ingest`, EVIDENCE_HTTP_SECRET: SECRET } });
    await allowRoundTheClock(t.services);
  });
  after(async () => {
    await t.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  it('a receiver answering the wrong hashes fails the export with the reason; nothing is purged and the copies are kept', async () => {
    const handler = await createUser(t.services, 'hx-handler', ['call_handler']);
    const officer = await createUser(t.services, 'hx-officer', ['rvr_officer']);
    const manager = await createUser(t.services, 'hx-manager', ['evidence_manager']);
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    const png = pngFrame('color=green:size=16x16');
    await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, png);
    const [item] = await t.services.data.repos.evidence.listByConsultation(consultation.id);

    const task = await t.services.evidenceWork.requestExport(contextFor(manager), consultation.id);
    let finished = task;
    for (let i = 0; i < 100 && UNFINISHED_TASK_STATES.includes(finished.state); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = await t.services.evidenceWork.task(task.id);
    }
    assert.equal(finished.state, 'failed');
    assert.match(finished.error ?? '', /hashes do not match/);
    assert.ok(receiver.seen.length >= 1 && receiver.seen.every((r) => r.signed), 'every request carried a valid signature');
    assert.equal((finished.receipt as { reference: string }).reference, 'DEMS-42', 'what the receiver said is kept');
    assert.deepEqual(await t.services.evidenceWork.purgeExported(), { purged: 0, held: 0 });
    assert.equal((await t.services.data.repos.evidence.findItem(item!.id))!.state, 'present');
    assert.ok(fs.existsSync(path.join(t.services.mediaRoot, item!.fileKey)));
  });
});
