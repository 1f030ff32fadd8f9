import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Used outside production only; production refuses to start without its own AUDIT_HMAC_KEY. */
export const DEV_AUDIT_HMAC_KEY = 'dev-only-audit-hmac-key-do-not-use-in-production';

export interface AuditKey {
  /** Stored with every event and checkpoint; derived from the key, so it names the key without revealing it. */
  id: string;
  chainKey: Buffer;
  checkpointKey: Buffer;
}

function derive(secret: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `rvr audit ${label} v1`, 32));
}

export function auditKey(secret: string): AuditKey {
  return {
    id: createHmac('sha256', derive(secret, 'key id')).update('key id').digest('hex').slice(0, 16),
    // Separate keys per purpose: a chain hash can never be passed off as a checkpoint signature or the reverse.
    chainKey: derive(secret, 'chain'),
    checkpointKey: derive(secret, 'checkpoint'),
  };
}

/**
 * The audit keys from configuration: the current key signs new events and checkpoints; previous keys (after a
 * rotation) only verify what they signed. Neither is ever written to the database.
 */
export class AuditKeyring {
  readonly current: AuditKey;
  private readonly byId = new Map<string, AuditKey>();

  constructor(currentSecret: string, previousSecrets: readonly string[] = []) {
    this.current = auditKey(currentSecret);
    for (const key of [this.current, ...previousSecrets.map(auditKey)]) this.byId.set(key.id, key);
  }

  static development(): AuditKeyring {
    return new AuditKeyring(DEV_AUDIT_HMAC_KEY);
  }

  find(id: string): AuditKey | undefined {
    return this.byId.get(id);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}

export function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Shannon entropy of the characters, times the length: a rough lower bar that refuses "aaaa…", "password123…" and
 * other made-up keys while accepting `openssl rand -hex 32` (about 250 bits by this measure) or `-base64 32`.
 */
export function estimatedEntropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / length) * Math.log2(n / length);
  return perChar * length;
}

export const MIN_AUDIT_KEY_LENGTH = 32;
export const MIN_AUDIT_KEY_BITS = 128;

/** Why a key is not good enough for production, or undefined when it is. */
export function weakAuditKeyReason(secret: string): string | undefined {
  if (secret === DEV_AUDIT_HMAC_KEY) return 'is the development default';
  if (secret.length < MIN_AUDIT_KEY_LENGTH) return `must be at least ${MIN_AUDIT_KEY_LENGTH} characters`;
  if (estimatedEntropyBits(secret) < MIN_AUDIT_KEY_BITS) return 'is not random enough (too few different characters)';
  return undefined;
}
