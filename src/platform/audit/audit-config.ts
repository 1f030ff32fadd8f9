import path from 'node:path';
import { DEV_AUDIT_HMAC_KEY, weakAuditKeyReason } from './audit-keys.js';

/** The audit log's tamper-evidence settings (DP-01, issue 12; docs/adr/0007). */
export interface AuditConfig {
  /** AUDIT_HMAC_KEY: keys the chain and signs checkpoints; never stored in the database. */
  hmacKey: string;
  /** AUDIT_HMAC_OLD_KEYS: keys rotated out, kept only to verify the events and checkpoints they signed. */
  oldHmacKeys: string[];
  /** AUDIT_CHECKPOINT_FILE: the append-only file of signed checkpoints (outside the database). */
  checkpointFile: string;
  /** AUDIT_CHECKPOINT_MINUTES: how often each node writes a checkpoint (also at start and on shutdown). */
  checkpointMinutes: number;
}

type Env = Record<string, string | undefined>;

export function parseAuditConfig(
  env: Env,
  options: { production: boolean; dataDir: string; sessionSecret: string },
): { config: AuditConfig; problems: string[] } {
  const problems: string[] = [];
  const hmacKey = env.AUDIT_HMAC_KEY?.trim() || DEV_AUDIT_HMAC_KEY;
  const oldHmacKeys = (env.AUDIT_HMAC_OLD_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (options.production) {
    const weakness = env.AUDIT_HMAC_KEY?.trim() ? weakAuditKeyReason(hmacKey) : 'is required in production';
    if (weakness) problems.push(`AUDIT_HMAC_KEY ${weakness}: set at least 32 random bytes, e.g. \`openssl rand -hex 32\`, kept outside the database`);
    if (hmacKey === options.sessionSecret) problems.push('AUDIT_HMAC_KEY must not be the same as SESSION_SECRET: the audit key is kept and rotated on its own');
  }
  if (oldHmacKeys.includes(hmacKey)) problems.push('AUDIT_HMAC_OLD_KEYS must not contain the current AUDIT_HMAC_KEY');
  const checkpointFile = path.resolve(env.AUDIT_CHECKPOINT_FILE?.trim() || path.join(options.dataDir, 'audit-checkpoints.jsonl'));
  const rawMinutes = env.AUDIT_CHECKPOINT_MINUTES?.trim();
  let checkpointMinutes = 5;
  if (rawMinutes) {
    const minutes = Number(rawMinutes);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
      problems.push(`AUDIT_CHECKPOINT_MINUTES must be a whole number from 1 to 1440 (got "${rawMinutes}")`);
    else checkpointMinutes = minutes;
  }
  return { config: { hmacKey, oldHmacKeys, checkpointFile, checkpointMinutes }, problems };
}
