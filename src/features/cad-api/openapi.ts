import { API_SCOPES, consultationParams, consultationResponse, errorResponse, incidentRequest, triageResponse } from './cad-api.schemas.js';

const json = (schema: object) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: json(errorResponse) });

/** The OpenAPI 3 description of the CAD integration API, built from the same schemas the routes validate with. */
export function openApiDocument(publicBaseUrl: string) {
  return {
    openapi: '3.0.3',
    info: {
      title: 'RVR CAD integration API',
      version: '1',
      description:
        'Create incidents with their RVR triage from a CAD system, and read consultation progress and outcome. No personal data is returned, except the location the victim chose to share from their call page (logged as a disclosure).',
    },
    servers: [{ url: publicBaseUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: `An RVR API key (rvr_…), created with \`rvr apikey create\`. Scopes: ${API_SCOPES.join(', ')}` },
      },
      schemas: { IncidentRequest: incidentRequest, TriageResponse: triageResponse, Consultation: consultationResponse, Error: errorResponse },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/api/v1/incidents': {
        post: {
          summary: 'Create an incident with its RVR triage (scope incidents:write)',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              schema: { type: 'string', minLength: 8, maxLength: 100 },
              description: 'Repeat a request with the same key and body to get the first answer again',
            },
          ],
          requestBody: { required: true, content: json(incidentRequest) },
          responses: {
            '201': {
              description:
                'Created and triaged; eligible calls are already in the RVR queue, or in attendance if an evaluation trial randomised them to standard attendance (see allocation)',
              content: json(triageResponse),
            },
            '200': { description: 'A replay of an earlier request with the same Idempotency-Key', content: json(triageResponse) },
            '400': problem('The body or a field is not valid; `fields` names each'),
            '401': problem('Missing, unknown or revoked API key'),
            '403': problem('The key lacks the incidents:write scope'),
            '409': problem('The CAD reference already has a consultation, or the Idempotency-Key was used with a different body'),
            '413': problem('Body too large'),
            '429': problem('Too many requests for this key'),
          },
        },
      },
      '/api/v1/consultations/{id}': {
        get: {
          summary: 'Read a consultation’s progress and outcome (scope consultations:read)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: consultationParams.properties.id }],
          responses: {
            '200': { description: 'The consultation', content: json(consultationResponse) },
            '401': problem('Missing, unknown or revoked API key'),
            '403': problem('The key lacks the consultations:read scope'),
            '404': problem('No consultation with that id'),
          },
        },
      },
    },
  };
}
