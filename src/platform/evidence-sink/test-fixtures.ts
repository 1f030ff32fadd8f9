import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildExportPackage, type ExportItem, type ExportPackage, type ExportPackageInput } from './export-package.js';

/** Test support only: a small export with a master recording, a working copy and a continuity log. */
export function sampleInput(exportId = 'exp-2025-0001'): { input: ExportPackageInput; media: Map<string, Buffer> } {
  const recording = randomBytes(300_000);
  const snapshot = randomBytes(10_000);
  const media = new Map([
    ['recording-1.webm', recording],
    ['snapshot-1.jpg', snapshot],
  ]);
  const item = (fields: Omit<ExportItem, 'sha256' | 'sizeBytes' | 'open'>, bytes: Buffer): ExportItem => ({
    ...fields,
    sha256: sha256(bytes),
    sizeBytes: bytes.length,
    // Several chunks, as a real file stream would give.
    open: async () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
  });
  const input: ExportPackageInput = {
    exportId,
    createdAt: new Date('2025-06-01T12:00:00.000Z'),
    force: 'Exampleshire Police',
    incident: { cadReference: 'CAD-20250601-0042', receivedAt: new Date('2025-06-01T09:30:00.000Z') },
    consultation: { id: 'cons-1', officer: { id: 'officer-7', name: 'PC A. Example' }, state: 'closed', purposeCode: 'DA_RVR_INVESTIGATION' },
    protectiveMarking: 'OFFICIAL-SENSITIVE',
    items: [
      item(
        {
          id: 'rec-1',
          kind: 'recording',
          fileName: 'recording-1.webm',
          mediaType: 'video/webm',
          capturedAt: new Date('2025-06-01T09:45:00.000Z'),
          capturedBy: 'officer-7',
          classification: 'OFFICIAL-SENSITIVE',
          retentionBasis: 'MOPI group 3',
        },
        recording,
      ),
      item(
        {
          id: 'snap-1',
          kind: 'snapshot',
          fileName: 'snapshot-1.jpg',
          mediaType: 'image/jpeg',
          capturedAt: new Date('2025-06-01T09:50:00.000Z'),
          capturedBy: 'officer-7',
          classification: 'OFFICIAL-SENSITIVE',
          retentionBasis: 'MOPI group 3',
          derivedFrom: 'rec-1',
        },
        snapshot,
      ),
    ],
    continuity: [
      { at: new Date('2025-06-01T09:45:00.000Z'), what: 'capture', who: 'officer-7', hash: sha256(recording) },
      { at: new Date('2025-06-01T12:00:00.000Z'), what: 'export', who: 'officer-7', reason: 'file for CPS\nsecond line' },
    ],
  };
  return { input, media };
}

export async function samplePackage(exportId?: string): Promise<{ pkg: ExportPackage; media: Map<string, Buffer> }> {
  const { input, media } = sampleInput(exportId);
  return { pkg: await buildExportPackage(input), media };
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rvr-${name}-`));
}
