import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import PgBoss10 from 'pg-boss-v10';
import pino from 'pino';
import { runCli } from '../../src/cli/cli.js';
import { services as buildServices } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { openPostgres, type Database } from '../../src/platform/db/database.js';
import { applicationRoleGrants, auditTableRisks, migrateAsOwner, roleOfUrl } from '../../src/platform/db/database-roles.js';
import { JobQueue } from '../../src/platform/jobs/job-queue.js';
import { startRuntime } from '../../src/runtime.js';
import { POSTGRES_ADMIN_URL, createTestDatabase, postgresSkipReason } from '../support/databases.js';
import { cliContext } from '../support/test-app.js';

async function admin(statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

function urlFor(role: string, database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.username = role;
  url.pathname = `/${database}`;
  return url.toString();
}

/** A database owned by its own (non-superuser) owner role, and an application role; unique names, dropped after. */
async function createRoles() {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const names = { database: `rvr_roles_${suffix}`, owner: `rvr_owner_${suffix}`, app: `rvr_app_${suffix}` };
  await admin([
    `CREATE ROLE ${names.owner} LOGIN`,
    `CREATE ROLE ${names.app} LOGIN`,
    // The DBA's one step (docs/operations.md): the owner may act as the app role to hand it the job queue's schema.
    `GRANT ${names.app} TO ${names.owner}`,
    `CREATE DATABASE ${names.database} OWNER ${names.owner}`,
  ]);
  return {
    ...names,
    ownerUrl: urlFor(names.owner, names.database),
    appUrl: urlFor(names.app, names.database),
    async drop() {
      await admin([`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`, `DROP ROLE IF EXISTS ${names.app}`, `DROP ROLE IF EXISTS ${names.owner}`]);
    },
  };
}

function permissionDenied(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return (e.cause?.code ?? e.code) === '42501';
}

/** Runs one statement as the given connection and returns the error code (or 'ok'). */
async function attempt(database: Database, statement: string): Promise<string> {
  try {
    await database.sqlRunner.executeSql(statement);
    return 'ok';
  } catch (error) {
    const e = error as Error & { code?: string };
    return `${e.code}: ${e.message}`;
  }
}

async function runJobAsApp(appUrl: string, queueNames: string[]): Promise<unknown[]> {
  const app = await openPostgres(appUrl, 3);
  const jobs = new JobQueue(app.sqlRunner, pino({ level: 'silent' }), 0.5);
  const seen: unknown[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  for (const name of queueNames) {
    jobs.register<{ n: number }>(name, async ({ n }) => {
      seen.push(n);
      if (seen.length === queueNames.length) done();
    });
  }
  try {
    await jobs.start();
    for (const [i, name] of queueNames.entries()) await jobs.send(name, { n: i });
    await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error('jobs not worked within 15 s')), 15_000))]);
    return seen;
  } finally {
    await jobs.stop(2000);
    await app.close();
  }
}

function sink() {
  const chunks: string[] = [];
  return { text: () => chunks.join(''), stream: new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }) };
}

const skip = await postgresSkipReason();

