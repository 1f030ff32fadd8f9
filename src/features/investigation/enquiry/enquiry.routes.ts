import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../composition.js';
import { ENQUIRY_EVIDENCE_MAX, ENQUIRY_REASON_MAX, ENQUIRY_STATUS_LABELS } from '../../../domain/enquiry-lines.js';
import { contextOf, wantsJson } from '../../../platform/http/access.js';

export const consultationParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/** A JSON body from a script (numbers, arrays) or a plain form (strings, one value or many): both are accepted. */
export const formNumber = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 1_000_000_000 },
    { type: 'string', pattern: '^[0-9]{1,9}$' },
  ],
} as const;
const uuidList = {
  anyOf: [
    { type: 'array', maxItems: ENQUIRY_EVIDENCE_MAX, items: { type: 'string', format: 'uuid' } },
    { type: 'string', format: 'uuid' },
  ],
} as const;

const enquiryBody = {
  type: 'object',
  additionalProperties: false,
  required: ['line', 'status'],
  properties: {
    line: { type: 'string', maxLength: 60 },
    status: { type: 'string', maxLength: 30 },
    reason: { type: 'string', maxLength: ENQUIRY_REASON_MAX + 100 },
    evidenceItemIds: uuidList,
    _csrf: { type: 'string' },
  },
} as const;

/** After a plain form post (no script), back to the officer's call page; a script asked for JSON and gets it. */
export function answer(request: FastifyRequest, reply: FastifyReply, consultationId: string, body: object) {
  if (wantsJson(request)) return reply.send(body);
  return reply.redirect(`/consultations/${consultationId}/call`, 303);
}

export function asList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

/**
 * Lines of enquiry on the officer's call page (RVR-08), and the read-only investigation record (enquiries,
 * statement state, outcomes, alerts) for everyone who may read the investigation.
 */
export function enquiryRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/enquiry-lines/panel',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        const panel = await services.enquiryLines.officerPanel(contextOf(request), request.params.id);
        if (wantsJson(request)) return { lines: panel.lines, progress: panel.progress, photos: panel.photos };
        return reply.view('investigation/enquiry/enquiry-panel.njk', { ...panel, statusLabels: ENQUIRY_STATUS_LABELS });
      },
    );

    app.post<{ Params: { id: string }; Body: { line: string; status: string; reason?: string; evidenceItemIds?: string | string[] } }>(
      '/consultations/:id/enquiry-lines',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams, body: enquiryBody } },
      async (request, reply) => {
        const { line, status, reason, evidenceItemIds } = request.body;
        const saved = await services.enquiryLines.save(contextOf(request), request.params.id, {
          line,
          status,
          reason,
          evidenceItemIds: asList(evidenceItemIds),
        });
        return answer(request, reply, request.params.id, {
          line: { line: saved.line, status: saved.status, reason: saved.reason, evidenceItemIds: saved.evidenceItemIds, updatedAt: saved.updatedAt },
        });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/consultations/:id/enquiries',
      { config: { access: { permission: 'investigation.view' }, caseOf: 'consultation' }, schema: { params: consultationParams } },
      async (request, reply) => {
        const id = request.params.id;
        const consultation = await services.enquiryLines.openRecord(contextOf(request), id);
        const [enquiries, statement, outcomes, alerts] = await Promise.all([
          services.enquiryLines.view(id),
          services.victimStatements.summary(id),
          services.consultationOutcomes.list(id),
          services.safetyAlerts.list(id),
        ]);
        const record = { lines: enquiries.lines, progress: enquiries.progress, statement, outcomes, alerts };
        if (wantsJson(request)) return record;
        return reply.view('investigation/enquiry/enquiry-record.njk', {
          pageTitle: `Investigation ${consultation.reference}`,
          consultation,
          ...record,
          statusLabels: ENQUIRY_STATUS_LABELS,
        });
      },
    );
  };
}
