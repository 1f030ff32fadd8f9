import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { CONSULTATION_STATES } from '../../domain/consultation-state.js';
import { AppError } from '../../platform/errors.js';
import { contextOf, wantsJson } from '../../platform/http/access.js';

const STAFF_ON_CONSULTATIONS = ['call_handler', 'rvr_officer', 'supervisor'] as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const transitionBody = {
  type: 'object',
  required: ['to'],
  properties: {
    to: { type: 'string', enum: [...CONSULTATION_STATES] },
    reason: { type: 'string', maxLength: 2000 },
    _csrf: { type: 'string' },
  },
} as const;

export function consultationRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id',
      { config: { access: STAFF_ON_CONSULTATIONS }, schema: { params: idParams } },
      async (request, reply) => {
        const detail = await services.consultations.detail(request.params.id, contextOf(request));
        if (wantsJson(request)) return { consultation: detail.consultation, events: detail.events, options: detail.options };
        return reply.view('consultations/consultation.njk', { pageTitle: `Consultation ${detail.consultation.reference}`, ...detail });
      },
    );

    app.post<{ Params: { id: string }; Body: { to: string; reason?: string } }>(
      '/consultations/:id/transitions',
      { config: { access: STAFF_ON_CONSULTATIONS }, schema: { params: idParams, body: transitionBody } },
      async (request, reply) => {
        const context = contextOf(request);
        try {
          const consultation = await services.consultations.transition(context, request.params.id, request.body.to, request.body.reason);
          if (wantsJson(request)) return { consultation };
          return reply.redirect(`/consultations/${consultation.id}`, 303);
        } catch (error) {
          // A refused transition on the page: show the page again with the reason, keeping what was typed.
          if (wantsJson(request) || !(error instanceof AppError) || error.statusCode === 404) throw error;
          const detail = await services.consultations.detail(request.params.id, context);
          return reply.code(error.statusCode).view('consultations/consultation.njk', {
            pageTitle: `Consultation ${detail.consultation.reference}`,
            ...detail,
            refusal: error.message,
            attempted: { to: request.body.to, reason: request.body.reason },
          });
        }
      },
    );
  };
}
