import { createHmac } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { type AuditKey, type AuditKeyring, sameHex } from './audit-keys.js';
import { canonicalJson } from './chain.js';

/** Where the chain stood at one moment: read from the database in one statement. */
export interface AuditChainHead {
  /** The newest event's seq (0 when the log is empty). */
  seq: number;
  /** The newest event's hash (GENESIS_HASH when empty). */
  hash: string;
  /** How many events there are. */
  count: number;
  /** How many of them are in the old unkeyed format (written before migration 0007). */
  unkeyed: number;
}

/**
 * DP-01 (issue 12): a signed statement, kept outside the database, that the log had `count` events ending in `head`
 * at `at`. Whoever controls the database can delete the newest events (the survivors still link up); they cannot
 * make the log agree with a checkpoint written before, nor forge a new one without the key.
 */
export interface AuditCheckpoint {
  v: 1;
  at: string;
  seq: number;
  count: number;
  unkeyed: number;
  head: string;
  keyId: string;
  signature: string;
}

function signatureOf(key: AuditKey, body: Omit<AuditCheckpoint, 'signature'>): string {
  return createHmac('sha256', key.checkpointKey).update(canonicalJson(body)).digest('hex');
}

export function signCheckpoint(key: AuditKey, head: AuditChainHead, at: Date): AuditCheckpoint {
  const body = { v: 1 as const, at: at.toISOString(), seq: head.seq, count: head.count, unkeyed: head.unkeyed, head: head.hash, keyId: key.id };
  return { ...body, signature: signatureOf(key, body) };
}

export type CheckpointCheck = 'valid' | 'unknown_key' | 'bad_signature';

export function checkCheckpoint(keyring: AuditKeyring, checkpoint: AuditCheckpoint): CheckpointCheck {
  const key = keyring.find(checkpoint.keyId);
  if (!key) return 'unknown_key';
  const { signature, ...body } = checkpoint;
  return sameHex(signature, signatureOf(key, body)) ? 'valid' : 'bad_signature';
}

function isCheckpoint(value: unknown): value is AuditCheckpoint {
  const c = value as Partial<AuditCheckpoint> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.v === 1 &&
    typeof c.at === 'string' &&
    Number.isSafeInteger(c.seq) &&
    Number.isSafeInteger(c.count) &&
    Number.isSafeInteger(c.unkeyed) &&
    typeof c.head === 'string' &&
    typeof c.keyId === 'string' &&
    typeof c.signature === 'string'
  );
}

export interface ParsedCheckpoints {
  checkpoints: AuditCheckpoint[];
  /** Lines that claim to be checkpoints but are not valid: each is a sign the record was altered. */
  problems: string[];
}

/**
 * Reads the checkpoint file, or an export of the application log: a line is either a checkpoint or a log line
 * carrying one under `auditCheckpoint`. Other JSON lines (the rest of a log) are skipped.
 */
export function parseCheckpoints(text: string, keyring: AuditKeyring, source: string): ParsedCheckpoints {
  const checkpoints: AuditCheckpoint[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    const where = `line ${index + 1} of ${source}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`${where} is not a checkpoint (edited, or cut short by a crash while it was written)`);
      return;
    }
    const candidate = (parsed as { auditCheckpoint?: unknown } | null)?.auditCheckpoint ?? parsed;
    if (!isCheckpoint(candidate)) {
      if (typeof parsed === 'object' && parsed !== null && !('auditCheckpoint' in parsed) && !('signature' in parsed)) return;
      problems.push(`${where} is not a complete checkpoint`);
      return;
    }
    const check = checkCheckpoint(keyring, candidate);
    if (check === 'unknown_key') problems.push(`${where} was signed with audit key ${candidate.keyId}, which is not configured (AUDIT_HMAC_OLD_KEYS)`);
    else if (check === 'bad_signature') problems.push(`${where} does not match its signature: the checkpoint was altered or forged`);
    else checkpoints.push(candidate);
  });
  return { checkpoints, problems };
}

/** An append-only file of checkpoints, one JSON line each (AUDIT_CHECKPOINT_FILE). */
export class AuditCheckpointFile {
  constructor(readonly path: string) {}

  async append(checkpoint: AuditCheckpoint): Promise<void> {
    await fs.mkdir(path.dirname(this.path), { recursive: true });
    // 'a' is O_APPEND: one write per line, so lines from several processes never interleave mid-line.
    const handle = await fs.open(this.path, 'a', 0o640);
    try {
      await handle.write(`${JSON.stringify(checkpoint)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** The file's text, or undefined when there is no file yet. */
  async read(): Promise<string | undefined> {
    try {
      return await fs.readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
