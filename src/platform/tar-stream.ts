import fs from 'node:fs';
import { Readable } from 'node:stream';

/**
 * A POSIX ustar archive of files already staged on disk, streamed (no dependency): a 512-byte header per file, the
 * bytes padded to 512, two empty blocks at the end. Paths are `/`-separated and at most 100 bytes (the packages that
 * use it name their files with safe segments). Read by `tar -x`, 7-Zip and Windows' own tar.
 */
export interface TarEntry {
  /** The path inside the archive. */
  path: string;
  /** The file on disk. */
  file: string;
  sizeBytes: number;
}

const BLOCK = 512;

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, '0')}\0`;
}

export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length === 0 || nameBytes.length > 100) throw new Error(`Tar path must be 1-100 bytes: ${JSON.stringify(name)}`);
  const header = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(header, 0);
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

export function tarStream(entries: readonly TarEntry[], mtime: Date): Readable {
  return Readable.from(
    (async function* () {
      for (const entry of entries) {
        yield tarHeader(entry.path, entry.sizeBytes, mtime);
        let written = 0;
        for await (const chunk of fs.createReadStream(entry.file)) {
          written += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        if (written !== entry.sizeBytes) throw new Error(`${entry.path} changed while it was archived`);
        const pad = (BLOCK - (written % BLOCK)) % BLOCK;
        if (pad > 0) yield Buffer.alloc(pad, 0);
      }
      yield Buffer.alloc(BLOCK * 2, 0);
    })(),
  );
}
