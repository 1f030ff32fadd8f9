import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import { carriedFields, safeReturnPath, stepUpUrl } from '../../domain/step-up.js';
import { contextOf, redirectTo, wantsJson } from '../../platform/http/access.js';
import { readSessionToken, type SessionCookieSettings } from '../../platform/http/session-cookie.js';

const NEEDED = 'Confirm it is you before you do this: re-enter your password (and your authenticator code).';

const stepUpQuery = { type: 'object', properties: { return: { type: 'string', maxLength: 2000 } } } as const;
const stepUpBody = {
  type: 'object',
  properties: {
    password: { type: 'string', maxLength: 256 },
    code: { type: 'string', maxLength: 20 },
    return: { type: 'string', maxLength: 2000 },
    // A refused form, carried to be sent again: where it went and its fields (JSON).
    action: { type: 'string', maxLength: 2000 },
    carry: { type: 'string', maxLength: 100_000 },
    _csrf: { type: 'string' },
  },
} as const;

interface Resubmit {
  action: string;
  fields: Record<string, string>;
}

/**
 * SEC-07: the gate in front of every route declaring `config.stepUp`. Without a fresh step-up on this session:
 * a script gets 403 with `stepUpRequired` and where to go; a page (GET) is sent to the step-up page and back; a form
 * post gets the step-up page at once, carrying its fields, so after confirming the user sends it again in one click.
 */
export function stepUpGate(services: Services): preValidationAsyncHookHandler {
  return async function (request: FastifyRequest, reply: FastifyReply) {
    if (!request.routeOptions.config?.stepUp) return;
    const session = request.staffSession;
    if (!session || session.stepUpFresh) return;
    const returnTo = request.method === 'GET' ? request.url : '/';
    if (wantsJson(request)) {
      return reply.code(403).send({ error: NEEDED, stepUpRequired: true, stepUpUrl: stepUpUrl(returnTo), correlationId: request.id });
    }
    if (request.method === 'GET') return redirectTo(reply, stepUpUrl(returnTo));
    const resubmit: Resubmit = { action: safeReturnPath(request.url), fields: carriedFields(request.body) };
    return showStepUp(services, request, reply.code(403), { returnTo: '/', resubmit });
  };
}

async function showStepUp(
  services: Services,
  request: FastifyRequest,
  reply: FastifyReply,
  locals: { returnTo: string; resubmit?: Resubmit; errors?: Record<string, string> },
) {
  const session = request.staffSession!;
  const needs = await services.stepUp.needs(session.user.id, session.method);
  return reply.view('account/step-up.njk', {
    pageTitle: locals.errors ? 'Error: Confirm it is you' : 'Confirm it is you',
    needs,
    returnTo: locals.returnTo,
    resubmit: locals.resubmit,
    carry: locals.resubmit ? JSON.stringify(locals.resubmit.fields) : undefined,
    errors: locals.errors,
    errorList: locals.errors ? Object.entries(locals.errors).map(([field, text]) => ({ text, href: `#${field}` })) : undefined,
    maxAgeMinutes: services.stepUpMaxAgeMinutes,
  });
}

function parseCarry(action: string | undefined, carry: string | undefined): Resubmit | undefined {
  if (!action || carry === undefined) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(carry);
  } catch {
    return undefined;
  }
  const safe = safeReturnPath(action);
  if (safe === '/') return undefined;
  return { action: safe, fields: carriedFields(fields) };
}

/** The step-up page: password (+ code) for a local account; single sign-on again (prompt=login) for an SSO account. */
export function stepUpRoutes(services: Services, config: Config, cookie: SessionCookieSettings): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: { return?: string } }>(
      '/account/step-up',
      { config: { access: 'signed_in', beforePolicy: true }, schema: { querystring: stepUpQuery } },
      async (request, reply) => showStepUp(services, request, reply, { returnTo: safeReturnPath(request.query.return) }),
    );

    app.post<{ Body: { password?: string; code?: string; return?: string; action?: string; carry?: string } }>(
      '/account/step-up',
      {
        config: { access: 'signed_in', beforePolicy: true, rateLimit: { max: config.signInAttemptsPerMinute, timeWindow: '1 minute' } },
        schema: { body: stepUpBody },
      },
      async (request, reply) => {
        const returnTo = safeReturnPath(request.body.return);
        const resubmit = parseCarry(request.body.action, request.body.carry);
        const password = request.body.password ?? '';
        if (!password) return showStepUp(services, request, reply.code(400), { returnTo, resubmit, errors: { password: 'Enter your password' } });
        const token = readSessionToken(request, cookie)!;
        const outcome = await services.stepUp.withPassword(token, contextOf(request), { password, code: request.body.code ?? '' });
        if (!outcome.ok) return showStepUp(services, request, reply.code(401), { returnTo, resubmit, errors: { [outcome.field]: outcome.message } });
        if (resubmit) {
          return reply.view('account/step-up-resubmit.njk', { pageTitle: 'Send the form again', resubmit });
        }
        return redirectTo(reply, returnTo);
      },
    );
  };
}
