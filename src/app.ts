import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Services } from './composition.js';
import { accountRoutes } from './features/account/account.routes.js';
import { adminRoutes } from './features/admin/admin.routes.js';
import { governanceRoutes } from './features/governance/governance.routes.js';
import { dpoRoutes } from './features/dpo/dpo.routes.js';
import { subjectRequestRoutes } from './features/dpo/subject-requests.routes.js';
import { breachRoutes } from './features/dpo/breaches.routes.js';
import { scCodeRoutes } from './features/dpo/sc-code.routes.js';
import { dpiaRoutes } from './features/admin/dpia.routes.js';
import { covertSurveillanceRoutes } from './features/covert-surveillance/covert-surveillance.routes.js';
import { controlRoomRoutes } from './features/control-room/control-room.routes.js';
import { triageSettingsRoutes } from './features/control-room/settings.routes.js';
import { officerRoutes } from './features/officer/officer.routes.js';
import { liveRoutes } from './platform/live/live.routes.js';
import { cadApiRoutes } from './features/cad-api/cad-api.routes.js';
import { consultationRoutes } from './features/consultations/consultation.routes.js';
import { healthRoutes } from './features/health/health.routes.js';
import { homeRoutes } from './features/home/home.routes.js';
import fastifyWebsocket from '@fastify/websocket';
import { callRoutes } from './features/video/call.routes.js';
import { evidenceRoutes } from './features/evidence/evidence.routes.js';
import { redactionRoutes } from './features/evidence/redaction/redaction.routes.js';
import { enquiryRoutes } from './features/investigation/enquiry/enquiry.routes.js';
import { statementRoutes } from './features/investigation/statement/statement.routes.js';
import { statementVictimRoutes } from './features/investigation/statement/statement-victim.routes.js';
import { outcomeRoutes } from './features/investigation/outcome/outcome.routes.js';
import { safetyRoutes } from './features/investigation/safety/safety.routes.js';
import { victimLocationRoutes } from './features/victim-location/victim-location.routes.js';
import { riskAssessmentRoutes } from './features/investigation/risk-assessment/risk-assessment.routes.js';
import { evaluationRoutes } from './features/evaluation/evaluation.routes.js';
import { supervisorRoutes } from './features/supervisor/supervisor.routes.js';
import { victimRoutes } from './features/victim/victim.routes.js';
import { outcomesRoutes } from './features/outcomes/outcomes.routes.js';
import { appointmentRoutes } from './features/appointments/appointment.routes.js';
import { outboxRoutes } from './features/dev/outbox.routes.js';
import { ssoRoutes } from './features/sign-in/sso.routes.js';
import { stepUpGate, stepUpRoutes } from './features/account/step-up.routes.js';
import { caseAccessGate, caseAccessRoutes } from './features/case-access/case-access.routes.js';
import { signInRoutes } from './features/sign-in/sign-in.routes.js';
import { assertRouteDeclaresAccess, contextOf, wantsJson } from './platform/http/access.js';
import { closeLinkSocketsWithoutConsent, isStaticAsset, registerRequestGuard } from './platform/http/request-guard.js';
import { registerResponseRules } from './platform/http/response-rules.js';
import { sessionCookieSettings } from './platform/http/session-cookie.js';
import { fastifyTrustProxy } from './platform/http/trust-proxy.js';
import { registerViews } from './platform/http/views.js';
import { isLinkPage, languageLocals, pageLanguage } from './platform/http/language.js';
import { translator } from './platform/i18n/i18n.js';
import { registerMetrics } from './platform/metrics/metrics.js';
import { AccessRefusedError, AppError } from './platform/errors.js';
import { keysFor } from './platform/auth/session-keys.js';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{8,100}$/;

export interface AppDependencies {
  config: Config;
  services: Services;
  logger: Logger;
}

