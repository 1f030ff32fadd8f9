import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Keys whose values are personal data or secrets. Victims' names, numbers and addresses must never reach
 * a log (DP-*, SEC-*): any value under one of these keys, at any depth, is replaced before it is written.
 */
const SECRET_OR_PERSONAL = new Set(
  [
    'name',
    'firstName',
    'lastName',
    'fullName',
    'callerName',
    'victimName',
    'suspectName',
    'displayName',
    'phone',
    'phoneNumber',
    'mobile',
    'callerPhone',
    'telephone',
    'address',
    'location',
    'postcode',
    'email',
    'dateOfBirth',
    'dob',
    'summary',
    'notes',
    'password',
    'newPassword',
    'token',
    'sessionToken',
    'secret',
    'cookie',
    'authorization',
    'set-cookie',
  ].map((k) => k.toLowerCase()),
);

export const REDACTED = '[redacted]';

function scrub(value: unknown, depth: number): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  // Only plain objects are walked: requests, errors and other class instances go to their serializers intact.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_OR_PERSONAL.has(key.toLowerCase()) ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

/** A URL for the log: the path only. Query strings can carry tokens or personal data, so they never go in. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  const pathOnly = q === -1 ? url : url.slice(0, q);
  // A texted link's path is its secret token: never written to a log.
  const safePath = pathOnly
    .replace(/^\/v\/(?!call$|call\/|socket$|quick-exit$|ended$)[^/]+$/, `/v/${REDACTED}`)
    // The satisfaction survey's link (/s/<token>) is a secret too.
    .replace(/^\/s\/[^/]+$/, `/s/${REDACTED}`);
  return q === -1 ? safePath : `${safePath}?${REDACTED}`;
}

export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'rvr' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (object) => scrub(object, 0) as Record<string, unknown> },
      serializers: {
        req: (req: { method: string; url?: string; id: string }) => ({ method: req.method, url: loggableUrl(req.url ?? ''), correlationId: req.id }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination,
  );
}
