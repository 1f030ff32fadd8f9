import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { runCli } from '../../src/cli/cli.js';
import { openPglite, type Database } from '../../src/platform/db/database.js';
import { dataAccess } from '../../src/composition.js';
import { unkeyedChainHash } from '../../src/platform/audit/chain.js';
import { DEV_SESSION_SECRET } from '../../src/config.js';
import { legacyTotpKey, totpSeedBox } from '../../src/platform/auth/secret-box.js';
import { createTestDatabase, describeOnEachDatabase, primaryDatabaseKind, queryRows, type TestDatabase } from '../support/databases.js';

/** A TOTP seed sealed the way it was before ADR 0008 (format v1). */
function sealV1(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', legacyTotpKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

function sink() {
  const chunks: string[] = [];
  return { chunks, stream: new Writable({ write: (c, _e, done) => (chunks.push(String(c)), done()) }) };
}

const primaryKind = await primaryDatabaseKind();

await describeOnEachDatabase('rvr CLI', (kind) => {
  // On both databases: an empty embedded folder migrated, seeded and used by the CLI, and the database opened behind
  // its back (the PGlite compatibility checks). The rest is the CLI's own logic: once, on the primary database.
  const onPrimary = (name: string, test: () => Promise<void>) => {
    if (kind === primaryKind) it(name, test);
  };
  let env: Record<string, string>;
  let dataDir: string;
  let pgDb: TestDatabase | undefined;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-cli-'));
    env = { NODE_ENV: 'test', DATA_DIR: dataDir, PASSWORD_HASHING: 'test-only-weak' };
    if (kind === 'postgres') {
      pgDb = await createTestDatabase('postgres');
      env.DATABASE_URL = pgDb.url!;
    }
  });
  after(async () => {
    await pgDb?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function rvr(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
    const out = sink();
    const err = sink();
    const code = await runCli(args, { env: { ...env, ...options.env }, stdout: out.stream, stderr: err.stream, stdin: Readable.from([options.stdin ?? '']) });
    return { code, stdout: out.chunks.join(''), stderr: err.chunks.join('') };
  }

  /** Runs SQL on the CLI's database behind its back (the PGlite folder is free between CLI runs). */
  async function onDatabase(work: (db: Database) => Promise<void>) {
    if (pgDb) return work(pgDb.database);
    const db = await openPglite(path.join(dataDir, 'pglite'));
    try {
      await work(db);
    } finally {
      await db.close();
    }
  }

  it('prints help for every command and refuses unknown ones', async () => {
    for (const command of [
      ['migrate'],
      ['seed'],
      ['user', 'create'],
      ['user', 'disable'],
      ['user', 'set-role'],
      ['apikey', 'create'],
      ['apikey', 'list'],
      ['apikey', 'revoke'],
      ['audit', 'verify'],
      ['audit', 'checkpoint'],
      ['db', 'grants'],
      ['keys', 'reseal'],
    ]) {
      const result = await rvr([...command, '--help']);
      assert.equal(result.code, 0, command.join(' '));
      assert.match(result.stdout, new RegExp(`Usage: rvr ${command.join(' ')}`));
    }
    const unknown = await rvr(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
  });

  it('migrates, seeds once, and manages users with clear errors', async () => {
    assert.equal((await rvr(['migrate'])).code, 0);
    assert.match((await rvr(['seed'])).stdout, /added/);
    assert.match((await rvr(['seed'])).stdout, /already there; nothing changed/);
    const created = await rvr(['user', 'create', '--username', 'new.officer', '--name', 'PC New', '--role', 'rvr_officer', '--password-stdin'], {
      stdin: 'kingfisher-lantern-mosaic\n',
    });
    assert.equal(created.code, 0, created.stderr);
    const duplicate = await rvr(['user', 'create', '--username', 'new.officer', '--name', 'PC New', '--role', 'rvr_officer'], {
      env: { RVR_NEW_PASSWORD: 'kingfisher-lantern-mosaic' },
    });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /already exists/);
    const weak = await rvr(['user', 'create', '--username', 'weak', '--name', 'W', '--role', 'dpo'], { env: { RVR_NEW_PASSWORD: 'short' } });
    assert.match(weak.stderr, /at least 12 characters/);
    const badRole = await rvr(['user', 'set-role', 'new.officer', 'officer,wizard', '--reason', 'test']);
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /Unknown role "officer", "wizard"/);
    const noReason = await rvr(['user', 'disable', 'new.officer']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason is required/);
    assert.match((await rvr(['user', 'set-role', 'new.officer', 'supervisor,investigator', '--reason', 'promoted'])).stdout, /supervisor, investigator/);
    assert.match((await rvr(['user', 'disable', 'new.officer', '--reason', 'left'])).stdout, /Disabled new.officer/);
    assert.match((await rvr(['user', 'disable', 'nobody', '--reason', 'x'])).stderr, /No user called "nobody"/);
  });

  onPrimary('issue 12 item 6: the CLI gives any role directly (break-glass) but refuses the demo password and leaving no administrator', async () => {
    const demoPassword = await rvr(['user', 'create', '--username', 'pc.demo', '--name', 'PC Demo', '--role', 'rvr_officer'], {
      env: { RVR_NEW_PASSWORD: 'rvr-training-only-2026' },
    });
    assert.equal(demoPassword.code, 1);
    assert.match(demoPassword.stderr, /published/);
    // The demo seed made one administrator, "admin": the only active one.
    const lastAdmin = await rvr(['user', 'disable', 'admin', '--reason', 'tidying up']);
    assert.equal(lastAdmin.code, 1);
    assert.match(lastAdmin.stderr, /last active administrator/);
    assert.equal((await rvr(['user', 'set-role', 'admin', 'supervisor', '--reason', 'demoted'])).code, 1);
    const made = await rvr(['user', 'create', '--username', 'ops.admin', '--name', 'Ops Admin', '--role', 'admin,dpo', '--password-stdin'], {
      stdin: 'kingfisher-lantern-mosaic\n',
    });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Created ops.admin \(admin, dpo\)/, 'the operator is not held to the two-person rule');
    assert.match((await rvr(['user', 'disable', 'admin', '--reason', 'ops.admin takes over'])).stdout, /Disabled admin/);
    assert.match((await rvr(['user', 'disable', 'ops.admin', '--reason', 'x'])).stderr, /last active administrator/);
  });

  it('verifies the audit chain, then names the first broken link after tampering (DP-01)', async () => {
    const intact = await rvr(['audit', 'verify']);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /Audit chain intact: \d+ events checked/);
    await onDatabase(async (db) => {
      await db.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      await db.db.execute(sql`update audit_events set who = 'user:someone-else' where seq = 3`);
      await db.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    });
    const broken = await rvr(['audit', 'verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /Audit chain BROKEN at event 3: .*changed after it was written.*2 events before it are intact/);
  });

  onPrimary('finds an event rewritten with every later hash recomputed as plain SHA-256 (issue 12, DP-01)', async () => {
    await onDatabase(async (db) => {
      const rows = await dataAccess(db).repos.audit.pageAfter(0, 10_000);
      await db.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
      // Event 3 (edited by the test before) is re-hashed, and every event after it re-linked, as the old chain allowed.
      let prevHash = rows.find((r) => r.seq === 3)!.prevHash;
      for (const row of rows.filter((r) => r.seq >= 3)) {
        const edited = row.seq === 4 ? { ...row, who: 'user:someone-else' } : row;
        const hash = unkeyedChainHash(prevHash, edited);
        await db.db.execute(sql`update audit_events set who = ${edited.who}, prev_hash = ${prevHash}, hash = ${hash}, key_id = null where seq = ${row.seq}`);
        prevHash = hash;
      }
      await db.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    });
    const broken = await rvr(['audit', 'verify']);
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stderr, /Audit chain BROKEN at event 3: .*rewritten by someone without the audit key/);
  });

  onPrimary('writes signed checkpoints and finds the newest events deleted behind its back (issue 12, DP-01)', async () => {
    const fresh = kind === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const freshDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-cli-tail-'));
    const freshEnv = { DATA_DIR: freshDir, ...(fresh ? { DATABASE_URL: fresh.url! } : {}) };
    try {
      assert.equal((await rvr(['seed'], { env: freshEnv })).code, 0);
      const none = await rvr(['audit', 'verify'], { env: freshEnv });
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stdout, /No checkpoints in .*audit-checkpoints.jsonl yet: deleting the newest events cannot be detected/);
      const written = await rvr(['audit', 'checkpoint'], { env: freshEnv });
      assert.equal(written.code, 0, written.stderr);
      const [, count, seq] = /(\d+) events up to event (\d+)/.exec(written.stdout)!;
      assert.ok(fs.readFileSync(path.join(freshDir, 'audit-checkpoints.jsonl'), 'utf8').includes(`"seq":${seq}`));
      const intact = await rvr(['audit', 'verify'], { env: freshEnv });
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /Checkpoints: 1 of 1 in .* match/);
      const deleteNewest = async (db: Database) => {
        await db.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
        await db.db.execute(sql`delete from audit_events where seq > ${Number(seq) - 3}`);
        await db.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
      };
      if (fresh) await deleteNewest(fresh.database);
      else {
        const db = await openPglite(path.join(freshDir, 'pglite'));
        await deleteNewest(db).finally(() => db.close());
      }
      const truncated = await rvr(['audit', 'verify'], { env: freshEnv });
      assert.equal(truncated.code, 1, truncated.stdout);
      assert.match(truncated.stderr, new RegExp(`the newest events were deleted: .* recorded ${count} events up to event ${seq}`));
      assert.match(truncated.stderr, /Checkpoints: 0 of 1/);
    } finally {
      await fresh?.drop();
      fs.rmSync(freshDir, { recursive: true, force: true });
    }
  });

  it('prints the application role grants for a DBA, and needs the owner URL to run them', async () => {
    const printed = await rvr(['db', 'grants', '--role', 'rvr_app', '--print']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /REVOKE ALL ON audit_events, evaluation_allocations FROM "rvr_app";/);
    assert.match(printed.stdout, /GRANT SELECT, INSERT ON audit_events, evaluation_allocations TO "rvr_app";/);
    const noOwner = await rvr(['db', 'grants', '--role', 'rvr_app']);
    assert.equal(noOwner.code, 2);
    assert.match(noOwner.stderr, /set DATABASE_MIGRATION_URL to the owner role/);
  });

  onPrimary('ADR 0008: `keys reseal` seals every TOTP seed under the current key; an older secret can be typed in, never configured', async () => {
    const older = '0f3a9c6e1b7d24f58a0c3e9b71d64a2f8e5c0b1d9a7f36e24c8b5a0d1f9e7c3b';
    for (const username of ['seed.v1', 'seed.older']) {
      const made = await rvr(['user', 'create', '--username', username, '--name', 'Seed Holder', '--role', 'call_handler'], {
        env: { RVR_NEW_PASSWORD: 'kingfisher-lantern-mosaic' },
      });
      assert.equal(made.code, 0, made.stderr);
    }
    const v1 = sealV1(DEV_SESSION_SECRET, 'JBSWY3DPEHPK3PXP');
    const underOlder = totpSeedBox({ sessionSecret: older, sessionSecretPrevious: undefined }).seal('KRSXG5CTMVRXEZLU');
    await onDatabase(async (db) => {
      await db.db.execute(sql`update users set mfa_secret = ${v1}, mfa_enrolled_at = now() where username = 'seed.v1'`);
      await db.db.execute(sql`update users set mfa_secret = ${underOlder}, mfa_enrolled_at = now() where username = 'seed.older'`);
    });
    const partial = await rvr(['keys', 'reseal']);
    assert.equal(partial.code, 1, 'a seed no key opens is reported');
    assert.match(partial.stdout, /1 sealed again under the current key, 0 already current, 1 unreadable/);
    assert.match(partial.stderr, /reset their authenticator app/);
    const withOlder = await rvr(['keys', 'reseal', '--previous-secret-stdin'], { stdin: `${older}\n` });
    assert.equal(withOlder.code, 0, withOlder.stderr);
    assert.match(withOlder.stdout, /1 sealed again under the current key, 1 already current, 0 unreadable/);
    const current = totpSeedBox({ sessionSecret: DEV_SESSION_SECRET, sessionSecretPrevious: undefined });
    await onDatabase(async (db) => {
      const rows = await queryRows<{ username: string; mfa_secret: string }>(
        db,
        sql`select username, mfa_secret from users where username in ('seed.v1', 'seed.older') order by username`,
      );
      assert.deepEqual(
        rows.map((r) => [r.username, current.open(r.mfa_secret)]),
        [
          ['seed.older', { plaintext: 'KRSXG5CTMVRXEZLU', stale: false }],
          ['seed.v1', { plaintext: 'JBSWY3DPEHPK3PXP', stale: false }],
        ],
      );
    });
    assert.equal((await rvr(['keys', 'reseal', '--previous-secret-stdin'], { stdin: '' })).code, 2, 'an empty secret is a usage error');
  });

  onPrimary('creates, lists and revokes CAD API keys, showing the secret only once', async () => {
    const created = await rvr(['apikey', 'create', '--name', 'Kent CAD', '--scopes', 'incidents:write,consultations:read']);
    assert.equal(created.code, 0, created.stderr);
    const key = /^rvr_[0-9a-f]{12}_\S+$/m.exec(created.stdout)?.[0];
    assert.ok(key, created.stdout);
    const id = /API key ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    const listed = await rvr(['apikey', 'list']);
    assert.match(listed.stdout, new RegExp(`${id}  Kent CAD  incidents:write,consultations:read  live`));
    // The secret is everything after rvr_<12 hex>_ (base64url, so it may itself contain "_").
    const secret = key.slice('rvr_'.length + 12 + 1);
    assert.equal(secret.length, 32);
    assert.ok(!listed.stdout.includes(secret), 'the secret is never listed');
    assert.match((await rvr(['apikey', 'create', '--name', 'Other CAD', '--scopes', 'everything'])).stderr, /Scopes must be one or more of/);
    assert.match((await rvr(['apikey', 'revoke', id])).stdout, /Revoked/);
    assert.match((await rvr(['apikey', 'list'])).stdout, /revoked/);
    assert.match((await rvr(['apikey', 'revoke', id])).stderr, /No live API key/);
  });

  it('refuses to run with a bad configuration, saying what is wrong', async () => {
    const result = await rvr(['migrate'], { env: { PORT: 'abc' } });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /PORT must be a whole number/);
  });
});
