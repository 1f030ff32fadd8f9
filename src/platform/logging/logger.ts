import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

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
    // Issue 17 §1: the victim's shared position.
    'latitude',
    'longitude',
    'victimLocation',
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
    .replace(/^\/s\/[^/]+$/, `/s/${REDACTED}`)
    // Issue 17 §4: the appointment page's link (/a/<token>, and its forms /a/<token>/join, /a/<token>/another-time).
    .replace(/^\/a\/[^/]+(\/join|\/another-time)?$/, `/a/${REDACTED}$1`);
  return q === -1 ? safePath : `${safePath}?${REDACTED}`;
}

const requireOptional = createRequire(import.meta.url);

/**
 * Readable logs for `npm run dev` (LOG_FORMAT=pretty): pino-pretty, a development-only dependency, formats each
 * line after the logger has redacted it, so a pretty log is exactly as free of personal data as a JSON one.
 * Formatting happens in the write itself (no worker thread, no stream in between), so a line logged just before
 * `process.exit` is still written. Undefined when pino-pretty is not installed (`npm ci --omit=dev`).
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream | undefined {
  let prettyFactory: typeof PinoPretty.prettyFactory;
  try {
    ({ prettyFactory } = requireOptional('pino-pretty') as typeof PinoPretty);
  } catch {
    return undefined;
  }
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    // Colours on a terminal (pino-pretty's default); plain text into anything else a caller passes.
    ...(destination ? { colorize: false } : {}),
  });
  const sink = destination ?? pino.destination({ dest: 1, sync: true });
  return { write: (line: string) => sink.write(prettify(line)) };
}

export function createLogger(options: { level: string; destination?: DestinationStream; format?: 'json' | 'pretty' }): Logger {
  const pretty = options.format === 'pretty' ? prettyStream(options.destination) : undefined;
  const logger = pino(
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
    pretty ?? options.destination,
  );
  if (options.format === 'pretty' && !pretty) logger.warn('LOG_FORMAT=pretty needs pino-pretty, a development dependency (run npm install); logging JSON');
  return logger;
}
