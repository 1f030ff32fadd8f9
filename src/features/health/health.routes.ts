import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import type { DpiaState } from '../../domain/dpia.js';

function dpiaCheck(state: DpiaState | undefined, required: boolean): { dpia?: string } {
  if (!state || (!required && state.status === 'missing')) return {};
  switch (state.status) {
    case 'missing':
      return { dpia: 'none recorded: live calls refused' };
    case 'unapproved':
      return { dpia: 'not approved: live calls refused' };
    case 'review_overdue':
      return { dpia: 'annual review overdue: live calls refused' };
    case 'review_due_soon':
      return { dpia: `annual review due in ${state.daysToReview} days` };
    default:
      return {};
  }
}

/** Liveness says the process answers; readiness says it can do its work (the database and a media worker answer). */
export function healthRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/health/live', { config: { access: 'public' } }, async () => ({ status: 'ok' }));
    app.get('/health/ready', { config: { access: 'public' } }, async (request, reply) => {
      const database = await services.health.checkDatabase();
      // ADR 0012: a node with media workers is ready when at least one is up and it is not draining for a restart.
      const workers = services.mediaEngine.workers?.() ?? [];
      const workersUp = workers.filter((worker) => worker.up).length;
      // EVD-05, SC-11: a drifting clock is a warning, not unreadiness (calls still work; custody times need fixing).
      const clock = database.ok ? await services.clock.current() : undefined;
      if (clock?.status === 'drift') request.log.warn({ worstOffsetMs: clock.worstOffsetMs, thresholdMs: clock.thresholdMs }, 'server clock drift');
      const checks = {
        database: database.ok ? 'up' : 'down',
        ...(clock ? { clock: clock.status === 'ok' ? 'in step' : clock.message } : {}),
        ...(workers.length > 0 ? { mediaWorkers: `${workersUp} of ${workers.length} up` } : {}),
        ...(services.callRooms.draining ? { calls: 'draining: no new calls' } : {}),
        // DP-13, SC-2: the DPIA's review due within 30 days, or live calls refused for want of one (a warning, not unreadiness).
        ...(database.ok ? dpiaCheck(await services.dpia.state(), services.dpia.required) : {}),
      };
      if (!database.ok || (workers.length > 0 && workersUp === 0) || services.callRooms.draining) {
        request.log.warn({ error: database.ok ? undefined : database.error, checks }, 'readiness check failed');
        return reply.code(503).send({ status: 'unavailable', checks });
      }
      return { status: 'ok', checks };
    });
  };
}
