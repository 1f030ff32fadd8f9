import os from 'node:os';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { services as buildServices, type Services } from '../composition.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AppError } from '../platform/errors.js';
import type { RequestContext } from '../platform/context.js';
import { openDatabase, openPostgres, pgliteDirOf } from '../platform/db/database.js';
import { claimPgliteLock, PgliteInUseError } from '../platform/db/pglite-lock.js';
import { applicationRoleGrants, grantApplicationRole, migrateAsOwner, roleOfUrl } from '../platform/db/database-roles.js';
import type { ChainVerification } from '../platform/audit/audit-trail.js';
import { parseRoles } from '../features/identity/user-admin.service.js';
import { ROLES } from '../domain/roles.js';
import { legacyTotpKey, SecretBox, totpSeedBox } from '../platform/auth/secret-box.js';
import { deriveKey, keysFor } from '../platform/auth/session-keys.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

class UsageError extends Error {}

const HELP: Record<string, string> = {
  main: `Usage: rvr <command> [options]

Commands:
  migrate                         apply database migrations
  seed                            add the demo accounts and incidents (once; refused in production)
  user create                     create a staff account
  user disable <username>         disable an account and end its sessions
  user set-role <username> <roles>  replace an account's roles (comma-separated)
  apikey create                   create a CAD integration API key (shown once)
  apikey list                     list API keys (never the secrets)
  apikey revoke <id>              revoke an API key at once
  audit verify                    check the audit log's keyed chain against its signed checkpoints
  audit checkpoint                write a signed checkpoint of the audit log now
  db grants                       give the application's database role its privileges (or print them)
  keys reseal                     seal every TOTP seed under the current SESSION_SECRET (key rotation)
  storage move [--dry-run]        move the evidence masters on local disk into the configured store (S3)

The database is chosen as by the server: DATABASE_URL, or the embedded PGlite under DATA_DIR, which only one
process may open: while the server runs, commands on it are refused (exit 75); stop the server first.
'rvr migrate' and 'rvr db grants' use DATABASE_MIGRATION_URL (the owner role) when it is set.
Run 'rvr <command> --help' for a command's options.`,
  migrate:
    'Usage: rvr migrate\n\nApplies any pending database migrations and exits. With DATABASE_MIGRATION_URL set, migrates as that (owner) role and then grants the role in DATABASE_URL what the application needs, and no more (docs/operations.md).',
  seed: 'Usage: rvr seed\n\nAdds the demo accounts (one per role) and a few demo incidents, once. Refused when NODE_ENV=production.',
  'user create': `Usage: rvr user create --username <name> --name "<display name>" --role <roles> [--password-stdin]

  --username        sign-in name: letters, digits, dot, dash, underscore
  --name            the person's name as shown to colleagues
  --role            one or more of ${ROLES.join(', ')} (comma-separated)
  --password-stdin  read the password from standard input; otherwise it is read from RVR_NEW_PASSWORD`,
  'user disable':
    'Usage: rvr user disable <username> --reason "<why>"\n\nDisables the account and ends all its sessions at once. The reason goes in the audit log.',
  'user set-role': `Usage: rvr user set-role <username> <roles> --reason "<why>"\n\nReplaces the account's roles with <roles> (comma-separated: ${ROLES.join(', ')}).`,
  'apikey create': `Usage: rvr apikey create --name "<CAD system>" --scopes <scopes>\n\n  --scopes  comma-separated: incidents:write, consultations:read\n\nPrints the key once; store it in the CAD system's secret store.`,
  'apikey list': 'Usage: rvr apikey list\n\nLists API keys with their scopes, last use and whether revoked. Secrets are never shown.',
  'apikey revoke': 'Usage: rvr apikey revoke <id>\n\nRevokes the key at once; requests with it are refused with 401.',
  'audit verify': `Usage: rvr audit verify [--checkpoints <file>]

Recomputes the audit log's keyed hash chain (AUDIT_HMAC_KEY, and AUDIT_HMAC_OLD_KEYS after a rotation) and holds it
to the signed checkpoints in AUDIT_CHECKPOINT_FILE, so that deleted newest events are found too. Exits 0 when
intact, 1 when broken (naming the first broken event or the checkpoint the log no longer matches).

  --checkpoints  read the checkpoints from this file instead: a copy of the checkpoint file, or an export of the
                 application log (lines carrying "auditCheckpoint")`,
  'audit checkpoint':
    'Usage: rvr audit checkpoint\n\nSigns where the audit chain stands now (newest event, its hash, the count) and appends it to AUDIT_CHECKPOINT_FILE and the log. The server also does this at start, every AUDIT_CHECKPOINT_MINUTES and on shutdown.',
  'db grants': `Usage: rvr db grants [--role <name>] [--print]

Grants the application's database role (default: the user in DATABASE_URL) what RVR needs: data on every table, but
only SELECT and INSERT on the append-only tables (audit_events, evaluation_allocations), no table of its own, and the
job queue's schema. Runs over DATABASE_MIGRATION_URL (the owner role). rvr migrate does this too.

  --role   the application role's name
  --print  print the SQL instead of running it (for a DBA to run as the owner role)`,
  'storage move': `Usage: rvr storage move [--dry-run]

Moves the evidence masters kept on local disk (DATA_DIR/media) into the store STORAGE_DRIVER names (s3). Each file
is streamed with the SHA-256 on record and the store refuses it unless the bytes match; only then is its Object Lock
set from the item's retention date and holds, the move logged in the item's chain of custody, and the local copy
removed. Run it again after an interruption: what the store already holds with the right hash is skipped. Exits 0
when every item is in the store, 1 when any could not be moved (each is named; its local copy is kept).

  --dry-run  count what would be moved, change nothing`,
  'keys reseal': `Usage: rvr keys reseal [--previous-secret-stdin]

Seals every stored TOTP seed (authenticator app secret) under the key derived from SESSION_SECRET, opening
each with SESSION_SECRET, SESSION_SECRET_PREVIOUS or, with --previous-secret-stdin, an older secret read from
standard input (e.g. a secret refused as too weak, which cannot be configured). Run it after changing
SESSION_SECRET, before removing SESSION_SECRET_PREVIOUS (docs/operations.md, "Rotating SESSION_SECRET").
Seeds no key opens are counted: those users need their authenticator app reset.`,
};

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (line: string) => io.stdout.write(`${line}\n`);
  const err = (line: string) => io.stderr.write(`${line}\n`);
  const [first, second] = argv;
  const grouped = first === 'user' || first === 'audit' || first === 'apikey' || first === 'db' || first === 'keys' || first === 'storage';
  const command = grouped ? `${first} ${second ?? ''}`.trim() : (first ?? '');
  const rest = argv.slice(grouped ? 2 : 1);
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    out(HELP.main!);
    return first ? 0 : 2;
  }
  if (!HELP[command]) {
    err(`rvr: unknown command "${command}".\n\n${HELP.main}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(HELP[command]);
    return 0;
  }

  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`rvr: ${error.message}`);
      return 78;
    }
    throw error;
  }
  const context: RequestContext = { actor: { type: 'cli', osUser: os.userInfo().username }, correlationId: `cli-${Date.now()}` };

  if (command === 'db grants') {
    try {
      return await runGrants(rest, config, out);
    } catch (error) {
      if (error instanceof UsageError) {
        err(`rvr ${command}: ${error.message}\n\n${HELP[command]}`);
        return 2;
      }
      throw error;
    }
  }
  // PGlite is one process's database: never opened behind a running server's back (issue 13).
  let releaseLock: (() => void) | undefined;
  if (!config.databaseUrl) {
    try {
      releaseLock = claimPgliteLock(pgliteDirOf(config.dataDir), 'cli');
    } catch (error) {
      if (!(error instanceof PgliteInUseError)) throw error;
      err(`rvr: ${error.message}`);
      return 75;
    }
  }
  try {
    return await runWithDatabase(command, rest, { context, config, io, out, err });
  } finally {
    releaseLock?.();
  }
}

async function runWithDatabase(command: string, rest: string[], deps: Omit<CommandDeps, 'services' | 'databaseDescription'>): Promise<number> {
  const { config, out, err } = deps;
  if (command === 'migrate') {
    const owner = await migrateAsOwner(config);
    if (owner.grantedTo) out(`Migrated as the owner role; granted "${owner.grantedTo}" the application's privileges.`);
  }
  const database = await openDatabase(config);
  try {
    await database.migrate();
    const services = buildServices({ config, database });
    return await runCommand(command, rest, { ...deps, services, databaseDescription: database.description });
  } catch (error) {
    if (error instanceof UsageError) {
      err(`rvr ${command}: ${error.message}\n\n${HELP[command]}`);
      return 2;
    }
    if (error instanceof AppError) {
      err(`rvr ${command}: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await database.close();
  }
}

interface CommandDeps {
  services: Services;
  context: RequestContext;
  config: Config;
  io: CliIo;
  out: (line: string) => void;
  err: (line: string) => void;
  databaseDescription: string;
}

function parse(rest: string[], options: Record<string, { type: 'string' | 'boolean' }>, positionals: number) {
  try {
    const parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function runCommand(command: string, rest: string[], deps: CommandDeps): Promise<number> {
  const { services, context, config, out, err } = deps;
  switch (command) {
    case 'migrate':
      parse(rest, {}, 0);
      out(`Migrations applied to ${deps.databaseDescription}.`);
      return 0;
    case 'seed': {
      parse(rest, {}, 0);
      if (config.nodeEnv === 'production') {
        err('rvr seed: demo data is refused in production (NODE_ENV=production).');
        return 1;
      }
      const seeded = await services.demo.seedOnce(context);
      out(seeded ? 'Demo accounts and incidents added.' : 'Demo data was already there; nothing changed.');
      return 0;
    }
    case 'user create': {
      const { values } = parse(
        rest,
        { username: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
        0,
      );
      const roles = parseRoles(required(values, 'role'));
      const password = values['password-stdin'] ? (await text(deps.io.stdin)).replace(/\r?\n$/, '') : deps.io.env.RVR_NEW_PASSWORD;
      if (!password) throw new UsageError('give the password on standard input with --password-stdin, or in RVR_NEW_PASSWORD');
      const user = await services.userAdmin.create(context, { username: required(values, 'username'), displayName: required(values, 'name'), password, roles });
      out(`Created ${user.username} (${user.roles.join(', ')}).`);
      return 0;
    }
    case 'user disable': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } }, 1);
      const user = await services.userAdmin.disable(context, positionals[0]!, required(values, 'reason'));
      out(`Disabled ${user.username}; their sessions have ended.`);
      return 0;
    }
    case 'user set-role': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } }, 2);
      const user = await services.userAdmin.setRoles(context, positionals[0]!, parseRoles(positionals[1]!), required(values, 'reason'));
      out(`${user.username} now has: ${user.roles.join(', ')}.`);
      return 0;
    }
    case 'apikey create': {
      const { values } = parse(rest, { name: { type: 'string' }, scopes: { type: 'string' } }, 0);
      const scopes = required(values, 'scopes')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const created = await services.apiKeys.create(context, required(values, 'name'), scopes);
      out(`Created API key ${created.id} (${scopes.join(', ')}). It is shown only now:\n${created.key}`);
      return 0;
    }
    case 'apikey list': {
      parse(rest, {}, 0);
      for (const key of await services.apiKeys.list()) {
        out(
          `${key.id}  ${key.name}  ${(key.scopes as string[]).join(',')}  ${key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'live'}  last used ${key.lastUsedAt?.toISOString() ?? 'never'}`,
        );
      }
      return 0;
    }
    case 'apikey revoke': {
      const { positionals } = parse(rest, {}, 1);
      if (!/^[0-9a-f-]{36}$/.test(positionals[0]!)) throw new UsageError('give the key id shown by `rvr apikey list`');
      await services.apiKeys.revoke(context, positionals[0]!);
      out(`Revoked ${positionals[0]}.`);
      return 0;
    }
    case 'keys reseal': {
      const { values } = parse(rest, { 'previous-secret-stdin': { type: 'boolean' } }, 0);
      let box = totpSeedBox(config);
      if (values['previous-secret-stdin']) {
        const older = (await text(deps.io.stdin)).replace(/\r?\n$/, '');
        if (!older) throw new UsageError('--previous-secret-stdin given but standard input was empty');
        box = new SecretBox(
          [...keysFor(config, 'totpSeedEncryption'), deriveKey(older, 'totpSeedEncryption')],
          [config.sessionSecret, config.sessionSecretPrevious, older].filter((s): s is string => s !== undefined).map(legacyTotpKey),
        );
      }
      const counts = await services.mfa.resealAll(context, box);
      out(`TOTP seeds: ${counts.resealed} sealed again under the current key, ${counts.current} already current, ${counts.unreadable} unreadable.`);
      if (counts.unreadable > 0) {
        err(
          `${counts.unreadable} account(s) have a seed no configured key opens: reset their authenticator app (the audit event mfa.seeds_resealed lists them).`,
        );
        return 1;
      }
      return 0;
    }
    case 'audit verify': {
      const { values } = parse(rest, { checkpoints: { type: 'string' } }, 0);
      const checkpointsFrom = typeof values.checkpoints === 'string' ? values.checkpoints : undefined;
      const result = await services.auditLog.verify(context, { checkpointsFrom });
      if (result.ok) {
        out(`Audit chain intact: ${result.checked} events checked.`);
        out(describeCheckpoints(result));
        return 0;
      }
      const where = result.brokenAt === undefined ? 'Audit log check FAILED' : `Audit chain BROKEN at event ${result.brokenAt}`;
      err(`${where}: ${result.reason}. ${result.checked} events before it are intact.`);
      if (result.checkpoints) err(describeCheckpoints(result));
      return 1;
    }
    case 'storage move': {
      const { values } = parse(rest, { 'dry-run': { type: 'boolean' } }, 0);
      if (config.evidence.storage.driver === 'local') {
        err('rvr storage move: STORAGE_DRIVER is local, so the masters are already in the configured store. Set STORAGE_DRIVER=s3 and its settings first.');
        return 2;
      }
      const dryRun = values['dry-run'] === true;
      out(
        `${dryRun ? 'Dry run: nothing will change. ' : ''}Moving evidence masters from ${config.evidence.storage.localRoot} to ${services.blobs.description}.`,
      );
      const report = await services.storageMove().move(context, { dryRun, onProgress: err });
      const mib = (report.movedBytes / 1024 / 1024).toFixed(1);
      out(`${dryRun ? 'Would move' : 'Moved and verified'}: ${report.moved} item(s), ${mib} MiB. Already in the store: ${report.alreadyThere}.`);
      if (report.missing.length > 0) out(`No local file (nothing to move; the integrity check reports these): ${report.missing.join(', ')}`);
      if (report.failed.length > 0) err(`Not moved (local copies kept; run again once fixed): ${report.failed.length}`);
      return report.failed.length > 0 ? 1 : 0;
    }
    case 'audit checkpoint': {
      parse(rest, {}, 0);
      const checkpoint = await services.auditLog.writeCheckpoint('cli');
      out(`Checkpoint written to ${config.audit.checkpointFile}: ${checkpoint.count} events up to event ${checkpoint.seq} (${checkpoint.head}).`);
      return 0;
    }
  }
  throw new UsageError('unknown command');
}

function describeCheckpoints(result: ChainVerification): string {
  const report = result.checkpoints;
  if (!report) return 'No checkpoint file is configured: deleting the newest events would not be detected.';
  if (report.found === 0) return `No checkpoints in ${report.source} yet: deleting the newest events cannot be detected until one is written.`;
  const latest = report.latest!;
  return `Checkpoints: ${report.matched} of ${report.found} in ${report.source} match; the newest (${latest.at}) recorded ${latest.count} events up to event ${latest.seq}.`;
}

async function runGrants(rest: string[], config: Config, out: (line: string) => void): Promise<number> {
  const { values } = parse(rest, { role: { type: 'string' }, print: { type: 'boolean' } }, 0);
  const role = typeof values.role === 'string' ? values.role : config.databaseUrl ? roleOfUrl(config.databaseUrl) : undefined;
  if (!role) throw new UsageError('give the application role with --role, or set DATABASE_URL to its connection URL');
  if (values.print) {
    out(`-- What 'rvr migrate' and 'rvr db grants' run as the owner role for ${role}, after installing the job queue schema.`);
    for (const statement of applicationRoleGrants(role)) out(`${statement};`);
    return 0;
  }
  if (!config.databaseMigrationUrl) {
    throw new UsageError('set DATABASE_MIGRATION_URL to the owner role (the embedded database has one role and needs no grants), or use --print');
  }
  const owner = await openPostgres(config.databaseMigrationUrl, 1);
  try {
    await grantApplicationRole(owner, role);
  } finally {
    await owner.close();
  }
  out(`Granted "${role}" the application's privileges: SELECT and INSERT only on audit_events and evaluation_allocations.`);
  return 0;
}
