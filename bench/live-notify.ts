// Latency from a committed change to a LISTENing hub (what drives the live queue), on PGlite and PostgreSQL.
// Run: npx tsx bench/live-notify.ts [changes]
import { dataAccess } from '../src/composition.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { LiveHub } from '../src/platform/live/live-hub.js';
import { createTestDatabase, postgresSkipReason, type DatabaseKind } from '../test/support/databases.js';
import { printMachine } from './machine.js';

const changes = Number(process.argv[2] ?? 500);
printMachine();

async function run(kind: DatabaseKind): Promise<void> {
  const db = await createTestDatabase(kind);
  const hub = new LiveHub(createLogger({ level: 'silent' }));
  await hub.start(db.database);
  try {
    const data = dataAccess(db.database);
    const latencies: number[] = [];
    for (let i = 0; i < changes; i += 1) {
      const id = `bench-${i}`;
      const heard = new Promise<void>((resolve) => {
        const stop = hub.subscribe((event) => {
          if (event.type === 'consultation' && event.id === id) {
            stop();
            resolve();
          }
        });
      });
      const started = performance.now();
      await data.transaction((tx) => tx.live.notify({ type: 'consultation', id, state: 'queued', at: new Date().toISOString() }));
      await heard;
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
    console.log(`${kind.padEnd(8)} ${changes} commits → heard: p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`);
  } finally {
    await hub.close();
    await db.drop();
  }
}

await run('pglite');
if (!(await postgresSkipReason())) await run('postgres');
