import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';

/**
 * The pages' scripts, written in TypeScript under src/browser and bundled by esbuild when the server starts
 * (ARCHITECTURE §2): one self-contained file per page script, kept in memory and served at /static/js/<name>.js.
 * Nothing is written to disk, so a read-only install works and parallel test servers cannot race on a build folder.
 * `npm run dev` restarts on any change under src, which bundles again.
 */
const browserDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../browser');

/** Each is an entry point src/browser/<name>.ts, referenced by the views as /static/js/<name>.js. */
export const PAGE_SCRIPTS = [
  'call-client',
  'consent-exit',
  'evidence-player',
  'investigation-call',
  'live',
  'redaction-boxes',
  'risk-form',
  'statement-victim',
  'victim-location',
] as const;

export interface BundledScript {
  code: string;
  etag: string;
}

export interface BundleOptions {
  /** Minified, without source maps; otherwise readable with inline source maps for the browser's devtools. */
  production: boolean;
}

const built = new Map<boolean, Promise<Map<string, BundledScript>>>();

/** Bundles every page script once per process and mode (the app is built many times in the tests). */
export function bundlePageScripts({ production }: BundleOptions): Promise<Map<string, BundledScript>> {
  let bundles = built.get(production);
  if (!bundles) {
    bundles = bundle(production);
    built.set(production, bundles);
    bundles.catch(() => built.delete(production));
  }
  return bundles;
}

async function bundle(production: boolean): Promise<Map<string, BundledScript>> {
  const result = await build({
    entryPoints: Object.fromEntries(PAGE_SCRIPTS.map((name) => [name, path.join(browserDir, `${name}.ts`)])),
    tsconfig: path.join(browserDir, 'tsconfig.json'),
    bundle: true,
    // Each file runs in its own scope, whether the page loads it as a module or as a classic deferred script.
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    minify: production,
    sourcemap: production ? false : 'inline',
    outdir: browserDir,
    write: false,
    logLevel: 'silent',
  });
  return new Map(
    result.outputFiles.map((file) => [
      `${path.basename(file.path, '.js')}.js`,
      { code: file.text, etag: `"${createHash('sha256').update(file.contents).digest('base64url').slice(0, 27)}"` },
    ]),
  );
}

/** Serves the bundles with the cache headers the other static files have (one hour, revalidated by ETag). */
export async function registerPageScripts(app: FastifyInstance, options: BundleOptions): Promise<void> {
  const scripts = await bundlePageScripts(options);
  app.get<{ Params: { file: string } }>('/static/js/:file', async (request, reply) => {
    const script = scripts.get(request.params.file);
    if (!script) return reply.callNotFound();
    reply.header('cache-control', 'public, max-age=3600').header('etag', script.etag);
    if (request.headers['if-none-match'] === script.etag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(script.code);
  });
}
