import { createHash, createHmac } from 'node:crypto';

/** The first event of the chain links to this. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  at: Date;
  what: string;
  who: string;
  subject: string | null;
  correlationId: string | null;
  actorRole: string | null;
  sessionId: string | null;
  clientIp: string | null;
  recipient: string | null;
  justification: string | null;
  details: unknown;
}

/**
 * JSON with object keys sorted at every depth, so the same event always hashes the same way
 * whatever order PostgreSQL's jsonb hands the keys back in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function eventFields(event: ChainedFields): Record<string, unknown> {
  return {
    at: event.at.toISOString(),
    what: event.what,
    who: event.who,
    subject: event.subject,
    correlationId: event.correlationId,
    actorRole: event.actorRole,
    sessionId: event.sessionId,
    clientIp: event.clientIp,
    recipient: event.recipient,
    justification: event.justification,
    details: event.details,
  };
}

/**
 * The first chain format (events written before migration 0007, `key_id` NULL): plain SHA-256 over the previous
 * hash and the event. Anyone who can write the table can recompute it, so it is only accepted for those old events.
 */
export function unkeyedChainHash(prevHash: string, event: ChainedFields): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(eventFields(event)))
    .digest('hex');
}

/**
 * DP-01 (issue 12): HMAC-SHA256 with a key the database never holds, over the previous hash, the event and the id of
 * the key used. Editing a row and recomputing every later link needs the key, so the owner of the database cannot
 * rewrite history unnoticed. The key id is covered too, so an event cannot be relabelled to another key.
 */
export function keyedChainHash(chainKey: Buffer, keyId: string, prevHash: string, event: ChainedFields): string {
  return createHmac('sha256', chainKey)
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ ...eventFields(event), keyId }))
    .digest('hex');
}
