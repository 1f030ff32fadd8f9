import fs from 'node:fs';
import path from 'node:path';
import { sha256File } from '../media/sha256-file.js';
import { EvidenceDeliveryError, verifyReceipt, type DeliveryReceipt, type EvidenceSink } from './evidence-sink.js';
import { ExportIntegrityError, assertSafeExportId, isSafePackagePath, writeHashed, type ExportPackage } from './export-package.js';

/**
 * Writes each package to `<root>/<exportId>/`, for a DEMS import folder or a share someone collects from.
 * The folder appears whole or not at all: it is staged in `<root>/.<exportId>.partial` and renamed into place.
 */
export class FolderEvidenceSink implements EvidenceSink {
  readonly name = 'folder';

  constructor(
    private readonly root: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (!root) throw new Error('Evidence folder root is required');
  }

  describe(): string {
    return `folder ${path.resolve(this.root)}`;
  }

  async deliver(pkg: ExportPackage, signal?: AbortSignal): Promise<DeliveryReceipt> {
    assertSafeExportId(pkg.exportId);
    for (const file of pkg.files) if (!isSafePackagePath(file.path)) throw new Error(`Unsafe package path ${JSON.stringify(file.path)}`);
    await fs.promises.mkdir(this.root, { recursive: true });
    const target = path.join(this.root, pkg.exportId);

    const alreadyHeld = await this.held(target);
    if (alreadyHeld) return this.redelivery(pkg, target, alreadyHeld);

    const staging = path.join(this.root, `.${pkg.exportId}.partial`);
    // Only a crashed or aborted delivery of this same export leaves a staging folder behind.
    await fs.promises.rm(staging, { recursive: true, force: true });
    await fs.promises.mkdir(staging);
    try {
      for (const file of pkg.files) {
        signal?.throwIfAborted();
        const destination = path.join(staging, ...file.path.split('/'));
        await fs.promises.mkdir(path.dirname(destination), { recursive: true });
        const copied = await writeHashed(file.open(), destination, { signal, flush: true });
        if (copied.sha256 !== file.sha256) {
          throw new ExportIntegrityError(
            `Staged file ${file.path} of export ${pkg.exportId} changed after packaging: packaged ${file.sha256}, read ${copied.sha256}`,
            file.path,
            file.sha256,
            copied.sha256,
          );
        }
      }
      for (const directory of new Set(pkg.files.map((file) => path.dirname(path.join(staging, ...file.path.split('/')))))) await syncDirectory(directory);
      signal?.throwIfAborted();
      await fs.promises.rename(staging, target);
    } catch (error) {
      await fs.promises.rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      // Another delivery of the same export finished first.
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        const heldNow = await this.held(target);
        if (heldNow) return this.redelivery(pkg, target, heldNow);
      }
      throw error;
    }
    await syncDirectory(this.root);

    // Hashed again from where it now lies, so the receipt reports what the folder holds, not what was sent.
    const received = await this.held(target);
    return { reference: target, receivedSha256: received ?? {}, deliveredAt: this.now() };
  }

  private redelivery(pkg: ExportPackage, target: string, held: Record<string, string>): DeliveryReceipt {
    const receipt = { reference: target, receivedSha256: held, deliveredAt: this.now() };
    const check = verifyReceipt(pkg, receipt);
    if (check.ok) return receipt;
    throw new EvidenceDeliveryError(
      `${target} already holds a different export ${pkg.exportId}, so it was left as it is: ${check.problems.slice(0, 3).join('; ')}`,
      false,
    );
  }

  /** Path to SHA-256 of every file under `directory`, or undefined if there is no such folder. */
  private async held(directory: string): Promise<Record<string, string> | undefined> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(directory, { withFileTypes: true, recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const hashes: Record<string, string> = {};
    for (const entry of entries) {
      if (entry.isDirectory()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const relative = path.relative(directory, file).split(path.sep).join('/');
      hashes[relative] = entry.isFile() ? (await sha256File(file)).sha256 : 'not a regular file';
    }
    return hashes;
  }
}

async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(directory, 'r');
    await handle.sync();
  } catch {
    // Not every platform can fsync a directory (Windows cannot); the files themselves were flushed.
  } finally {
    await handle?.close();
  }
}
