import { createHash, hkdfSync } from 'node:crypto';

/**
 * One key per purpose, derived from SESSION_SECRET with HKDF-SHA-256 under distinct labels (ADR 0008), so a value
 * made for one purpose never verifies or decrypts under another: an evidence grant is not a cookie signature,
 * and a leaked cookie key says nothing about the TOTP seeds. The raw secret itself is never used as a key.
 * The audit chain's key is separate configuration (AUDIT_HMAC_KEY), never derived from this secret.
 */
export const KEY_LABELS = {
  /** Signed cookies: the staff session, the CSRF secret and the single sign-on login request. */
  cookieSigning: 'rvr/v1/cookie-signing',
  /** AES-256-GCM encryption of TOTP seeds at rest (SEC-08). */
  totpSeedEncryption: 'rvr/v1/totp-seed-encryption',
  /** HMAC of the short-lived grant that lets a justified opening of an evidence item play it (DP-01). */
  evidenceGrant: 'rvr/v1/evidence-playback-grant',
} as const;

export type KeyPurpose = keyof typeof KEY_LABELS;

/** SESSION_SECRET and, during a rotation, SESSION_SECRET_PREVIOUS (the slice of the configuration keys come from). */
export interface SessionSecrets {
  sessionSecret: string;
  sessionSecretPrevious: string | undefined;
}

const SALT = 'rvr-session-secret';

export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, KEY_LABELS[purpose], 32));
}

/**
 * The keys for one purpose: the first (from SESSION_SECRET) makes new values; every key verifies or decrypts, so
 * during a rotation what was made under SESSION_SECRET_PREVIOUS keeps working until it is replaced.
 */
export function keysFor(config: SessionSecrets, purpose: KeyPurpose): [Buffer, ...Buffer[]] {
  const previous = config.sessionSecretPrevious === undefined ? [] : [deriveKey(config.sessionSecretPrevious, purpose)];
  return [deriveKey(config.sessionSecret, purpose), ...previous];
}

/** A short, non-secret name for a key (stored beside what it sealed, so the right key is tried first). */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('rvr-key-id').update(key).digest('base64url').slice(0, 8);
}
