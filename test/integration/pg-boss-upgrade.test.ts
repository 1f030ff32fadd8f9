import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import PgBoss10 from 'pg-boss-v10';
import { createLogger } from '../../src/platform/logging/logger.js';
import { JobQueue } from '../../src/platform/jobs/job-queue.js';
import { jobSchemaVersion, LEGACY_JOB_SCHEMA } from '../../src/platform/jobs/pg-boss-upgrade.js';
import { createTestDatabase, describeOnEachDatabase, type TestDatabase } from '../support/databases.js';

/**
 * An installation that ran pg-boss 10 (the real one, from the `pg-boss-v10` dev dependency) upgrades in place when
 * the server starts on pg-boss 12: the jobs 10 had not finished are worked, the finished ones are not, the old
 * schema is gone, and a second start changes nothing.
 */
async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

await describeOnEachDatabase('upgrading the job queue from pg-boss 10', (kind) => {
  let test: TestDatabase;
  const ids: Record<string, string> = {};

  before(async () => {
    test = await createTestDatabase(kind);
    const runner = test.database.sqlRunner;
    const old = new PgBoss10({ db: { executeSql: (text, values) => runner.executeSql(text, values as unknown[]) }, supervise: false, schedule: true });
    old.on('error', () => undefined);
    await old.start();
    await old.createQueue('legacy.echo');
    ids.done = (await old.send('legacy.echo', { n: 1 }))!;
    const [fetched] = await old.fetch<{ n: number }>('legacy.echo');
    assert.equal(fetched?.id, ids.done);
    await old.complete('legacy.echo', ids.done);
    ids.waiting = (await old.send('legacy.echo', { n: 2 }, { priority: 3 }))!;
    ids.later = (await old.send('legacy.echo', { n: 3 }, { startAfter: 1 }))!;
    await old.createQueue('legacy.cron');
    await old.schedule('legacy.cron', '0 4 * * *', {});
    await old.stop({ graceful: false, wait: true, close: false });
  });
  after(async () => {
    await test.drop();
  });

  it('starts from pg-boss 10 schema version 24', async () => {
    assert.equal(await jobSchemaVersion(test.database.sqlRunner), 24);
  });

  it('works the jobs pg-boss 10 had not finished, once, after the upgrade at start', async () => {
    const seen: { n: number }[] = [];
    const jobs = new JobQueue(test.database.sqlRunner, createLogger({ level: 'silent' }), 0.5);
    jobs.register<{ n: number }>('legacy.echo', async (data) => {
      seen.push(data);
    });
    await jobs.start();
    try {
      assert.ok(((await jobSchemaVersion(test.database.sqlRunner)) ?? 0) > 24);
      const [legacy] = (await test.database.sqlRunner.executeSql('select to_regnamespace($1) is not null as present', [LEGACY_JOB_SCHEMA])).rows as {
        present: boolean;
      }[];
      assert.equal(legacy?.present, false);
      await waitFor('the carried-over jobs', () => (seen.length >= 2 ? seen : undefined));
      await jobs.send('legacy.echo', { n: 4 });
      await waitFor('a new job', () => (seen.length >= 3 ? seen : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(seen.map((d) => d.n).sort(), [2, 3, 4]);
    } finally {
      await jobs.stop(2000);
    }
    const carried = (await test.database.sqlRunner.executeSql('select id from pgboss.job where id = any($1::uuid[])', [[ids.waiting, ids.later, ids.done]]))
      .rows as {
      id: string;
    }[];
    assert.deepEqual(carried.map((r) => r.id).sort(), [ids.waiting, ids.later].sort());
  });

  it('changes nothing on the next start', async () => {
    const version = await jobSchemaVersion(test.database.sqlRunner);
    const seen: unknown[] = [];
    const jobs = new JobQueue(test.database.sqlRunner, createLogger({ level: 'silent' }), 0.5);
    jobs.register('legacy.echo', async (data) => {
      seen.push(data);
    });
    await jobs.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await jobs.stop(2000);
    assert.deepEqual(seen, []);
    assert.equal(await jobSchemaVersion(test.database.sqlRunner), version);
  });
});
