// Audit append throughput and chain verification speed on PGlite (and PostgreSQL when reachable).
// Run: npx tsx bench/audit-append.ts [events]
import { dataAccess } from '../src/composition.js';
import { AuditTrail } from '../src/platform/audit/audit-trail.js';
import { createTestDatabase, postgresSkipReason, type DatabaseKind } from '../test/support/databases.js';
import { printMachine } from './machine.js';

const events = Number(process.argv[2] ?? 2000);
printMachine();
const context = { actor: { type: 'system' as const, name: 'bench' }, correlationId: 'bench' };

async function run(kind: DatabaseKind): Promise<void> {
  const db = await createTestDatabase(kind);
  try {
    const data = dataAccess(db.database);
    const trail = new AuditTrail();
    const started = performance.now();
    for (let i = 0; i < events; i += 1) {
      await data.transaction((tx) =>
        trail.record(tx.audit, context, { what: 'bench.event', subject: `consultation:${i}`, details: { i, note: 'x'.repeat(100) } }),
      );
    }
    const appendMs = performance.now() - started;
    const verifyStarted = performance.now();
    const result = await trail.verify(data.repos.audit);
    const verifyMs = performance.now() - verifyStarted;
    console.log(
      `${kind.padEnd(8)} append: ${events} events in ${appendMs.toFixed(0)} ms = ${((events / appendMs) * 1000).toFixed(0)} events/s (${(appendMs / events).toFixed(2)} ms each, sequential)` +
        ` | verify: ${result.checked} events in ${verifyMs.toFixed(0)} ms = ${((result.checked / verifyMs) * 1000).toFixed(0)} events/s | rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
    );
  } finally {
    await db.drop();
  }
}

await run('pglite');
if (!(await postgresSkipReason())) await run('postgres');
