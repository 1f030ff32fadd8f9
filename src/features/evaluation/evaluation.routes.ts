import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from '../../domain/block-randomisation.js';
import { AppError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';

const manage = { access: { permission: 'evaluation.manage' } } as const;
const exporting = { access: { permission: 'evaluation.export' } } as const;

const trialParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const consultationParams = { type: 'object', required: ['consultationId'], properties: { consultationId: { type: 'string', format: 'uuid' } } } as const;
const startBody = {
  type: 'object',
  required: ['blockSize', 'reason'],
  properties: {
    seed: { type: 'string', maxLength: 300 },
    blockSize: { type: 'string', maxLength: 10 },
    note: { type: 'string', maxLength: 1100 },
    reason: { type: 'string', maxLength: 1000 },
    _csrf: { type: 'string' },
  },
} as const;
const reasonBody = {
  type: 'object',
  required: ['reason'],
  properties: { reason: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;
const changeBody = {
  type: 'object',
  properties: { arm: { type: 'string', maxLength: 20 }, reason: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;
const exportBody = {
  type: 'object',
  required: ['trialId', 'justification'],
  properties: { trialId: { type: 'string', format: 'uuid' }, justification: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;

type StartForm = { seed?: string; blockSize: string; note?: string; reason: string };

/** A refusal a person can fix (4xx other than 403/404) is shown on the form again; anything else goes to the error page. */
const isFormRefusal = (error: unknown): error is AppError => error instanceof AppError && error.statusCode < 500 && ![403, 404].includes(error.statusCode);
const errorList = (errors: Record<string, string>) => Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` }));

/** Policy 2.2: an administrator runs the force's own randomised evaluation; analysts export its allocations. */
export function evaluationRoutes(services: Services): FastifyPluginAsync {
  const trialPage = async (reply: FastifyReply, extra: Record<string, unknown> = {}) =>
    reply.view('evaluation/trial.njk', {
      pageTitle: 'Evaluation trial',
      ...(await services.evaluation.overview()),
      blockSizes: { min: MIN_BLOCK_SIZE, max: MAX_BLOCK_SIZE },
      ...extra,
    });
  const exportPage = async (reply: FastifyReply, extra: Record<string, unknown> = {}) =>
    reply.view('evaluation/export.njk', { pageTitle: 'Export the evaluation', trials: await services.evaluation.listTrials(), ...extra });

  return async (app) => {
    app.get('/admin/evaluation', { config: manage }, async (_request, reply) => trialPage(reply));

    app.post<{ Body: StartForm }>('/admin/evaluation/trials', { config: manage, schema: { body: startBody } }, async (request, reply) => {
      try {
        await services.evaluation.startTrial(contextOf(request), request.body);
        return reply.redirect('/admin/evaluation', 303);
      } catch (error) {
        if (!isFormRefusal(error)) throw error;
        const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { reason: error.message };
        return trialPage(reply.code(error.statusCode), { failedForm: 'start', errors, errorList: errorList(errors), values: request.body });
      }
    });

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/admin/evaluation/trials/:id/stop',
      { config: manage, schema: { params: trialParams, body: reasonBody } },
      async (request, reply) => {
        try {
          await services.evaluation.stopTrial(contextOf(request), request.params.id, request.body.reason);
          return reply.redirect('/admin/evaluation', 303);
        } catch (error) {
          if (!isFormRefusal(error)) throw error;
          const errors = { stopReason: error.fieldErrors.reason ?? error.message };
          return trialPage(reply.code(error.statusCode), { failedForm: 'stop', errors, errorList: errorList(errors) });
        }
      },
    );

    // Allocation tampering: there is no way to change an allocation; an attempt is refused (409) and logged.
    app.post<{ Params: { consultationId: string }; Body: { arm?: string; reason?: string } }>(
      '/admin/evaluation/allocations/:consultationId',
      { config: manage, schema: { params: consultationParams, body: changeBody } },
      async (request) => services.evaluation.requestAllocationChange(contextOf(request), request.params.consultationId, request.body),
    );

    app.get('/evaluation/export', { config: exporting }, async (_request, reply) => exportPage(reply));

    app.post<{ Body: { trialId: string; justification: string } }>(
      '/evaluation/export',
      { config: exporting, schema: { body: exportBody } },
      async (request, reply) => {
        try {
          const { filename, csv } = await services.evaluation.exportCsv(contextOf(request), request.body.trialId, request.body.justification);
          return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv);
        } catch (error) {
          if (!isFormRefusal(error)) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { justification: error.message };
          return exportPage(reply.code(error.statusCode), { errors, errorList: errorList(errors), values: request.body });
        }
      },
    );
  };
}
