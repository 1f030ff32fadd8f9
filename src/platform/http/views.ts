import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import { stateLabel, type ConsultationState } from '../../domain/consultation-state.js';
import { ROLE_LABELS, type Role } from '../../domain/roles.js';
import { registerPageScripts } from './page-scripts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(here, '../..');
const rootDir = path.resolve(srcDir, '..');
const govukDist = path.join(rootDir, 'node_modules/govuk-frontend/dist');
const mojRoot = path.join(rootDir, 'node_modules/@ministryofjustice/frontend');

const londonTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', dateStyle: 'medium', timeStyle: 'medium' });

/** Nunjucks with GOV.UK Frontend and MOJ Frontend templates, their assets under /assets, and our styles and page scripts under /static. */
export async function registerViews(
  app: FastifyInstance,
  {
    production,
    globals = {},
  }: { production: boolean; /** Values every template sees (SEC-05 marking, SC-1 purpose labels). */ globals?: Record<string, unknown> },
): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(govukDist, 'govuk/assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    maxAge: '1d',
  });
  for (const [prefix, file, dir] of [
    ['/stylesheets/', 'govuk-frontend.min.css', path.join(govukDist, 'govuk')],
    ['/javascripts/govuk/', 'govuk-frontend.min.js', path.join(govukDist, 'govuk')],
    ['/stylesheets/moj/', 'moj-frontend.min.css', path.join(mojRoot, 'moj')],
    ['/javascripts/moj/', 'moj-frontend.min.js', path.join(mojRoot, 'moj')],
  ] as const) {
    await app.register(fastifyStatic, { root: dir, prefix, decorateReply: false, index: false, allowedPath: (p) => p === `/${file}`, maxAge: '1d' });
  }
  await registerPageScripts(app, { production });
  const styles = new Set(['/app.css', '/victim.css']);
  await app.register(fastifyStatic, {
    root: path.join(srcDir, 'assets'),
    prefix: '/static/',
    decorateReply: false,
    index: false,
    allowedPath: (p) => styles.has(p),
    maxAge: '1h',
  });
  await app.register(fastifyView, {
    engine: { nunjucks },
    templates: [path.join(srcDir, 'views'), path.join(srcDir, 'features'), govukDist, mojRoot],
    options: {
      autoescape: true,
      throwOnUndefined: false,
      onConfigure: (env: nunjucks.Environment) => {
        env.addFilter('dateTime', (value: Date | string | null | undefined) => (value ? londonTime.format(new Date(value)) : ''));
        env.addFilter('stateLabel', (value: ConsultationState) => stateLabel(value));
        env.addFilter('roleLabel', (value: Role) => ROLE_LABELS[value] ?? value);
        for (const [name, value] of Object.entries(globals)) env.addGlobal(name, value);
        // Issue 17 §2: data for a page script in a <script type="application/json"> block ("<" escaped, so nothing closes it).
        env.addFilter('jsonForScript', (value: unknown) => new nunjucks.runtime.SafeString(JSON.stringify(value ?? {}).replace(/</g, '\\u003c')));
      },
    },
  });
}
