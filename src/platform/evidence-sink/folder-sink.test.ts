import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EvidenceDeliveryError, verifyReceipt } from './evidence-sink.js';
import { ExportIntegrityError } from './export-package.js';
import { FolderEvidenceSink } from './folder-sink.js';
import { samplePackage, tempDir } from './test-fixtures.js';

describe('FolderEvidenceSink', () => {
  const root = tempDir('evidence-folder');
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const sink = new FolderEvidenceSink(root);

  it('delivers the package whole into <root>/<exportId>, where sha256sum -c passes', async () => {
    const { pkg, media } = await samplePackage('exp-folder-1');
    try {
      const receipt = await sink.deliver(pkg);
      const target = path.join(root, 'exp-folder-1');
      assert.equal(receipt.reference, target);
      assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
      assert.deepEqual(fs.readFileSync(path.join(target, 'media/recording-1.webm')), media.get('recording-1.webm'));
      const output = execFileSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: target, encoding: 'utf8' });
      assert.equal(output.trim().split('\n').length, 4);
      assert.doesNotMatch(output, /FAILED/);
      assert.equal(fs.existsSync(path.join(root, '.exp-folder-1.partial')), false);
      assert.match(sink.describe(), /^folder \//);
    } finally {
      await pkg.discard();
    }
  });

  it('treats a second delivery of the same package as done, and refuses a different package under the same export id', async () => {
    const { pkg } = await samplePackage('exp-folder-2');
    const { pkg: other } = await samplePackage('exp-folder-2');
    try {
      await sink.deliver(pkg);
      const again = await sink.deliver(pkg);
      assert.deepEqual(verifyReceipt(pkg, again), { ok: true });

      await assert.rejects(sink.deliver(other), (error: unknown) => {
        assert.ok(error instanceof EvidenceDeliveryError);
        assert.equal(error.retryable, false);
        assert.match(error.message, /already holds a different export exp-folder-2/);
        return true;
      });
      const held = await sink.deliver(pkg);
      assert.deepEqual(verifyReceipt(pkg, held), { ok: true }, 'the first delivery is untouched');
    } finally {
      await Promise.all([pkg.discard(), other.discard()]);
    }
  });

  it('refuses a staged file that changed after packaging and removes its partial folder', async () => {
    const { pkg } = await samplePackage('exp-folder-3');
    try {
      fs.appendFileSync(path.join(pkg.directory, 'media/snapshot-1.jpg'), 'tampered');
      await assert.rejects(sink.deliver(pkg), (error: unknown) => {
        assert.ok(error instanceof ExportIntegrityError);
        assert.equal(error.path, 'media/snapshot-1.jpg');
        return true;
      });
      assert.equal(fs.existsSync(path.join(root, 'exp-folder-3')), false);
      assert.equal(fs.existsSync(path.join(root, '.exp-folder-3.partial')), false);
    } finally {
      await pkg.discard();
    }
  });

  it('replaces the partial folder a crashed delivery left behind', async () => {
    const { pkg } = await samplePackage('exp-folder-4');
    try {
      fs.mkdirSync(path.join(root, '.exp-folder-4.partial/media'), { recursive: true });
      fs.writeFileSync(path.join(root, '.exp-folder-4.partial/media/junk.bin'), 'junk');
      const receipt = await sink.deliver(pkg);
      assert.deepEqual(verifyReceipt(pkg, receipt), { ok: true });
      assert.equal(fs.existsSync(path.join(root, 'exp-folder-4/media/junk.bin')), false);
    } finally {
      await pkg.discard();
    }
  });

  it('stops when aborted and leaves nothing behind', async () => {
    const { pkg } = await samplePackage('exp-folder-5');
    try {
      await assert.rejects(sink.deliver(pkg, AbortSignal.abort()), { name: 'AbortError' });
      assert.equal(fs.existsSync(path.join(root, 'exp-folder-5')), false);
      assert.equal(fs.existsSync(path.join(root, '.exp-folder-5.partial')), false);
    } finally {
      await pkg.discard();
    }
  });
});
