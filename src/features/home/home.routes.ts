import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { contextOf } from '../../platform/http/access.js';
import { pagesFor, ROLE_PAGES } from './role-pages.js';

export function homeRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/', { config: { access: 'signed_in' } }, async (request, reply) => {
      const pages = pagesFor(request.user!.roles);
      if (pages.length === 1) return reply.redirect(pages[0]!.path, 303);
      return reply.view('home/home.njk', { pageTitle: 'Your areas', pages });
    });

    for (const page of ROLE_PAGES) {
      app.get(page.path, { config: { access: [page.role] } }, async (request, reply) => {
        const consultations = page.consultations ? await services.consultations.listSummaries(page.consultations) : undefined;
        const extra =
          page.role === 'dpo'
            ? { auditEvents: await services.auditLog.recent(contextOf(request), 20) }
            : page.role === 'admin'
              ? { users: await services.users.list() }
              : {};
        return reply.view('home/role-page.njk', { pageTitle: page.title, page, consultations, ...extra });
      });
    }

    app.post('/dpo/audit/verify', { config: { access: ['dpo'] } }, async (request, reply) => {
      const result = await services.auditLog.verify(contextOf(request));
      return reply.view('home/role-page.njk', {
        pageTitle: 'Data protection',
        page: ROLE_PAGES.find((p) => p.role === 'dpo'),
        verification: result,
        auditEvents: await services.auditLog.recent(contextOf(request), 20),
      });
    });
  };
}
