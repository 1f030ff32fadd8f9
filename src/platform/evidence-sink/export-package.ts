import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const EXPORT_FORMAT = 'rvr-evidence-export';
/** 2: the protective marking (SEC-05) and purpose codes (SC-1) were added (issue 16 §3). */
export const EXPORT_FORMAT_VERSION = 2;
export const MANIFEST_PATH = 'manifest.json';
export const CONTINUITY_PATH = 'continuity.jsonl';
export const CHECKSUMS_PATH = 'SHA256SUMS';
const UNSPECIFIED_PURPOSE = 'UNSPECIFIED';

export interface ExportItem {
  id: string;
  kind: string;
  /** Becomes `media/<fileName>`: one path segment of letters, digits, `.`, `_` and `-`. */
  fileName: string;
  mediaType: string;
  /** The hash recorded at capture (EVD-03); the bytes are re-hashed while they are packaged and must match. */
  sha256: string;
  sizeBytes: number;
  capturedAt: Date;
  capturedBy: string;
  classification: string;
  retentionBasis: string;
  /** Set on working copies: the id of the item this one was made from (EVD-03, EVD-09). */
  derivedFrom?: string;
  /** SC-1: the purpose of the session it was captured in (the consultation's when not given). */
  purposeCode?: string;
  open(): Promise<NodeJS.ReadableStream | Readable>;
}

export interface ExportPackageInput {
  exportId: string;
  createdAt: Date;
  force: string;
  incident: { cadReference: string; receivedAt: Date };
  consultation: { id: string; officer: { id: string; name: string }; state: string; /** SC-1 */ purposeCode?: string };
  /** SEC-05: the marking of the whole package (PROTECTIVE_MARKING); OFFICIAL-SENSITIVE when not given. */
  protectiveMarking?: string;
  items: ExportItem[];
  /** Audit chain entries, already redacted. Written as they are, one JSON object per line. */
  continuity: Array<Record<string, unknown>>;
}

export interface ManifestItem {
  id: string;
  kind: string;
  path: string;
  fileName: string;
  mediaType: string;
  sha256: string;
  sizeBytes: number;
  capturedAt: string;
  capturedBy: string;
  classification: string;
  retentionBasis: string;
  derivedFrom: string | null;
  purposeCode: string;
}

/** The contents of manifest.json, documented by docs/schemas/evidence-manifest.schema.json. Times are ISO-8601 UTC. */
export interface EvidenceManifest {
  format: typeof EXPORT_FORMAT;
  formatVersion: typeof EXPORT_FORMAT_VERSION;
  exportId: string;
  createdAt: string;
  force: string;
  /** SEC-05: the Government Security Classification marking of everything in the package. */
  protectiveMarking: string;
  hashAlgorithm: 'SHA-256';
  incident: { cadReference: string; receivedAt: string };
  consultation: { id: string; officer: { id: string; name: string }; state: string; purposeCode: string };
  items: ManifestItem[];
  continuity: { path: typeof CONTINUITY_PATH; entries: number; sha256: string; sizeBytes: number };
}

export interface PackageFile {
  /** Relative to the package root, `/`-separated, e.g. `media/recording-1.webm`. */
  path: string;
  sha256: string;
  sizeBytes: number;
  mediaType: string;
  open(): Readable;
}

/** A staged export: every file on local disk with its hash, ready for any EvidenceSink. */
export interface ExportPackage {
  exportId: string;
  /** The staging directory; `sha256sum -c SHA256SUMS` passes inside it. */
  directory: string;
  /** media/* in item order, then continuity.jsonl, manifest.json and SHA256SUMS. */
  files: readonly PackageFile[];
  manifest: EvidenceManifest;
  /** The manifest lists the hash of every media file and of the continuity log, so this one hash pins the whole package. */
  manifestSha256: string;
  /** Removes the staging directory. */
  discard(): Promise<void>;
}

/** Bytes that are not the bytes that were recorded (or staged). Nothing built from them may be delivered. */
export class ExportIntegrityError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly expectedSha256: string,
    readonly actualSha256: string,
    readonly itemId?: string,
  ) {
    super(message);
    this.name = 'ExportIntegrityError';
  }
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Export ids name folders and object keys, so they are held to one safe path segment. */
export function assertSafeExportId(exportId: string): void {
  if (!SAFE_NAME.test(exportId)) throw new Error(`Unsafe export id ${JSON.stringify(exportId)}: use letters, digits, '.', '_' and '-' only`);
}

