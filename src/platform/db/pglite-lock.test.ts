import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { claimPgliteLock, currentHolder, lockFileFor, PgliteInUseError } from './pglite-lock.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-pglite-lock-'));
let n = 0;
const freshDir = () => path.join(root, `data-${(n += 1)}`, 'pglite');
const writeLock = (dir: string, holder: object) => {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.writeFileSync(lockFileFor(dir), JSON.stringify(holder));
};
const children: ChildProcess[] = [];
/** A process that stays alive until the tests end. */
function running(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  return child;
}

describe('the embedded database lock (issue 13)', () => {
  after(() => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('is a file beside the PGlite folder naming this process, removed on release (twice is harmless)', () => {
    const dir = freshDir();
    const release = claimPgliteLock(dir, 'server');
    assert.equal(lockFileFor(dir), `${dir}.lock`);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(lockFileFor(dir), 'utf8')) as object).sort(), ['id', 'kind', 'pid', 'since']);
    assert.ok(!fs.existsSync(dir), 'the PGlite folder itself is left for PGlite to create');
    release();
    release();
    assert.ok(!fs.existsSync(lockFileFor(dir)));
  });

  it('refuses while another live process holds it, naming that process', () => {
    const other = running(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const dir = freshDir();
    writeLock(dir, { pid: other.pid, kind: 'server', since: new Date().toISOString(), id: 'x' });
    assert.deepEqual(currentHolder(dir)?.pid, other.pid);
    assert.throws(
      () => claimPgliteLock(dir, 'cli'),
      (error: unknown) =>
        error instanceof PgliteInUseError && error.message === `the server (pid ${other.pid}) is using ${dir}: stop it first, or use DATABASE_URL`,
    );
    writeLock(dir, { pid: other.pid, kind: 'cli', since: new Date().toISOString(), id: 'x' });
    assert.throws(() => claimPgliteLock(dir, 'server'), new RegExp(`an rvr command \\(pid ${other.pid}\\) is using`));
  });

  it('replaces a stale lock: its process has exited, or its pid now belongs to some other program', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    const dir = freshDir();
    writeLock(dir, { pid: gone.pid, kind: 'server', since: '2026-01-01T00:00:00.000Z', id: 'old' });
    assert.equal(currentHolder(dir), undefined);
    claimPgliteLock(dir, 'cli')();

    if (process.platform === 'linux') {
      const reused = running('sleep', ['60']);
      writeLock(dir, { pid: reused.pid, kind: 'server', since: '2026-01-01T00:00:00.000Z', id: 'old' });
      assert.equal(currentHolder(dir), undefined, 'a pid reused by `sleep` is not an RVR process');
      claimPgliteLock(dir, 'cli')();
    }
    for (const junk of ['', 'not json', '{"pid":"12"}']) {
      fs.writeFileSync(lockFileFor(dir), junk);
      claimPgliteLock(dir, 'cli')();
    }
  });

  it('a release removes only its own lock, never one another process has taken since', () => {
    const dir = freshDir();
    const release = claimPgliteLock(dir, 'server');
    writeLock(dir, { pid: 1234567, kind: 'server', since: new Date().toISOString(), id: 'someone-else' });
    release();
    assert.ok(fs.existsSync(lockFileFor(dir)));
  });
});
