import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.js';

const productionReady = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://rvr@db.internal:5432/rvr',
  SESSION_SECRET: 'a'.repeat(64),
  PUBLIC_BASE_URL: 'https://rvr.example.police.uk',
  SEED_DEMO_DATA: 'false',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

describe('configuration', () => {
  it('starts with zero set-up on embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.seedDemoData, true);
    assert.match(config.dataDir, /data$/);
  });

  it('refuses production with dev defaults and names each wrong variable', () => {
    const found = problems({ NODE_ENV: 'production', SEED_DEMO_DATA: 'true' });
    for (const name of ['DATABASE_URL', 'SESSION_SECRET', 'PUBLIC_BASE_URL', 'SEED_DEMO_DATA', 'SMS_PROVIDER']) {
      assert.ok(
        found.some((p) => p.startsWith(name)),
        `expected a problem naming ${name}: ${found.join(' | ')}`,
      );
    }
  });

  it('does not seed demo data in production unless told to (and then refuses)', () => {
    assert.ok(!problems({ NODE_ENV: 'production' }).some((p) => p.startsWith('SEED_DEMO_DATA')));
  });

  it('still refuses production with the outbox SMS provider, which has no real alternative yet', () => {
    assert.deepEqual(
      problems(productionReady).map((p) => p.split(' ')[0]),
      ['SMS_PROVIDER=outbox'],
    );
  });

  it('refuses a short session secret and plain http in production', () => {
    const found = problems({ ...productionReady, SESSION_SECRET: 'short', PUBLIC_BASE_URL: 'http://rvr.example' });
    assert.ok(found.some((p) => /SESSION_SECRET must be at least 32/.test(p)));
    assert.ok(found.some((p) => /PUBLIC_BASE_URL must be an https/.test(p)));
  });

  it('explains malformed values', () => {
    const found = problems({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SEED_DEMO_DATA: 'maybe', NODE_ENV: 'staging', SESSION_IDLE_MINUTES: '0' });
    assert.equal(found.length, 5, found.join(' | '));
    assert.ok(found.some((p) => p.includes('PORT must be a whole number')));
    assert.ok(found.some((p) => p.includes('postgres://')));
  });
});
