import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyReceipt, type DeliveryReceipt } from './evidence-sink.js';
import type { ExportPackage } from './export-package.js';
import { samplePackage } from './test-fixtures.js';

describe('verifyReceipt', () => {
  let pkg: ExportPackage;
  before(async () => ({ pkg } = await samplePackage()));
  after(() => pkg.discard());

  const receiptFor = (hashes: Record<string, string>): DeliveryReceipt => ({ reference: 'r', receivedSha256: hashes, deliveredAt: new Date() });
  const exact = (): Record<string, string> => Object.fromEntries(pkg.files.map((file) => [file.path, file.sha256]));

  it('accepts a receipt holding every file with the same hash, in either hex case', () => {
    assert.deepEqual(verifyReceipt(pkg, receiptFor(exact())), { ok: true });
    const upper = Object.fromEntries(Object.entries(exact()).map(([file, sha256]) => [file, sha256.toUpperCase()]));
    assert.deepEqual(verifyReceipt(pkg, receiptFor(upper)), { ok: true });
  });

  it('reports a wrong hash, a missing file and a file the package does not have', () => {
    const hashes = exact();
    hashes['media/recording-1.webm'] = '0'.repeat(64);
    delete hashes['SHA256SUMS'];
    hashes['media/extra.bin'] = '1'.repeat(64);
    const result = verifyReceipt(pkg, receiptFor(hashes));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.problems.length, 3);
    assert.match(result.problems[0]!, /^media\/recording-1\.webm: the receiver computed SHA-256 0{64}, the package has [0-9a-f]{64}$/);
    assert.match(result.problems[1]!, /^SHA256SUMS: the receiver reports no hash for it$/);
    assert.match(result.problems[2]!, /^media\/extra\.bin: the receiver reports a file that is not in the package$/);
  });
});
