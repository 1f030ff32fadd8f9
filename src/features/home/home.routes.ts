import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { pagesFor, ROLE_PAGES } from './role-pages.js';

export function homeRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get('/', { config: { access: 'signed_in' } }, async (request, reply) => {
      const pages = pagesFor(request.user!.roles);
      if (pages.length === 1) return reply.redirect(pages[0]!.path, 303);
      return reply.view('home/home.njk', { pageTitle: 'Your areas', pages });
    });

    for (const page of ROLE_PAGES.filter((p) => !p.ownFeature)) {
      app.get(page.path, { config: { access: { permission: page.permission } } }, async (_request, reply) => {
        const consultations = page.consultations ? await services.consultations.listSummaries(page.consultations) : undefined;
        return reply.view('home/role-page.njk', { pageTitle: page.title, page, consultations });
      });
    }
  };
}
