import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import type { ClientMeta } from '../identity/auth.service.js';
import { contextOf } from '../../platform/http/access.js';
import { clearSessionCookie, readSessionToken, setSessionCookie, type SessionCookieSettings } from '../../platform/http/session-cookie.js';

const signInBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', maxLength: 100 },
    password: { type: 'string', maxLength: 256 },
    _csrf: { type: 'string' },
  },
} as const;

const codeBody = {
  type: 'object',
  required: ['code'],
  properties: { code: { type: 'string', maxLength: 20 }, _csrf: { type: 'string' } },
} as const;

// The same words for an unknown user, a wrong password, a paused and a disabled account: no user enumeration.
const FAILED = 'Enter a correct username and password';
const FAILED_CODE = 'Enter the current 6-digit code from your authenticator app';
const NEXT_PAGE = { home: '/', mfa: '/sign-in/mfa', mfa_enrol: '/account/mfa/setup' } as const;

export function clientMeta(request: FastifyRequest): ClientMeta {
  return { userAgent: request.headers['user-agent'] ?? null, clientIp: request.ip, correlationId: request.id };
}

export function signInRoutes(services: Services, config: Config, cookie: SessionCookieSettings): FastifyPluginAsync {
  const rateLimit = { max: config.signInAttemptsPerMinute, timeWindow: '1 minute' };
  return async (app) => {
    app.get<{ Querystring: Record<string, string | undefined> }>('/sign-in', { config: { access: 'public' } }, async (request, reply) => {
      if (request.user) return reply.redirect('/', 303);
      return reply.view('sign-in/sign-in.njk', { pageTitle: 'Sign in', signedOut: request.query['signed-out'] === '1', sso: services.sso !== undefined });
    });

    app.post<{ Body: { username?: unknown; password?: unknown } }>(
      '/sign-in',
      { config: { access: 'public', rateLimit }, schema: { body: signInBody }, attachValidation: true },
      async (request, reply) => {
        const username = typeof request.body?.username === 'string' ? request.body.username.trim() : '';
        const password = typeof request.body?.password === 'string' ? request.body.password : '';
        const view = { pageTitle: 'Sign in', sso: services.sso !== undefined };
        if (request.validationError || !username || !password) {
          const errors: Record<string, string> = {};
          if (!username) errors.username = 'Enter your username';
          if (!password) errors.password = 'Enter your password';
          if (Object.keys(errors).length === 0) errors.username = FAILED;
          return reply.code(400).view('sign-in/sign-in.njk', { ...view, errors, username: username.slice(0, 100) });
        }
        const outcome = await services.auth.signIn(username, password, clientMeta(request));
        if (!outcome.ok) return reply.code(401).view('sign-in/sign-in.njk', { ...view, errors: { username: FAILED }, username, failed: true });
        setSessionCookie(reply, cookie, outcome.token);
        return reply.redirect(NEXT_PAGE[outcome.next], 303);
      },
    );

    app.get('/sign-in/mfa', { config: { access: 'second_factor', beforePolicy: true } }, async (request, reply) => {
      if (!request.staffSession?.mfaPending) return reply.redirect('/', 303);
      if (request.staffSession.mfaEnrolmentNeeded) return reply.redirect('/account/mfa/setup', 303);
      return reply.view('sign-in/mfa.njk', { pageTitle: 'Enter your security code' });
    });

    app.post<{ Body: { code?: unknown } }>(
      '/sign-in/mfa',
      { config: { access: 'second_factor', beforePolicy: true, rateLimit }, schema: { body: codeBody }, attachValidation: true },
      async (request, reply) => {
        const session = request.staffSession!;
        if (!session.mfaPending) return reply.redirect('/', 303);
        const code = typeof request.body?.code === 'string' ? request.body.code : '';
        const token = readSessionToken(request, cookie)!;
        if (request.validationError || !(await services.mfa.verify(token, session.user.id, code, contextOf(request)))) {
          return reply.code(401).view('sign-in/mfa.njk', { pageTitle: 'Enter your security code', errors: { code: FAILED_CODE } });
        }
        return reply.redirect('/', 303);
      },
    );

    app.post('/sign-out', { config: { access: 'second_factor', beforePolicy: true } }, async (request, reply) => {
      const token = readSessionToken(request, cookie);
      if (token) await services.auth.signOut(token, contextOf(request));
      clearSessionCookie(reply, cookie);
      return reply.redirect('/sign-in?signed-out=1', 303);
    });
  };
}
