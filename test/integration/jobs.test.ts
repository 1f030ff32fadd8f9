import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createLogger } from '../../src/platform/logging/logger.js';
import { JobQueue } from '../../src/platform/jobs/job-queue.js';
import { sql } from 'drizzle-orm';
import { hashToken } from '../../src/features/identity/auth.service.js';
import { describeOnEachDatabase, queryRows } from '../support/databases.js';
import { buildTestApp, createUser, type TestApp } from '../support/test-app.js';

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

await describeOnEachDatabase('background jobs on pg-boss', (kind) => {
  let t: TestApp;
  let jobs: JobQueue;
  const worked: unknown[] = [];
  let now = new Date();

  before(async () => {
    t = await buildTestApp(kind, { now: () => now });
    jobs = new JobQueue(t.db.database.sqlRunner, createLogger({ level: 'silent' }), 0.5);
    jobs.register<{ n: number }>('test.echo', async (data) => {
      worked.push(data);
    });
    jobs.register('sessions.expire', () => t.services.auth.expireStaleSessions());
    jobs.register<{ taskId: string }>('test.slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
    });
    await jobs.start();
  });
  after(async () => {
    await jobs.stop();
    await t.close();
  });

  it('the adapter returns the rows of every statement of a script, as pg-boss 12 requires (its claims, monitor and maintenance)', async () => {
    const result = await t.db.database.sqlRunner.executeSql(`begin; select 1 as first; select 2 as second; commit`);
    assert.deepEqual(result.rows, [{ first: 1 }, { second: 2 }]);
    const single = await t.db.database.sqlRunner.executeSql('select $1::int as only', [3]);
    assert.deepEqual(single.rows, [{ only: 3 }]);
  });

  it('works a job that was sent', async () => {
    await jobs.send('test.echo', { n: 42 });
    await waitFor('the echo job', async () => (worked.length > 0 ? worked : undefined));
    assert.deepEqual(worked, [{ n: 42 }]);
  });

  it('ADR 0013: a job still queued or being worked is seen from any node, so a restarting node does not queue it again', async () => {
    assert.equal(await jobs.hasUnfinished('test.slow', { taskId: 'task-1' }), false);
    await jobs.send('test.slow', { taskId: 'task-1' });
    assert.equal(await jobs.hasUnfinished('test.slow', { taskId: 'task-1' }), true);
    assert.equal(await jobs.hasUnfinished('test.slow', { taskId: 'task-2' }), false);
    await waitFor('the slow job to finish', async () => ((await jobs.hasUnfinished('test.slow', { taskId: 'task-1' })) ? undefined : true));
  });

  it('ends idle sessions in the session-expiry job and audits it', async () => {
    await createUser(t.services, 'sleepy', ['rvr_officer']);
    const signedIn = await t.services.auth.signIn('sleepy', 'correct-horse-battery-staple', {
      userAgent: 'test',
      clientIp: '127.0.0.1',
      correlationId: 'corr-1',
    });
    assert.ok(signedIn.ok);
    assert.ok(await t.services.auth.resolveSession(signedIn.token));
    now = new Date(now.getTime() + 16 * 60_000); // past the 15-minute idle limit
    await jobs.send('sessions.expire', {});
    const endedReason = await waitFor('the session to be ended', async () => {
      const rows = await queryRows<{ ended_reason: string | null }>(
        t.db.database,
        sql`select ended_reason from sessions where token_hash = ${hashToken(signedIn.token)}`,
      );
      return rows[0]?.ended_reason ?? undefined;
    });
    assert.equal(endedReason, 'expired');
    assert.equal(await t.services.auth.resolveSession(signedIn.token), undefined);
    assert.ok(await t.services.data.repos.audit.exists('sessions.expired'));
  });
});