/** A package path every sink can use as-is: `/`-separated safe segments, nothing that climbs out. */
export function isSafePackagePath(relative: string): boolean {
  return relative.split('/').every((segment) => SAFE_NAME.test(segment));
}

/**
 * Stages an export package in a new temporary directory (under `stagingRoot`, default the OS temp dir).
 * Media is streamed to disk and re-hashed on the way; a hash or size that differs from the item's record
 * throws ExportIntegrityError and leaves nothing behind. The caller discards the package once delivered.
 */
export async function buildExportPackage(input: ExportPackageInput, options: { stagingRoot?: string } = {}): Promise<ExportPackage> {
  checkInput(input);
  const directory = await fs.promises.mkdtemp(path.join(options.stagingRoot ?? os.tmpdir(), `rvr-export-${input.exportId}-`));
  try {
    await fs.promises.mkdir(path.join(directory, 'media'));
    const files: PackageFile[] = [];
    const manifestItems: ManifestItem[] = [];
    for (const item of input.items) {
      const relative = `media/${item.fileName}`;
      const written = await writeHashed(await item.open(), path.join(directory, relative));
      const expected = item.sha256.toLowerCase();
      if (written.sha256 !== expected) {
        throw new ExportIntegrityError(
          `Item ${item.id} (${item.fileName}) does not match its recorded SHA-256: recorded ${expected}, read ${written.sha256}`,
          relative,
          expected,
          written.sha256,
          item.id,
        );
      }
      if (written.sizeBytes !== item.sizeBytes) {
        // Same hash with another size cannot happen; checked anyway so a wrong size never reaches the manifest.
        throw new ExportIntegrityError(
          `Item ${item.id} (${item.fileName}) is ${written.sizeBytes} bytes, but ${item.sizeBytes} were recorded`,
          relative,
          expected,
          written.sha256,
          item.id,
        );
      }
      files.push(stagedFile(directory, relative, written, item.mediaType));
      manifestItems.push({
        id: item.id,
        kind: item.kind,
        path: relative,
        fileName: item.fileName,
        mediaType: item.mediaType,
        sha256: expected,
        sizeBytes: item.sizeBytes,
        capturedAt: item.capturedAt.toISOString(),
        capturedBy: item.capturedBy,
        classification: item.classification,
        retentionBasis: item.retentionBasis,
        derivedFrom: item.derivedFrom ?? null,
        purposeCode: item.purposeCode ?? input.consultation.purposeCode ?? UNSPECIFIED_PURPOSE,
      });
    }

    const continuity = await writeHashed(Readable.from(continuityLines(input.continuity)), path.join(directory, CONTINUITY_PATH));
    files.push(stagedFile(directory, CONTINUITY_PATH, continuity, 'application/x-ndjson'));

    const manifest: EvidenceManifest = {
      format: EXPORT_FORMAT,
      formatVersion: EXPORT_FORMAT_VERSION,
      exportId: input.exportId,
      createdAt: input.createdAt.toISOString(),
      force: input.force,
      protectiveMarking: input.protectiveMarking ?? 'OFFICIAL-SENSITIVE',
      hashAlgorithm: 'SHA-256',
      incident: { cadReference: input.incident.cadReference, receivedAt: input.incident.receivedAt.toISOString() },
      consultation: {
        id: input.consultation.id,
        officer: { id: input.consultation.officer.id, name: input.consultation.officer.name },
        state: input.consultation.state,
        purposeCode: input.consultation.purposeCode ?? UNSPECIFIED_PURPOSE,
      },
      items: manifestItems,
      continuity: { path: CONTINUITY_PATH, entries: input.continuity.length, sha256: continuity.sha256, sizeBytes: continuity.sizeBytes },
    };
    const manifestFile = await writeSmall(directory, MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
    files.push(manifestFile);

    // Two spaces is sha256sum's text mode; paths are safe segments, so no escaping is ever needed.
    const sums = files.map((file) => `${file.sha256}  ${file.path}\n`).join('');
    files.push(await writeSmall(directory, CHECKSUMS_PATH, sums, 'text/plain'));

    return {
      exportId: input.exportId,
      directory,
      files,
      manifest,
      manifestSha256: manifestFile.sha256,
      discard: () => fs.promises.rm(directory, { recursive: true, force: true }),
    };
  } catch (error) {
    await fs.promises.rm(directory, { recursive: true, force: true });
    throw error;
  }
}

function checkInput(input: ExportPackageInput): void {
  assertSafeExportId(input.exportId);
  const texts: Array<[string, string]> = [
    ['force', input.force],
    ['incident.cadReference', input.incident.cadReference],
    ['consultation.id', input.consultation.id],
    ['consultation.officer.id', input.consultation.officer.id],
    ['consultation.officer.name', input.consultation.officer.name],
    ['consultation.state', input.consultation.state],
  ];
  const dates: Array<[string, Date]> = [
    ['createdAt', input.createdAt],
    ['incident.receivedAt', input.incident.receivedAt],
  ];
  const fileNames = new Set<string>();
  const ids = new Set<string>();
  input.items.forEach((item, index) => {
    const at = `items[${index}]`;
    if (!SAFE_NAME.test(item.fileName))
      throw new Error(`${at}.fileName ${JSON.stringify(item.fileName)} is unsafe: use letters, digits, '.', '_' and '-' only`);
    if (fileNames.has(item.fileName)) throw new Error(`${at}.fileName ${item.fileName} is used by two items`);
    fileNames.add(item.fileName);
    if (ids.has(item.id)) throw new Error(`${at}.id ${item.id} is used by two items`);
    ids.add(item.id);
    if (!SHA256_HEX.test(item.sha256)) throw new Error(`${at}.sha256 must be 64 hex characters`);
    if (!Number.isSafeInteger(item.sizeBytes) || item.sizeBytes < 0) throw new Error(`${at}.sizeBytes must be a whole number of bytes`);
    if (item.derivedFrom !== undefined) texts.push([`${at}.derivedFrom`, item.derivedFrom]);
    texts.push(
      [`${at}.id`, item.id],
      [`${at}.kind`, item.kind],
      [`${at}.mediaType`, item.mediaType],
      [`${at}.capturedBy`, item.capturedBy],
      [`${at}.classification`, item.classification],
      [`${at}.retentionBasis`, item.retentionBasis],
    );
    dates.push([`${at}.capturedAt`, item.capturedAt]);
  });
  for (const [name, value] of texts) if (typeof value !== 'string' || value.trim() === '') throw new Error(`Export ${name} is required`);
  for (const [name, value] of dates) if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new Error(`Export ${name} must be a valid date`);
}

function* continuityLines(entries: Array<Record<string, unknown>>): Generator<string> {
  for (const [index, entry] of entries.entries()) {
    // JSON.stringify escapes newlines inside strings, so each entry is exactly one line.
    const line = JSON.stringify(entry) as string | undefined;
    if (line === undefined || !line.startsWith('{')) throw new Error(`Continuity entry ${index} is not a JSON object`);
    yield `${line}\n`;
  }
}

/** Streams `source` into a new file at `target`, hashing on the way. */
export async function writeHashed(
  source: NodeJS.ReadableStream | Readable,
  target: string,
  options: { signal?: AbortSignal; flush?: boolean } = {},
): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      hash.update(bytes);
      sizeBytes += bytes.length;
      done(null, bytes);
    },
  });
  await pipeline(source, hasher, fs.createWriteStream(target, { flags: 'wx', flush: options.flush ?? false }), { signal: options.signal });
  return { sha256: hash.digest('hex'), sizeBytes };
}

