import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import { defaultBookingSlot } from '../../domain/appointments.js';
import { AppError, NotFoundError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';
import { languageChosen, languageLocals, replyLanguage } from '../../platform/http/language.js';
import { translator } from '../../platform/i18n/i18n.js';
import { AppointmentJoinRefusedError, type AppointmentPage } from './appointment.service.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const tokenParams = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 200 } } } as const;
// Checked by the domain (decideBooking), so a bad date gets a sentence a person can act on rather than a schema error.
const bookBody = {
  type: 'object',
  properties: {
    date: { type: 'string', maxLength: 20 },
    time: { type: 'string', maxLength: 10 },
    reason: { type: 'string', maxLength: 40 },
    _csrf: { type: 'string' },
  },
} as const;
const changeBody = { type: 'object', properties: { choice: { type: 'string', maxLength: 40 }, _csrf: { type: 'string' } } } as const;
const followUpBody = { type: 'object', properties: { note: { type: 'string', maxLength: 5000 }, _csrf: { type: 'string' } } } as const;
const csrfOnly = { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string' } } } as const;
// Like the call links (/v/:token): enough for a person, too few to guess tokens. Asking for another time: fewer still.
const linkRateLimit = { max: 30, timeWindow: '1 minute' };
const changeRateLimit = { max: 5, timeWindow: '1 minute' };

type BookInput = { date?: string; time?: string; reason?: string };

/**
 * Issue 17 §4 (policy 4.0): a video appointment for later. The officer books it from the consultation; the victim's
 * appointment page (public, by the texted link) says when to come back, lets them join in the window, or ask for
 * another time; a supervisor follows up missed appointments.
 */
export function appointmentRoutes(services: Services, config: Config): FastifyPluginAsync {
  return async (app) => {
    const bookPage = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, locals: Record<string, unknown>) => {
      const form = await services.appointments.bookingForm(contextOf(request), request.params.id);
      return reply.view('appointments/book.njk', {
        pageTitle: `Book a video appointment – ${form.consultation.reference}`,
        ...form,
        values: defaultBookingSlot(new Date()),
        settings: config.appointments,
        ...locals,
      });
    };

    app.get<{ Params: { id: string } }>(
      '/consultations/:id/appointment',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: idParams } },
      async (request, reply) => bookPage(request, reply, {}),
    );

    app.post<{ Params: { id: string }; Body: BookInput }>(
      '/consultations/:id/appointment',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: idParams, body: bookBody } },
      async (request, reply) => {
        const input = { date: request.body.date ?? '', time: request.body.time ?? '', reason: request.body.reason ?? '' };
        try {
          await services.appointments.book(contextOf(request), request.params.id, input);
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode === 403 || error.statusCode === 404) throw error;
          // The booking stands when only its text failed (502): the consultation page says so.
          if (error.statusCode === 502) return reply.redirect(`/consultations/${request.params.id}?appointmentText=failed`, 303);
          return bookPage(request, reply.code(error.statusCode), { values: input, errors: error.fieldErrors, errorMessage: error.message });
        }
        return reply.redirect(`/consultations/${request.params.id}`, 303);
      },
    );

    // Issue 17 §4: an officer takes an appointment the call handler booked at triage (the RVR queue's button).
    app.post<{ Params: { id: string } }>(
      '/appointments/:id/take',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: idParams, body: csrfOnly } },
      async (request, reply) => {
        const taken = await services.appointments.take(contextOf(request), request.params.id);
        return reply.redirect(`/consultations/${taken.consultationId}`, 303);
      },
    );

    // ── The victim's appointment page (RVR-11: no police words, Exit this page, nothing kept on the phone) ──

    // Issue 17 §2: the page in the consultation's language, unless the person chose one on the toggle (?lang=, cookie on /a/).
    const chosenLanguage = (request: FastifyRequest, reply: FastifyReply) => (languageChosen(request) ? replyLanguage(reply) : undefined);
    const victimPage = (reply: FastifyReply, page: AppointmentPage, locals: Record<string, unknown> = {}) =>
      reply.view('appointments/victim-appointment.njk', {
        ...languageLocals(reply.request, page.language),
        ...page,
        // The forms post back to the link's own address (already in the address bar; never stored on the phone otherwise).
        token: (reply.request.params as { token: string }).token,
        quickExitUrl: config.call.quickExitUrl,
        csrfToken: reply.generateCsrf(),
        cspNonce: reply.cspNonce.script,
        ...locals,
      });
    const notFound = (request: FastifyRequest, reply: FastifyReply) =>
      reply.code(404).view('victim/victim-error.njk', {
        title: translator(replyLanguage(reply))('refusal.unknown.title'),
        advice: translator(replyLanguage(reply))('refusal.unknown.advice'),
        correlationId: request.id,
      });

    app.get<{ Params: { token: string } }>(
      '/a/:token',
      { config: { access: 'public', rateLimit: linkRateLimit }, schema: { params: tokenParams } },
      async (request, reply) => {
        try {
          return victimPage(reply, await services.appointments.page(request.params.token, chosenLanguage(request, reply)));
        } catch (error) {
          if (error instanceof NotFoundError) return notFound(request, reply);
          throw error;
        }
      },
    );

    app.post<{ Params: { token: string } }>(
      '/a/:token/join',
      { config: { access: 'public', rateLimit: linkRateLimit }, schema: { params: tokenParams, body: csrfOnly } },
      async (request, reply) => {
        try {
          // A single-use call link, used at once: /v/:token swaps it for the call session and shows the consent step.
          return reply.redirect(await services.appointments.join(request.params.token, request.ip, request.id, chosenLanguage(request, reply)), 303);
        } catch (error) {
          if (error instanceof NotFoundError) return notFound(request, reply);
          if (error instanceof AppointmentJoinRefusedError) return victimPage(reply.code(409), error.page, { notice: error.message });
          throw error;
        }
      },
    );

    app.post<{ Params: { token: string }; Body: { choice?: string } }>(
      '/a/:token/another-time',
      { config: { access: 'public', rateLimit: changeRateLimit }, schema: { params: tokenParams, body: changeBody } },
      async (request, reply) => {
        try {
          const page = await services.appointments.requestChange(
            request.params.token,
            request.body.choice ?? '',
            request.ip,
            request.id,
            chosenLanguage(request, reply),
          );
          return victimPage(reply, page, { notice: translator(page.language)('appointment.requested'), requested: true });
        } catch (error) {
          if (error instanceof NotFoundError) return notFound(request, reply);
          if (!(error instanceof AppError)) throw error;
          const page = await services.appointments.page(request.params.token, chosenLanguage(request, reply));
          // The domain's refusals (400 no such choice, 409 no longer changeable, 429 already asked), in the page's language.
          const t = translator(page.language);
          if (error.statusCode === 400) return victimPage(reply.code(400), page, { errors: { choice: t('appointment.errorChoice') } });
          const notice =
            error.statusCode === 409
              ? t('appointment.errorCannotChange')
              : error.statusCode === 429
                ? t('appointment.errorAlreadyRequested')
                : t(error.victimMessage?.key ?? 'error.badRequest', error.victimMessage?.values);
          return victimPage(reply.code(error.statusCode), page, { notice });
        }
      },
    );

    // ── The supervisor's follow-ups of missed appointments (audited) ──

    const followUps = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('appointments/follow-ups.njk', {
        pageTitle: 'Missed appointments',
        missed: await services.appointments.missedFollowUps(),
        upcoming: await services.appointments.upcoming(),
        ...locals,
      });

    app.get('/supervisor/appointments', { config: { access: { permission: 'supervision.board' } } }, async (_request, reply) => followUps(reply));

    app.post<{ Params: { id: string }; Body: { note?: string } }>(
      '/supervisor/appointments/:id/follow-up',
      { config: { access: { permission: 'supervision.board' } }, schema: { params: idParams, body: followUpBody } },
      async (request, reply) => {
        try {
          await services.appointments.completeFollowUp(contextOf(request), request.params.id, request.body.note);
        } catch (error) {
          if (!(error instanceof AppError) || error.statusCode === 403 || error.statusCode === 404) throw error;
          return followUps(reply.code(error.statusCode), { errorFor: request.params.id, errorMessage: error.message, note: request.body.note });
        }
        return reply.redirect('/supervisor/appointments', 303);
      },
    );
  };
}
