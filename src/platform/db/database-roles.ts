import { sql } from 'drizzle-orm';
import { getConstructionPlans } from 'pg-boss';
import { JOB_SCHEMA, upgradeFromPgBoss10 } from '../jobs/pg-boss-upgrade.js';
import { openPostgres, type Database } from './database.js';

/**
 * Issue 12 (DP-01): two database roles. The owner role owns the schema and runs migrations; the application
 * connects as a role that may only SELECT and INSERT on the append-only tables, owns none of them, and so can
 * neither change history nor switch the append-only triggers off. docs/operations.md prints these statements.
 */

/** Tables the application may only read and add to (each also has an append-only trigger). */
export const APPEND_ONLY_TABLES = ['audit_events', 'evaluation_allocations'] as const;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The role a postgres:// URL connects as. */
export function roleOfUrl(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

/**
 * What the owner role runs (after migrating) so that `appRole` can run the application and nothing more.
 * Idempotent: `rvr migrate` runs it after every migration, so tables added later are covered too.
 */
export function applicationRoleGrants(appRole: string): string[] {
  const app = quoteIdentifier(appRole);
  const appLiteral = quoteLiteral(appRole);
  const appendOnly = APPEND_ONLY_TABLES.join(', ');
  return [
    // The owner must be able to act as the application role to hand it the job queue's schema (below).
    `DO $$ BEGIN
  IF NOT pg_has_role(current_user, ${appLiteral}, 'MEMBER') THEN
    RAISE EXCEPTION 'the owner role % must be a member of % first: as a role with CREATEROLE, run GRANT % TO %', current_user, ${appLiteral}, ${appLiteral}, current_user;
  END IF;
END $$`,
    // No objects of the application's own: it cannot create a table (or a temporary one) that shadows audit_events.
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    `DO $$ BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), ${appLiteral});
END $$`,
    `GRANT USAGE ON SCHEMA public TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`,
    `REVOKE ALL ON ${appendOnly} FROM ${app}`,
    `GRANT SELECT, INSERT ON ${appendOnly} TO ${app}`,
    // Tables a later migration adds are the application's to use; `rvr migrate` re-runs these grants anyway.
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app}`,
    // The application checks at start whether any migration is pending.
    `GRANT USAGE ON SCHEMA drizzle TO ${app}`,
    `GRANT SELECT ON drizzle.__drizzle_migrations TO ${app}`,
    // pg-boss creates a table per job queue when the application first registers it, so the application owns the
    // job queue's schema (and nothing else). The owner installs it (creating a schema needs a right on the database
    // the application does not have), then hands it over; an installation that ran as one role is handed over too.
    `DO $$
DECLARE
  app text := ${appLiteral};
  r record;
BEGIN
  IF to_regnamespace('pgboss') IS NULL THEN
    RAISE EXCEPTION 'install the job queue schema first: run rvr db grants (or rvr migrate) rather than these statements by hand';
  END IF;
  EXECUTE format('ALTER SCHEMA pgboss OWNER TO %I', app);
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'pgboss' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) <> app LOOP
    EXECUTE format('ALTER TABLE pgboss.%I OWNER TO %I', r.relname, app);
  END LOOP;
  FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'pgboss' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> app LOOP
    EXECUTE format('ALTER SEQUENCE pgboss.%I OWNER TO %I', r.relname, app);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS routine FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'pgboss' AND pg_get_userbyid(p.proowner) <> app LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.routine, app);
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = 'pgboss' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> app LOOP
    EXECUTE format('ALTER TYPE pgboss.%I OWNER TO %I', r.typname, app);
  END LOOP;
END $$`,
  ];
}

/**
 * Installs the job queue's schema if it is not there yet (upgrading pg-boss 10's, which needs the right to create a
 * schema that only the owner has), then runs the grants, over the owner role's connection.
 */
export async function grantApplicationRole(owner: Database, appRole: string): Promise<void> {
  await upgradeFromPgBoss10(owner.sqlRunner, owner.sqlRunner.backend);
  const [installed] = (await owner.sqlRunner.executeSql(`select to_regclass('${JOB_SCHEMA}.version') is not null as present`)).rows as {
    present: boolean;
  }[];
  if (!installed?.present) await owner.sqlRunner.executeSql(getConstructionPlans(JOB_SCHEMA));
  for (const statement of applicationRoleGrants(appRole)) await owner.db.execute(sql.raw(statement));
}

/**
 * Migrates as the owner role (DATABASE_MIGRATION_URL) and grants the application role (DATABASE_URL's user) what it
 * needs. Does nothing without DATABASE_MIGRATION_URL: the database is then migrated over DATABASE_URL as before.
 */
export async function migrateAsOwner(options: { databaseUrl: string | undefined; databaseMigrationUrl: string | undefined }): Promise<{ grantedTo?: string }> {
  if (!options.databaseUrl || !options.databaseMigrationUrl) return {};
  const owner = await openPostgres(options.databaseMigrationUrl, 1);
  try {
    await owner.migrate();
    const appRole = roleOfUrl(options.databaseUrl);
    if (!appRole || appRole === roleOfUrl(options.databaseMigrationUrl)) return {};
    await grantApplicationRole(owner, appRole);
    return { grantedTo: appRole };
  } finally {
    await owner.close();
  }
}

/** What the connected role could do to the audit table beyond reading and adding to it. */
export interface AuditTableRisks {
  role: string;
  /** Each, in words; empty when the role can only SELECT and INSERT. */
  risks: string[];
}

export async function auditTableRisks(database: Database): Promise<AuditTableRisks> {
  const result: unknown = await database.db.execute(sql`
    select current_user as role,
      (select rolsuper from pg_roles where rolname = current_user) as superuser,
      pg_has_role(current_user, c.relowner, 'MEMBER') as owner,
      has_table_privilege('audit_events', 'UPDATE') as can_update,
      has_table_privilege('audit_events', 'DELETE') as can_delete,
      has_table_privilege('audit_events', 'TRUNCATE') as can_truncate,
      has_table_privilege('audit_events', 'TRIGGER') as can_trigger,
      has_schema_privilege('public', 'CREATE') as can_create,
      has_database_privilege(current_database(), 'TEMPORARY') as can_temp
    from pg_class c where c.oid = 'audit_events'::regclass`);
  const [row] = (result as { rows: Record<string, unknown>[] }).rows;
  const risks: string[] = [];
  if (row!.superuser) risks.push('is a superuser');
  else if (row!.owner) risks.push('owns audit_events (it can switch the append-only trigger off)');
  else {
    for (const [flag, what] of [
      ['can_update', 'UPDATE'],
      ['can_delete', 'DELETE'],
      ['can_truncate', 'TRUNCATE'],
      ['can_trigger', 'TRIGGER'],
    ] as const) {
      if (row![flag]) risks.push(`has ${what} on audit_events`);
    }
    if (row!.can_create) risks.push('may create tables in schema public (one could shadow audit_events)');
    if (row!.can_temp) risks.push('may create temporary tables (one could shadow audit_events in its session)');
  }
  return { role: String(row!.role), risks };
}
