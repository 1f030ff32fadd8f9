import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../../composition.js';
import { OUTCOME_KINDS, OUTCOME_LABELS, OUTCOME_TEXT_MAX, REFERRAL_LABELS, REFERRAL_TYPES, type OutcomeInput } from '../../../domain/outcomes.js';
import { contextOf, wantsJson } from '../../../platform/http/access.js';
import { answer, consultationParams } from '../enquiry/enquiry.routes.js';

const text = { type: 'string', maxLength: OUTCOME_TEXT_MAX + 100 } as const;
const outcomeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: {
    kind: { type: 'string', maxLength: 40 },
    crimeReference: { type: 'string', maxLength: 200 },
    suspectDetails: text,
    lastKnownLocation: text,
    referralType: { type: 'string', maxLength: 40 },
    referralOther: text,
    reason: text,
    _csrf: { type: 'string' },
  },
} as const;

/** Outcomes on the officer's call page: each one a timestamped, audited event that the CAD read shows. */
export function outcomeRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/outcomes/panel',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        // Only the assigned officer records outcomes: the enquiry panel's check covers this consultation.
        await services.enquiryLines.officerPanel(contextOf(request), request.params.id);
        const outcomes = await services.consultationOutcomes.list(request.params.id);
        if (wantsJson(request)) return { outcomes };
        return reply.view('investigation/outcome/outcome-panel.njk', {
          consultationId: request.params.id,
          outcomes,
          kinds: OUTCOME_KINDS.map((kind) => ({ value: kind, text: OUTCOME_LABELS[kind] })),
          referralTypes: REFERRAL_TYPES.map((type) => ({ value: type, text: REFERRAL_LABELS[type] })),
          referralLabels: REFERRAL_LABELS,
        });
      },
    );

    app.post<{ Params: { id: string }; Body: OutcomeInput }>(
      '/consultations/:id/outcomes',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams, body: outcomeBody } },
      async (request, reply) => {
        const { _csrf: _token, ...input } = request.body as OutcomeInput & { _csrf?: string };
        const outcome = await services.consultationOutcomes.record(contextOf(request), request.params.id, input);
        return answer(request, reply, request.params.id, { outcome: { id: outcome.id, kind: outcome.kind, recordedAt: outcome.recordedAt } });
      },
    );
  };
}