describe('database roles: the application cannot change or unprotect the audit log (issue 12, DP-01) [postgres]', { skip }, () => {
  let roles: Awaited<ReturnType<typeof createRoles>>;
  let dataDir: string;
  let app: Database;

  before(async () => {
    roles = await createRoles();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-roles-'));
    // Migrations run as the owner role; `rvr migrate` then grants the application role what it needs.
    const out = sink();
    const err = sink();
    const code = await runCli(['migrate'], {
      env: { NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: roles.appUrl, DATABASE_MIGRATION_URL: roles.ownerUrl },
      stdout: out.stream,
      stderr: err.stream,
      stdin: Readable.from(['']),
    });
    assert.equal(code, 0, err.text());
    assert.match(out.text(), new RegExp(`granted "${roles.app}" the application's privileges`));
    app = await openPostgres(roles.appUrl, 3);
  });
  after(async () => {
    await app?.close();
    await roles?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the owner role owns the audit table; the application role only reads and adds to it', async () => {
    const owner = await openPostgres(roles.ownerUrl, 1);
    try {
      assert.deepEqual((await auditTableRisks(owner)).risks, ['owns audit_events (it can switch the append-only trigger off)']);
    } finally {
      await owner.close();
    }
    assert.deepEqual(await auditTableRisks(app), { role: roles.app, risks: [] });
  });

  it('refuses the application role ALTER TABLE … DISABLE TRIGGER, DROP TRIGGER, UPDATE, DELETE and TRUNCATE on audit_events', async () => {
    const services = buildServices({ config: loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }), database: app });
    await services.userAdmin.create(cliContext, { username: 'role.test', displayName: 'Role Test', password: 'kingfisher-lantern-mosaic', roles: ['dpo'] });
    for (const statement of [
      'ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only',
      'ALTER TABLE audit_events DISABLE TRIGGER ALL',
      'DROP TRIGGER audit_events_append_only ON audit_events',
      'DROP TRIGGER audit_events_no_truncate ON audit_events',
      'DROP FUNCTION audit_events_refuse_change() CASCADE',
      "UPDATE audit_events SET who = 'user:someone-else' WHERE seq = 1",
      'DELETE FROM audit_events WHERE seq = 1',
      'TRUNCATE audit_events',
      'ALTER TABLE audit_events OWNER TO CURRENT_USER',
      'SELECT setval(pg_get_serial_sequence($$audit_events$$, $$seq$$), 1)',
      'CREATE TEMPORARY TABLE audit_events (seq bigint)',
      'CREATE TABLE public.audit_events_shadow (seq bigint)',
      'UPDATE evaluation_allocations SET arm = arm',
      'DELETE FROM evaluation_allocations',
    ]) {
      const outcome = await attempt(app, statement);
      assert.match(outcome, /^42501: (permission denied|must be owner)/, `${statement} → ${outcome}`);
    }
    // The trigger is still there and still on.
    const [trigger] = (await app.sqlRunner.executeSql("select tgenabled from pg_trigger where tgname = 'audit_events_append_only'")).rows as {
      tgenabled: string;
    }[];
    assert.equal(trigger?.tgenabled, 'O');
    assert.deepEqual(await services.auditLog.verify(cliContext).then((r) => r.ok), true);
  });

  it('still runs the application as that role: sign-in, audit events written and read, the chain verified', async () => {
    const services = buildServices({ config: loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }), database: app });
    const outcome = await services.auth.signIn('role.test', 'kingfisher-lantern-mosaic', { userAgent: null, clientIp: '127.0.0.1', correlationId: 'roles' });
    assert.equal(outcome.ok, true);
    const failed = await services.auth.signIn('role.test', 'wrong-password-entirely', { userAgent: null, clientIp: '127.0.0.1', correlationId: 'roles' });
    assert.equal(failed.ok, false);
    const events = await services.auditLog.search(cliContext, { what: 'session.' }, 10);
    assert.deepEqual(events.map((e) => e.what).sort(), ['session.sign_in_failed', 'session.signed_in']);
    await services.auditLog.writeCheckpoint('cli');
    const verified = await services.auditLog.verify(cliContext);
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.equal(verified.checkpoints?.matched, 1);
  });

  it('runs background jobs as that role in the job queue schema it owns', async () => {
    assert.deepEqual((await runJobAsApp(roles.appUrl, ['test.roles-one', 'test.roles-two'])).sort(), [0, 1]);
  });

  it('starts in production as the application role, and refuses to as a role that could change the audit log', async () => {
    const productionEnv = (databaseUrl: string) => ({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      SESSION_SECRET: 'b7e1c09d4f2a6385e0d9c4b1a7f3e6d2c8b5a1f09e3d7c4b6a2f8e1d5c9b3a70',
      AUDIT_HMAC_KEY: '4d2f9a7c1e5b3086f2d4a9c7e1b5f3a08d6c2e4f9b7a1c3e5d0f8b2a6c4e9d17',
      PUBLIC_BASE_URL: 'https://rvr.example.police.uk',
      SEED_DEMO_DATA: 'false',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+447700900000',
    });
    const runtime = await startRuntime(loadConfig(productionEnv(roles.appUrl)), pino({ level: 'silent' }), { jobPollingSeconds: 1 });
    await runtime.close();
    // The superuser that owns the test server, and the schema's owner role: both could switch the trigger off.
    const superuserDb = await createTestDatabase('postgres');
    try {
      await assert.rejects(
        startRuntime(loadConfig(productionEnv(superuserDb.url!)), pino({ level: 'silent' })),
        new RegExp(`the database role "${roleOfUrl(POSTGRES_ADMIN_URL)}" in DATABASE_URL is a superuser`),
      );
    } finally {
      await superuserDb.drop();
    }
    await assert.rejects(
      startRuntime(loadConfig(productionEnv(roles.ownerUrl)), pino({ level: 'silent' })),
      new RegExp(`the database role "${roles.owner}" in DATABASE_URL owns audit_events .* connect as the restricted application role`),
    );
  });

  it('refuses pending migrations over the application role with a message that says what to do', async () => {
    const owner = await openPostgres(roles.ownerUrl, 1);
    try {
      // As if the newest migration had not run yet (this is the last test of the file). Each migration's undo is
      // written here by hand: a new migration must add its own, and this line says so when it is missing.
      const undoNewest: Record<string, string> = {
        '0008_role_grants_professional_standards': "drop table role_grant_requests; delete from roles where name = 'professional_standards'",
        '0009_evaluation_not_randomised': 'drop table evaluation_not_randomised',
        '0011_recording_media_time': 'alter table recordings drop column media_started_at, drop column media_clock',
        '0015_personal_data_erasures': 'drop table personal_data_erasures',
        '0020_subject_requests': 'drop table processing_restrictions; drop table subject_rectifications; drop table subject_requests',
        '0021_issue16_registers':
          'drop table breach_subject_notifications; drop table personal_data_breaches; drop table covert_surveillance_reports; drop table dpia_records',
        '0019_appointments': 'drop table appointments',
        '0016_victim_location': 'drop table victim_locations; drop table location_consents',
        '0022_governance_purpose_training':
          'drop table training_records; drop table system_owner_appointments; alter table consultations drop column purpose_code; alter table evidence_items drop column purpose_code',
        '0023_step_up_case_access': 'drop table break_glass_grants; drop table case_assignments; alter table sessions drop column stepped_up_at',
        '0024_location_consent_language': 'alter table location_consents drop column language',
        '0025_appointment_booked_at_triage': 'alter table appointments alter column officer_id set not null',
        '0017_languages':
          'alter table consultations drop column language; alter table call_consents drop column language; alter table call_invites drop column language',
      };
      const journal = JSON.parse(fs.readFileSync('src/platform/db/migrations/meta/_journal.json', 'utf8')) as { entries: { tag: string }[] };
      const tag = journal.entries.at(-1)!.tag;
      assert.ok(undoNewest[tag], `add how to undo migration ${tag} to this test`);
      await owner.sqlRunner.executeSql(
        'delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)',
      );
      await owner.sqlRunner.executeSql(undoNewest[tag]);
    } finally {
      await owner.close();
    }
    await assert.rejects(app.migrate(), (error: Error) => {
      assert.match(error.message, /migrations are pending and the role in DATABASE_URL may not apply them .* run `rvr migrate` with DATABASE_MIGRATION_URL/);
      assert.ok(permissionDenied(error.cause));
      return true;
    });
    // The owner applies it (and grants again); the application role then starts without running any DDL.
    assert.deepEqual(await migrateAsOwner({ databaseUrl: roles.appUrl, databaseMigrationUrl: roles.ownerUrl }), { grantedTo: roles.app });
    await app.migrate();
  });
});

