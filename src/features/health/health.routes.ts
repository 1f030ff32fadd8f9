import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';

/** Liveness says the process answers; readiness says it can do its work (the database answers). */
export function healthRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/health/live', { config: { access: 'public' } }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { config: { access: 'public' } }, async (request, reply) => {
      const database = await services.health.checkDatabase();
      if (!database.ok) {
        request.log.warn({ error: database.error }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', checks: { database: 'down' } });
      }
      return { status: 'ok', checks: { database: 'up' } };
    });
  };
}
