import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Actor } from '../../platform/context.js';

/**
 * The signed, short-lived grant with which a web node opens a call's socket on the owning media node (ADR 0013):
 * HMAC-SHA-256 over the call, the participant, the actor, the observation (for a supervisor) and the expiry, under
 * a key derived from CLUSTER_SECRET for this purpose only. The web node has already authenticated the person; the
 * media node checks only that a node of the cluster says so, for this call and participant, within the minute.
 */
export interface CallSocketGrant {
  callId: string;
  participantId: string;
  actor: Actor;
  correlationId: string;
  clientIp?: string;
  /** Issue 17 §2: the language of a link-holder's page, for the words the call's room sends it (English if absent). */
  language?: 'en' | 'cy';
  /** A supervisor observing: their observation, which the media node ends when they go. */
  observation?: { id: string; victimNotified: boolean };
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /**
   * What the grant is for: opening the call's socket (the default, also for grants without the field), or passing
   * an alert that reached another node (a photo sent, "Exit this page") to the owner. Each end refuses the other's.
   */
  purpose?: 'socket' | 'alert';
  alert?: CallAlertKind;
}

/** Alerts for the officer that may arrive, over HTTP, at a web node that does not own the call. */
export type CallAlertKind = 'upload' | 'quick_exit';

export const GRANT_TTL_MS = 30_000;

export function grantKey(clusterSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', clusterSecret, 'rvr-cluster-secret', 'rvr/v1/call-socket-grant', 32));
}

export function signGrant(key: Buffer, grant: CallSocketGrant): string {
  const body = Buffer.from(JSON.stringify(grant)).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

export function verifyGrant(key: Buffer, token: string, now = Date.now()): { ok: true; grant: CallSocketGrant } | { ok: false; reason: string } {
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad signature (is CLUSTER_SECRET the same on every node?)' };
  let grant: CallSocketGrant;
  try {
    grant = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CallSocketGrant;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof grant.expiresAt !== 'number' || grant.expiresAt < now) return { ok: false, reason: 'expired' };
  if (grant.expiresAt > now + 2 * GRANT_TTL_MS) return { ok: false, reason: 'expiry too far ahead' };
  return { ok: true, grant };
}
