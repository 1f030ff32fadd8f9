import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { BREACH_RISK_LABELS, BREACH_RISKS } from '../../domain/breach-clock.js';
import { AppError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';
import { SUBJECT_NOTIFICATION_METHODS } from './breaches.service.js';

const access = { access: { permission: 'breach.register' } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const field = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const form = (properties: Record<string, ReturnType<typeof field>>) => ({ type: 'object', properties: { ...properties, _csrf: { type: 'string' } } }) as const;

const breachBody = form({
  title: field(200),
  nature: field(5000),
  categories: field(2000),
  approxSubjects: field(12),
  approxRecords: field(12),
  occurredAt: field(20),
  awareAt: field(20),
});
const assessBody = form({ risk: field(20), consequences: field(5000), measures: field(5000) });
const decideBody = form({ decision: field(20), reason: field(2000) });
const icoBody = form({ notifiedAt: field(20), icoReference: field(100), lateReason: field(2000) });
const subjectsBody = form({ subjects: field(500), method: field(20), subjectsNotifiedAt: field(20) });

const RISK_ITEMS = BREACH_RISKS.map((value) => ({ value, text: BREACH_RISK_LABELS[value] }));
const METHOD_LABELS: Record<(typeof SUBJECT_NOTIFICATION_METHODS)[number], string> = {
  letter: 'Letter',
  phone: 'Phone call',
  in_person: 'In person',
  email: 'Email',
  sms: 'Text message',
};
const METHOD_ITEMS = SUBJECT_NOTIFICATION_METHODS.map((value) => ({ value, text: METHOD_LABELS[value] }));

/** A refused form comes back with its message and what was typed (4xx), never a 500. */
function formErrorLocals(error: unknown, values: unknown, fallbackField: string) {
  if (!(error instanceof AppError) || error.statusCode === 404 || error.statusCode === 403) throw error;
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { [fallbackField]: error.message };
  return { status: error.statusCode, locals: { errors, errorList: Object.entries(errors).map(([f, text]) => ({ text, href: `#${f}` })), values } };
}

/** DP-15 / issue 16 §3: the DPO's breach register, with the 72-hour ICO clock counting down on each open breach. */
export function breachRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const listPage = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('dpo/breaches.njk', { pageTitle: 'Breach register', breaches: await services.breaches.list(), values: {}, ...locals });

    app.get('/dpo/breaches', { config: access }, async (_request, reply) => listPage(reply));

    app.post<{ Body: Record<string, string> }>('/dpo/breaches', { config: access, schema: { body: breachBody } }, async (request, reply) => {
      try {
        const breach = await services.breaches.record(contextOf(request), request.body);
        return redirectTo(reply, `/dpo/breaches/${breach.id}`);
      } catch (error) {
        const { status, locals } = formErrorLocals(error, request.body, 'title');
        return listPage(reply.code(status), locals);
      }
    });

    const breachPage = async (reply: FastifyReply, id: string, locals: Record<string, unknown> = {}) =>
      reply.view('dpo/breach.njk', {
        pageTitle: 'Breach',
        ...(await services.breaches.find(id)),
        riskItems: RISK_ITEMS,
        methodItems: METHOD_ITEMS,
        methodLabels: METHOD_LABELS,
        riskLabels: BREACH_RISK_LABELS,
        values: {},
        ...locals,
      });

    app.get<{ Params: { id: string } }>('/dpo/breaches/:id', { config: access, schema: { params: idParams } }, async (request, reply) =>
      breachPage(reply, request.params.id),
    );

    type Form = Record<string, string>;
    const step = (
      path: string,
      body: object,
      fallbackField: string,
      run: (request: { params: { id: string }; body: Form }, context: ReturnType<typeof contextOf>) => Promise<unknown>,
    ) =>
      app.post<{ Params: { id: string }; Body: Form }>(
        `/dpo/breaches/:id/${path}`,
        { config: access, schema: { params: idParams, body } },
        async (request, reply) => {
          try {
            await run(request, contextOf(request));
            return redirectTo(reply, `/dpo/breaches/${request.params.id}`);
          } catch (error) {
            const { status, locals } = formErrorLocals(error, request.body, fallbackField);
            return breachPage(reply.code(status), request.params.id, locals);
          }
        },
      );

    step('assessment', assessBody, 'risk', (r, c) => services.breaches.assess(c, r.params.id, r.body));
    step('decision', decideBody, 'decision', (r, c) => services.breaches.decide(c, r.params.id, r.body));
    step('ico-notification', icoBody, 'notifiedAt', (r, c) => services.breaches.recordIcoNotification(c, r.params.id, r.body));
    step('subject-notifications', subjectsBody, 'subjects', (r, c) =>
      services.breaches.recordSubjectNotification(c, r.params.id, { subjects: r.body.subjects, method: r.body.method, notifiedAt: r.body.subjectsNotifiedAt }),
    );
  };
}
