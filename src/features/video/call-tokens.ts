import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: the texted link's token and the call session's cookie secret (RVR-07, SEC). */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash is stored: a database reader cannot rebuild a link or a call session from it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Tokens that cannot be ours are refused before any database lookup. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
