import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Who holds the embedded PGlite database. PGlite is one process's database: a second process opening the same
 * folder (the CLI while `npm start` runs, or a second server) corrupts it. So the process that opens it writes
 * `DATA_DIR/pglite.lock` (its pid), removes it when it closes the database, and everyone else checks it first.
 * A lock left by a process that died (kill -9, a crash) is stale: its pid is gone, or is now some other program.
 */
export type LockHolderKind = 'server' | 'cli';

export interface LockHolder {
  pid: number;
  kind: LockHolderKind;
  /** When the holder took the lock (ISO time). */
  since: string;
}

export class PgliteInUseError extends Error {
  constructor(
    readonly holder: LockHolder,
    readonly pgliteDir: string,
  ) {
    super(
      holder.kind === 'server'
        ? `the server (pid ${holder.pid}) is using ${pgliteDir}: stop it first, or use DATABASE_URL`
        : `an rvr command (pid ${holder.pid}) is using ${pgliteDir}: wait for it to finish, or stop it`,
    );
    this.name = 'PgliteInUseError';
  }
}

/** The lock file beside the PGlite folder (not inside it: PGlite creates that folder on first use). */
export function lockFileFor(pgliteDir: string): string {
  return `${path.resolve(pgliteDir)}.lock`;
}

/** Whether `pid` is a running process that could be an RVR process (on Linux, a node process). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else; ESRCH: no such process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A pid reused after a crash by an unrelated program (a shell, a browser) does not hold the database.
    const program = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return /^node/.test(path.basename(program));
  } catch {
    return true; // no /proc (macOS, Windows) or not readable: trust the pid.
  }
}

/** The live holder of the lock, or undefined when it is free (no file, a stale one, or one that cannot be read). */
export function currentHolder(pgliteDir: string): LockHolder | undefined {
  let holder: Partial<LockHolder>;
  try {
    holder = JSON.parse(fs.readFileSync(lockFileFor(pgliteDir), 'utf8')) as Partial<LockHolder>;
  } catch {
    return undefined;
  }
  if (typeof holder.pid !== 'number' || holder.pid === process.pid || !isAlive(holder.pid)) return undefined;
  return { pid: holder.pid, kind: holder.kind === 'cli' ? 'cli' : 'server', since: String(holder.since ?? '') };
}

/**
 * Takes the lock for this process, or throws PgliteInUseError naming the process that holds it. A stale lock is
 * replaced. Returns the release function (idempotent; it removes the file only while it is still ours).
 */
export function claimPgliteLock(pgliteDir: string, kind: LockHolderKind): () => void {
  const file = lockFileFor(pgliteDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine = { pid: process.pid, kind, since: new Date().toISOString(), id: randomUUID() };
  for (let attempt = 1; ; attempt += 1) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = currentHolder(pgliteDir);
      if (holder) throw new PgliteInUseError(holder, pgliteDir);
      if (attempt === 3) throw new Error(`${file} keeps reappearing: another process is opening ${pgliteDir} now`, { cause: error });
      // Stale (its process is gone) or left by this same process: replace it.
      fs.rmSync(file, { force: true });
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as { id?: string };
      if (onDisk.id === mine.id) fs.rmSync(file, { force: true });
    } catch {
      // Already gone.
    }
  };
}
