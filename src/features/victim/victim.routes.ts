import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import { AppError } from '../../platform/errors.js';
import { CALL_COOKIE } from '../../platform/http/request-guard.js';
import { isAutomatedLinkFetch } from '../../domain/link-previewers.js';
import { consentWording, forceNameIn } from '../video/call-consent.service.js';
import { languageChosen, languageLocals, linkLanguage, rememberLanguage, replyLanguage } from '../../platform/http/language.js';
import { LinkRefusedError } from '../video/call-links.service.js';
import { translator, type Language } from '../../platform/i18n/i18n.js';
import { cameraSupportAdvice } from './in-app-browser.js';

const tokenParams = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 200 } } } as const;
const csrfOnly = { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string' } } } as const;
const consentBody = {
  type: 'object',
  properties: {
    video: { type: 'string', enum: ['yes'] },
    recording: { type: 'string', enum: ['yes'] },
    /** Issue 17 §2: the language the consent page was shown in (its wording is stored in that language). */
    lang: { type: 'string', enum: ['en', 'cy'] },
    _csrf: { type: 'string' },
  },
} as const;

/**
 * The victim's (and an interpreter's) side of the call, reached only through a texted link (RVR-07):
 * open the link once → what will happen, the recording notice and the privacy contact (SC-3) → consent →
 * the call. Nothing is stored on the phone beyond a session cookie that ends with the call. Every link route
 * needs both consents ('call_link') except the consent page, giving consent and "Exit this page".
 */
export function victimRoutes(services: Services, config: Config): FastifyPluginAsync {
  const secure = config.publicBaseUrl.startsWith('https://');
  // Issue 17 §2: in the page's language (the link's, or the person's choice on the toggle).
  const pageLocals = (request: FastifyRequest, reply: FastifyReply, language = replyLanguage(reply)) => ({
    forceName: forceNameIn(config.call, language),
    privacyContact: language === 'cy' ? config.call.privacyContactCy : config.call.privacyContact,
    quickExitUrl: config.call.quickExitUrl,
    wording: consentWording(config.call, language),
    browserAdvice: cameraSupportAdvice(request.headers['user-agent'], translator(language)),
    csrfToken: reply.generateCsrf(),
    cspNonce: reply.cspNonce.script,
  });
  return async (app) => {
    /** Swaps the link's token for the call session cookie (once), or shows why the link does not work. */
    const openLink = async (request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) => {
      try {
        const { sessionSecret, language } = await services.calls.links.redeemLink(request.params.token, request.ip, request.id);
        // No Max-Age: gone when the browser closes; the server ends it when the call ends.
        reply.setCookie(CALL_COOKIE, sessionSecret, { path: '/v/', httpOnly: true, sameSite: 'lax', secure });
        // Issue 17 §2: the pages open in the language the link was texted in, unless the person chose one on the toggle.
        if (!languageChosen(request)) rememberLanguage(request, reply, language, secure);
        return reply.redirect('/v/call', 303);
      } catch (error) {
        if (!(error instanceof LinkRefusedError)) throw error;
        const t = translator(replyLanguage(reply));
        return reply.code(error.statusCode).view('victim/victim-error.njk', {
          title: t(`refusal.${error.refusal}.title`),
          advice: t(`refusal.${error.refusal}.advice`),
          correlationId: request.id,
        });
      }
    };

    app.get<{ Params: { token: string } }>(
      '/v/:token',
      {
        config: { access: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: { params: tokenParams },
      },
      async (request, reply) => {
        // RVR-07: HEAD, prefetches and link previewers (messaging apps, mail, scanners) never use the link up. They get
        // the same neutral page whatever the token (nothing looked up, nothing that says "police" on a shared phone);
        // a person wrongly taken for one can still go on with the button, a deliberate step no previewer takes.
        const purpose = ['sec-purpose', 'purpose', 'x-purpose', 'x-moz'].map((name) => request.headers[name]).find((value) => typeof value === 'string');
        if (isAutomatedLinkFetch({ method: request.method, userAgent: request.headers['user-agent'], purpose })) {
          return reply.view('victim/link-preview.njk', { csrfToken: reply.generateCsrf() });
        }
        return openLink(request, reply);
      },
    );

    app.post<{ Params: { token: string } }>(
      '/v/:token',
      {
        config: { access: 'public', rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: { params: tokenParams, body: csrfOnly },
      },
      openLink,
    );

    // The consent step until this link session has agreed to both, then the call.
    app.get('/v/call', { config: { access: 'call_link_before_consent' } }, async (request, reply) => {
      const session = request.linkSession!;
      if (!session.consented) return reply.view('victim/consent.njk', { ...pageLocals(request, reply), role: session.participant.role });
      return reply.view('victim/call.njk', { ...pageLocals(request, reply), role: session.participant.role });
    });

    app.post<{ Body: { video?: 'yes'; recording?: 'yes'; lang?: Language } }>(
      '/v/call/consent',
      { config: { access: 'call_link_before_consent' }, schema: { body: consentBody } },
      async (request, reply) => {
        const session = request.linkSession!;
        try {
          await services.calls.consent.giveConsent(services.calls.links.linkContext(session, request.id, request.ip), session, {
            video: request.body.video === 'yes',
            recording: request.body.recording === 'yes',
            // Issue 17 §2: the language the consent page was shown in, stored with its exact wording.
            language: request.body.lang ?? replyLanguage(reply),
          });
          return reply.redirect('/v/call', 303);
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode !== 400) throw error;
          const language = request.body.lang ?? replyLanguage(reply);
          return reply.code(400).view('victim/consent.njk', {
            ...pageLocals(request, reply, language),
            ...languageLocals(request, language),
            role: session.participant.role,
            errors: error.message,
          });
        }
      },
    );

    // Photos and videos from the victim's phone, sent by the call page's script as the raw file (no multipart).
    await app.register(async (uploads) => {
      uploads.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
      uploads.post(
        '/v/call/uploads',
        { config: { access: 'call_link', rateLimit: { max: 30, timeWindow: '1 minute' } }, bodyLimit: config.call.uploadMaxBytes + 1024 },
        async (request, reply) => {
          const session = request.linkSession!;
          if (!request.headers['content-type']?.startsWith('application/octet-stream'))
            return reply.code(415).send({ error: translator(replyLanguage(reply))('server.upload.notRaw') });
          services.calls.uploads.assertDeclaredSize(Number(request.headers['content-length']));
          const saved = await services.calls.uploads.saveUpload(
            services.calls.links.linkContext(session, request.id, request.ip),
            session,
            request.body as AsyncIterable<Buffer>,
          );
          // ADR 0013: told on the node that owns the call, wherever this request landed.
          await services.callSockets.relayAlert(services.calls.links.linkContext(session, request.id, request.ip), session.participant, 'upload');
          return reply.code(201).send({ message: translator(replyLanguage(reply))('server.upload.sent'), id: saved.id, sha256: saved.sha256 });
        },
      );
    });

    app.get('/v/socket', { websocket: true, config: { access: 'call_link' } }, async (socket, request) => {
      const session = request.linkSession!;
      try {
        // ADR 0013: joined here, or proxied to the media node that owns the call.
        // Issue 17 §2: the room speaks to the page in its language.
        await services.callSockets.connect(
          socket,
          session.participant,
          services.calls.links.linkContext(session, request.id, request.ip),
          undefined,
          linkLanguage(request),
        );
      } catch (error) {
        socket.send(JSON.stringify({ type: 'error', message: (error as Error).message }));
        socket.close(4003, 'refused');
      }
    });

    // Sent by "Exit this page" as a beacon, so the officer is alerted even if the socket is already gone. It works
    // before consent too (the person's safety first): then it records only the exit, marked beforeConsent.
    app.post('/v/quick-exit', { config: { access: 'call_link_before_consent' } }, async (request, reply) => {
      const session = request.linkSession!;
      await services.callSockets.relayAlert(services.calls.links.linkContext(session, request.id, request.ip), session.participant, 'quick_exit');
      reply.clearCookie(CALL_COOKIE, { path: '/v/' });
      return reply.code(204).send();
    });

    // "?left=1": the person chose "Leave the call" (issue 17 §5); otherwise the call ended (or this is the exit page).
    app.get<{ Querystring: { left?: string } }>(
      '/v/ended',
      { config: { access: 'public' }, schema: { querystring: { type: 'object', properties: { left: { type: 'string', maxLength: 5 } } } } },
      async (request, reply) => {
        reply.clearCookie(CALL_COOKIE, { path: '/v/' });
        return reply.view('victim/ended.njk', { cspNonce: reply.cspNonce.script, quickExitUrl: config.call.quickExitUrl, left: request.query.left === '1' });
      },
    );
  };
}
