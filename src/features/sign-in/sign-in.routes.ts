import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
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

// The same words for an unknown user, a wrong password and a disabled account: no user enumeration.
const FAILED = 'Enter a correct username and password';

export function signInRoutes(services: Services, cookie: SessionCookieSettings): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: Record<string, string | undefined> }>('/sign-in', { config: { access: 'public' } }, async (request, reply) => {
      if (request.user) return reply.redirect('/', 303);
      return reply.view('sign-in/sign-in.njk', { pageTitle: 'Sign in', signedOut: request.query['signed-out'] === '1' });
    });

    app.post<{ Body: { username?: unknown; password?: unknown } }>(
      '/sign-in',
      { config: { access: 'public' }, schema: { body: signInBody }, attachValidation: true },
      async (request, reply) => {
        const username = typeof request.body?.username === 'string' ? request.body.username.trim() : '';
        const password = typeof request.body?.password === 'string' ? request.body.password : '';
        const errors: Record<string, string> = {};
        if (request.validationError || !username || !password) {
          if (!username) errors.username = 'Enter your username';
          if (!password) errors.password = 'Enter your password';
          if (Object.keys(errors).length === 0) errors.username = FAILED;
          return reply.code(400).view('sign-in/sign-in.njk', { pageTitle: 'Sign in', errors, username: username.slice(0, 100) });
        }
        const result = await services.auth.signIn(username, password, request.headers['user-agent'] ?? null, request.id);
        if (!result) {
          return reply.code(401).view('sign-in/sign-in.njk', { pageTitle: 'Sign in', errors: { username: FAILED }, username });
        }
        setSessionCookie(reply, cookie, result.token);
        return reply.redirect('/', 303);
      },
    );

    app.post('/sign-out', { config: { access: 'signed_in' } }, async (request, reply) => {
      const token = readSessionToken(request, cookie);
      if (token) await services.auth.signOut(token, contextOf(request));
      clearSessionCookie(reply, cookie);
      return reply.redirect('/sign-in?signed-out=1', 303);
    });
  };
}
