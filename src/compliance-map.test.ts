import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

/**
 * Issue 16: docs/compliance.md maps each rule to its code and its tests. This keeps the map honest: every row names
 * at least one test, and every test file it names exists (a path, or a file name or path tail found exactly once).
 */
const root = path.resolve(import.meta.dirname, '..');
const map = fs.readFileSync(path.join(root, 'docs/compliance.md'), 'utf8');

function testFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(relative);
      else if (entry.name.endsWith('.test.ts')) found.push(relative);
    }
  };
  for (const dir of ['src', 'test', 'e2e']) walk(dir);
  return found;
}

/** `a/{b,c}.test.ts` names two files. */
const expand = (name: string): string[] => {
  const braces = /\{([^}]*)\}/.exec(name);
  return braces ? braces[1]!.split(',').flatMap((choice) => expand(name.replace(braces[0], choice))) : [name];
};

const rows = map
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| Rule') && !line.startsWith('| ---'))
  .map((line) => {
    const cells = line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim());
    return { rule: cells[0]!, tests: cells[cells.length - 1]! };
  });

it('docs/compliance.md: every rule row names a test, and every test file it names exists', () => {
  const files = testFiles();
  const basenames = new Set(files.map((f) => path.basename(f, '.test.ts')));
  assert.ok(rows.length > 40, `the map has its rows (${rows.length})`);
  const problems: string[] = [];
  for (const { rule, tests } of rows) {
    const named = [...tests.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const testNames = named.flatMap(expand).filter((n) => n.endsWith('.test.ts'));
    // A bare name such as `audit-chain` in "… tests" is a test file's name without its suffix.
    const bare = named.filter((n) => !n.includes('.') && basenames.has(n));
    if (testNames.length === 0 && bare.length === 0) problems.push(`${rule}: names no test`);
    for (const name of testNames) {
      if (name.includes('*')) {
        const glob = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
        if (!files.some((f) => glob.test(f))) problems.push(`${rule}: \`${name}\` matches no test file`);
        continue;
      }
      const matches = files.filter((f) => f === name || f.endsWith(`/${name}`));
      if (matches.length !== 1) problems.push(`${rule}: \`${name}\` ${matches.length === 0 ? 'does not exist' : 'is ambiguous'}`);
    }
  }
  assert.deepEqual(problems, []);
});
