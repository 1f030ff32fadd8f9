import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { SAMPLE_REASON_LABELS } from '../../domain/review-sampling.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';
import { REVIEW_CHECKLIST, REVIEW_SCORES, type ReviewForm } from './review-checklist.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const observeBody = { type: 'object', properties: { justification: { type: 'string', maxLength: 4000 }, _csrf: { type: 'string' } } } as const;
// The checklist's fields are checked by parseReviewForm, which names each missing answer.
const reviewBody = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 6000 },
  properties: { _csrf: { type: 'string' } },
} as const;

/**
 * The supervisor (policy 4.0): the live board, observing a live call receive-only with a recorded reason, quality
 * review of sampled responses, and the officer's own page of feedback.
 */
export function supervisorRoutes(services: Services): FastifyPluginAsync {
  const boardView = async (viewerId: string) => ({ board: await services.supervisionBoard.board(viewerId) });
  return async (app) => {
    app.get('/supervisor/board', { config: { access: { permission: 'supervision.board' } } }, async (request, reply) =>
      reply.view('supervisor/board.njk', { pageTitle: 'Live board', ...(await boardView(request.user!.id)) }),
    );

    // The changing part of the board, fetched again whenever the live stream says something moved.
    app.get('/supervisor/board/live', { config: { access: { permission: 'supervision.board' } } }, async (request, reply) =>
      reply.view('supervisor/board-body.njk', await boardView(request.user!.id)),
    );

    app.get<{ Params: { id: string } }>(
      '/supervisor/calls/:id/observe',
      { config: { access: { permission: 'call.observe' } }, schema: { params: idParams } },
      async (request, reply) => {
        const call = await services.calls.lifecycle.requireCall(request.params.id);
        const consultation = await services.consultations.summary(call.consultationId);
        return reply.view('supervisor/observe-start.njk', { pageTitle: `Observe ${consultation.reference}`, call, consultation });
      },
    );

    app.post<{ Params: { id: string }; Body: { justification?: string } }>(
      '/supervisor/calls/:id/observe',
      { config: { access: { permission: 'call.observe' } }, schema: { params: idParams, body: observeBody } },
      async (request, reply) => {
        try {
          await services.observations.start(contextOf(request), request.params.id, request.body.justification);
          return reply.redirect(`/supervisor/calls/${request.params.id}/observer`, 303);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const call = await services.calls.lifecycle.requireCall(request.params.id);
          const consultation = await services.consultations.summary(call.consultationId);
          return reply.code(400).view('supervisor/observe-start.njk', {
            pageTitle: `Observe ${consultation.reference}`,
            call,
            consultation,
            errors: error.fieldErrors,
            justification: request.body.justification,
          });
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/supervisor/calls/:id/observer',
      { config: { access: { permission: 'call.observe' } }, schema: { params: idParams } },
      async (request, reply) => {
        const { observation } = await services.observations.requireOpen(contextOf(request), request.params.id);
        const call = await services.calls.lifecycle.requireCall(request.params.id);
        const consultation = await services.consultations.summary(call.consultationId);
        return reply.view('supervisor/observer.njk', { pageTitle: `Observing ${consultation.reference}`, call, consultation, observation });
      },
    );

    // The observer's signalling socket: only with an open observation by this supervisor; receive-only media.
    app.get<{ Params: { id: string } }>(
      '/calls/:id/observe/socket',
      { websocket: true, config: { access: { permission: 'call.observe' } }, schema: { params: idParams } },
      async (socket, request) => {
        try {
          const context = contextOf(request);
          const { observation, participant } = await services.observations.requireOpen(context, request.params.id);
          await services.callSockets.connect(socket, participant, context, { id: observation.id, victimNotified: observation.victimNotified });
        } catch (error) {
          socket.send(JSON.stringify({ type: 'error', message: (error as Error).message }));
          socket.close(4003, 'refused');
        }
      },
    );

    app.get('/supervisor/reviews', { config: { access: { permission: 'review.conduct' } } }, async (_request, reply) =>
      reply.view('supervisor/reviews.njk', { pageTitle: 'Quality reviews', reviews: await services.qualityReviews.list(), reasons: SAMPLE_REASON_LABELS }),
    );

    app.get<{ Params: { id: string } }>(
      '/supervisor/reviews/:id',
      { config: { access: { permission: 'review.conduct' } }, schema: { params: idParams } },
      async (request, reply) => {
        const page = await services.qualityReviews.open(contextOf(request), request.params.id);
        return reply.view('supervisor/review.njk', {
          pageTitle: `Review ${page.consultation.reference}`,
          ...page,
          scores: REVIEW_SCORES,
          reasons: SAMPLE_REASON_LABELS,
        });
      },
    );

    app.post<{ Params: { id: string }; Body: ReviewForm }>(
      '/supervisor/reviews/:id',
      { config: { access: { permission: 'review.conduct' } }, schema: { params: idParams, body: reviewBody } },
      async (request, reply) => {
        try {
          await services.qualityReviews.complete(contextOf(request), request.params.id, request.body);
          return reply.redirect(`/supervisor/reviews/${request.params.id}`, 303);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const page = await services.qualityReviews.open(contextOf(request), request.params.id);
          return reply.code(400).view('supervisor/review.njk', {
            pageTitle: `Review ${page.consultation.reference}`,
            ...page,
            scores: REVIEW_SCORES,
            reasons: SAMPLE_REASON_LABELS,
            errors: error.fieldErrors,
            form: request.body,
          });
        }
      },
    );

    app.get('/officer/feedback', { config: { access: { permission: 'review.own_feedback' } } }, async (request, reply) =>
      reply.view('supervisor/feedback.njk', {
        pageTitle: 'Your feedback',
        reviews: await services.qualityReviews.feedbackFor(contextOf(request)),
        scores: REVIEW_SCORES,
        checklist: REVIEW_CHECKLIST,
      }),
    );
  };
}
