import { PgBoss } from 'pg-boss';
import type { SqlRunner } from '../db/database.js';

/** The schema pg-boss keeps its queues in. */
export const JOB_SCHEMA = 'pgboss';
/** Where pg-boss 10's schema is set aside while its unfinished jobs move to the new one (dropped afterwards). */
export const LEGACY_JOB_SCHEMA = 'pgboss_v10';
/**
 * pg-boss 10's schema version. pg-boss 11 rewrote the schema and neither it nor 12 migrates from this one (their
 * oldest starting point is 25), so an installation that ran pg-boss 10 is upgraded here instead (ADR 0009).
 */
const PG_BOSS_10_SCHEMA_VERSION = 24;
/** The first schema pg-boss 12 migrates by itself. */
const FIRST_MIGRATABLE_SCHEMA_VERSION = 25;

export interface JobSchemaUpgrade {
  /** Unfinished pg-boss 10 jobs now queued in the new schema (0 when there was nothing to upgrade). */
  carriedOver: number;
}

async function rows<T>(runner: SqlRunner, text: string, values?: unknown[]): Promise<T[]> {
  return (await runner.executeSql(text, values)).rows as T[];
}

/** The schema version pg-boss recorded in `schema`, or undefined where it is not installed. */
export async function jobSchemaVersion(runner: SqlRunner, schema = JOB_SCHEMA): Promise<number | undefined> {
  const [table] = await rows<{ present: boolean }>(runner, 'select to_regclass($1) is not null as present', [`${schema}.version`]);
  if (!table?.present) return undefined;
  const [row] = await rows<{ version: number }>(runner, `select version from ${schema}.version`);
  return row === undefined ? undefined : Number(row.version);
}

async function legacySchemaPresent(runner: SqlRunner): Promise<boolean> {
  const [row] = await rows<{ present: boolean }>(runner, 'select to_regnamespace($1) is not null as present', [LEGACY_JOB_SCHEMA]);
  return row?.present === true;
}

function isPermissionError(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code === '42501') return true;
  return false;
}

/**
 * Upgrades a database whose job queue ran on pg-boss 10: sets its schema aside (renamed to pgboss_v10), lets pg-boss
 * install its current schema, queues the jobs pg-boss 10 had not finished (waiting, due for retry, or in progress
 * when the server stopped) in the new schema with their ids, data, priority, retry limit and start time, and drops
 * the old schema. Finished jobs and pg-boss 10's archive are not kept; cron schedules are registered again at start.
 * Does nothing on a new database or one already upgraded. Safe to re-run after a failure part way, and on several
 * nodes at once (the rename is taken under a lock; a job is inserted once by id).
 * Creating a schema needs a right on the database, so with two database roles the owner runs this (`rvr migrate`).
 */
export async function upgradeFromPgBoss10(runner: SqlRunner, backend: 'postgres' | 'pglite' = 'postgres'): Promise<JobSchemaUpgrade> {
  const version = await jobSchemaVersion(runner);
  if (version !== undefined && version < FIRST_MIGRATABLE_SCHEMA_VERSION) {
    if (version !== PG_BOSS_10_SCHEMA_VERSION) {
      throw new Error(
        `The job queue schema is pg-boss schema version ${version}, older than pg-boss 10's (${PG_BOSS_10_SCHEMA_VERSION}): upgrade it with pg-boss 10 first`,
      );
    }
    try {
      await runner.executeSql(`DO $$ BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('rvr: set pg-boss 10 aside'));
  IF to_regclass('${JOB_SCHEMA}.version') IS NOT NULL AND to_regnamespace('${LEGACY_JOB_SCHEMA}') IS NULL
     AND (SELECT version FROM ${JOB_SCHEMA}.version LIMIT 1) = ${PG_BOSS_10_SCHEMA_VERSION} THEN
    ALTER SCHEMA ${JOB_SCHEMA} RENAME TO ${LEGACY_JOB_SCHEMA};
  END IF;
END $$`);
    } catch (error) {
      if (!isPermissionError(error)) throw error;
      throw new Error(
        "The job queue's schema is pg-boss 10's and the role in DATABASE_URL may not replace it (it is the restricted application role): " +
          'run `rvr migrate` with DATABASE_MIGRATION_URL set to the owner role first (docs/operations.md)',
        { cause: error },
      );
    }
    if ((await jobSchemaVersion(runner)) !== undefined && !(await legacySchemaPresent(runner))) {
      throw new Error(`Could not set pg-boss 10's schema aside as ${LEGACY_JOB_SCHEMA}`);
    }
  }
  if (!(await legacySchemaPresent(runner))) return { carriedOver: 0 };

  // A pg-boss of our own that only installs the schema and takes jobs in: no maintenance, no cron, no workers.
  const boss = new PgBoss({ db: { executeSql: (text, values) => runner.executeSql(text, values) }, backend, supervise: false, schedule: false, migrate: true });
  boss.on('error', () => undefined);
  await boss.start();
  let carriedOver = 0;
  try {
    const queues = await rows<{ name: string }>(runner, `select name from ${LEGACY_JOB_SCHEMA}.queue where name not like '\\_\\_pgboss%' order by name`);
    for (const { name } of queues) {
      await boss.createQueue(name);
      const jobs = await rows<{
        id: string;
        data: object | null;
        priority: number;
        retry_limit: number;
        start_after: Date;
        singleton_key: string | null;
        expire_seconds: number;
      }>(
        runner,
        `select j.id, j.data, j.priority, j.retry_limit, j.start_after, j.singleton_key, extract(epoch from j.expire_in)::int as expire_seconds
           from ${LEGACY_JOB_SCHEMA}.job j
          where j.name = $1 and j.state in ('created', 'retry', 'active')
            and not exists (select 1 from ${JOB_SCHEMA}.job n where n.name = j.name and n.id = j.id)
          order by j.created_on`,
        [name],
      );
      if (jobs.length === 0) continue;
      const inserted = await boss.insert(
        name,
        jobs.map((job) => ({
          id: job.id,
          data: job.data ?? {},
          priority: job.priority,
          retryLimit: job.retry_limit,
          startAfter: new Date(job.start_after),
          singletonKey: job.singleton_key ?? undefined,
          expireInSeconds: Math.max(1, job.expire_seconds),
        })),
      );
      carriedOver += inserted?.length ?? jobs.length;
    }
  } finally {
    await boss.stop({ graceful: false, close: false });
  }
  await runner.executeSql(`DROP SCHEMA IF EXISTS ${LEGACY_JOB_SCHEMA} CASCADE`);
  return { carriedOver };
}
