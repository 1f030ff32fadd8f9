import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { parseNodeConfig, resolveNodeIdentity } from './node-config.js';

const parse = (env: Record<string, string>, production = false) =>
  parseNodeConfig(env, { production, host: '0.0.0.0', port: 3000, otherSecrets: { SESSION_SECRET: 's'.repeat(40) } });

it('a node is web and media by default, reachable on loopback at its port', () => {
  const { config, problems } = parse({});
  assert.deepEqual(problems, []);
  assert.deepEqual(config.roles, ['web', 'media']);
  assert.equal(config.internalUrl, 'http://127.0.0.1:3000');
  assert.equal(config.id, undefined);
  assert.equal(config.capacity, 20);
});

it('names each bad node setting', () => {
  const { problems } = parse({
    NODE_ID: 'has space',
    NODE_ROLES: 'web,cache',
    NODE_INTERNAL_URL: 'http://10.0.0.1:3000/path',
    NODE_HEARTBEAT_SECONDS: '5',
    NODE_LAPSE_SECONDS: '6',
    CLUSTER_SECRET: 's'.repeat(40),
  });
  for (const name of ['NODE_ID', 'NODE_ROLES', 'NODE_INTERNAL_URL', 'NODE_LAPSE_SECONDS', 'CLUSTER_SECRET must not be the same as SESSION_SECRET'])
    assert.ok(
      problems.some((p) => p.includes(name)),
      `${name} in ${problems.join('; ')}`,
    );
});

it('in production a configured CLUSTER_SECRET must be a strong random secret', () => {
  assert.ok(parse({ CLUSTER_SECRET: 'our-cluster-secret-our-cluster-secret' }, true).problems.some((p) => p.includes('CLUSTER_SECRET')));
  assert.deepEqual(parse({ CLUSTER_SECRET: randomBytes(32).toString('hex') }, true).problems, []);
});

it('without NODE_ID and CLUSTER_SECRET the node keeps a made id and secret in DATA_DIR, the same at every start', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvr-node-'));
  try {
    const { config } = parse({});
    const first = resolveNodeIdentity(config, dataDir);
    assert.match(first.id, /^[A-Za-z0-9._-]+-[0-9a-f]{8}$/);
    assert.equal(first.clusterSecret.length, 64);
    assert.deepEqual(resolveNodeIdentity(config, dataDir), first);
    assert.equal(fs.statSync(path.join(dataDir, 'cluster-secret')).mode & 0o777, 0o600);
    assert.equal(resolveNodeIdentity({ ...config, id: 'media-7' }, dataDir).id, 'media-7');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
