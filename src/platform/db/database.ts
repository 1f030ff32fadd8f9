import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
/**
 * A drizzle handle: the database itself or an open transaction (repositories accept either). Repositories import the
 * tables they use from their feature's `*.schema.ts`; no relational query API is used, so no schema object is bound.
 */
export type Executor = PgDatabase<PgQueryResultHKT>;

/** What pg-boss needs to run its SQL on the same database (its `db` option). */
export interface SqlRunner {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
  /** Which pg-boss backend profile this is (its `backend` option). */
  backend?: 'pglite' | 'postgres';
}

export interface Database {
  kind: 'pglite' | 'postgres';
  /** Where the data lives, without credentials: safe to log. */
  description: string;
  db: Executor;
  sqlRunner: SqlRunner;
  /** Runs `work` in one transaction: everything it writes commits together or not at all. */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  /** LISTEN on a channel; NOTIFYs sent inside a transaction arrive only once it commits. Returns a stop function. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  /** The database server's clock (EVD-05: compared with this server's). */
  serverTime(): Promise<Date>;
  close(): Promise<void>;
}

/** Closing twice (say, a failed start and then shutdown) is harmless. */
function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

/** The SQL migrations, applied in order (drizzle-kit writes them; `db:generate`). */
export const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/** How many migrations this database has not had yet (drizzle applies those newer than the last one recorded). */
async function pendingMigrations(db: Executor): Promise<number> {
  const migrations = readMigrationFiles({ migrationsFolder });
  const rows = (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows;
  const [table] = rows(await db.execute(sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`));
  if (!table?.present) return migrations.length;
  const [last] = rows(await db.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`));
  return migrations.filter((m) => !last || Number(last.created_at) < m.folderMillis).length;
}

function isPermissionError(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code === '42501') return true;
  return false;
}

/**
 * Applies pending migrations; with none pending it runs no DDL at all, so the application's restricted role
 * (issue 12: it may not own tables) can start once the owner role has migrated.
 */
async function migrateIfPending(db: Executor, run: () => Promise<void>): Promise<void> {
  if ((await pendingMigrations(db)) === 0) return;
  try {
    await run();
  } catch (error) {
    if (!isPermissionError(error)) throw error;
    throw new Error(
      'Database migrations are pending and the role in DATABASE_URL may not apply them (it is the restricted application role): ' +
        'run `rvr migrate` with DATABASE_MIGRATION_URL set to the owner role, or set DATABASE_MIGRATION_URL for the server (docs/operations.md)',
      { cause: error },
    );
  }
}

/** `loadDataDir` starts from a `dumpDataDir()` tarball instead of an empty cluster (the tests' migrated snapshot). */
export async function openPglite(dataDir: string | undefined, options: { loadDataDir?: Blob } = {}): Promise<Database> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir ?? 'memory://', options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  const db = drizzlePglite(client) as unknown as Executor;
  return {
    kind: 'pglite',
    description: dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite in memory',
    db,
    sqlRunner: {
      backend: 'pglite',
      async executeSql(text, values) {
        try {
          // pg-boss sends multi-statement scripts without parameters; only exec() accepts those. Their rows are
          // joined, as pg-boss's own PGlite adapter does: a RETURNING inside BEGIN … COMMIT must not be lost.
          if (!values || values.length === 0) {
            const results = await client.exec(text);
            return { rows: results.flatMap((r) => r.rows ?? []), rowCount: results[results.length - 1]?.affectedRows ?? 0 };
          }
          const result = await client.query(text, values);
          return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
        } catch (error) {
          // One connection: a script that failed inside BEGIN … COMMIT would leave it in an aborted transaction
          // that fails every later statement. Outside a transaction this ROLLBACK is a harmless warning.
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
    },
    transaction: (work) => db.transaction((tx) => work(tx as unknown as Executor)),
    migrate: () => migrateIfPending(db, () => migratePglite(db as never, { migrationsFolder })),
    listen: async (channel, onMessage) => {
      const stop = await client.listen(channel, onMessage);
      return () => stop();
    },
    ping: async () => {
      await client.query('select 1');
    },
    serverTime: async () => {
      const result = await client.query<{ now: string | Date }>('select clock_timestamp() as now');
      return new Date(result.rows[0]!.now);
    },
    close: closeOnce(() => client.close()),
  };
}

export function describePostgresUrl(url: string): string {
  const parsed = new URL(url);
  return `PostgreSQL at ${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

export async function openPostgres(url: string, poolSize = 10): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = drizzlePg(pool) as unknown as Executor;
  return {
    kind: 'postgres',
    description: describePostgresUrl(url),
    db,
    sqlRunner: {
      backend: 'postgres',
      async executeSql(text, values) {
        // pg answers a multi-statement script (pg-boss sends them without parameters) with one result per statement.
        // pg-boss 12 reads the rows of every statement (its claims put their lock row first and COMMIT last), so the
        // rows are joined as for PGlite; returning only `.rows` of the array made them undefined, and pg-boss's
        // monitor, maintenance and command claims failed every minute on PostgreSQL.
        const result = (await pool.query(text, values)) as pg.QueryResult | pg.QueryResult[];
        if (Array.isArray(result)) return { rows: result.flatMap((r): unknown[] => r.rows ?? []), rowCount: result[result.length - 1]?.rowCount ?? 0 };
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      },
    },
    transaction: (work) => db.transaction((tx) => work(tx as unknown as Executor)),
    migrate: () => migrateIfPending(db, () => migratePg(db as never, { migrationsFolder })),
    listen: async (channel, onMessage) => {
      // A dedicated connection: a pooled one could be handed to someone else between notifications.
      const listener = new pg.Client({ connectionString: url });
      listener.on('error', () => undefined);
      await listener.connect();
      listener.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) onMessage(message.payload);
      });
      await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return () => listener.end();
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    serverTime: async () => {
      const result = await pool.query<{ now: Date }>('select clock_timestamp() as now');
      return new Date(result.rows[0]!.now);
    },
    close: closeOnce(() => pool.end()),
  };
}

/** The embedded database's folder under DATA_DIR. */
export function pgliteDirOf(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

export function openDatabase(options: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(pgliteDirOf(options.dataDir));
}