/** Builds the HTTP app. Plugins are registered in the order a request meets them. */
export async function buildApp({ config, services, logger }: AppDependencies): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the app is a plain FastifyInstance (pino's Logger type is wider).
  const fastifyLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: fastifyLogger,
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-For is believed only from the proxies named in TRUST_PROXY (default: nobody's).
    trustProxy: fastifyTrustProxy(config.trustProxy),
    requestIdHeader: false,
    // Reuse a caller's correlation id (e.g. from CAD) when it looks like one; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-correlation-id'];
      return typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    // No silent coercion or stripping: ["a"] is not "a", 1 is not "1", and an unknown field is a 400, never a guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });

  app.decorate('routeCatalogue', []);
  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined && isStaticAsset(route.url)) {
      route.config = { ...route.config, access: 'public' };
    }
    const access = assertRouteDeclaresAccess(route);
    closeLinkSocketsWithoutConsent(route);
    const { stepUp, caseOf } = route.config ?? {};
    for (const method of [route.method].flat())
      app.routeCatalogue.push({ method, url: route.url, access, ...(stepUp ? { stepUp } : {}), ...(caseOf ? { caseOf } : {}) });
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-correlation-id', request.id);
  });

  await app.register(fastifyHelmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        upgradeInsecureRequests: config.publicBaseUrl.startsWith('https://') ? [] : null,
      },
    },
    strictTransportSecurity: config.publicBaseUrl.startsWith('https://'),
    referrerPolicy: { policy: 'no-referrer' },
  });
  // The cookie key is derived for this purpose alone (ADR 0008); a previous secret's key still verifies during rotation.
  await app.register(fastifyCookie, { secret: keysFor(config, 'cookieSigning') });
  await app.register(fastifyFormbody);
  // Only routes that opt in (sign-in and its second step) are rate limited, per client address.
  await app.register(fastifyRateLimit, { global: false });
  const cookieSettings = sessionCookieSettings(config.publicBaseUrl);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: cookieSettings.secure ? '__Host-rvr_csrf' : 'rvr_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure: cookieSettings.secure, signed: true },
    getToken: (request) => (request.body as Record<string, string> | undefined)?._csrf ?? (request.headers['x-csrf-token'] as string | undefined),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await registerViews(app, {
    production: config.nodeEnv === 'production',
    // SEC-05: the marking on every staff page (not the victim's); SC-1: purpose codes' labels.
    globals: {
      protectiveMarking: config.governance.protectiveMarking,
      purposeLabels: Object.fromEntries(config.governance.purposes.map((p) => [p.code, p.label])),
    },
  });
  registerMetrics(
    app,
    {
      evidenceIntegrityFailures: async () => (await services.evidence.disposal.integrityFailures()).length,
      mediaWorkers: () => services.mediaEngine.workers?.() ?? [],
    },
    config.metrics,
  );

  registerRequestGuard(app, services.principals, cookieSettings);
  registerResponseRules(app);
  // SEC-05: every download (evidence, CSV, audit export, certificates) carries the protective marking in its headers.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (/^attachment/i.test(String(reply.getHeader('content-disposition') ?? ''))) reply.header('x-protective-marking', config.governance.protectiveMarking);
    return payload;
  });
  // At preValidation (after the CSRF check), so the step-up gate below can show a page before the form is validated.
  app.addHook('preValidation', async (request, reply) => {
    if (!rendersPages(request.url)) return;
    reply.locals = {
      user: request.user,
      // Shown in the header (with Sign out) even while the second factor is still due.
      signedInAs: request.staffSession?.user,
      cspNonce: reply.cspNonce.script,
      csrfToken: reply.generateCsrf(),
      correlationId: request.id,
      // Issue 17 §5: every victim page (ended, refused links, the survey) has "Exit this page".
      quickExitUrl: config.call.quickExitUrl,
      // DP-13, SC-2: administrators and supervisors see the DPIA warning (review due within 30 days, or live calls refused).
      dpiaWarning: request.user?.roles.some((role) => role === 'admin' || role === 'supervisor') ? await services.dpia.warning() : undefined,
      // Issue 17 §2: `t('key')` in the page's language (a link-holder's choice, else English), `<html lang>`, the toggle.
      ...languageLocals(request, pageLanguage(request, reply, cookieSettings.secure)),
    };
  });

  // Issue 16 §3: per-case access (an investigator opens only their cases), then SEC-07 step-up, both declared on the route.
  // The step-up gate runs once the form is parsed and its CSRF token checked, before it is validated: a sensitive route
  // answers a session without a fresh step-up the same way whatever was sent.
  app.addHook('preValidation', stepUpGate(services));
  app.addHook('preHandler', caseAccessGate(services));

  app.setErrorHandler(async (error: Error & { statusCode?: number; validation?: unknown; code?: string }, request, reply) => {
    // Object-level refusals (another officer's consultation, a record the user may not read) are audited (DP-01).
    if (error instanceof AccessRefusedError && request.user) await services.accessRefusals.record(contextOf(request), error);
    const status =
      error instanceof AppError ? error.statusCode : error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status, code: error.code }, 'request refused');
    const message = status >= 500 ? 'Sorry, there is a problem with the service. Try again later.' : friendlyMessage(error, status);
    // `npm run dev` (NODE_ENV=development): the stack trace on the error page. Never in production or tests.
    const stack = status >= 500 && config.nodeEnv === 'development' ? developmentStack(error) : undefined;
    return sendError(
      request,
      reply,
      status,
      message,
      error instanceof AppError ? error.fieldErrors : undefined,
      stack,
      config.call.quickExitUrl,
      cookieSettings.secure,
      error instanceof AppError && error.victimMessage ? error.victimMessage : { key: victimErrorKey(status, error.code) },
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      404,
      'Page not found. If you typed the web address, check it is correct.',
      undefined,
      undefined,
      config.call.quickExitUrl,
      cookieSettings.secure,
    ),
  );

  await app.register(healthRoutes(services));
  await app.register(signInRoutes(services, config, cookieSettings));
  await app.register(ssoRoutes(services, config, cookieSettings));
  await app.register(accountRoutes(services, cookieSettings));
  await app.register(stepUpRoutes(services, config, cookieSettings));
  await app.register(caseAccessRoutes(services));
  await app.register(homeRoutes(services));
  await app.register(consultationRoutes(services));
  await app.register(controlRoomRoutes(services));
  await app.register(triageSettingsRoutes(services));
  await app.register(officerRoutes(services));
  await app.register(
    liveRoutes({
      hub: services.live,
      repository: services.data.repos.live,
      assignedOfficer: (about) => services.data.repos.calls.assignedOfficer(about),
      logger,
    }),
  );
  await app.register(cadApiRoutes(services, config));
  await app.register(adminRoutes(services));
  await app.register(governanceRoutes(services));
  await app.register(dpoRoutes(services));
  await app.register(subjectRequestRoutes(services));
  // Issue 16 §3: breach register (DP-15), DPIA (DP-13), covert surveillance reports (policy 3.4), SC Code self-assessment (SC-10).
  await app.register(breachRoutes(services));
  await app.register(dpiaRoutes(services));
  await app.register(covertSurveillanceRoutes(services));
  await app.register(scCodeRoutes(services));
  await app.register(callRoutes(services));
  await app.register(evidenceRoutes(services));
  await app.register(redactionRoutes(services));
  await app.register(enquiryRoutes(services));
  await app.register(statementRoutes(services));
  await app.register(statementVictimRoutes(services));
  await app.register(outcomeRoutes(services));
  await app.register(safetyRoutes(services));
  await app.register(victimLocationRoutes(services));
  await app.register(riskAssessmentRoutes(services));
  await app.register(evaluationRoutes(services));
  await app.register(supervisorRoutes(services));
  await app.register(victimRoutes(services, config));
  await app.register(outcomesRoutes(services));
  await app.register(appointmentRoutes(services, config));
  await app.register(outboxRoutes(services.smsOutbox));
  return app;
}

