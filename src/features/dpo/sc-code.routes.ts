import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { csvLine } from '../../domain/csv.js';
import { scAnswerRows } from '../../domain/sc-code-assessment.js';
import { contextOf } from '../../platform/http/access.js';

const access = { access: { permission: 'compliance.self_assessment' } } as const;

/**
 * SC-10, X-02 / issue 16 §3: the Surveillance Camera Code self-assessment, computed from the live configuration and
 * records: a printable page, and CSV and JSON for the Commissioner's self-assessment tool (each export audited).
 */
export function scCodeRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/dpo/sc-code', { config: access }, async (_request, reply) => {
      const assessment = await services.scCode.assess();
      return reply.view('dpo/sc-code.njk', { pageTitle: 'Surveillance Camera Code self-assessment', ...assessment });
    });

    app.get('/dpo/sc-code.json', { config: access }, async (request, reply) => {
      const { assessedAt, answers } = await services.scCode.assess();
      await services.scCode.exported(contextOf(request), 'json', answers);
      return reply
        .header('content-disposition', `attachment; filename="sc-code-self-assessment-${assessedAt.toISOString().slice(0, 10)}.json"`)
        .send({ code: 'Surveillance Camera Code of Practice (PoFA 2012 s.30)', assessedAt: assessedAt.toISOString(), answers });
    });

    app.get('/dpo/sc-code.csv', { config: access }, async (request, reply) => {
      const { assessedAt, answers } = await services.scCode.assess();
      await services.scCode.exported(contextOf(request), 'csv', answers);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sc-code-self-assessment-${assessedAt.toISOString().slice(0, 10)}.csv"`)
        .send(scAnswerRows(answers).map(csvLine).join(''));
    });
  };
}
