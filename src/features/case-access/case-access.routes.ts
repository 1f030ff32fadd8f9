import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Services } from '../../composition.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const csrf = { _csrf: { type: 'string' } } as const;
const reason = { type: 'string', maxLength: 2000 } as const;
const assignBody = { type: 'object', properties: { investigatorId: { type: 'string', maxLength: 40 }, reason, ...csrf } } as const;
const endBody = { type: 'object', properties: { reason, ...csrf } } as const;
const breakGlassBody = { type: 'object', properties: { reference: { type: 'string', maxLength: 100 }, reason, ...csrf } } as const;

/**
 * Issue 16 §3: the per-case gate. A route whose `:id` is inside a case declares `config.caseOf`; an investigator
 * without the case (assignment or live break-glass) is refused (403, audited as access.refused) before the handler.
 */
export function caseAccessGate(services: Services): preHandlerAsyncHookHandler {
  return async function (request: FastifyRequest) {
    const caseOf = request.routeOptions.config?.caseOf;
    if (!caseOf || !request.user) return;
    const id = (request.params as { id?: string } | undefined)?.id;
    if (!id) return;
    await services.caseAccess.assertMayOpen(contextOf(request), caseOf, id);
  };
}

function formErrors(error: unknown): { errors: Record<string, string>; errorList: { text: string; href: string }[] } {
  if (!(error instanceof ValidationError)) throw error;
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { reason: error.message };
  return { errors, errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })) };
}

export function caseAccessRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    // The investigator's page: their cases, and break-glass access to one that is not assigned to them.
    const investigationsPage = async (request: FastifyRequest, reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('case-access/investigations.njk', {
        pageTitle: 'Investigations',
        cases: await services.caseAccess.casesOf(request.user!.id),
        breakGlassMinutes: services.breakGlassMinutes,
        ...locals,
      });

    app.get('/investigations', { config: { access: { permission: 'area.investigations' } } }, async (request, reply) => investigationsPage(request, reply));

    app.post<{ Body: { reference?: string; reason?: string } }>(
      '/investigations/break-glass',
      { config: { access: { permission: 'case.break_glass' } }, schema: { body: breakGlassBody } },
      async (request, reply) => {
        try {
          const opened = await services.caseAccess.breakGlass(contextOf(request), request.body);
          return redirectTo(reply, `/evidence/consultations/${opened.consultationId}`);
        } catch (error) {
          return investigationsPage(request, reply.code(400), { ...formErrors(error), values: request.body });
        }
      },
    );

    // The supervisor's page for one case: who has it, give it, take it away.
    const accessPage = async (reply: FastifyReply, consultationId: string, locals: Record<string, unknown> = {}) => {
      const page = await services.caseAccess.assignmentsOf(consultationId);
      return reply.view('case-access/case-access.njk', { pageTitle: `Investigators on ${page.consultation.reference}`, ...page, ...locals });
    };

    app.get<{ Params: { id: string } }>(
      '/cases/:id/access',
      { config: { access: { permission: 'case.assign' } }, schema: { params: idParams } },
      async (request, reply) => accessPage(reply, request.params.id),
    );

    app.post<{ Params: { id: string }; Body: { investigatorId?: string; reason?: string } }>(
      '/cases/:id/assignments',
      { config: { access: { permission: 'case.assign' } }, schema: { params: idParams, body: assignBody } },
      async (request, reply) => {
        try {
          await services.caseAccess.assign(contextOf(request), request.params.id, request.body);
        } catch (error) {
          return accessPage(reply.code(400), request.params.id, { ...formErrors(error), values: request.body });
        }
        return redirectTo(reply, `/cases/${request.params.id}/access`);
      },
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/case-assignments/:id/end',
      { config: { access: { permission: 'case.assign' } }, schema: { params: idParams, body: endBody } },
      async (request, reply) => {
        const { consultationId } = await services.caseAccess.unassign(contextOf(request), request.params.id, request.body.reason);
        return redirectTo(reply, `/cases/${consultationId}/access`);
      },
    );

    // The DPO's list of break-glass uses: each one is a notification until reviewed.
    app.get('/dpo/break-glass', { config: { access: { permission: 'case.break_glass_review' } } }, async (_request, reply) =>
      reply.view('case-access/break-glass-uses.njk', { pageTitle: 'Break-glass access to cases', ...(await services.caseAccess.breakGlassUses()) }),
    );

    app.post<{ Params: { id: string } }>(
      '/dpo/break-glass/:id/reviewed',
      { config: { access: { permission: 'case.break_glass_review' } }, schema: { params: idParams, body: { type: 'object', properties: { ...csrf } } } },
      async (request, reply) => {
        await services.caseAccess.markBreakGlassReviewed(contextOf(request), request.params.id);
        return redirectTo(reply, '/dpo/break-glass');
      },
    );
  };
}
