import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { keyId, keysFor, type SessionSecrets } from './session-keys.js';

export interface OpenedSecret {
  plaintext: string;
  /** Sealed under a previous key or the v1 format: seal it again with the current key when next used. */
  stale: boolean;
}

/** A sealed value no configured key opens (SESSION_SECRET changed without SESSION_SECRET_PREVIOUS). */
export class UnreadableSecretError extends Error {
  constructor() {
    super('The sealed secret cannot be opened with any configured key');
    this.name = 'UnreadableSecretError';
  }
}

/**
 * Encrypts small secrets kept in the database (TOTP seeds) with AES-256-GCM, so a copy of the database alone does
 * not yield anyone's second factor. Format `v2.<key id>.<iv>.<tag>.<ciphertext>` (base64url): the key id names
 * which of the configured keys sealed it. `v1.<iv>.<tag>.<ciphertext>` values (before ADR 0008) still open, under
 * the key they were made with, and report `stale` so the caller seals them again.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly all: { id: string; key: Buffer }[];

  /** `keys[0]` seals; every key opens. `legacyKeys` open v1 values only. */
  constructor(
    keys: readonly [Buffer, ...Buffer[]],
    private readonly legacyKeys: readonly Buffer[] = [],
  ) {
    this.all = keys.map((key) => ({ id: keyId(key), key }));
    this.current = this.all[0]!;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const header = `v2.${this.current.id}`;
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(header));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [header, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): OpenedSecret {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const [, id, iv, tag, body] = parts as [string, string, string, string, string];
      const candidates = [...this.all.filter((k) => k.id === id), ...this.all.filter((k) => k.id !== id)];
      for (const candidate of candidates) {
        const plaintext = decrypt(candidate.key, iv, tag, body, Buffer.from(`v2.${id}`));
        if (plaintext !== undefined) return { plaintext, stale: candidate !== this.current };
      }
      throw new UnreadableSecretError();
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      const [, iv, tag, body] = parts as [string, string, string, string];
      for (const key of this.legacyKeys) {
        const plaintext = decrypt(key, iv, tag, body);
        if (plaintext !== undefined) return { plaintext, stale: true };
      }
      throw new UnreadableSecretError();
    }
    throw new Error('Not a sealed secret');
  }
}

function decrypt(key: Buffer, iv: string, tag: string, body: string, aad?: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The key v1 seeds were sealed with (HKDF of the raw secret, salt "rvr-secret-box", info "totp"). */
export function legacyTotpKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'rvr-secret-box', 'totp', 32));
}

/** The box for TOTP seeds: the per-purpose key from SESSION_SECRET (and SESSION_SECRET_PREVIOUS while rotating). */
export function totpSeedBox(config: SessionSecrets): SecretBox {
  const secrets = [config.sessionSecret, ...(config.sessionSecretPrevious === undefined ? [] : [config.sessionSecretPrevious])];
  return new SecretBox(keysFor(config, 'totpSeedEncryption'), secrets.map(legacyTotpKey));
}
