import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { services as buildServices } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { LiveHub } from '../../src/platform/live/live-hub.js';
import { createTestDatabase, primaryDatabaseKind, type TestDatabase } from '../support/databases.js';
import { productionTestEnv } from '../support/test-app.js';

// Issue 13 §4: `npm run dev` shows the stack trace on the error page; production and tests never do.
// The error handler does not touch the database, so one database serves every app here.

/** A real app with two routes that fail the way a bug does: an unexpected error with a cause. */
async function appFor(db: TestDatabase, env: Record<string, string>): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-error-page-'));
  const config = loadConfig({ DATA_DIR: dataDir, ...env });
  const logger = createLogger({ level: 'silent' });
  const live = new LiveHub(logger);
  await live.start(db.database);
  const services = buildServices({ config, database: db.database, live, logger });
  const app = await buildApp({ config, services, logger });
  const fail = () => {
    throw new Error('the service failed in renderTheCaseFile', { cause: new Error('relation "missing_table" does not exist') });
  };
  app.get('/boom', { config: { access: 'public' } }, fail);
  app.get('/v/call/boom', { config: { access: 'public' } }, fail);
  await app.ready();
  return {
    app,
    close: async () => {
      await app.close();
      await live.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('the error page (issue 13: the stack trace in development only)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase(await primaryDatabaseKind());
  });
  after(async () => {
    await db.drop();
  });

  it('shows the stack trace, with its cause, in development (npm run dev / npm start), escaped', async () => {
    const { app, close } = await appFor(db, { NODE_ENV: 'development' });
    try {
      const page = await app.inject({ method: 'GET', url: '/boom', headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 500);
      assert.match(page.body, /Sorry, there is a problem with the service/);
      assert.match(page.body, /data-testid="error-stack"/);
      assert.match(page.body, /Error: the service failed in renderTheCaseFile\n\s+at /);
      assert.match(page.body, /error-page\.test\.ts:\d+/, 'the frames name the file that threw');
      assert.match(page.body, /Caused by: Error: relation &quot;missing_table&quot; does not exist/, 'the cause, HTML-escaped');
      const victim = await app.inject({ method: 'GET', url: '/v/call/boom', headers: { accept: 'text/html' } });
      assert.equal(victim.statusCode, 500);
      assert.match(victim.body, /data-testid="error-stack"[\s\S]*renderTheCaseFile/);
      const json = await app.inject({ method: 'GET', url: '/boom', headers: { accept: 'application/json' } });
      assert.match(json.json<{ stack: string }>().stack, /^Error: the service failed in renderTheCaseFile\n/);
      // Refusals are not bugs: a 404 or 403 page carries no stack.
      const missing = await app.inject({ method: 'GET', url: '/no-such-page', headers: { accept: 'text/html' } });
      assert.equal(missing.statusCode, 404);
      assert.doesNotMatch(missing.body, /error-stack|Stack trace/);
    } finally {
      await close();
    }
  });

  for (const [name, env] of [
    ['production', productionTestEnv()],
    ['test', { NODE_ENV: 'test' }],
  ] as const) {
    it(`never shows it in ${name}`, async () => {
      const { app, close } = await appFor(db, env);
      try {
        for (const url of ['/boom', '/v/call/boom']) {
          const page = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
          assert.equal(page.statusCode, 500);
          assert.match(page.body, /Sorry, there is a problem with the service/);
          for (const leak of [/error-stack/, /Stack trace/, /renderTheCaseFile/, /missing_table/, /error-page\.test/])
            assert.doesNotMatch(page.body, leak, `${url}`);
        }
        const json = await app.inject({ method: 'GET', url: '/boom', headers: { accept: 'application/json' } });
        assert.equal(json.statusCode, 500);
        assert.deepEqual(Object.keys(json.json<object>()).sort(), ['correlationId', 'error']);
      } finally {
        await close();
      }
    });
  }
});
