import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../composition.js';
import { CORRECTION_TEXT_MAX, SIGNATURE_MAX } from '../../../domain/victim-statement.js';
import { wantsJson } from '../../../platform/http/access.js';
import { replyLanguage } from '../../../platform/http/language.js';
import { translator } from '../../../platform/i18n/i18n.js';
import { formNumber } from '../enquiry/enquiry.routes.js';

const sha256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const correctionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['revision', 'correction'],
  properties: { revision: formNumber, sha256, correction: { type: 'string', maxLength: CORRECTION_TEXT_MAX + 500 }, _csrf: { type: 'string' } },
} as const;
const confirmBody = {
  type: 'object',
  additionalProperties: false,
  required: ['revision', 'sha256', 'signatureName'],
  properties: { revision: formNumber, sha256, signatureName: { type: 'string', maxLength: SIGNATURE_MAX + 100 }, _csrf: { type: 'string' } },
} as const;

/**
 * The victim's side of their statement, on their call page: read the exact text, ask for corrections, or confirm it
 * with their typed name. Plain form posts work without the page's script; the script sends the same forms and
 * asks for JSON, so the call is not interrupted.
 */
export function statementVictimRoutes(services: Services): FastifyPluginAsync {
  const done = (request: FastifyRequest, reply: FastifyReply, body: object) => (wantsJson(request) ? reply.send(body) : reply.redirect('/v/call', 303));
  return async (app) => {
    app.get('/v/call/statement', { config: { access: 'call_link' } }, async (request, reply) => {
      const statement = await services.victimStatements.victimView(request.linkSession!);
      if (wantsJson(request)) return { statement };
      return reply.view('investigation/statement/statement-victim-fragment.njk', { statement });
    });

    app.post<{ Body: { revision: number | string; sha256?: string; correction: string } }>(
      '/v/call/statement/corrections',
      { config: { access: 'call_link' }, schema: { body: correctionBody } },
      async (request, reply) => {
        const session = request.linkSession!;
        const result = await services.victimStatements.requestCorrection(services.calls.links.linkContext(session, request.id, request.ip), session, {
          revision: Number(request.body.revision),
          sha256: request.body.sha256,
          correction: request.body.correction,
        });
        return done(request, reply, { statement: result, message: translator(replyLanguage(reply))('server.statement.correctionSent') });
      },
    );

    app.post<{ Body: { revision: number | string; sha256: string; signatureName: string } }>(
      '/v/call/statement/confirm',
      { config: { access: 'call_link' }, schema: { body: confirmBody } },
      async (request, reply) => {
        const session = request.linkSession!;
        const result = await services.victimStatements.confirm(services.calls.links.linkContext(session, request.id, request.ip), session, {
          revision: Number(request.body.revision),
          sha256: request.body.sha256,
          signatureName: request.body.signatureName,
        });
        return done(request, reply, { statement: result, message: translator(replyLanguage(reply))('server.statement.confirmed') });
      },
    );
  };
}
