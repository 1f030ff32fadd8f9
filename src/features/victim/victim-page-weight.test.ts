import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { bundlePageScripts } from '../../platform/http/page-scripts.js';

const srcDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const govukDist = path.resolve(srcDir, '../node_modules/govuk-frontend/dist');
/** Where the views find templates (platform/http/views.ts). */
const templateRoots = [path.join(srcDir, 'views'), path.join(srcDir, 'features'), govukDist];
/** A victim on a cheap phone and a slow connection: each page of theirs, CSS and scripts, fits in this (gzipped). */
const BUDGET_BYTES = 60_000;

/** The stylesheets and scripts a template and the templates it extends or includes refer to. */
function assetsOf(template: string, found = new Set<string>()): Set<string> {
  const file = templateRoots.map((root) => path.join(root, template)).find((candidate) => existsSync(candidate));
  assert.ok(file, `template ${template} not found`);
  const text = readFileSync(file, 'utf8');
  for (const [, url] of text.matchAll(/(?:href|src)="(\/(?:static|stylesheets|javascripts)\/[^"]+)"/g)) found.add(url!);
  for (const [, child] of text.matchAll(/{%-?\s*(?:extends|include)\s+"([^"]+)"/g)) assetsOf(child!, found);
  return found;
}

describe('the victim’s pages stay light (issue 14: under 60 KB gzipped)', () => {
  it('consent and call page: each page’s CSS and production-bundled scripts, gzipped, stay under the budget', async () => {
    const scripts = await bundlePageScripts({ production: true });
    const bytesOf = (url: string): string | Buffer => {
      if (url.startsWith('/static/js/')) {
        const script = scripts.get(url.slice('/static/js/'.length));
        assert.ok(script, `${url} is not a bundled page script`);
        return script.code;
      }
      if (url.startsWith('/static/')) return readFileSync(path.join(srcDir, 'assets', url.slice('/static/'.length)));
      if (url === '/stylesheets/govuk-frontend.min.css') return readFileSync(path.join(govukDist, 'govuk/govuk-frontend.min.css'));
      assert.fail(`the test does not know where ${url} comes from: teach it, so the page's weight is measured in full`);
    };
    const pages = { consent: assetsOf('victim/consent.njk'), call: assetsOf('victim/call.njk') };
    // The call page's scripts must be among what is measured, or the figure says nothing.
    for (const url of ['/static/js/call-client.js', '/static/js/statement-victim.js', '/stylesheets/govuk-frontend.min.css', '/static/victim.css']) {
      assert.ok(pages.call.has(url), `${url} measured for the call page`);
    }
    assert.ok(pages.consent.has('/static/js/consent-exit.js'));
    for (const [page, urls] of Object.entries(pages)) {
      const sizes = [...urls].map((url) => ({ url, gzipped: gzipSync(bytesOf(url)).length }));
      const total = sizes.reduce((sum, s) => sum + s.gzipped, 0);
      console.log(`victim ${page} page: ${(total / 1024).toFixed(1)} KiB gzipped (${sizes.map((s) => `${s.url} ${s.gzipped} B`).join(', ')})`);
      assert.ok(total < BUDGET_BYTES, `the victim's ${page} page needs ${total} bytes gzipped, over the ${BUDGET_BYTES} budget`);
    }
  });
});
