import type { FastifyPluginAsync } from 'fastify';
import type { LiveHub } from './live-hub.js';

/**
 * Server-sent events: each browser is told which consultation changed (id and state only) and fetches what
 * it is allowed to see. Works across nodes because every node's hub listens on the same database channel.
 */
export function liveRoutes(hub: LiveHub | undefined): FastifyPluginAsync {
  return async (app) => {
    const open = new Set<() => void>();
    // Streams never end by themselves: end them when the server shuts down, or shutdown would wait for ever.
    app.addHook('onClose', async () => {
      for (const end of open) end();
    });
    app.get('/live/events', { config: { access: { permission: 'consultation.view' } } }, async (request, reply) => {
      if (!hub) return reply.code(503).send({ error: 'Live updates are not available on this server.' });
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      reply.raw.write('retry: 2000\n\n');
      const unsubscribe = hub.subscribe((event) => reply.raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`));
      // Proxies drop idle connections; a comment line every 25 s keeps this one open.
      const keepAlive = setInterval(() => reply.raw.write(': keep-alive\n\n'), 25_000);
      const end = () => {
        if (!open.delete(end)) return;
        clearInterval(keepAlive);
        unsubscribe();
        reply.raw.end();
      };
      open.add(end);
      request.raw.on('close', end);
      reply.raw.on('close', end);
    });
  };
}
