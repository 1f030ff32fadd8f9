import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import type { AuditFilter } from '../../platform/audit/audit.repository.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf, redirectTo } from '../../platform/http/access.js';
import type { ErasureCertificate } from './personal-data-eraser.js';
import type { SubjectSearchInput } from './subject-search.service.js';

const filterProperties = {
  what: { type: 'string', maxLength: 100 },
  who: { type: 'string', maxLength: 200 },
  subject: { type: 'string', maxLength: 200 },
  from: { type: 'string', maxLength: 10 },
  to: { type: 'string', maxLength: 10 },
} as const;
type FilterInput = Partial<Record<keyof typeof filterProperties, string>>;
const searchQuery = { type: 'object', properties: { ...filterProperties, before: { type: 'string', pattern: '^[0-9]{1,15}$' } } } as const;
const exportBody = {
  type: 'object',
  required: ['justification', 'recipient'],
  properties: {
    ...filterProperties,
    justification: { type: 'string', maxLength: 2000 },
    recipient: { type: 'string', maxLength: 300 },
    _csrf: { type: 'string' },
  },
} as const;

const PAGE = 50;

const erasureBody = {
  type: 'object',
  properties: { reference: { type: 'string', maxLength: 100 }, justification: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } },
} as const;
const subjectBody = {
  type: 'object',
  properties: {
    phone: { type: 'string', maxLength: 40 },
    name: { type: 'string', maxLength: 200 },
    cadReference: { type: 'string', maxLength: 100 },
    crimeReference: { type: 'string', maxLength: 100 },
    justification: { type: 'string', maxLength: 2000 },
    _csrf: { type: 'string' },
  },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/** Dates are whole days, Europe/London being within an hour of UTC; `to` includes that day. */
function parseFilter(input: FilterInput): AuditFilter {
  const day = (value: string | undefined, field: string, addDays = 0): Date | undefined => {
    if (!value) return undefined;
    const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
    if (Number.isNaN(date.getTime())) throw new ValidationError(`Enter the ${field} date as YYYY-MM-DD`, { [field]: `Enter the ${field} date as YYYY-MM-DD` });
    return new Date(date.getTime() + addDays * 86_400_000);
  };
  const text = (value: string | undefined) => value?.trim() || undefined;
  return { what: text(input.what), who: text(input.who), subject: text(input.subject), from: day(input.from, 'from'), to: day(input.to, 'to', 1) };
}

/** The DPO's view of the s.62 log: search, export as JSON Lines, verify the chain. Every use is itself logged. */
export function dpoRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: FilterInput & { before?: string } }>(
      '/dpo',
      { config: { access: { permission: 'audit.read' } }, schema: { querystring: searchQuery } },
      async (request, reply) => {
        const filter = parseFilter(request.query);
        const before = request.query.before ? Number(request.query.before) : undefined;
        const events = await services.auditLog.search(contextOf(request), filter, PAGE + 1, before);
        const shown = events.slice(0, PAGE);
        const next =
          events.length > PAGE ? new URLSearchParams({ ...stripEmpty(request.query), before: String(shown[shown.length - 1]!.seq) }).toString() : undefined;
        return reply.view('dpo/dpo.njk', { pageTitle: 'Data protection', events: shown, query: request.query, next });
      },
    );

    app.post('/dpo/audit/verify', { config: { access: { permission: 'audit.verify' } } }, async (request, reply) => {
      const verification = await services.auditLog.verify(contextOf(request));
      const events = await services.auditLog.search(contextOf(request), {}, PAGE);
      return reply.view('dpo/dpo.njk', { pageTitle: 'Data protection', verification, events, query: {} });
    });

    // DP-10 / issue 16 §2: the DPO erases a consultation's personal data (files and rows, as the inventory says).
    const erasuresPage = async (reply: FastifyReply, locals: Record<string, unknown> = {}) =>
      reply.view('dpo/erasures.njk', { pageTitle: 'Erase personal data', erasures: await services.dpoErasures.listRecent(), ...locals });

    app.get('/dpo/erasures', { config: { access: { permission: 'personal_data.erase' } } }, async (_request, reply) => erasuresPage(reply));

    app.post<{ Body: { reference?: string; justification?: string } }>(
      '/dpo/erasures',
      { config: { access: { permission: 'personal_data.erase' }, stepUp: true }, schema: { body: erasureBody } },
      async (request, reply) => {
        try {
          const erasure = await services.dpoErasures.erase(contextOf(request), request.body);
          return redirectTo(reply, `/dpo/erasures/${erasure.id}`);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { reference: error.message };
          return erasuresPage(reply.code(400), {
            errors,
            errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })),
            values: request.body,
          });
        }
      },
    );

    app.get<{ Params: { id: string } }>(
      '/dpo/erasures/:id',
      { config: { access: { permission: 'personal_data.erase' } }, schema: { params: idParams } },
      async (request, reply) => {
        const erasure = await services.dpoErasures.find(request.params.id);
        const certificate = JSON.parse(erasure.certificate) as ErasureCertificate;
        return reply.view('dpo/erasure.njk', { pageTitle: 'Erasure certificate', erasure, certificate });
      },
    );

    // DP-06 / issue 16 §1 (start): everything held about a data subject; each search logged with its justification.
    app.get('/dpo/subjects', { config: { access: { permission: 'personal_data.search' } } }, async (_request, reply) =>
      reply.view('dpo/subjects.njk', { pageTitle: 'Search for a data subject', values: {} }),
    );

    app.post<{ Body: SubjectSearchInput }>(
      '/dpo/subjects',
      { config: { access: { permission: 'personal_data.search' } }, schema: { body: subjectBody } },
      async (request, reply) => {
        try {
          const result = await services.subjectSearch.search(contextOf(request), request.body);
          return reply.view('dpo/subjects.njk', { pageTitle: 'Search for a data subject', values: request.body, result });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { phone: error.message };
          return reply.code(400).view('dpo/subjects.njk', {
            pageTitle: 'Search for a data subject',
            values: request.body,
            errors,
            errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })),
          });
        }
      },
    );

    app.post<{ Body: FilterInput & { justification: string; recipient: string } }>(
      '/dpo/audit/export',
      { config: { access: { permission: 'audit.export' }, stepUp: true }, schema: { body: exportBody } },
      async (request, reply) => {
        const { justification, recipient, ...filterInput } = request.body;
        const filter = parseFilter(filterInput);
        const lines = services.auditLog.exportJsonLines(contextOf(request), filter, justification, recipient);
        // Pull the first line before answering: a refused export then fails as a clear 4xx, not a broken download.
        const first = await lines.next();
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-disposition', `attachment; filename="rvr-audit-${stamp}.jsonl"`);
        return reply.send(
          Readable.from(
            (async function* () {
              if (!first.done) yield first.value;
              yield* lines;
            })(),
          ),
        );
      },
    );
  };
}

function stripEmpty(query: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => !!e[1] && e[0] !== 'before'));
}