describe('database roles: an installation that ran as one role hands the job queue to the application role [postgres]', { skip }, () => {
  it('migrates and runs jobs as the owner first, then as the application role after `rvr migrate`', async () => {
    const roles = await createRoles();
    try {
      const owner = await openPostgres(roles.ownerUrl, 2);
      try {
        await owner.migrate();
      } finally {
        await owner.close();
      }
      assert.deepEqual(await runJobAsApp(roles.ownerUrl, ['test.existing']), [0]);
      assert.deepEqual(await migrateAsOwner({ databaseUrl: roles.appUrl, databaseMigrationUrl: roles.ownerUrl }), { grantedTo: roles.app });
      // The old queue and a new one (pg-boss creates a table for it): both work as the application role.
      assert.deepEqual((await runJobAsApp(roles.appUrl, ['test.existing', 'test.added-later'])).sort(), [0, 1]);
      const app = await openPostgres(roles.appUrl, 1);
      try {
        assert.deepEqual((await auditTableRisks(app)).risks, []);
      } finally {
        await app.close();
      }
    } finally {
      await roles.drop();
    }
  });

  it('says what the DBA must do when the owner cannot act as the application role', async () => {
    const roles = await createRoles();
    try {
      await admin([`REVOKE ${roles.app} FROM ${roles.owner}`]);
      await assert.rejects(migrateAsOwner({ databaseUrl: roles.appUrl, databaseMigrationUrl: roles.ownerUrl }), (error: Error) => {
        const message = `${error.message} ${(error.cause as Error | undefined)?.message ?? ''}`;
        assert.match(message, new RegExp(`must be a member of ${roles.app} first: as a role with CREATEROLE, run GRANT ${roles.app} TO ${roles.owner}`));
        return true;
      });
    } finally {
      await roles.drop();
    }
  });
});

