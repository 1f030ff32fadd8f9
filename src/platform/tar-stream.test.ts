import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { it } from 'node:test';
import { tarHeader, tarStream } from './tar-stream.js';

it('tar-stream: an archive the system tar lists and extracts byte for byte', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tar-test-'));
  try {
    fs.mkdirSync(path.join(dir, 'in'));
    fs.writeFileSync(path.join(dir, 'in', 'a.json'), '{"a":1}\n');
    fs.writeFileSync(path.join(dir, 'in', 'b.bin'), Buffer.alloc(1300, 7));
    const bytes = await buffer(
      tarStream(
        [
          { path: 'data/a.json', file: path.join(dir, 'in', 'a.json'), sizeBytes: 8 },
          { path: 'media/b.bin', file: path.join(dir, 'in', 'b.bin'), sizeBytes: 1300 },
        ],
        new Date('2026-01-01T00:00:00Z'),
      ),
    );
    assert.equal(bytes.length % 512, 0);
    fs.writeFileSync(path.join(dir, 'pack.tar'), bytes);
    assert.deepEqual(
      execFileSync('tar', ['-tf', path.join(dir, 'pack.tar')], { encoding: 'utf8' })
        .trim()
        .split('\n'),
      ['data/a.json', 'media/b.bin'],
    );
    fs.mkdirSync(path.join(dir, 'out'));
    execFileSync('tar', ['-xf', path.join(dir, 'pack.tar'), '-C', path.join(dir, 'out')]);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'out', 'media', 'b.bin')), Buffer.alloc(1300, 7));
    assert.equal(fs.readFileSync(path.join(dir, 'out', 'data', 'a.json'), 'utf8'), '{"a":1}\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('tar-stream: refuses a path tar cannot hold in its header', () => {
  assert.throws(() => tarHeader('x'.repeat(101), 0, new Date()), /1-100 bytes/);
  assert.throws(() => tarHeader('', 0, new Date()), /1-100 bytes/);
});
