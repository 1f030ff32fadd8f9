import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';
import { tarStream } from '../../platform/tar-stream.js';
import { RECTIFIABLE_FIELDS } from './subject-requests.repository.js';
import { ACCESS_RESTRICTION_GROUNDS, DECISIONS, REQUEST_KINDS } from './subject-requests.service.js';

type Body = Record<string, string | string[] | undefined>;

const text = (max: number) => ({ type: 'string', maxLength: max }) as const;
const formBody = {
  type: 'object',
  properties: {
    _csrf: text(200),
    kind: text(40),
    subjectName: text(200),
    subjectPhone: text(40),
    subjectContact: text(1000),
    details: text(4000),
    receivedOn: text(10),
    identityNeeded: text(3),
    identityReceivedOn: text(10),
    identityCheck: text(2000),
    months: text(2),
    reason: text(4000),
    noticedOn: text(10),
    action: text(10),
    on: text(10),
    grounds: { anyOf: [text(40), { type: 'array', maxItems: 10, items: text(40) }] },
    reference: text(100),
    consultationId: { type: 'string', format: 'uuid' },
    field: text(60),
    value: text(4000),
    decision: text(30),
    noticeSentOn: text(10),
    justification: text(2000),
    recipient: text(300),
    thirdParties: text(4000),
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const access = { access: { permission: 'subject_requests.manage' } } as const;

const choices = { kinds: REQUEST_KINDS, grounds: ACCESS_RESTRICTION_GROUNDS, decisions: DECISIONS, fields: RECTIFIABLE_FIELDS };

function errorsOf(error: ValidationError, fallback: string) {
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { [fallback]: error.message };
  return { errors, errorList: Object.entries(errors).map(([f, t]) => ({ text: t, href: `#${f}` })) };
}

/**
 * Issue 16 §1: the DPO's register of data subjects' requests (DP-06 access, DP-07 clock, DP-08 restriction of the
 * right, DP-09 rectification, DP-10 restriction of processing, DP-11 notice of decision) and the disclosure pack.
 * Every change and every disclosure is audited by the service.
 */
export function subjectRequestRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    const listPage = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('dpo/subject-requests.njk', {
        pageTitle: 'Data subjects’ requests',
        requests: await services.subjectRequests.list(),
        choices,
        values: {},
        ...locals,
      });
    const requestPage = async (reply: FastifyReply, id: string, locals: Record<string, unknown> = {}) =>
      reply.view('dpo/subject-request.njk', {
        pageTitle: 'Data subject’s request',
        ...(await services.subjectRequests.view(id)),
        choices,
        values: {},
        ...locals,
      });

    app.get('/dpo/requests', { config: access }, async (_request, reply) => listPage(reply));

    app.post<{ Body: Body }>('/dpo/requests', { config: access, schema: { body: formBody } }, async (request, reply) => {
      try {
        const made = await services.subjectRequests.create(contextOf(request), request.body);
        return redirectTo(reply, `/dpo/requests/${made.id}`);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return listPage(reply.code(400), { ...errorsOf(error, 'kind'), values: request.body });
      }
    });

    app.get<{ Params: { id: string } }>('/dpo/requests/:id', { config: access, schema: { params: idParams } }, async (request, reply) =>
      requestPage(reply, request.params.id),
    );

    const actions: Record<string, { fallback: string; run: (context: RequestContext, id: string, body: Body) => Promise<unknown> }> = {
      identity: { fallback: 'identityReceivedOn', run: (c, id, b) => services.subjectRequests.recordIdentity(c, id, b) },
      extension: { fallback: 'months', run: (c, id, b) => services.subjectRequests.extend(c, id, b) },
      clock: { fallback: 'on', run: (c, id, b) => services.subjectRequests.pause(c, id, b) },
      'access-restriction': { fallback: 'grounds', run: (c, id, b) => services.subjectRequests.restrictAccess(c, id, b) },
      consultations: { fallback: 'reference', run: (c, id, b) => services.subjectRequests.linkConsultation(c, id, b) },
      rectifications: { fallback: 'value', run: (c, id, b) => services.subjectRequests.rectify(c, id, b) },
      'processing-restriction': { fallback: 'reason', run: (c, id, b) => services.subjectRequests.restrictProcessing(c, id, b) },
      'processing-restriction-lift': { fallback: 'reason', run: (c, id, b) => services.subjectRequests.liftRestriction(c, id, b) },
      decision: { fallback: 'decision', run: (c, id, b) => services.subjectRequests.decide(c, id, b) },
    };
    for (const [name, action] of Object.entries(actions)) {
      app.post<{ Params: { id: string }; Body: Body }>(
        `/dpo/requests/:id/${name}`,
        { config: access, schema: { params: idParams, body: formBody } },
        async (request, reply) => {
          try {
            await action.run(contextOf(request), request.params.id, request.body);
            return redirectTo(reply, `/dpo/requests/${request.params.id}`);
          } catch (error) {
            if (!(error instanceof ValidationError)) throw error;
            return requestPage(reply.code(400), request.params.id, { ...errorsOf(error, action.fallback), values: request.body, form: name });
          }
        },
      );
    }

    // DP-06: the disclosure pack, as a tar of the staged folder (manifest.json, SHA256SUMS, data/, media/); audited.
    // SEC-07: a fresh step-up first, as for any other export of evidence or personal data.
    app.post<{ Params: { id: string }; Body: Body }>(
      '/dpo/requests/:id/disclosure',
      { config: { ...access, stepUp: true }, schema: { params: idParams, body: formBody } },
      async (request, reply) => {
        let pack;
        try {
          pack = await services.subjectRequests.disclose(contextOf(request), request.params.id, request.body);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          return requestPage(reply.code(400), request.params.id, { ...errorsOf(error, 'justification'), values: request.body, form: 'disclosure' });
        }
        const staged = pack;
        const stream = tarStream(
          pack.files.map((f) => ({ path: f.path, file: `${pack.directory}/${f.path}`, sizeBytes: f.sizeBytes })),
          new Date(pack.manifest.createdAt),
        );
        stream.on('close', () => void staged.discard());
        reply
          .header('content-type', 'application/x-tar')
          .header('content-disposition', `attachment; filename="${pack.manifest.request.reference}-disclosure.tar"`)
          .header('x-manifest-sha256', pack.manifestSha256);
        return reply.send(stream);
      },
    );
  };
}
