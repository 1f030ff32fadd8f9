import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../composition.js';
import { formatDuration, formatPercent, MEASURE_DEFINITIONS } from '../../domain/outcome-measures.js';
import { AppError, ValidationError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';
import { MAX_DAYS_SHOWN } from './outcomes.service.js';
import { SURVEY_COMMENT_MAX_LENGTH, SurveyRefusedError } from './satisfaction-survey.service.js';
import { replyLanguage } from '../../platform/http/language.js';
import { translator } from '../../platform/i18n/i18n.js';

const rangeQuery = {
  type: 'object',
  properties: { from: { type: 'string', maxLength: 20 }, to: { type: 'string', maxLength: 20 } },
} as const;
const tokenParams = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 200 } } } as const;
// The rating is checked by the service, so a bad one gets a sentence a person can act on rather than a schema error.
const answerBody = {
  type: 'object',
  properties: { rating: { type: 'string', maxLength: 10 }, comment: { type: 'string', maxLength: 20_000 }, _csrf: { type: 'string' } },
} as const;
// Like the call links (/v/:token): enough for a person, too few to guess tokens.
const linkRateLimit = { max: 30, timeWindow: '1 minute' };

type RangeInput = { from?: string; to?: string };

/** The outcome measures dashboard and its CSV (outcomes.view), and the victim's survey page (public, by link). */
export function outcomesRoutes(services: Services): FastifyPluginAsync {
  const helpers = { duration: formatDuration, percent: formatPercent, definitions: MEASURE_DEFINITIONS, maxDaysShown: MAX_DAYS_SHOWN };

  return async (app) => {
    app.get<{ Querystring: RangeInput }>(
      '/outcomes',
      { config: { access: { permission: 'outcomes.view' } }, schema: { querystring: rangeQuery } },
      async (request, reply) => {
        try {
          const dashboard = await services.outcomes.dashboard(request.query);
          return reply.view('outcomes/dashboard.njk', { ...helpers, ...dashboard, from: dashboard.range.from, to: dashboard.range.to });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          return reply.code(400).view('outcomes/dashboard.njk', { ...helpers, from: request.query.from, to: request.query.to, errors: error.fieldErrors });
        }
      },
    );

    app.get<{ Querystring: RangeInput }>(
      '/outcomes/export.csv',
      { config: { access: { permission: 'outcomes.view' } }, schema: { querystring: rangeQuery } },
      async (request, reply) => {
        const { filename, csv } = await services.outcomes.exportCsv(contextOf(request), request.query);
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv);
      },
    );

    const surveyPage = (reply: FastifyReply, locals: Record<string, unknown>) => {
      return reply.view('outcomes/survey.njk', { commentMaxLength: SURVEY_COMMENT_MAX_LENGTH, csrfToken: reply.generateCsrf(), ...locals });
    };
    const refusal = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
      if (!(error instanceof SurveyRefusedError)) throw error;
      // Issue 17 §2: in the page's language.
      const t = translator(replyLanguage(reply));
      return reply.code(error.statusCode).view('outcomes/survey-refused.njk', {
        title: t(`survey.refusal.${error.refusal}.title`),
        advice: t(`survey.refusal.${error.refusal}.advice`),
        correlationId: request.id,
      });
    };

    app.get<{ Params: { token: string } }>(
      '/s/:token',
      { config: { access: 'public', rateLimit: linkRateLimit }, schema: { params: tokenParams } },
      async (request, reply) => {
        try {
          await services.surveys.open(request.params.token, request.ip, request.id);
        } catch (error) {
          return refusal(request, reply, error);
        }
        return surveyPage(reply, {});
      },
    );

    app.post<{ Params: { token: string }; Body: { rating?: string; comment?: string } }>(
      '/s/:token',
      { config: { access: 'public', rateLimit: linkRateLimit }, schema: { params: tokenParams, body: answerBody } },
      async (request, reply) => {
        try {
          await services.surveys.answer(request.params.token, request.body, request.ip, request.id);
        } catch (error) {
          if (error instanceof AppError && error.statusCode === 400) {
            // Issue 17 §2: each field's message in the page's language.
            const t = translator(replyLanguage(reply));
            const errors = Object.fromEntries(
              Object.keys(error.fieldErrors ?? {}).map((field) => [
                field,
                field === 'rating' ? t('survey.errorRating') : t('survey.errorComment', { max: SURVEY_COMMENT_MAX_LENGTH }),
              ]),
            );
            return surveyPage(reply.code(400), { errors, rating: request.body.rating, comment: request.body.comment });
          }
          return refusal(request, reply, error);
        }
        return reply.view('outcomes/survey-thanks.njk', {});
      },
    );
  };
}