export async function writeSmall(directory: string, relative: string, content: string, mediaType: string): Promise<PackageFile> {
  const bytes = Buffer.from(content, 'utf8');
  await fs.promises.writeFile(path.join(directory, relative), bytes, { flag: 'wx' });
  return stagedFile(directory, relative, { sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length }, mediaType);
}

export function stagedFile(directory: string, relative: string, written: { sha256: string; sizeBytes: number }, mediaType: string): PackageFile {
  const file = path.join(directory, ...relative.split('/'));
  return { path: relative, sha256: written.sha256, sizeBytes: written.sizeBytes, mediaType, open: () => fs.createReadStream(file) };
}

/**
 * A new, empty staging folder in the OS temp dir with the given sub-folders, for a package built outside an export
 * (a subject access pack, issue 16 §1): features stage files through here, never the filesystem (ADR 0014).
 */
export async function stagingFolder(prefix: string, subfolders: string[] = []): Promise<{ directory: string; remove: () => Promise<void> }> {
  const directory = await fs.promises.mkdtemp(path.join(os.tmpdir(), prefix));
  const remove = () => fs.promises.rm(directory, { recursive: true, force: true });
  try {
    for (const name of subfolders) await fs.promises.mkdir(path.join(directory, name));
  } catch (error) {
    await remove();
    throw error;
  }
  return { directory, remove };
}
