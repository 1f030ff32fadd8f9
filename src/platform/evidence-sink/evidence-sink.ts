import type { ExportPackage } from './export-package.js';

/** What the receiver says it now holds, hashed on its side (EVD-06). */
export interface DeliveryReceipt {
  /** The receiver's name for the delivery: a folder, an object prefix, a DEMS reference. */
  reference: string;
  /** Package path to the SHA-256 (lowercase hex) the receiver computed for it. */
  receivedSha256: Record<string, string>;
  deliveredAt: Date;
}

/**
 * Where export packages go: a folder (default), S3-compatible storage or an HTTP receiver in front of the DEMS.
 * A receipt is not proof on its own: compare it with the package (verifyReceipt) and log the match before any
 * cloud copy is purged (EVD-06, RET-23).
 */
export interface EvidenceSink {
  readonly name: string;
  /** Where packages go, for logs and the admin screen. Never includes a secret. */
  describe(): string;
  deliver(pkg: ExportPackage, signal?: AbortSignal): Promise<DeliveryReceipt>;
}

/**
 * A delivery that did not complete. `retryable` says whether delivering the same package again later may work
 * (receiver down, network trouble) or needs a person to fix something first (credentials, a clashing export).
 */
export class EvidenceDeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EvidenceDeliveryError';
    this.retryAfterMs = options.retryAfterMs;
  }

  /** How long the receiver asked us to wait (Retry-After), if it did. */
  readonly retryAfterMs: number | undefined;
}

/** Checks that the receiver holds every file of the package, byte for byte, and nothing else. */
export function verifyReceipt(pkg: ExportPackage, receipt: DeliveryReceipt): { ok: true } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const received = new Map(Object.entries(receipt.receivedSha256).map(([file, sha256]) => [file, String(sha256).toLowerCase()]));
  for (const file of pkg.files) {
    const theirs = received.get(file.path);
    if (theirs === undefined) problems.push(`${file.path}: the receiver reports no hash for it`);
    else if (theirs !== file.sha256) problems.push(`${file.path}: the receiver computed SHA-256 ${theirs}, the package has ${file.sha256}`);
    received.delete(file.path);
  }
  for (const extra of received.keys()) problems.push(`${extra}: the receiver reports a file that is not in the package`);
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}
