import { createHash } from 'node:crypto';

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

/** DP-01: each event's hash covers the previous hash and this event, so editing any row breaks every later link. */
export function chainHash(prevHash: string, event: ChainedFields): string {
  const body = canonicalJson({
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
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
