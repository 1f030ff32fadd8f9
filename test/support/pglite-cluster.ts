import { PGlite } from '@electric-sql/pglite';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pgliteDirOf } from '../../src/platform/db/database.js';
import { migratedPgliteClusterFolder } from './databases.js';

/**
 * A fresh PGlite cluster, made once per PGlite version and kept in the temporary folder. Creating one (initdb in
 * WebAssembly, ~15 s of CPU on a busy machine) is most of a server's first start; copying this empty cluster is well
 * under a second. Only the empty cluster is shared: the server or CLI started on it still migrates and seeds as
 * `npm start` does. An empty folder's own initdb stays tested by the CLI suite (`rvr migrate` on a new DATA_DIR).
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

/**
 * A new DATA_DIR whose PGlite folder starts as a copy of a cached cluster, so the server or CLI skips initdb:
 * empty (it migrates at start, as a first `npm start` does), or `migrated` (nothing pending: for tests whose
 * subject is not the migrations; they are run from scratch by the server-process and CLI suites and every template).
 */
export async function freshDataDir(prefix = 'rvr-test-', options: { migrated?: boolean } = {}): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const cluster = options.migrated ? await migratedPgliteClusterFolder() : await emptyPgliteCluster();
  fs.cpSync(cluster, pgliteDirOf(dataDir), { recursive: true });
  return dataDir;
}
