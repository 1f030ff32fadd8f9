import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { ExportIntegrityError, buildExportPackage, type EvidenceManifest } from './export-package.js';
import { sampleInput, sha256, tempDir } from './test-fixtures.js';

const schema = JSON.parse(fs.readFileSync(new URL('../../../docs/schemas/evidence-manifest.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validateManifest = ajv.compile(schema);

describe('buildExportPackage', () => {
  const staging = tempDir('export-staging');
  after(() => fs.rmSync(staging, { recursive: true, force: true }));

  it('stages media, manifest, continuity log and a SHA256SUMS that sha256sum -c accepts', async () => {
    const { input, media } = sampleInput();
    const pkg = await buildExportPackage(input, { stagingRoot: staging });
    try {
      assert.deepEqual(
        pkg.files.map((file) => file.path),
        ['media/recording-1.webm', 'media/snapshot-1.jpg', 'continuity.jsonl', 'manifest.json', 'SHA256SUMS'],
      );
      for (const [fileName, bytes] of media) assert.deepEqual(fs.readFileSync(path.join(pkg.directory, 'media', fileName)), bytes);
      for (const file of pkg.files) {
        const bytes = fs.readFileSync(path.join(pkg.directory, file.path));
        assert.equal(file.sha256, sha256(bytes), file.path);
        assert.equal(file.sizeBytes, bytes.length, file.path);
      }

      const output = execFileSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: pkg.directory, encoding: 'utf8' });
      assert.match(output, /media\/recording-1\.webm: OK/);
      const sums = fs.readFileSync(path.join(pkg.directory, 'SHA256SUMS'), 'utf8');
      assert.match(sums, /^([0-9a-f]{64} {2}\S+\n){4}$/);
      assert.doesNotMatch(sums, /SHA256SUMS/);
      assert.equal(pkg.manifestSha256, sha256(fs.readFileSync(path.join(pkg.directory, 'manifest.json'))));
    } finally {
      await pkg.discard();
    }
    assert.equal(fs.existsSync(pkg.directory), false);
  });

  it('writes a manifest that matches the published JSON Schema, with UTC times and every field', async () => {
    const { input, media } = sampleInput();
    const pkg = await buildExportPackage(input, { stagingRoot: staging });
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(pkg.directory, 'manifest.json'), 'utf8')) as EvidenceManifest;
      assert.equal(validateManifest(manifest), true, JSON.stringify(validateManifest.errors));
      assert.deepEqual(manifest, pkg.manifest);
      assert.equal(manifest.formatVersion, 2);
      // SEC-05 and SC-1: the package's marking, and the purpose of the session on the consultation and every item.
      assert.equal(manifest.protectiveMarking, 'OFFICIAL-SENSITIVE');
      assert.equal(manifest.createdAt, '2025-06-01T12:00:00.000Z');
      assert.deepEqual(manifest.incident, { cadReference: 'CAD-20250601-0042', receivedAt: '2025-06-01T09:30:00.000Z' });
      assert.deepEqual(manifest.consultation, {
        id: 'cons-1',
        officer: { id: 'officer-7', name: 'PC A. Example' },
        state: 'closed',
        purposeCode: 'DA_RVR_INVESTIGATION',
      });
      assert.deepEqual(manifest.items[1], {
        id: 'snap-1',
        kind: 'snapshot',
        path: 'media/snapshot-1.jpg',
        fileName: 'snapshot-1.jpg',
        mediaType: 'image/jpeg',
        sha256: sha256(media.get('snapshot-1.jpg')!),
        sizeBytes: 10_000,
        capturedAt: '2025-06-01T09:50:00.000Z',
        capturedBy: 'officer-7',
        classification: 'OFFICIAL-SENSITIVE',
        retentionBasis: 'MOPI group 3',
        derivedFrom: 'rec-1',
        purposeCode: 'DA_RVR_INVESTIGATION',
      });
      assert.equal(manifest.items[0]!.derivedFrom, null);
      const continuity = pkg.files.find((file) => file.path === 'continuity.jsonl')!;
      assert.deepEqual(manifest.continuity, { path: 'continuity.jsonl', entries: 2, sha256: continuity.sha256, sizeBytes: continuity.sizeBytes });
    } finally {
      await pkg.discard();
    }
  });

  it('writes the continuity log as one JSON object per line, newlines inside values included', async () => {
    const { input } = sampleInput();
    const pkg = await buildExportPackage(input, { stagingRoot: staging });
    try {
      const text = fs.readFileSync(path.join(pkg.directory, 'continuity.jsonl'), 'utf8');
      const lines = text.split('\n');
      assert.equal(lines.pop(), '');
      assert.equal(lines.length, 2);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.deepEqual(entries[1], { at: '2025-06-01T12:00:00.000Z', what: 'export', who: 'officer-7', reason: 'file for CPS\nsecond line' });
    } finally {
      await pkg.discard();
    }
  });

  it('throws ExportIntegrityError naming the item when its bytes do not match the recorded hash, and leaves nothing staged', async () => {
    const { input } = sampleInput();
    const original = input.items[0]!;
    input.items[0] = { ...original, open: async () => Readable.from([Buffer.alloc(original.sizeBytes, 1)]) };
    await assert.rejects(buildExportPackage(input, { stagingRoot: staging }), (error: unknown) => {
      assert.ok(error instanceof ExportIntegrityError);
      assert.equal(error.itemId, 'rec-1');
      assert.equal(error.path, 'media/recording-1.webm');
      assert.equal(error.expectedSha256, original.sha256);
      assert.match(error.message, /Item rec-1 \(recording-1\.webm\) does not match its recorded SHA-256/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  it('throws ExportIntegrityError when the recorded size is wrong', async () => {
    const { input } = sampleInput();
    input.items[1] = { ...input.items[1]!, sizeBytes: 9_999 };
    await assert.rejects(buildExportPackage(input, { stagingRoot: staging }), /Item snap-1 \(snapshot-1\.jpg\) is 10000 bytes, but 9999 were recorded/);
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  it('leaves nothing staged when an item stream fails midway', async () => {
    const { input } = sampleInput();
    const failing = new Readable({
      read() {
        this.push(Buffer.from('partial'));
        this.destroy(new Error('storage went away'));
      },
    });
    input.items[1] = { ...input.items[1]!, open: async () => failing };
    await assert.rejects(buildExportPackage(input, { stagingRoot: staging }), /storage went away/);
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  it('streams a large item without trouble', async () => {
    const { input } = sampleInput();
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const chunks = 24;
    const whole = sha256(Buffer.concat(Array.from({ length: chunks }, () => chunk)));
    input.items = [
      {
        ...input.items[0]!,
        sha256: whole,
        sizeBytes: chunk.length * chunks,
        open: async () =>
          Readable.from(
            (function* () {
              for (let i = 0; i < chunks; i++) yield chunk;
            })(),
          ),
      },
    ];
    const pkg = await buildExportPackage(input, { stagingRoot: staging });
    try {
      assert.equal(fs.statSync(path.join(pkg.directory, 'media/recording-1.webm')).size, chunk.length * chunks);
    } finally {
      await pkg.discard();
    }
  });

  it('refuses unsafe or clashing names, bad hashes and invalid dates before writing anything', async () => {
    const cases: Array<[string, (input: ReturnType<typeof sampleInput>['input']) => void, RegExp]> = [
      ['export id', (input) => (input.exportId = '../escape'), /Unsafe export id/],
      ['file name', (input) => (input.items[0]!.fileName = '../../etc/passwd'), /fileName .* is unsafe/],
      ['hidden file', (input) => (input.items[0]!.fileName = '.hidden'), /fileName .* is unsafe/],
      ['duplicate file', (input) => (input.items[1]!.fileName = input.items[0]!.fileName), /used by two items/],
      ['hash', (input) => (input.items[0]!.sha256 = 'abc'), /sha256 must be 64 hex characters/],
      ['date', (input) => (input.incident.receivedAt = new Date('not a date')), /incident\.receivedAt must be a valid date/],
      ['blank', (input) => (input.consultation.officer.name = ' '), /consultation\.officer\.name is required/],
    ];
    for (const [name, spoil, expected] of cases) {
      const { input } = sampleInput();
      spoil(input);
      await assert.rejects(buildExportPackage(input, { stagingRoot: staging }), expected, name);
    }
    assert.deepEqual(fs.readdirSync(staging), []);
  });

  it('has a schema that refuses local times and unknown fields', async () => {
    const { input } = sampleInput();
    const pkg = await buildExportPackage(input, { stagingRoot: staging });
    await pkg.discard();
    assert.equal(validateManifest({ ...pkg.manifest, createdAt: '2025-06-01T13:00:00+01:00' }), false);
    assert.equal(validateManifest({ ...pkg.manifest, surprise: true }), false);
    assert.equal(validateManifest({ ...pkg.manifest, items: [{ ...pkg.manifest.items[0], sha256: 'ABC' }] }), false);
  });
});
