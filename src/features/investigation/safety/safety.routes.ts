import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../composition.js';
import { contextOf, wantsJson } from '../../../platform/http/access.js';
import { replyLanguage } from '../../../platform/http/language.js';
import { translator } from '../../../platform/i18n/i18n.js';
import { answer, consultationParams } from '../enquiry/enquiry.routes.js';

const alertParams = consultationParams;
const csrfOnly = { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string' } } } as const;

/** "I'm not safe" (RVR-11): the victim's discreet control, and the officer's alert panel with one-action escalation. */
export function safetyRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    // Sent by the victim's page with fetch keepalive (or a beacon), so it arrives even if the page is leaving.
    app.post('/v/call/not-safe', { config: { access: 'call_link' }, schema: { body: csrfOnly } }, async (request, reply) => {
      const session = request.linkSession!;
      await services.safetyAlerts.raise(services.calls.links.linkContext(session, request.id, request.ip), session);
      // Calm words only: someone else may be looking at the screen.
      if (wantsJson(request)) return reply.code(201).send({ message: translator(replyLanguage(reply))('server.sent') });
      return reply.redirect('/v/call', 303);
    });

    app.get<{ Params: { id: string } }>(
      '/consultations/:id/safety-alerts/panel',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        const alerts = await services.safetyAlerts.listForOfficer(contextOf(request), request.params.id);
        if (wantsJson(request)) return { alerts };
        return reply.view('investigation/safety/safety-panel.njk', { consultationId: request.params.id, alerts });
      },
    );

    app.post<{ Params: { id: string } }>(
      '/safety-alerts/:id/acknowledge',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: alertParams, body: csrfOnly } },
      async (request, reply) => {
        const alert = await services.safetyAlerts.acknowledge(contextOf(request), request.params.id);
        return answer(request, reply, alert.consultationId, { alert });
      },
    );

    app.post<{ Params: { id: string } }>(
      '/safety-alerts/:id/escalate',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: alertParams, body: csrfOnly } },
      async (request, reply) => {
        const alert = await services.safetyAlerts.escalate(contextOf(request), request.params.id);
        return answer(request, reply, alert.consultationId, { alert });
      },
    );
  };
}
