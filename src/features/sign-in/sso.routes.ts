import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import { AppError } from '../../platform/errors.js';
import type { OidcLoginRequest } from '../../platform/auth/oidc-client.js';
import { readSessionToken, setSessionCookie, type SessionCookieSettings } from '../../platform/http/session-cookie.js';
import { contextOf } from '../../platform/http/access.js';
import { safeReturnPath } from '../../domain/step-up.js';
import { clientMeta } from './sign-in.routes.js';

/** Single sign-on routes, registered only when an OIDC provider is configured. */
export function ssoRoutes(services: Services, config: Config, cookie: SessionCookieSettings): FastifyPluginAsync {
  // The login request (state, nonce, PKCE verifier) rides in a signed, short-lived cookie. Lax, because the
  // provider sends the browser back with a top-level cross-site navigation.
  const requestCookie = cookie.secure ? '__Host-rvr_oidc' : 'rvr_oidc';
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: cookie.secure, signed: true } as const;
  return async (app) => {
    const sso = services.sso;
    if (!sso) return;
    app.get('/sign-in/oidc', { config: { access: 'public' } }, async (_request, reply) => {
      const { url, request } = await sso.startLogin();
      reply.setCookie(requestCookie, JSON.stringify(request), { ...cookieOptions, maxAge: 600 });
      return reply.redirect(url, 303);
    });

    // SEC-07: an SSO user steps up by signing in again at the provider (prompt=login, max_age=0).
    app.get<{ Querystring: { return?: string } }>(
      '/sign-in/oidc/step-up',
      {
        config: { access: 'signed_in', beforePolicy: true },
        schema: { querystring: { type: 'object', properties: { return: { type: 'string', maxLength: 2000 } } } },
      },
      async (request, reply) => {
        const returnTo = safeReturnPath(request.query.return);
        if (request.staffSession?.method !== 'oidc') return reply.redirect(`/account/step-up?return=${encodeURIComponent(returnTo)}`, 303);
        const { url, request: loginRequest } = await sso.startStepUp(returnTo, new Date());
        reply.setCookie(requestCookie, JSON.stringify(loginRequest), { ...cookieOptions, maxAge: 600 });
        return reply.redirect(url, 303);
      },
    );

    app.get('/sign-in/oidc/callback', { config: { access: 'public' } }, async (request, reply) => {
      const raw = request.cookies[requestCookie];
      const unsigned = raw ? request.unsignCookie(raw) : undefined;
      reply.clearCookie(requestCookie, cookieOptions);
      if (!unsigned?.valid || !unsigned.value)
        throw new AppError(400, 'Your sign-in took too long or was started elsewhere. Start again from the sign-in page.');
      const loginRequest = JSON.parse(unsigned.value) as OidcLoginRequest;
      if (loginRequest.stepUp) {
        // SEC-07: the step-up of the session this browser already has.
        const session = request.staffSession;
        const token = readSessionToken(request, cookie);
        if (!session || session.mfaPending || !token) throw new AppError(401, 'Sign in first, then confirm it is you.');
        const context = contextOf(request);
        const checked = await sso.checkStepUp(new URL(request.url, config.publicBaseUrl), loginRequest, session.user.id);
        if (!checked.ok) {
          await services.stepUp.ssoFailed(context, checked.reason);
          throw new AppError(403, checked.message);
        }
        await services.stepUp.withSso(token, context);
        return reply.redirect(safeReturnPath(loginRequest.stepUp.returnTo), 303);
      }
      const token = await sso.finishLogin(new URL(request.url, config.publicBaseUrl), loginRequest, clientMeta(request));
      setSessionCookie(reply, cookie, token);
      return reply.redirect('/', 303);
    });
  };
}
