import type { FastifyPluginAsync } from 'fastify';
import type { OutboxSmsSender } from '../../platform/sms/outbox-sms-sender.js';

/** `/dev/outbox`: the texts the outbox kept, so a developer or a test can open the link. Only exists with SMS_PROVIDER=outbox. */
export function outboxRoutes(outbox: OutboxSmsSender | undefined): FastifyPluginAsync {
  return async (app) => {
    if (!outbox) return;
    app.get('/dev/outbox', { config: { access: 'signed_in' } }, async (request, reply) => {
      const messages = outbox.list();
      if (request.headers.accept?.includes('application/json')) return { messages };
      return reply.view('dev/outbox.njk', { pageTitle: 'Text outbox', messages });
    });
  };
}
