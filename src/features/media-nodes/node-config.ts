import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secretStrengthProblem } from '../../platform/auth/secret-strength.js';

export type NodeRole = 'web' | 'media';

/** This server process as one node of an installation (issue 18 §2, ADR 0013). */
export interface NodeConfig {
  /** NODE_ID; undefined: the id kept in DATA_DIR/node-id, made at first start (see resolveNodeIdentity). */
  id: string | undefined;
  /** NODE_ROLES: `web` serves pages and proxies call sockets; `media` hosts the calls placed on it. Default both. */
  roles: NodeRole[];
  /** NODE_INTERNAL_URL: where the other nodes reach this one (never the public address). */
  internalUrl: string;
  /** CLUSTER_SECRET: signs the call-socket grants between nodes; undefined: one kept in DATA_DIR/cluster-secret. */
  clusterSecret: string | undefined;
  /** MEDIA_NODE_CAPACITY: the most live calls placed on this node. */
  capacity: number;
  /** NODE_HEARTBEAT_SECONDS, and NODE_LAPSE_SECONDS after which a silent node is gone and its calls are reaped. */
  heartbeatSeconds: number;
  lapseSeconds: number;
}

type Env = Record<string, string | undefined>;

const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function parseNodeConfig(
  env: Env,
  options: { production: boolean; host: string; port: number; otherSecrets: Record<string, string> },
): { config: NodeConfig; problems: string[] } {
  const problems: string[] = [];
  const value = (name: string) => env[name]?.trim() || undefined;
  const id = value('NODE_ID');
  if (id !== undefined && !NODE_ID_PATTERN.test(id)) problems.push(`NODE_ID must be 1 to 64 letters, digits, dots, dashes or underscores (got "${id}")`);
  const roles = (value('NODE_ROLES') ?? 'web,media')
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  if (roles.length === 0 || !roles.every((role): role is NodeRole => role === 'web' || role === 'media'))
    problems.push(`NODE_ROLES must be web, media or web,media (got "${value('NODE_ROLES')}")`);
  const reachableHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const internalUrl = (value('NODE_INTERNAL_URL') ?? `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${options.port}`).replace(
    /\/+$/,
    '',
  );
  if (!/^https?:\/\/[^/]+$/.test(internalUrl)) problems.push(`NODE_INTERNAL_URL must be http(s)://host:port with no path (got "${internalUrl}")`);
  const clusterSecret = value('CLUSTER_SECRET');
  if (clusterSecret !== undefined) {
    const weak = options.production
      ? secretStrengthProblem('CLUSTER_SECRET', clusterSecret)
      : clusterSecret.length < 32
        ? 'CLUSTER_SECRET must be at least 32 characters'
        : undefined;
    if (weak) problems.push(weak);
    for (const [name, other] of Object.entries(options.otherSecrets))
      if (other === clusterSecret) problems.push(`CLUSTER_SECRET must not be the same as ${name}: each secret is kept and rotated on its own`);
  }
  const whole = (name: string, fallback: number, min: number, max: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const heartbeatSeconds = whole('NODE_HEARTBEAT_SECONDS', 3, 1, 60);
  const lapseSeconds = whole('NODE_LAPSE_SECONDS', 15, 2, 600);
  if (lapseSeconds < heartbeatSeconds * 2) problems.push('NODE_LAPSE_SECONDS must be at least twice NODE_HEARTBEAT_SECONDS (one late beat is not a lost node)');
  return {
    config: {
      id,
      roles: roles.filter((role): role is NodeRole => role === 'web' || role === 'media'),
      internalUrl,
      clusterSecret,
      capacity: whole('MEDIA_NODE_CAPACITY', 20, 1, 10_000),
      heartbeatSeconds,
      lapseSeconds,
    },
    problems,
  };
}

/**
 * The node's id and cluster secret. Without NODE_ID the id is kept in DATA_DIR/node-id: the node's recordings are
 * on that disk too, so the node that comes back with the same DATA_DIR is the one that can repair them. Without
 * CLUSTER_SECRET a random one is kept in DATA_DIR/cluster-secret (mode 0600), enough for a single node; a cluster
 * sets the same CLUSTER_SECRET on every node (ADR 0013). Never in the repository (ADR 0008).
 */
export function resolveNodeIdentity(node: NodeConfig, dataDir: string): { id: string; clusterSecret: string } {
  const kept = (file: string, make: () => string): string => {
    const full = path.join(dataDir, file);
    try {
      return fs.readFileSync(full, 'utf8').trim();
    } catch {
      const made = make();
      try {
        fs.mkdirSync(dataDir, { recursive: true });
        fs.writeFileSync(full, `${made}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        // Another process made it first: use theirs. Anything else (a read-only DATA_DIR): this process keeps its own.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(full, 'utf8').trim();
      }
      return made;
    }
  };
  return {
    id:
      node.id ??
      kept(
        'node-id',
        () =>
          `${os
            .hostname()
            .replace(/[^A-Za-z0-9._-]/g, '-')
            .slice(0, 40)}-${randomUUID().slice(0, 8)}`,
      ),
    clusterSecret: node.clusterSecret ?? kept('cluster-secret', () => randomBytes(32).toString('hex')),
  };
}
