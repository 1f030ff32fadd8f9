import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/platform/db/database.js';

/** The server the PostgreSQL half of the suite runs against; each test file gets a fresh database on it. */
export const POSTGRES_ADMIN_URL = process.env.RVR_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

export type DatabaseKind = 'pglite' | 'postgres';

let postgresCheck: Promise<string | undefined> | undefined;

/** undefined when PostgreSQL answers; otherwise why its tests are skipped. */
export function postgresSkipReason(): Promise<string | undefined> {
  postgresCheck ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      const reason = `PostgreSQL not reachable at ${new URL(POSTGRES_ADMIN_URL).host} (${(error as Error).message}); set RVR_TEST_POSTGRES_URL to run these tests`;
      if (process.env.RVR_TEST_REQUIRE_POSTGRES === '1') throw new Error(`RVR_TEST_REQUIRE_POSTGRES=1 but ${reason}`, { cause: error });
      process.stderr.write(`\n*** SKIPPING PostgreSQL tests: ${reason} ***\n`);
      return reason;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresCheck;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  database: Database;
  /** Connection URL for PostgreSQL (undefined for in-memory PGlite). */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, migrated database of the given kind; runs never see each other's data. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openPglite(undefined);
    await database.migrate();
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `rvr_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openPostgres(url.toString(), 5);
  await database.migrate();
  let dropped = false;
  return {
    database,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await database.close().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Runs the same suite on embedded PGlite and on a real PostgreSQL server. PostgreSQL is skipped, loudly,
 * only when no server answers (never in CI, where RVR_TEST_REQUIRE_POSTGRES=1 turns that into a failure).
 */
export async function describeOnEachDatabase(name: string, suite: (kind: DatabaseKind) => void): Promise<void> {
  const skip = await postgresSkipReason();
  describe(`${name} [pglite]`, () => suite('pglite'));
  describe(`${name} [postgres]`, { skip }, () => suite('postgres'));
}

/** Rows of a raw query, for tests that look behind the services' backs. */
export async function queryRows<T>(database: Database, query: SQL): Promise<T[]> {
  const result: unknown = await database.db.execute(query);
  return (result as { rows: T[] }).rows;
}
