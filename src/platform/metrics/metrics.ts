import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** A registry per app (not prom-client's global one), so several apps in one test process do not collide. */
export function registerMetrics(app: FastifyInstance, sources: { evidenceIntegrityFailures: () => Promise<number> }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rvr_' });
  new Gauge({
    name: 'rvr_evidence_integrity_failures',
    help: 'Evidence masters whose latest integrity check found them changed or missing (EVD-02); alert on any value above 0',
    registers: [registry],
    async collect() {
      this.set(await sources.evidenceIntegrityFailures());
    },
  });
  const duration = new Histogram({
    name: 'rvr_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the concrete URL: ids and tokens must not become label values.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { config: { access: 'public' } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
