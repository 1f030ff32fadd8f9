import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataAccess, Repositories } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { API_SCOPES, type ApiClient, type ApiScope } from '../../platform/http/principals.js';

export { API_SCOPES, type ApiClient, type ApiScope };

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * Keys for CAD systems: `rvr_<prefix>_<secret>`. The prefix finds the key; only a hash of the secret is
 * stored, so the database never holds a usable key. Shown once, at creation.
 */
export class ApiKeyService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  async create(context: RequestContext, name: string, scopes: string[]): Promise<{ id: string; key: string }> {
    const cleanName = name.trim();
    if (cleanName.length < 2 || cleanName.length > 100) throw new ValidationError('Give the key a name of 2 to 100 characters, e.g. the CAD system it is for');
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0 || unknown.length > 0)
      throw new ValidationError(`Scopes must be one or more of ${API_SCOPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    return this.data.transaction(async (tx) => {
      const row = await tx.apiKeys.create({ name: cleanName, prefix, secretHash: sha256(secret).toString('hex'), scopes: [...new Set(scopes)] });
      await this.audit.record(tx.audit, context, { what: 'api_key.created', subject: `api_key:${row.id}`, details: { name: cleanName, scopes } });
      return { id: row.id, key: `rvr_${prefix}_${secret}` };
    });
  }

  /** The client behind a bearer key, if the key is well-formed, known, unrevoked and its secret matches. */
  async authenticate(key: string): Promise<ApiClient | undefined> {
    const match = /^rvr_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(key);
    if (!match) return undefined;
    const row = await this.data.repos.apiKeys.findLiveByPrefix(match[1]!);
    if (!row || !timingSafeEqual(sha256(match[2]!), Buffer.from(row.secretHash, 'hex'))) return undefined;
    await this.data.repos.apiKeys.touch(row.id, this.now());
    return { id: row.id, name: row.name, scopes: row.scopes as ApiScope[] };
  }

  async revoke(context: RequestContext, id: string): Promise<void> {
    await this.data.transaction(async (tx) => {
      if (!(await tx.apiKeys.revoke(id, this.now()))) throw new NotFoundError('No live API key with that id');
      await this.audit.record(tx.audit, context, { what: 'api_key.revoked', subject: `api_key:${id}` });
    });
  }

  list() {
    return this.data.repos.apiKeys.list();
  }

  /**
   * The stored answer to an earlier request with this Idempotency-Key, if any; the same key with a different body is
   * refused. Returned as data: the route replays it.
   */
  async earlierAnswer(apiKeyId: string, key: string, requestHash: string): Promise<unknown> {
    const earlier = await this.data.repos.apiKeys.findIdempotent(apiKeyId, key);
    if (!earlier) return undefined;
    if (earlier.requestHash !== requestHash)
      throw new ConflictError('This Idempotency-Key was already used with a different request body. Use a new key for a new request.');
    return earlier.responseBody;
  }

  /** Keeps the answer to an Idempotency-Key in the transaction that created what it answers. */
  async rememberAnswer(tx: Repositories, answer: { apiKeyId: string; key: string; requestHash: string; responseBody: unknown }): Promise<void> {
    await tx.apiKeys.saveIdempotent({ ...answer, responseStatus: 201 });
  }
}
