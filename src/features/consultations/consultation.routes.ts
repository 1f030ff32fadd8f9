import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission, mayReadInvestigation } from '../../domain/permissions.js';
import type { Services } from '../../composition.js';
import { CONSULTATION_STATES, type ConsultationState } from '../../domain/consultation-state.js';
import { isAssignedState } from '../../domain/ownership.js';
import { AppError } from '../../platform/errors.js';
import { contextOf, wantsJson } from '../../platform/http/access.js';
import { nextSteps } from './next-steps.js';

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

const overrideBody = {
  type: 'object',
  required: ['rationale'],
  properties: { rationale: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } },
} as const;

const reassignBody = {
  type: 'object',
  required: ['officerId'],
  properties: { officerId: { type: 'string', maxLength: 40 }, reason: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } },
} as const;

const justificationBody = {
  type: 'object',
  required: ['justification'],
  properties: { justification: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;

export function consultationRoutes(services: Services): FastifyPluginAsync {
  const pageData = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const detail = await services.consultations.detail(request.params.id, contextOf(request));
    const { settings } = await services.triage.currentSettings();
    const roles = request.user!.roles;
    const canCall =
      hasPermission(roles, 'call.conduct') &&
      detail.consultation.officerId === request.user!.id &&
      ['accepted', 'invited', 'victim_joined', 'connected', 'call_interrupted'].includes(detail.consultation.state);
    return {
      ...detail,
      queueAlertSeconds: settings.queueAlertSeconds,
      canOverride: hasPermission(roles, 'triage.override'),
      canCall,
      // Issue 17 §6: actions in plain words; with a call to run, the state changes that are not the work go under "Other changes".
      steps: nextSteps(detail.consultation.state as ConsultationState, detail.options, canCall),
      canReroute: detail.options.some((o) => o.to === 'escalated_to_attendance'),
      canViewInvestigation: mayReadInvestigation(roles, request.user!.id, detail.consultation.officerId),
      // Issue 12: a supervisor gives a held consultation to another available officer, with a reason.
      reassignChoices:
        hasPermission(roles, 'consultation.reassign') && isAssignedState(detail.consultation.state)
          ? await services.consultations.reassignmentChoices(detail.consultation)
          : undefined,
      evaluation: await services.evaluation.forConsultation(request.params.id),
      // Issue 17 §4: a video appointment for later, booked by the officer who holds it.
      appointment: await services.appointments.forConsultation(request.params.id),
      canBookAppointment:
        hasPermission(roles, 'call.conduct') &&
        detail.consultation.officerId === request.user!.id &&
        ['accepted', 'appointment_booked'].includes(detail.consultation.state),
    };
  };
  /**
   * A refused action on the page: the consultation page again with the reason, keeping what was typed. A refusal
   * for this person (403: another officer's consultation) or a missing consultation goes to the error handler,
   * which logs it.
   */
  const showRefusal = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, error: unknown, page: Record<string, unknown>) => {
    if (wantsJson(request) || !(error instanceof AppError) || error.statusCode === 404 || error.statusCode === 403) throw error;
    const detail = await pageData(request);
    return reply
      .code(error.statusCode)
      .view('consultations/consultation.njk', { pageTitle: `Consultation ${detail.consultation.reference}`, ...detail, ...page });
  };
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id',
      { config: { access: { permission: 'consultation.view' } }, schema: { params: idParams } },
      async (request, reply) => {
        const detail = await pageData(request);
        if (wantsJson(request)) return { consultation: detail.consultation, events: detail.events, options: detail.options };
        // Issue 17 §4: the intake form asked for a video appointment, but the call was not routed to RVR, so none was booked.
        const appointmentNotBooked = (request.query as { appointment?: unknown }).appointment === 'not-booked';
        return reply.view('consultations/consultation.njk', { pageTitle: `Consultation ${detail.consultation.reference}`, ...detail, appointmentNotBooked });
      },
    );

    // The changing part of the page, fetched again whenever the live stream says this consultation moved.
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/live',
      { config: { access: { permission: 'consultation.view' } }, schema: { params: idParams } },
      async (request, reply) => reply.view('consultations/consultation-body.njk', await pageData(request)),
    );

    app.post<{ Params: { id: string }; Body: { rationale: string } }>(
      '/consultations/:id/override',
      { config: { access: { permission: 'triage.override' } }, schema: { params: idParams, body: overrideBody } },
      async (request, reply) => {
        try {
          await services.triage.override(contextOf(request), request.params.id, request.body.rationale);
          return reply.redirect(`/consultations/${request.params.id}`, 303);
        } catch (error) {
          return showRefusal(request, reply, error, { refusal: (error as Error).message, attempted: { to: 'override' } });
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { to: string; reason?: string } }>(
      '/consultations/:id/transitions',
      { config: { access: { permission: 'consultation.transition' } }, schema: { params: idParams, body: transitionBody } },
      async (request, reply) => {
        const context = contextOf(request);
        try {
          const consultation = await services.consultations.transition(context, request.params.id, request.body.to, request.body.reason);
          if (wantsJson(request)) return { consultation };
          return reply.redirect(`/consultations/${consultation.id}`, 303);
        } catch (error) {
          return showRefusal(request, reply, error, { refusal: (error as Error).message, attempted: { to: request.body.to, reason: request.body.reason } });
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { officerId: string; reason?: string } }>(
      '/consultations/:id/reassign',
      { config: { access: { permission: 'consultation.reassign' } }, schema: { params: idParams, body: reassignBody } },
      async (request, reply) => {
        try {
          const consultation = await services.consultations.reassign(contextOf(request), request.params.id, request.body.officerId, request.body.reason);
          if (wantsJson(request)) return { consultation };
          return reply.redirect(`/consultations/${consultation.id}`, 303);
        } catch (error) {
          return showRefusal(request, reply, error, {
            reassignRefusal: (error as Error).message,
            reassignErrors: (error as AppError).fieldErrors,
            attempted: { to: 'reassign', reason: request.body.reason, officerId: request.body.officerId },
          });
        }
      },
    );

    // DP-01: caller details are personal data; each view is justified and logged before anything is shown.
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/caller',
      { config: { access: { permission: 'victim_data.view' }, caseOf: 'consultation' }, schema: { params: idParams } },
      async (request, reply) => {
        const consultation = await services.consultations.callerForm(contextOf(request), request.params.id);
        return reply.view('consultations/caller.njk', { pageTitle: 'Caller details', consultation });
      },
    );

    app.post<{ Params: { id: string }; Body: { justification: string } }>(
      '/consultations/:id/caller',
      { config: { access: { permission: 'victim_data.view' }, caseOf: 'consultation' }, schema: { params: idParams, body: justificationBody } },
      async (request, reply) => {
        const consultation = await services.consultations.callerForm(contextOf(request), request.params.id);
        const justification = request.body.justification.trim();
        if (justification.length < 5) {
          return reply.code(400).view('consultations/caller.njk', {
            pageTitle: 'Caller details',
            consultation,
            errors: { justification: 'Say why you need to see the caller’s details (at least 5 characters)' },
          });
        }
        const caller = await services.consultations.viewCallerDetails(contextOf(request), request.params.id, justification);
        return reply.view('consultations/caller.njk', { pageTitle: 'Caller details', consultation, caller, justification });
      },
    );
  };
}
