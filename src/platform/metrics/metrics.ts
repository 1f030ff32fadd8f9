import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus `/metrics` (SEC-04 principle 11): never open to the world in production. */
export interface MetricsConfig {
  /** false: not served at all (production without a token or a port of its own). */
  enabled: boolean;
  /** METRICS_TOKEN: the scraper must send `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** METRICS_PORT: served on this port only (bound to METRICS_HOST), and not on the service's own port. */
  port: number | undefined;
  host: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The server of `/metrics` on a port of its own (METRICS_PORT), started by `listenForMetrics`. */
    metricsServer: http.Server | undefined;
  }
}

const TOKEN_NEEDED = 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".';

/**
 * A registry per app (not prom-client's global one), so several apps in one test process do not collide.
 * `/metrics` is served on the service's port, on a port of its own, or not at all, and with a bearer token when one
 * is configured (SEC-04 principle 11: route patterns, timings and the evidence integrity count are not for the world).
 */
export interface MetricSources {
  evidenceIntegrityFailures: () => Promise<number>;
  /** Media worker processes (ADR 0012): rooms, up, restarts; empty when the rooms run in this process. */
  mediaWorkers?: () => { index: number; up: boolean; rooms: number; restarts: number }[];
}

export function registerMetrics(app: FastifyInstance, sources: MetricSources, settings: MetricsConfig): Registry {
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
  const workerGauge = (name: string, help: string, value: (worker: ReturnType<NonNullable<MetricSources['mediaWorkers']>>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const worker of sources.mediaWorkers?.() ?? []) this.set({ worker: String(worker.index) }, value(worker));
      },
    });
  workerGauge('rvr_media_worker_rooms', 'Call media rooms on each media worker process', (worker) => worker.rooms);
  workerGauge('rvr_media_worker_up', 'Whether each media worker process is up (1) or starting again (0)', (worker) => (worker.up ? 1 : 0));
  workerGauge(
    'rvr_media_worker_restarts',
    'Times each media worker process stopped unexpectedly and was started again since the server started',
    (worker) => worker.restarts,
  );
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

  const authorised = tokenCheck(settings.token);
  app.decorate('metricsServer', undefined);
  if (!settings.enabled) {
    app.log.warn('/metrics is off: in production set METRICS_TOKEN (bearer token) or METRICS_PORT (a port of its own) to serve it');
    return registry;
  }
  if (settings.port === undefined) {
    app.get('/metrics', { config: { access: 'public' } }, async (request, reply) => {
      if (!authorised(request.headers.authorization))
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ error: TOKEN_NEEDED, correlationId: request.id });
      reply.type(registry.contentType);
      return registry.metrics();
    });
    return registry;
  }
  const server = http.createServer((request, response) => {
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body);
    };
    if (new URL(request.url ?? '/', 'http://metrics').pathname !== '/metrics') return answer(404, 'Not found. Metrics are at /metrics.\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Only GET.\n', { allow: 'GET, HEAD' });
    if (!authorised(request.headers.authorization)) return answer(401, `${TOKEN_NEEDED}\n`, { 'www-authenticate': 'Bearer realm="metrics"' });
    registry.metrics().then(
      (text) => answer(200, request.method === 'HEAD' ? '' : text, { 'content-type': registry.contentType }),
      (error: Error) => {
        app.log.error({ err: error }, 'metrics collection failed');
        answer(500, 'Metrics could not be collected.\n');
      },
    );
  });
  app.metricsServer = server;
  app.addHook('onClose', async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return registry;
}

/** Starts the metrics port, when there is one; returns its address. Called next to `app.listen`. */
export async function listenForMetrics(app: FastifyInstance, settings: MetricsConfig): Promise<string | undefined> {
  const server = app.metricsServer;
  if (!server || settings.port === undefined) return undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics`;
}

function tokenCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = createHash('sha256').update(token).digest();
  return (authorization) => {
    const given = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    return given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}
