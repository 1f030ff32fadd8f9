import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// Words that make a password guessable for this service in particular.
const SERVICE_WORDS = ['rvr', 'police', 'kent', 'officer', 'constable', 'video', 'response', 'password', 'welcome', 'letmein'];

const estimator = new ZxcvbnFactory({ dictionary: { ...common.dictionary, service: SERVICE_WORDS }, graphs: common.adjacencyGraphs });

/**
 * The demo accounts' password, printed in the README and at start-up: never a real account's password. Only the
 * demo seeder may use it (development only), and in production even a demo account cannot sign in with it.
 */
export const DEMO_PASSWORD = 'rvr-training-only-2026';

/** Whether a password is, or is built on, one that has been published. */
export function isPublishedPassword(password: string): boolean {
  return password.toLowerCase().includes(DEMO_PASSWORD);
}

/** The ~49,000 most common passwords, for the exact-match deny-list check (NIST 800-63B 5.1.1.2). */
const COMMON = new Set<string>(common.dictionary['passwords-common'].map((p) => p.toLowerCase()));

/**
 * Why a password may not be used, or undefined if it may: at least 12 characters, not the published demo password,
 * not on the list of common passwords, not built around the username, and not easily guessed (zxcvbn score 3 or more).
 */
export function passwordProblem(password: string, context: { username?: string; displayName?: string } = {}): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `Password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`;
  const lower = password.toLowerCase();
  if (isPublishedPassword(password)) return "That password is published (it is the demo accounts' password); choose another";
  if (COMMON.has(lower)) return 'That password is on the list of commonly used passwords; choose another';
  const personal = [context.username, ...(context.displayName?.split(/\s+/) ?? [])].filter((w): w is string => !!w && w.length >= 3);
  if (personal.some((word) => lower.includes(word.toLowerCase()))) return 'Password must not contain your username or name';
  if (estimator.check(password, personal).score < 3) return 'Password is too easy to guess; try a longer phrase of three or four unrelated words';
  return undefined;
}
