import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import type { Config } from '../../config.js';
import { TERMINAL_STATES, type ConsultationState } from '../../domain/consultation-state.js';
import { canonicalJson } from '../../platform/audit/chain.js';
import { AppError, NotFoundError } from '../../platform/errors.js';
import type { RequestContext } from '../../platform/context.js';
import type { IntakeInput, IntakeResult } from '../control-room/triage.service.js';
import { consultationParams, incidentRequest } from './cad-api.schemas.js';
import { openApiDocument } from './openapi.js';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;

/** The CAD integration API (issue: control room): bearer API keys, scoped, idempotent incident creation. */
export function cadApiRoutes(services: Services, config: Config): FastifyPluginAsync {
  // Per key (its public prefix), not per address: one CAD system must not starve another behind the same NAT.
  const rateLimit = {
    max: 120,
    timeWindow: '1 minute',
    keyGenerator: (request: { headers: { authorization?: string }; ip: string }) => (request.headers.authorization ?? request.ip).slice(0, 23),
  };
  return async (app) => {
    app.get('/api/docs', { config: { access: 'public' } }, async () => openApiDocument(config.publicBaseUrl));

    app.post<{ Body: IntakeInput & { grade: number } }>(
      '/api/v1/incidents',
      { config: { access: { apiScope: 'incidents:write' }, rateLimit }, schema: { body: incidentRequest } },
      async (request, reply) => {
        const client = request.apiClient!;
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
          throw new AppError(400, 'Send an Idempotency-Key header (8 to 100 letters, digits, . _ : -) so a retried request never creates a second incident');
        }
        const requestHash = createHash('sha256').update(canonicalJson(request.body)).digest('hex');
        // The stored answer to an earlier request with this key, if any. Returned as data, never as the sent reply:
        // a reply is thenable, so awaiting it yields undefined and the handler would carry on and create again.
        const earlierAnswer = () => services.apiKeys.earlierAnswer(client.id, key, requestHash);
        const replay = (body: unknown) => reply.code(200).header('idempotent-replayed', 'true').send(body);
        const earlier = await earlierAnswer();
        if (earlier !== undefined) return replay(earlier);
        const context: RequestContext = { actor: { type: 'system', name: `cad:${client.name}` }, correlationId: request.id, clientIp: request.ip };
        let intake: IntakeResult;
        try {
          intake = await services.triage.intake(context, request.body, `cad:${client.name}`, (tx, result) =>
            services.apiKeys.rememberAnswer(tx, { apiKeyId: client.id, key, requestHash, responseBody: toTriageResponse(result) }),
          );
        } catch (error) {
          // Two retries racing: the loser's insert of the same key fails and rolls back; answer as a replay.
          const raced = await earlierAnswer();
          if (raced !== undefined) return replay(raced);
          throw error;
        }
        return reply.code(201).send(toTriageResponse(intake));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/v1/consultations/:id',
      { config: { access: { apiScope: 'consultations:read' }, rateLimit }, schema: { params: consultationParams } },
      async (request) => {
        const found = await services.cadConsultations.find(request.params.id);
        if (!found) throw new NotFoundError('No consultation with that id');
        const { consultation, incident, officerName } = found;
        const outcomes = await services.consultationOutcomes.forCad(consultation.id);
        const client = request.apiClient!;
        // Issue 17 §1: where the victim is, if they chose to share it; each read that returns it is a logged disclosure.
        const victimLocation = await services.victimLocation.forCad(
          { actor: { type: 'system', name: `cad:${client.name}` }, correlationId: request.id, clientIp: request.ip },
          consultation.id,
          `cad:${client.name}`,
        );
        const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
        const state = consultation.state as ConsultationState;
        return {
          id: consultation.id,
          reference: consultation.reference,
          cadReference: incident.cadReference,
          state,
          outcome: TERMINAL_STATES.includes(state) ? state : null,
          outcomes,
          victimLocation,
          officer: officerName,
          timestamps: {
            received: iso(incident.receivedAt),
            triaged: iso(consultation.triagedAt),
            queued: iso(consultation.queuedAt),
            accepted: iso(consultation.acceptedAt),
            invited: iso(consultation.invitedAt),
            victimJoined: iso(consultation.victimJoinedAt),
            connected: iso(consultation.connectedAt),
            ended: iso(consultation.endedAt),
          },
        };
      },
    );
  };
}

function toTriageResponse({ consultation, decision, allocation }: IntakeResult) {
  return {
    consultationId: consultation.id,
    reference: consultation.reference,
    state: consultation.state,
    decision: decision.outcome,
    reasons: decision.reasons,
    interpreterRequired: consultation.interpreterRequired,
    // The evaluation trial's arm only: the sequence stays concealed, so the next allocation cannot be guessed.
    allocation: allocation && {
      trialId: allocation.trialId,
      arm: allocation.randomised ? allocation.arm : null,
      notRandomisedReason: allocation.randomised ? null : allocation.reason,
    },
  };
}
