// Several test files in one test process (scripts/test.sh; ADR 0011, "Fifth session" and "Sixth session"). Each file is
// imported inside a suite of its own, so its top-level before/after hooks stay scoped to its own tests (with
// --test-isolation=none they would run around every file's tests). What it saves: loading the application's modules
// once per process instead of once per file (about half of an integration file's CPU).
//
// The files come from a queue shared by the processes side by side (RVR_TEST_QUEUE: a folder holding `files`, one path
// a line, longest first). Whenever a process finishes a file it claims the next one nobody has claimed: creating
// `claimed/<n>` is the claim, as mkdir either makes it or fails, in one step, across processes. So the processes finish
// together whatever each file costs, instead of one running on alone with a share dealt out at the start.
// `node --import tsx --test <file>` still runs any one file alone.
import { AsyncResource } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe } from 'node:test';
import { pathToFileURL } from 'node:url';

const queue = process.env.RVR_TEST_QUEUE;
if (!queue) throw new Error('RVR_TEST_QUEUE names no queue folder (scripts/test.sh makes one)');
const files = fs.readFileSync(path.join(queue, 'files'), 'utf8').split('\n').filter(Boolean);
fs.mkdirSync(path.join(queue, 'claimed'), { recursive: true });

/** The next file in the queue that no process has claimed yet, now claimed by this one; undefined when none is left. */
function claimNextFile(): string | undefined {
  for (let n = 0; n < files.length; n++) {
    try {
      fs.mkdirSync(path.join(queue!, 'claimed', String(n)));
      return files[n];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return undefined;
}

// node:test puts a new suite under the test or suite it is made in (found from the async context). The next file's
// suite is made when the last one ends, in its `after` hook, so it is made in this module's own context instead:
// otherwise it would belong to the finished suite and its tests would not be reported (tried: they vanish).
const topLevel = new AsyncResource('rvr-test-queue');

function runNextFile(): void {
  const file = claimNextFile();
  if (!file) return;
  topLevel.runInAsyncScope(() =>
    describe(file, async () => {
      after(runNextFile);
      await import(pathToFileURL(path.resolve(file)).href);
    }),
  );
}

runNextFile();
