import type { FastifyPluginAsync } from 'fastify';
import QRCode from 'qrcode';
import type { Services } from '../../composition.js';
import { contextOf } from '../../platform/http/access.js';
import { readSessionToken, type SessionCookieSettings } from '../../platform/http/session-cookie.js';

const codeBody = { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 20 }, _csrf: { type: 'string' } } } as const;
const sessionParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const ackBody = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'string', pattern: '^[0-9]{1,9}$' }, _csrf: { type: 'string' } },
} as const;

/** Your account: who you are, your second factor, your sessions (SEC-07), and the policy to acknowledge (SC-5). */
export function accountRoutes(services: Services, cookie: SessionCookieSettings): FastifyPluginAsync {
  return async (app) => {
    app.get('/account', { config: { access: 'signed_in', beforePolicy: true } }, async (request, reply) => {
      const user = request.user!;
      const [record, sessions] = await Promise.all([services.userAdmin.find(user.id), services.auth.listSessions(user.id)]);
      // SC-8: your own training; SC-4: a system-owner nomination waiting for your answer.
      const [training, owner] = [await services.governance.training(user.id), await services.governance.systemOwner()];
      return reply.view('account/account.njk', {
        pageTitle: 'Your account',
        training,
        nomination: owner.pending?.userId === user.id ? owner.pending : undefined,
        mfaEnrolledAt: record?.mfaEnrolledAt,
        sessions: sessions.map((s) => ({ ...s, current: s.id === request.staffSession?.sessionId })),
      });
    });

    app.post<{ Params: { id: string } }>(
      '/account/sessions/:id/end',
      { config: { access: 'signed_in', beforePolicy: true }, schema: { params: sessionParams } },
      async (request, reply) => {
        await services.auth.endSession(contextOf(request), request.user!.id, request.params.id);
        return reply.redirect(request.params.id === request.staffSession?.sessionId ? '/sign-in' : '/account', 303);
      },
    );

    const showSetup = async (userId: string, errors?: Record<string, string>) => {
      const enrolment = (await services.mfa.pendingEnrolment(userId)) ?? (await services.mfa.beginEnrolment(userId));
      const qrSvg = await QRCode.toString(enrolment.uri, { type: 'svg', margin: 1, width: 220 });
      // The key in groups of four, as authenticator apps show and people type it.
      return { pageTitle: 'Set up your authenticator app', qrSvg, secret: enrolment.secret.replace(/(.{4})/g, '$1 ').trim(), errors };
    };

    app.get('/account/mfa/setup', { config: { access: 'second_factor', beforePolicy: true } }, async (request, reply) => {
      const record = await services.userAdmin.find(request.staffSession!.user.id);
      if (record?.mfaEnrolledAt) return reply.redirect(request.staffSession!.mfaPending ? '/sign-in/mfa' : '/account', 303);
      return reply.view('account/mfa-setup.njk', await showSetup(request.staffSession!.user.id));
    });

    app.post<{ Body: { code?: unknown } }>(
      '/account/mfa/setup',
      { config: { access: 'second_factor', beforePolicy: true }, schema: { body: codeBody }, attachValidation: true },
      async (request, reply) => {
        const userId = request.staffSession!.user.id;
        const code = typeof request.body?.code === 'string' ? request.body.code : '';
        const token = readSessionToken(request, cookie)!;
        if (request.validationError || !(await services.mfa.confirmEnrolment(token, userId, code, contextOf(request)))) {
          return reply.code(400).view('account/mfa-setup.njk', await showSetup(userId, { code: 'Enter the 6-digit code your authenticator app shows now' }));
        }
        return reply.redirect('/', 303);
      },
    );

    app.get('/policy', { config: { access: 'signed_in', beforePolicy: true } }, async (request, reply) => {
      const policy = await services.policy.current();
      const needed = await services.policy.needsAcknowledgement(request.user!.id);
      return reply.view('account/policy.njk', { pageTitle: policy ? policy.title : 'RVR policy', policy, needed });
    });

    app.post<{ Body: { version: string } }>(
      '/policy',
      { config: { access: 'signed_in', beforePolicy: true }, schema: { body: ackBody } },
      async (request, reply) => {
        await services.policy.acknowledge(contextOf(request), request.user!.id, Number(request.body.version));
        return reply.redirect('/', 303);
      },
    );
  };
}
