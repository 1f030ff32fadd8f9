// Evidence throughput: integrity re-hashing and export-to-folder, in MiB/s, and memory (PGlite, PostgreSQL).
// Evidence throughput: the integrity job re-hashing masters, and an export package built and delivered to the
// folder sink (re-hashed while packed, then read back), on PGlite (and PostgreSQL when reachable).
// Run: npx tsx bench/evidence.ts [items] [MiB per item]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from '../src/config.js';
import { UNFINISHED_TASK_STATES } from '../src/features/evidence/evidence-work.service.js';
import { services as buildServices } from '../src/composition.js';
import { createTestDatabase, postgresSkipReason, type DatabaseKind } from '../test/support/databases.js';
import { allowRoundTheClock, contextFor, createUser, newCall } from '../test/support/test-app.js';
import { printMachine } from './machine.js';

const itemCount = Number(process.argv[2] ?? 20);
const mibPerItem = Number(process.argv[3] ?? 8);
printMachine();

async function run(kind: DatabaseKind): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-bench-evidence-'));
  const db = await createTestDatabase(kind);
  try {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, UPLOAD_MAX_PER_CALL: String(itemCount), UPLOAD_MAX_MB: String(mibPerItem * 2 + 1) });
    const services = buildServices({ config, database: db.database });
    const handler = await createUser(services, 'bench-handler', ['call_handler']);
    const officer = await createUser(services, 'bench-officer', ['rvr_officer']);
    const manager = await createUser(services, 'bench-manager', ['evidence_manager']);
    await allowRoundTheClock(services);
    const { consultation } = await newCall(services, handler);
    await services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(services.smsOutbox!.list()[0]!.body)![1]!;
    const { sessionSecret } = await services.calls.links.redeemLink(token, undefined, 'bench');
    const session = (await services.calls.links.resolveLinkSession(sessionSecret))!;
    const context = services.calls.links.linkContext(session, 'bench');
    await services.calls.consent.giveConsent(context, session, { video: true, recording: true });
    for (let i = 0; i < itemCount; i++) {
      // A WebM header then random bytes: the size of a recording segment, as far as hashing and copying care.
      const bytes = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), randomBytes(mibPerItem * 1048576 - 4)]);
      await services.calls.uploads.saveUpload(context, session, Readable.from([bytes]));
    }
    const totalMiB = itemCount * mibPerItem;

    let started = performance.now();
    const check = await services.evidence.disposal.checkIntegrity();
    const integrityMs = performance.now() - started;

    started = performance.now();
    const task = await services.evidenceWork.requestExport(contextFor(manager), consultation.id);
    let state = task.state;
    while (UNFINISHED_TASK_STATES.includes(state)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = (await services.evidenceWork.task(task.id)).state;
    }
    const exportMs = performance.now() - started;
    console.log(
      `${kind.padEnd(8)} ${itemCount} items × ${mibPerItem} MiB | integrity: ${check.checked} masters in ${integrityMs.toFixed(0)} ms = ${((totalMiB / integrityMs) * 1000).toFixed(0)} MiB/s` +
        ` | export to folder (${state}): ${exportMs.toFixed(0)} ms = ${((totalMiB / exportMs) * 1000).toFixed(0)} MiB/s of media` +
        ` | rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
    );
    await services.callRooms.shutdown();
  } finally {
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await run('pglite');
if (!(await postgresSkipReason())) await run('postgres');
