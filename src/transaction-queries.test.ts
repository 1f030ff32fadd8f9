import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

/**
 * A transaction is one database connection. Queries started together on it (`Promise.all([tx.a(), tx.b()])`) overlap
 * on one pg client, which pg 8 warns about and pg 9 refuses; they would also run one after another anyway. So no
 * `Promise.all` in the source may start queries on a transaction (`tx.`); the pool (`data.repos`) may overlap.
 */
it('no Promise.all starts queries on a transaction (one connection: pg@9 refuses overlapping queries)', () => {
  const root = path.resolve(import.meta.dirname);
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = fs.readFileSync(file, 'utf8');
        for (const match of text.matchAll(/Promise\.all\(/g)) {
          let depth = 1;
          let end = match.index + match[0].length;
          while (depth > 0 && end < text.length) {
            if (text[end] === '(') depth++;
            else if (text[end] === ')') depth--;
            end++;
          }
          if (/\btx\./.test(text.slice(match.index, end))) offenders.push(`${path.relative(root, file)}:${text.slice(0, match.index).split('\n').length}`);
        }
      }
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
