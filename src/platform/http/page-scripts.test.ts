import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { PAGE_SCRIPTS, bundlePageScripts, registerPageScripts } from './page-scripts.js';

describe('page scripts: TypeScript in src/browser, bundled by esbuild at start', () => {
  it('serves every page script at its old URL with the static cache headers, and revalidates by ETag', async () => {
    const app = Fastify();
    await registerPageScripts(app, { production: false });
    for (const name of PAGE_SCRIPTS) {
      const response = await app.inject(`/static/js/${name}.js`);
      assert.equal(response.statusCode, 200, name);
      assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'public, max-age=3600');
      const etag = String(response.headers.etag);
      assert.match(etag, /^"[\w-]{27}"$/);
      const again = await app.inject({ url: `/static/js/${name}.js`, headers: { 'if-none-match': etag } });
      assert.equal(again.statusCode, 304);
      assert.equal(again.body, '');
    }
    assert.equal((await app.inject('/static/js/call-client.ts')).statusCode, 404);
    assert.equal((await app.inject('/static/js/../tsconfig.json')).statusCode, 404);
    await app.close();
  });

  it('production bundles are minified without source maps; development ones are readable with inline source maps', async () => {
    const production = await bundlePageScripts({ production: true });
    const development = await bundlePageScripts({ production: false });
    for (const name of PAGE_SCRIPTS) {
      const min = production.get(`${name}.js`)!.code;
      const dev = development.get(`${name}.js`)!.code;
      assert.doesNotMatch(min, /sourceMappingURL/, name);
      assert.match(dev, /\/\/# sourceMappingURL=data:application\/json;base64,/, name);
      assert.ok(min.length < dev.length / 2, `${name}: ${min.length} minified vs ${dev.length}`);
      // One self-contained script per page: no module syntax left, so a classic <script defer> runs it too.
      assert.doesNotMatch(min, /^\s*(import|export)\b/m, name);
    }
  });

  it('the call page takes the signalling types, not the server’s code: nothing of the parser reaches the bundle', async () => {
    const dev = (await bundlePageScripts({ production: false })).get('call-client.js')!.code;
    assert.match(dev, /rvr:call-message/);
    assert.doesNotMatch(dev, /parseClientMessage|MAX_MESSAGE_CHARS/);
    // The consent close code comes from the domain rule the server closes the socket with (RVR-04).
    assert.match(dev, /closeCode: 4401/);
  });
});