/** The catalog's words for a refusal or failure on a link-holder's page, by its kind (issue 17 §2). */
function victimErrorKey(status: number, code?: string): string {
  if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') return 'error.formExpired';
  if (status === 429) return 'error.tooMany';
  if (status >= 500) return 'error.server';
  if (status === 404) return 'error.notFound';
  if (status === 401 || status === 403 || status === 410) return 'error.notAllowed';
  return 'error.badRequest';
}

function rendersPages(url: string): boolean {
  return !isStaticAsset(url) && !url.startsWith('/health/') && url !== '/metrics';
}

function friendlyMessage(error: Error & { code?: string; validation?: unknown }, status: number): string {
  if (error instanceof AppError) return error.message;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'What you sent is too large. Shorten it and try again.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'The form was sent in a format the service does not accept.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body could not be read. Try again.';
    case 'FST_CSRF_INVALID_TOKEN':
    case 'FST_CSRF_MISSING_SECRET':
      return 'This form has expired or was not sent from this service. Go back, reload the page and try again.';
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return 'The request body is not valid JSON. Check it and send it again.';
  if (status === 429) return 'Too many attempts from your device. Wait a minute, then try again.';
  if (error.validation) return `Some of what you sent is not valid: ${error.message}`;
  return status === 404 ? 'Not found.' : 'The request could not be processed. Check what you sent and try again.';
}

/** The error's stack and those of its causes (a database error is usually the cause of the one thrown). */
function developmentStack(error: Error): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : JSON.stringify(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n\nCaused by: ');
}

function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  fields?: Record<string, string>,
  stack?: string,
  quickExitUrl?: string,
  secure = false,
  victimMessage: { key: string; values?: Record<string, string | number> } = { key: victimErrorKey(status) },
) {
  reply.code(status);
  // Issue 17 §2: a link-holder (page or page script) is answered in their language: the refusal's own words when the
  // service gave them a catalog key (AppError.forVictim), else in English as written and in Welsh by the kind of error.
  const language = isLinkPage(request.url) ? pageLanguage(request, reply, secure) : 'en';
  const keyed = victimMessage.key.startsWith('server.');
  const words = !isLinkPage(request.url) || (language === 'en' && !keyed) ? message : translator(language)(victimMessage.key, victimMessage.values);
  if (wantsJson(request)) {
    // Field messages are written in English: a Welsh page script gets the sentence alone.
    const shownFields = language === 'en' && fields && Object.keys(fields).length ? { fields } : {};
    return reply.send({ error: words, ...shownFields, correlationId: request.id, ...(stack ? { stack } : {}) });
  }
  // A link-holder's pages never show the staff header or links into the staff service.
  // Issue 17 §5: the nonce is passed here, as a refusal before the page hooks ran (an ended call's link session) has no
  // locals, and the page's inline script and "Exit this page" must still run under the Content Security Policy.
  // Issue 17 §2/§5: every link-holder's page (the call link, the survey, the appointment page), not only the call's.
  if (isLinkPage(request.url)) {
    return reply.view('victim/victim-error.njk', {
      status,
      message: words,
      stack,
      cspNonce: reply.cspNonce?.script,
      quickExitUrl,
      ...languageLocals(request, language),
    });
  }
  return reply.view('error.njk', {
    status,
    message,
    stack,
    correlationId: request.id,
    user: request.user,
    signedInAs: request.staffSession?.user,
    cspNonce: reply.cspNonce?.script,
  });
}