describe('database roles: an installation whose job queue ran on pg-boss 10 as the application role [postgres]', { skip }, () => {
  it('refuses to start on it until `rvr migrate` upgrades it as the owner, then works the jobs 10 left', async () => {
    const roles = await createRoles();
    try {
      // As it was under pg-boss 10: the owner installed 10's schema and handed it over; the application queued a job.
      const owner = await openPostgres(roles.ownerUrl, 1);
      try {
        await owner.migrate();
        await owner.sqlRunner.executeSql(PgBoss10.getConstructionPlans('pgboss'));
        for (const statement of applicationRoleGrants(roles.app)) await owner.sqlRunner.executeSql(statement);
      } finally {
        await owner.close();
      }
      const app = await openPostgres(roles.appUrl, 3);
      try {
        const old = new PgBoss10({
          db: { executeSql: (text, values) => app.sqlRunner.executeSql(text, values as unknown[]) },
          supervise: false,
          schedule: false,
        });
        old.on('error', () => undefined);
        await old.start();
        await old.createQueue('test.from-v10');
        await old.send('test.from-v10', { n: 7 });
        await old.stop({ graceful: false, wait: true, close: false });

        const early = new JobQueue(app.sqlRunner, pino({ level: 'silent' }), 0.5);
        early.register('test.from-v10', async () => undefined);
        await assert.rejects(early.start(), (error: Error) => {
          assert.match(error.message, /pg-boss 10's and the role in DATABASE_URL may not replace it .* run `rvr migrate` with DATABASE_MIGRATION_URL/);
          assert.ok(permissionDenied(error.cause));
          return true;
        });
      } finally {
        await app.close();
      }

      assert.deepEqual(await migrateAsOwner({ databaseUrl: roles.appUrl, databaseMigrationUrl: roles.ownerUrl }), { grantedTo: roles.app });
      // The carried-over job, and a new queue: both worked as the application role, which owns all of the new schema.
      assert.deepEqual((await runJobAsApp(roles.appUrl, ['test.added-later'])).sort(), [0]);
      const checked = await openPostgres(roles.appUrl, 1);
      try {
        const notOwned = (
          await checked.sqlRunner.executeSql(
            `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'pgboss' and pg_get_userbyid(c.relowner) <> current_user`,
          )
        ).rows;
        assert.deepEqual(notOwned, []);
        const [legacy] = (await checked.sqlRunner.executeSql("select to_regnamespace('pgboss_v10') is not null as present")).rows as { present: boolean }[];
        assert.equal(legacy?.present, false);
        const seen: unknown[] = [];
        const jobs = new JobQueue(checked.sqlRunner, pino({ level: 'silent' }), 0.5);
        jobs.register<{ n: number }>('test.from-v10', async ({ n }) => {
          seen.push(n);
        });
        await jobs.start();
        try {
          const deadline = Date.now() + 15_000;
          while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        } finally {
          await jobs.stop(2000);
        }
        assert.deepEqual(seen, [7]);
        assert.deepEqual((await auditTableRisks(checked)).risks, []);
      } finally {
        await checked.close();
      }
    } finally {
      await roles.drop();
    }
  });
});
