import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { ageInWords, LOCATION_DECISIONS, MAX_ACCURACY_METRES, type LocationDecision } from '../../domain/victim-location.js';
import { contextOf, wantsJson } from '../../platform/http/access.js';
import { replyLanguage } from '../../platform/http/language.js';
import { translator } from '../../platform/i18n/i18n.js';
import { consultationParams } from '../investigation/enquiry/enquiry.routes.js';

/** A number from a script (JSON) or a plain form (a string); ranges are checked by the domain rule, with a message. */
const numberOrString = { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 40 }] } as const;
const positionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['latitude', 'longitude', 'accuracy'],
  properties: {
    latitude: numberOrString,
    longitude: numberOrString,
    accuracy: numberOrString,
    measuredAt: numberOrString,
    _csrf: { type: 'string' },
  },
} as const;
const decisionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['decision'],
  properties: { decision: { type: 'string', enum: [...LOCATION_DECISIONS] }, _csrf: { type: 'string' } },
} as const;

/**
 * Issue 17 §1 (policy 2.3, RVR-07): the victim's location, with their consent. The victim's page asks once, after the
 * call consents; the officer's call page shows the location. Link routes need both call consents ('call_link').
 */
export function victimLocationRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/v/call/location', { config: { access: 'call_link' } }, async (request, reply) => {
      const view = await services.victimLocation.victimView(request.linkSession!, replyLanguage(reply));
      if (wantsJson(request)) return view;
      return reply.view('victim-location/location-victim-fragment.njk', { ...view, csrfToken: reply.generateCsrf() });
    });

    app.post<{ Body: { decision: LocationDecision } }>(
      '/v/call/location/decision',
      { config: { access: 'call_link', rateLimit: { max: 20, timeWindow: '1 minute' } }, schema: { body: decisionBody } },
      async (request, reply) => {
        const session = request.linkSession!;
        const row = await services.victimLocation.decide(
          services.calls.links.linkContext(session, request.id, request.ip),
          session,
          request.body.decision,
          replyLanguage(reply),
        );
        if (wantsJson(request)) return reply.code(201).send({ decision: row.decision, decidedAt: row.decidedAt });
        return reply.redirect('/v/call', 303);
      },
    );

    // Sent by the page's script when the victim moves (and once a minute); the server also limits how often (5 s).
    app.post<{ Body: { latitude: number | string; longitude: number | string; accuracy: number | string; measuredAt?: number | string } }>(
      '/v/call/location',
      { config: { access: 'call_link', rateLimit: { max: 30, timeWindow: '1 minute' } }, schema: { body: positionBody } },
      async (request, reply) => {
        const session = request.linkSession!;
        const row = await services.victimLocation.receivePosition(services.calls.links.linkContext(session, request.id, request.ip), session, request.body);
        return reply.code(201).send({ message: translator(replyLanguage(reply))('server.location.sent'), receivedAt: row.receivedAt });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/consultations/:id/location/panel',
      { config: { access: { permission: 'investigation.record' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        const panel = await services.victimLocation.officerPanel(contextOf(request), request.params.id);
        if (wantsJson(request)) return panel;
        const now = new Date();
        return reply.view('victim-location/location-panel.njk', {
          ...panel,
          age: panel.latest ? ageInWords(panel.latest.receivedAt, now) : undefined,
          maxAccuracy: MAX_ACCURACY_METRES,
        });
      },
    );
  };
}
