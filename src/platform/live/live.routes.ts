import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { hasPermission } from '../../domain/permissions.js';
import type { Role } from '../../domain/roles.js';
import { AppError } from '../errors.js';
import type { LiveHub } from './live-hub.js';
import { LiveAudience, type AssignedOfficerLookup } from './live-audience.js';
import type { LiveRepository } from './live.repository.js';

/** Tabs a person may keep streaming at once (each holds a connection and a listener on this node). */
export const MAX_STREAMS_PER_SESSION = 5;
/** How stale a "this session is still open" answer may be when an event is sent on it. */
const SESSION_RECHECK_MS = 2_000;
const KEEP_ALIVE_MS = 25_000;

/**
 * Server-sent events: each browser is told which consultation changed (id and state only) and fetches what
 * it is allowed to see. Works across nodes because every node's hub listens on the same database channel.
 * Each stream carries only the events its user needs to know of (DP-01), and ends with its session.
 */
export function liveRoutes(deps: {
  hub: LiveHub | undefined;
  repository: LiveRepository;
  assignedOfficer: AssignedOfficerLookup;
  logger: Logger;
}): FastifyPluginAsync {
  const { hub } = deps;
  const audience = new LiveAudience(deps.repository, deps.assignedOfficer, deps.logger);
  return async (app) => {
    const open = new Set<() => void>();
    const streamsPerSession = new Map<string, number>();
    // Streams never end by themselves: end them when the server shuts down, or shutdown would wait for ever.
    app.addHook('onClose', async () => {
      for (const end of open) end();
    });
    app.get('/live/events', { config: { access: { permission: 'consultation.view' } } }, async (request, reply) => {
      if (!hub) return reply.code(503).send({ error: 'Live updates are not available on this server.' });
      const sessionId = request.staffSession!.sessionId;
      const streams = streamsPerSession.get(sessionId) ?? 0;
      if (streams >= MAX_STREAMS_PER_SESSION) {
        throw new AppError(
          429,
          `Live updates are already open in ${MAX_STREAMS_PER_SESSION} tabs or windows. Close the ones you do not need, then reload this page.`,
        );
      }
      streamsPerSession.set(sessionId, streams + 1);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      reply.raw.write('retry: 2000\n\n');

      // The session is checked again every few seconds (and its roles re-read): a stream ends with its session,
      // and a person whose roles change hears only what the new ones allow.
      let viewer: { id: string; roles: readonly Role[] } = request.user!;
      let checkedAt = Date.now();
      const sessionStillOpen = async (force: boolean): Promise<boolean> => {
        if (!force && Date.now() - checkedAt < SESSION_RECHECK_MS) return true;
        checkedAt = Date.now();
        const now = await audience.viewerOf(sessionId);
        if (!now || !hasPermission(now.roles, 'consultation.view')) return false;
        viewer = now;
        return true;
      };
      // One event at a time per stream, in the order they came.
      let sending = Promise.resolve();
      const unsubscribe = hub.subscribe((event) => {
        sending = sending
          .then(async () => {
            if (!open.has(end)) return;
            if (!(await sessionStillOpen(false))) return end();
            if (await audience.mayReceive(viewer, event)) reply.raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live event not sent'));
      });
      // Proxies drop idle connections; a comment line every 25 s keeps this one open (while its session is).
      const keepAlive = setInterval(() => {
        sending = sending
          .then(async () => {
            if (!open.has(end)) return;
            if (await sessionStillOpen(true)) reply.raw.write(': keep-alive\n\n');
            else end();
          })
          .catch((error: unknown) => request.log.warn({ err: error }, 'live keep-alive not sent'));
      }, KEEP_ALIVE_MS);
      const end = () => {
        if (!open.delete(end)) return;
        clearInterval(keepAlive);
        unsubscribe();
        const left = (streamsPerSession.get(sessionId) ?? 1) - 1;
        if (left > 0) streamsPerSession.set(sessionId, left);
        else streamsPerSession.delete(sessionId);
        reply.raw.end();
      };
      open.add(end);
      request.raw.on('close', end);
      reply.raw.on('close', end);
    });
  };
}
