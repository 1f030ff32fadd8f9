import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { DPIA_WARN_DAYS } from '../../domain/dpia.js';
import { AppError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';

const access = { access: { permission: 'dpia.manage' } } as const;
const dpiaBody = {
  type: 'object',
  properties: {
    reference: { type: 'string', maxLength: 100 },
    approvedBy: { type: 'string', maxLength: 200 },
    approvedOn: { type: 'string', maxLength: 10 },
    reviewDue: { type: 'string', maxLength: 10 },
    _csrf: { type: 'string' },
  },
} as const;

/** DP-13, SC-2 / issue 16 §3: the DPIA that live calls need, recorded by an administrator (each version kept, audited). */
export function dpiaRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const page = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('admin/dpia.njk', {
        pageTitle: 'Data protection impact assessment',
        state: await services.dpia.state(),
        history: await services.dpia.history(),
        required: services.dpia.required,
        warnDays: DPIA_WARN_DAYS,
        values: {},
        ...locals,
      });

    app.get('/admin/dpia', { config: access }, async (_request, reply) => page(reply));

    app.post<{ Body: { reference?: string; approvedBy?: string; approvedOn?: string; reviewDue?: string } }>(
      '/admin/dpia',
      { config: access, schema: { body: dpiaBody } },
      async (request, reply) => {
        try {
          await services.dpia.record(contextOf(request), request.body);
          return redirectTo(reply, '/admin/dpia');
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode === 403) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { reference: error.message };
          return page(reply.code(error.statusCode), {
            errors,
            errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })),
            values: request.body,
          });
        }
      },
    );
  };
}
