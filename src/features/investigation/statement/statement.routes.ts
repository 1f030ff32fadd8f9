import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../composition.js';
import { STATEMENT_TEXT_MAX } from '../../../domain/victim-statement.js';
import { contextOf, wantsJson } from '../../../platform/http/access.js';
import { answer, consultationParams, formNumber } from '../enquiry/enquiry.routes.js';
import { StaleStatementError } from './statement.service.js';

const saveBody = {
  type: 'object',
  additionalProperties: false,
  required: ['text', 'revision'],
  properties: { text: { type: 'string', maxLength: STATEMENT_TEXT_MAX + 1000 }, revision: formNumber, _csrf: { type: 'string' } },
} as const;
const shareBody = {
  type: 'object',
  additionalProperties: false,
  required: ['revision'],
  properties: { revision: formNumber, _csrf: { type: 'string' } },
} as const;

/** The officer's side of the victim's statement: typed during the call (autosaved), then shown to the victim. */
export function statementRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/statement/panel',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        const statement = await services.victimStatements.officerView(contextOf(request), request.params.id);
        if (wantsJson(request)) return { statement };
        return reply.view('investigation/statement/statement-panel.njk', { consultationId: request.params.id, statement });
      },
    );

    app.post<{ Params: { id: string }; Body: { text: string; revision: number | string } }>(
      '/consultations/:id/statement',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams, body: saveBody } },
      async (request, reply) => {
        try {
          const statement = await services.victimStatements.save(contextOf(request), request.params.id, {
            text: request.body.text,
            revision: Number(request.body.revision),
          });
          return answer(request, reply, request.params.id, { statement: { state: statement.state, revision: statement.revision, sha256: statement.sha256 } });
        } catch (error) {
          // The saved copy goes back with the refusal, so the page can show both and nothing typed is lost.
          if (error instanceof StaleStatementError && wantsJson(request))
            return reply.code(409).send({ error: error.message, current: error.current, correlationId: request.id });
          throw error;
        }
      },
    );

    app.post<{ Params: { id: string }; Body: { revision: number | string } }>(
      '/consultations/:id/statement/share',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams, body: shareBody } },
      async (request, reply) => {
        const statement = await services.victimStatements.share(contextOf(request), request.params.id, Number(request.body.revision));
        return answer(request, reply, request.params.id, { statement: { state: statement.state, revision: statement.revision, sha256: statement.sha256 } });
      },
    );
  };
}
