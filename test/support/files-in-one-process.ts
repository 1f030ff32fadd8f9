// Several test files in one test process (scripts/test.sh; ADR 0011, "Fifth session"). Each file is imported inside a
// suite of its own, so its top-level before/after hooks stay scoped to its own tests (with --test-isolation=none they
// would run around every file's tests). What it saves: loading the application's modules once per process instead of
// once per file (about half of an integration file's CPU). The files run one after another; scripts/test.sh runs a
// few such processes side by side. `node --import tsx --test <file>` still runs any one file alone.
import path from 'node:path';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';

const files = (process.env.RVR_TEST_FILES ?? '').split('\n').filter(Boolean);
if (files.length === 0) throw new Error('RVR_TEST_FILES names no test file (one path a line)');
for (const file of files) {
  describe(file, async () => {
    await import(pathToFileURL(path.resolve(file)).href);
  });
}
