import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { AppError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';
import type { RequestContext } from '../../platform/context.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const reportBody = { type: 'object', properties: { description: { type: 'string', maxLength: 5000 }, _csrf: { type: 'string' } } } as const;
const progressBody = {
  type: 'object',
  properties: { cabReference: { type: 'string', maxLength: 100 }, ipcoReportedOn: { type: 'string', maxLength: 10 }, _csrf: { type: 'string' } },
} as const;
const report = { access: { permission: 'covert_surveillance.report' } } as const;
const register = { access: { permission: 'covert_surveillance.register' } } as const;

function refusedForm(error: unknown, values: unknown, fallbackField: string) {
  if (!(error instanceof AppError) || error.statusCode === 404 || error.statusCode === 403) throw error;
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { [fallbackField]: error.message };
  return { status: error.statusCode, locals: { errors, errorList: Object.entries(errors).map(([f, text]) => ({ text, href: `#${f}` })), values } };
}

/**
 * Policy 3.4 / issue 16 §3: the report of covert surveillance without authority, made from the consultation by its
 * officer or a supervisor (an IPCO hold placed at once), and the IPCO-facing register.
 */
export function covertSurveillanceRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const formPage = async (reply: FastifyReply, context: RequestContext, id: string, locals: Record<string, unknown> = {}) =>
      reply.view('covert-surveillance/report.njk', {
        pageTitle: 'Report covert surveillance without authority',
        ...(await services.covertSurveillance.reportable(context, id)),
        values: {},
        ...locals,
      });

    app.get<{ Params: { id: string } }>('/consultations/:id/covert-surveillance', { config: report, schema: { params: idParams } }, async (request, reply) =>
      formPage(reply, contextOf(request), request.params.id),
    );

    app.post<{ Params: { id: string }; Body: { description?: string } }>(
      '/consultations/:id/covert-surveillance',
      { config: report, schema: { params: idParams, body: reportBody } },
      async (request, reply) => {
        const context = contextOf(request);
        try {
          await services.covertSurveillance.report(context, request.params.id, request.body);
          return redirectTo(reply, `/consultations/${request.params.id}/covert-surveillance?reported=1`);
        } catch (error) {
          const { status, locals } = refusedForm(error, request.body, 'description');
          return formPage(reply.code(status), context, request.params.id, locals);
        }
      },
    );

    const registerPage = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('covert-surveillance/register.njk', {
        pageTitle: 'Covert surveillance register',
        rows: await services.covertSurveillance.register(),
        values: {},
        ...locals,
      });

    app.get('/covert-surveillance', { config: register }, async (_request, reply) => registerPage(reply));

    app.post<{ Params: { id: string }; Body: { cabReference?: string; ipcoReportedOn?: string } }>(
      '/covert-surveillance/:id/progress',
      { config: register, schema: { params: idParams, body: progressBody } },
      async (request, reply) => {
        try {
          await services.covertSurveillance.recordProgress(contextOf(request), request.params.id, request.body);
          return redirectTo(reply, '/covert-surveillance');
        } catch (error) {
          const { status, locals } = refusedForm(error, request.body, 'cabReference');
          return registerPage(reply.code(status), { ...locals, failedId: request.params.id });
        }
      },
    );
  };
}
