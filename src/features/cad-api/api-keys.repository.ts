import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { apiKeys, idempotencyKeys } from './cad-api.schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export class ApiKeysRepository {
  constructor(private readonly db: Executor) {}

  async create(row: { name: string; prefix: string; secretHash: string; scopes: string[] }): Promise<ApiKeyRow> {
    const [created] = await this.db.insert(apiKeys).values(row).returning();
    return created!;
  }

  async findLiveByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt)));
    return row;
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const revoked = await this.db
      .update(apiKeys)
      .set({ revokedAt: at })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return revoked.length > 0;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
  }

  async list(): Promise<ApiKeyRow[]> {
    return this.db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt));
  }

  async findIdempotent(apiKeyId: string, key: string): Promise<IdempotencyRow | undefined> {
    const [row] = await this.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.apiKeyId, apiKeyId), eq(idempotencyKeys.key, key)));
    return row;
  }

  async saveIdempotent(row: Omit<IdempotencyRow, 'createdAt'>): Promise<void> {
    await this.db.insert(idempotencyKeys).values(row);
  }
}
