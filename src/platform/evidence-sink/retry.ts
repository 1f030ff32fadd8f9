import { setTimeout as sleep } from 'node:timers/promises';
import { EvidenceDeliveryError } from './evidence-sink.js';

export interface RetryPolicy {
  /** Tries in all, including the first. */
  attempts: number;
  /** The wait after the first failure; it doubles after each further one, with jitter. */
  baseDelayMs: number;
  maxDelayMs?: number;
}

const DEFAULT_MAX_DELAY_MS = 60_000;
export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: DEFAULT_MAX_DELAY_MS };

export function checkRetryPolicy(policy: RetryPolicy, owner: string): void {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new Error(`${owner} attempts must be a whole number, at least 1`);
  if (!Number.isFinite(policy.baseDelayMs) || policy.baseDelayMs < 0) throw new Error(`${owner} base delay must be zero or more milliseconds`);
}

/**
 * Runs `attempt` until it succeeds, it throws something that is not a retryable EvidenceDeliveryError, or the
 * attempts run out; the last failure is then reported with the number of attempts made.
 */
export async function withRetries<T>(what: string, policy: RetryPolicy, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let made = 1; ; made++) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof EvidenceDeliveryError) || !error.retryable || signal?.aborted) throw error;
      if (made >= policy.attempts) {
        throw new EvidenceDeliveryError(`${what} failed after ${made} attempt${made === 1 ? '' : 's'}; the last: ${error.message}`, true, error.status, {
          cause: error,
        });
      }
      const maxDelayMs = policy.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
      // A receiver's Retry-After is honoured, but never beyond our own ceiling.
      await sleep(Math.min(Math.max(backOffMs(policy, made, maxDelayMs), error.retryAfterMs ?? 0), maxDelayMs), undefined, { signal });
    }
  }
}

/** Exponential back-off with "equal jitter": half the delay fixed, half random, so many senders do not retry in step. */
function backOffMs(policy: RetryPolicy, failures: number, maxDelayMs: number): number {
  const ceiling = Math.min(policy.baseDelayMs * 2 ** (failures - 1), maxDelayMs);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** fetch reports "fetch failed" and puts the system error (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
export function networkReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return error.name;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : 'network error';
}
