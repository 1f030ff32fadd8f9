import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config.js';
import { parseAuditConfig } from './audit-config.js';
import { DEV_AUDIT_HMAC_KEY } from './audit-keys.js';

const GOOD_KEY = '9c4e7a1f0b3d62e58a7f1c9d0e4b6a2f7c3e8d1b5a9f0e2c4d6b8a1f3e5c7d9b';
const production = (env: Record<string, string>) => parseAuditConfig(env, { production: true, dataDir: '/srv/rvr', sessionSecret: 'session-secret' }).problems;

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('audit configuration (issue 12)', () => {
  it('uses a development key, a checkpoint file under DATA_DIR and a 5-minute interval by default', () => {
    const { config, problems } = parseAuditConfig({}, { production: false, dataDir: '/srv/rvr', sessionSecret: 's' });
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      hmacKey: DEV_AUDIT_HMAC_KEY,
      oldHmacKeys: [],
      checkpointFile: path.resolve('/srv/rvr/audit-checkpoints.jsonl'),
      checkpointMinutes: 5,
    });
  });

  it('requires a random AUDIT_HMAC_KEY of its own in production', () => {
    assert.match(production({}).join(), /AUDIT_HMAC_KEY is required in production/);
    assert.match(production({ AUDIT_HMAC_KEY: 'a'.repeat(32) }).join(), /AUDIT_HMAC_KEY is not random enough/);
    assert.match(production({ AUDIT_HMAC_KEY: DEV_AUDIT_HMAC_KEY }).join(), /AUDIT_HMAC_KEY is the development default/);
    assert.match(production({ AUDIT_HMAC_KEY: 'f3e5c7d9b' }).join(), /at least 32 characters/);
    assert.match(
      parseAuditConfig({ AUDIT_HMAC_KEY: GOOD_KEY }, { production: true, dataDir: '/d', sessionSecret: GOOD_KEY }).problems.join(),
      /must not be the same as SESSION_SECRET/,
    );
    assert.deepEqual(production({ AUDIT_HMAC_KEY: GOOD_KEY }), []);
    assert.ok(configProblems({ NODE_ENV: 'production' }).some((p) => p.startsWith('AUDIT_HMAC_KEY is required in production')));
  });

  it('reads retired keys, the checkpoint file and interval, and names bad values', () => {
    const { config } = parseAuditConfig(
      {
        AUDIT_HMAC_KEY: GOOD_KEY,
        AUDIT_HMAC_OLD_KEYS: ' old-one , old-two ',
        AUDIT_CHECKPOINT_FILE: '/var/log/rvr/checkpoints.jsonl',
        AUDIT_CHECKPOINT_MINUTES: '15',
      },
      { production: false, dataDir: '/d', sessionSecret: 's' },
    );
    assert.deepEqual(config, {
      hmacKey: GOOD_KEY,
      oldHmacKeys: ['old-one', 'old-two'],
      checkpointFile: '/var/log/rvr/checkpoints.jsonl',
      checkpointMinutes: 15,
    });
    assert.match(
      production({ AUDIT_HMAC_KEY: GOOD_KEY, AUDIT_CHECKPOINT_MINUTES: '0' }).join(),
      /AUDIT_CHECKPOINT_MINUTES must be a whole number from 1 to 1440/,
    );
    assert.match(production({ AUDIT_HMAC_KEY: GOOD_KEY, AUDIT_HMAC_OLD_KEYS: GOOD_KEY }).join(), /must not contain the current AUDIT_HMAC_KEY/);
  });

  it('takes DATABASE_MIGRATION_URL for the owner role only with DATABASE_URL for the application role', () => {
    assert.ok(configProblems({ DATABASE_MIGRATION_URL: 'postgres://owner@db/rvr' }).some((p) => /DATABASE_MIGRATION_URL .* needs DATABASE_URL/.test(p)));
    assert.ok(
      configProblems({ DATABASE_URL: 'postgres://app@db/rvr', DATABASE_MIGRATION_URL: 'mysql://owner@db/rvr' }).some((p) =>
        p.startsWith('DATABASE_MIGRATION_URL'),
      ),
    );
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db/rvr', DATABASE_MIGRATION_URL: 'postgres://owner@db/rvr' });
    assert.equal(config.databaseMigrationUrl, 'postgres://owner@db/rvr');
  });
});
