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
import pg from 'pg';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A drizzle handle: the database itself or an open transaction (repositories accept either). */
export type Executor = PgDatabase<PgQueryResultHKT, Schema>;

/** What pg-boss needs to run its SQL on the same database (its `db` option). */
export interface SqlRunner {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
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
  close(): Promise<void>;
}

/** Closing twice (say, a failed start and then shutdown) is harmless. */
function closeOnce(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create(dataDir ?? 'memory://');
  const db = drizzlePglite(client, { schema }) as unknown as Executor;
  return {
    kind: 'pglite',
    description: dataDir ? `embedded PGlite at ${dataDir}` : 'embedded PGlite in memory',
    db,
    sqlRunner: {
      async executeSql(text, values) {
        // pg-boss sends multi-statement scripts without parameters; only exec() accepts those.
        if (!values || values.length === 0) {
          const results = await client.exec(text);
          const last = results[results.length - 1];
          return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
        }
        const result = await client.query(text, values);
        return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
      },
    },
    transaction: (work) => db.transaction((tx) => work(tx as unknown as Executor)),
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    listen: async (channel, onMessage) => {
      const stop = await client.listen(channel, onMessage);
      return () => stop();
    },
    ping: async () => {
      await client.query('select 1');
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
  const db = drizzlePg(pool, { schema }) as unknown as Executor;
  return {
    kind: 'postgres',
    description: describePostgresUrl(url),
    db,
    sqlRunner: {
      async executeSql(text, values) {
        const result = await pool.query(text, values);
        return { rows: result.rows, rowCount: result.rowCount ?? 0 };
      },
    },
    transaction: (work) => db.transaction((tx) => work(tx as unknown as Executor)),
    migrate: () => migratePg(db as never, { migrationsFolder }),
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
    close: closeOnce(() => pool.end()),
  };
}

export function openDatabase(options: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(path.join(options.dataDir, 'pglite'));
}
