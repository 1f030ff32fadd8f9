import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../../composition.js';
import { AGE_BANDS } from '../../../domain/eligibility.js';
import { hasPermission } from '../../../domain/permissions.js';
import { GRADES } from '../../../domain/risk-forms/risk-form.js';
import { contextOf, redirectTo, wantsJson } from '../../../platform/http/access.js';
import type { RiskDraftPatch, RiskSaveOutcome } from './risk-assessment.service.js';

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;
const csrf = { _csrf: { type: 'string' } } as const;
const revision = { type: 'integer', minimum: 0, maximum: 1_000_000_000 } as const;
// Answers are checked per question by the form itself (src/domain/risk-forms), which names the question in each message;
// here only their shape and size are bounded.
const draftBody = {
  type: 'object',
  required: ['revision'],
  additionalProperties: false,
  properties: {
    revision,
    answers: {
      type: 'object',
      maxProperties: 60,
      additionalProperties: {
        anyOf: [
          { type: 'null' },
          { type: 'object', maxProperties: 4, properties: { answer: { type: 'string', maxLength: 20 }, comment: { type: 'string', maxLength: 20_000 } } },
        ],
      },
    },
    facts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        victimAgeBand: { enum: [...AGE_BANDS, null] },
        priorIncidents12Months: { anyOf: [{ type: 'integer', minimum: -1_000_000, maximum: 1_000_000 }, { type: 'null' }] },
        lastMaracReferralOn: { anyOf: [{ type: 'string', maxLength: 10 }, { type: 'null' }] },
      },
    },
    judgement: {
      type: 'object',
      additionalProperties: false,
      properties: {
        grade: { enum: [...GRADES, null] },
        referral: { type: 'boolean' },
        reason: { anyOf: [{ type: 'string', maxLength: 20_000 }, { type: 'null' }] },
      },
    },
    ...csrf,
  },
} as const;
const completeBody = { type: 'object', required: ['revision'], additionalProperties: false, properties: { revision, ...csrf } } as const;
const amendBody = { type: 'object', required: ['amendmentReason'], properties: { amendmentReason: { type: 'string', maxLength: 20_000 }, ...csrf } } as const;
const signOffBody = { type: 'object', properties: { note: { type: 'string', maxLength: 20_000 }, ...csrf } } as const;

const CONFLICT =
  'This risk assessment was saved from another page or tab since you loaded it. Your changes have been merged with the saved copy: check them and save again.';

/** A save or completion: the assessment, or a 409 with the current server copy for the page to merge. */
function sendSaveOutcome(request: FastifyRequest, reply: FastifyReply, outcome: RiskSaveOutcome) {
  if (!outcome.saved) return reply.code(409).send({ error: CONFLICT, current: outcome.current, correlationId: request.id });
  return reply.send({ assessment: outcome.assessment, warnings: outcome.warnings ?? {} });
}

/** The risk assessment (DASH) of a consultation: the officer's autosaved draft, completion, amendment, and the supervisor's sign-off. */
export function riskAssessmentRoutes(services: Services): FastifyPluginAsync {
  const risk = services.riskAssessments;
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/risk-assessment',
      { config: { access: { permission: 'investigation.view' }, caseOf: 'consultation' }, schema: { params: idParams } },
      async (request, reply) => {
        const record = await risk.record(contextOf(request), request.params.id);
        if (wantsJson(request)) return { versions: record.versions.map((v) => v.assessment) };
        return reply.view('investigation/risk-assessment/risk-assessment.njk', {
          pageTitle: `Risk assessment ${record.consultation.reference}`,
          ...record,
          riskPanel: record.panel,
          canSignOff: hasPermission(request.user!.roles, 'risk.sign_off'),
        });
      },
    );

    app.put<{ Params: { id: string }; Body: RiskDraftPatch }>(
      '/consultations/:id/risk-assessment',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: idParams, body: draftBody } },
      async (request, reply) => sendSaveOutcome(request, reply, await risk.saveDraft(contextOf(request), request.params.id, request.body)),
    );

    app.post<{ Params: { id: string }; Body: { revision: number } }>(
      '/consultations/:id/risk-assessment/complete',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: idParams, body: completeBody } },
      async (request, reply) => sendSaveOutcome(request, reply, await risk.complete(contextOf(request), request.params.id, request.body.revision)),
    );

    app.post<{ Params: { id: string }; Body: { amendmentReason: string } }>(
      '/consultations/:id/risk-assessment/amend',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: idParams, body: amendBody } },
      async (request, reply) => {
        const assessment = await risk.amend(contextOf(request), request.params.id, request.body.amendmentReason);
        if (wantsJson(request)) return reply.code(201).send({ assessment });
        return redirectTo(reply, `/consultations/${request.params.id}/risk-assessment`);
      },
    );

    app.get('/risk-assessments/sign-off', { config: { access: { permission: 'risk.sign_off' } } }, async (request, reply) => {
      const awaiting = await risk.awaitingSignOff();
      if (wantsJson(request)) return { awaiting };
      return reply.view('investigation/risk-assessment/risk-assessment-sign-off.njk', { pageTitle: 'Risk assessments to sign off', awaiting });
    });

    app.post<{ Params: { id: string }; Body: { note?: string } }>(
      '/risk-assessments/:id/sign-off',
      { config: { access: { permission: 'risk.sign_off' } }, schema: { params: idParams, body: signOffBody } },
      async (request, reply) => {
        const signed = await risk.signOff(contextOf(request), request.params.id, request.body.note);
        if (wantsJson(request)) return { signedOff: { id: signed.id, version: signed.version, signedOffAt: signed.signedOffAt } };
        return redirectTo(reply, `/consultations/${signed.consultationId}/risk-assessment`);
      },
    );
  };
}
