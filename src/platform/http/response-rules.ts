import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isStaticAsset } from './request-guard.js';

/**
 * Two rules every response follows, whichever route answered it (so no route has to remember them):
 *
 * 1. Nothing but static files is kept by a browser or a shared cache (SEC-07, DP-01): pages and JSON show
 *    victims' details, risk assessments, call records and audit entries, and a back button or a proxy must
 *    not show them again after sign-out. A route that sets its own Cache-Control keeps it.
 * 2. An answer given before the request body was read to its end (a refusal before the body was parsed, an
 *    upload stopped at its limit) closes the connection. Otherwise the unread rest of the body stays in the
 *    kept-alive connection and the client's next request on it is never answered.
 */
export function registerResponseRules(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    if (!isStaticAsset(request.url) && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    // Like Fastify's own answer to a body over its limit: the client reconnects for its next request.
    if (bodyLeftUnread(request)) reply.header('connection', 'close');
  });
}

function bodyLeftUnread(request: FastifyRequest): boolean {
  const { headers } = request.raw;
  const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  return hasBody && !request.raw.readableEnded;
}
