import { PGlite } from '@electric-sql/pglite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteDirOf } from '../../src/platform/db/database.js';

/**
 * A fresh PGlite cluster, made once per PGlite version and kept in the temporary folder. Creating one (initdb in
 * WebAssembly, ~15 s of CPU on a busy machine) is most of a server's first start; copying this empty cluster is well
 * under a second. Only the empty cluster is shared: every server or CLI run still migrates and seeds as `npm start`
 * does. An empty folder's own initdb stays tested by the CLI suite (`rvr migrate` on a new DATA_DIR, test/integration/cli).
 */
async function emptyPgliteCluster(): Promise<string> {
  const manifest = path.resolve(import.meta.dirname, '../../node_modules/@electric-sql/pglite/package.json');
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  const template = path.join(os.tmpdir(), `rvr-test-empty-pglite-${version}`);
  if (fs.existsSync(path.join(template, 'PG_VERSION'))) return template;
  const building = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-test-building-pglite-'));
  const database = await PGlite.create(building);
  await database.close();
  try {
    fs.renameSync(building, template);
  } catch {
    // Another test file made it at the same time: use theirs.
    fs.rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** A new DATA_DIR whose PGlite folder starts as a copy of the empty cluster, so the server or CLI skips initdb. */
export async function freshDataDir(prefix = 'rvr-test-'): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(await emptyPgliteCluster(), pgliteDirOf(dataDir), { recursive: true });
  return dataDir;
}
