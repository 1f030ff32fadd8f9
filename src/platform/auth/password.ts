import { hash, verify } from '@node-rs/argon2';

/** argon2id's cost parameters (@node-rs/argon2 defaults to argon2id). */
export interface PasswordHashing {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's recommended minimum for argon2id (19 MiB, 2 passes): the only parameters outside the test suite. */
export const STANDARD_PASSWORD_HASHING: PasswordHashing = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Cheap enough for a test suite that creates and signs in thousands of accounts (PASSWORD_HASHING=test-only-weak,
 * which config refuses unless NODE_ENV=test). Hashes record their own parameters, so verifying is unaffected.
 */
export const TEST_ONLY_PASSWORD_HASHING: PasswordHashing = { memoryCost: 256, timeCost: 1, parallelism: 1 };

export function hashPassword(password: string, hashing: PasswordHashing = STANDARD_PASSWORD_HASHING): Promise<string> {
  return hash(password, hashing);
}

/** A hash computed once, so an unknown username costs the same time as a wrong password (no user enumeration). */
const decoyHashes = new Map<PasswordHashing, Promise<string>>();

export async function verifyPassword(
  passwordHash: string | null | undefined,
  password: string,
  hashing: PasswordHashing = STANDARD_PASSWORD_HASHING,
): Promise<boolean> {
  if (!passwordHash) {
    let decoyHash = decoyHashes.get(hashing);
    if (!decoyHash) decoyHashes.set(hashing, (decoyHash = hashPassword('decoy-password-never-matches', hashing)));
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
