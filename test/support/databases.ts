import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrationsFolder, openPglite, openPostgres, type Database } from '../../src/platform/db/database.js';

/** The server the PostgreSQL suites run against; each test file gets a fresh database on it. */
export const POSTGRES_ADMIN_URL = process.env.RVR_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

export type DatabaseKind = 'pglite' | 'postgres';

let postgresCheck: Promise<string | undefined> | undefined;
// The answer is kept, not only the promise: a file awaiting at its top level a promise made while another file was
// being loaded registers its suites under that other file's (test/support/files-in-one-process.ts, ADR 0011).
let postgresAnswer: { reason: string | undefined } | undefined;

/**
 * undefined when PostgreSQL answers; otherwise why not, said loudly once per test file. RVR_TEST_REQUIRE_POSTGRES=1
 * (CI) makes a missing server an error.
 */
export async function postgresSkipReason(): Promise<string | undefined> {
  if (postgresAnswer) return postgresAnswer.reason;
  postgresCheck ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      const reason = `PostgreSQL not reachable at ${new URL(POSTGRES_ADMIN_URL).host} (${(error as Error).message}); set RVR_TEST_POSTGRES_URL to run these tests`;
      if (process.env.RVR_TEST_REQUIRE_POSTGRES === '1') throw new Error(`RVR_TEST_REQUIRE_POSTGRES=1 but ${reason}`, { cause: error });
      process.stderr.write(`\n*** ${reason}: the PostgreSQL suites run on PGlite instead; PostgreSQL-only tests are SKIPPED ***\n`);
      return reason;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  const reason = await postgresCheck;
  postgresAnswer = { reason };
  return reason;
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

/**
 * What the migrated schema depends on: every file of the migrations folder and the PGlite version (its snapshot
 * format). A change to either builds new templates; nothing else can make a stale one look current.
 */
function migrationsKey(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(path.relative(migrationsFolder, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    }
  };
  walk(migrationsFolder);
  // The package's exports do not include its package.json; it sits beside dist/.
  const pgliteEntry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  hash.update((JSON.parse(fs.readFileSync(path.join(path.dirname(pgliteEntry), '..', 'package.json'), 'utf8')) as { version: string }).version);
  return hash.digest('hex').slice(0, 16);
}

/** Templates and snapshots of earlier migrations kept (other checkouts on the machine may still be using them). */
const KEEP_OLDER = 3;

let pgliteSnapshot: Promise<Blob> | undefined;

/**
 * A migrated PGlite cluster as a `dumpDataDir()` tarball, kept in the temp folder for later runs and test files:
 * starting from it skips both PGlite's initdb and the migrations, which together cost most of a fresh PGlite.
 * Written to a private name and renamed, so processes racing to build it never read half a file.
 */
function migratedPgliteSnapshot(): Promise<Blob> {
  pgliteSnapshot ??= (async () => {
    const prefix = 'rvr-test-pglite-';
    const file = path.join(os.tmpdir(), `${prefix}${migrationsKey()}.tar`);
    try {
      return new Blob([fs.readFileSync(file)]);
    } catch {
      // Not built yet for these migrations: build it.
    }
    const client = await PGlite.create('memory://');
    await migratePglite(drizzlePglite(client) as never, { migrationsFolder });
    const dump = await client.dumpDataDir('none');
    await client.close();
    const partial = `${file}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(partial, file);
    const older = fs
      .readdirSync(os.tmpdir())
      .filter((name) => name.startsWith(prefix) && name.endsWith('.tar'))
      .map((name) => path.join(os.tmpdir(), name))
      .filter((other) => other !== file)
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    for (const stale of older.slice(KEEP_OLDER)) fs.rmSync(stale, { force: true });
    return dump;
  })();
  return pgliteSnapshot;
}

/**
 * A PGlite cluster folder already migrated (from the snapshot above), made once per migrations key and kept in the
 * temporary folder like the snapshot; process-level tests copy it (test/support/pglite-cluster.ts).
 */
export async function migratedPgliteClusterFolder(): Promise<string> {
  const folder = path.join(os.tmpdir(), `rvr-test-migrated-pglite-${migrationsKey()}`);
  if (fs.existsSync(path.join(folder, 'PG_VERSION'))) return folder;
  const building = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-test-building-pglite-'));
  const client = await PGlite.create(building, { loadDataDir: await migratedPgliteSnapshot() });
  await client.close();
  try {
    fs.renameSync(building, folder);
  } catch {
    // Another test file made it at the same time: use theirs.
    fs.rmSync(building, { recursive: true, force: true });
  }
  return folder;
}

let postgresTemplate: Promise<string> | undefined;

/**
 * A PostgreSQL database migrated once for these migrations, which each test database is copied from
 * (CREATE DATABASE … TEMPLATE). Test processes racing to build it are serialised by an advisory lock; the one that
 * builds migrates a private database and renames it, so a template's name always means a finished migration.
 */
function migratedPostgresTemplate(): Promise<string> {
  postgresTemplate ??= (async () => {
    const prefix = 'rvr_test_template_';
    const name = `${prefix}${migrationsKey()}`;
    const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await client.connect();
    try {
      await client.query(`select pg_advisory_lock(hashtext('rvr test template'))`);
      const existing = await client.query<{ datname: string }>(
        `select datname from pg_database where datname like 'rvr\\_test\\_template\\_%' order by oid desc`,
      );
      const names = existing.rows.map((row) => row.datname);
      if (names.includes(name)) return name;
      // Under the lock nobody else is building: a half-built template is a crashed run's.
      for (const stale of [...names.filter((n) => n.includes('_building')), ...names.filter((n) => !n.includes('_building')).slice(KEEP_OLDER)])
        await client.query(`DROP DATABASE IF EXISTS ${stale} WITH (FORCE)`);
      const building = `${name}_building`;
      await client.query(`CREATE DATABASE ${building}`);
      const url = new URL(POSTGRES_ADMIN_URL);
      url.pathname = `/${building}`;
      const database = await openPostgres(url.toString(), 1);
      try {
        await database.migrate();
      } finally {
        await database.close();
      }
      await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      return name;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresTemplate;
}

export interface TestDatabase {
  database: Database;
  /** Connection URL for PostgreSQL (undefined for in-memory PGlite). */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A fresh, migrated database of the given kind, copied from the migrated template; runs never see each other's data. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const database = await openPglite(undefined, { loadDataDir: await migratedPgliteSnapshot() });
    await database.migrate(); // nothing pending: a check that the snapshot is current
    return { database, url: undefined, drop: () => database.close() };
  }
  const template = await migratedPostgresTemplate();
  const name = `rvr_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  // A test database need not survive a crash of the server: commits return without waiting for the disk flush.
  await adminQuery(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const database = await openPostgres(url.toString(), 5);
  await database.migrate(); // nothing pending: a check that the template is current
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
 * The database most suites run on: PostgreSQL, production's database. Without a reachable server they run on
 * PGlite instead, loudly, so a laptop without PostgreSQL still runs every test (CI sets RVR_TEST_REQUIRE_POSTGRES=1,
 * which makes a missing server an error instead).
 */
export async function primaryDatabaseKind(): Promise<DatabaseKind> {
  return (await postgresSkipReason()) ? 'pglite' : 'postgres';
}

/**
 * A suite on PostgreSQL (or, without a server, on PGlite: see primaryDatabaseKind). Its name says which ran.
 * Behaviour that differs between the two databases belongs in a describeOnEachDatabase suite instead.
 */
export async function describeOnDatabase(name: string, suite: (kind: DatabaseKind) => void): Promise<void> {
  const kind = await primaryDatabaseKind();
  describe(`${name} [${kind}]`, () => suite(kind));
}

/**
 * The PGlite compatibility suites: the same suite on embedded PGlite and on PostgreSQL, for what the two databases
 * could do differently (migrations, transactions and locks, LISTEN/NOTIFY, the job adapter, the audit trigger).
 * PostgreSQL is skipped, loudly, only when no server answers (never in CI, where RVR_TEST_REQUIRE_POSTGRES=1 turns
 * that into a failure).
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
