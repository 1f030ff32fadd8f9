import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { policyAcknowledgements, policyVersions } from '../../platform/auth/identity.schema.js';

export type PolicyVersionRow = typeof policyVersions.$inferSelect;

export class PoliciesRepository {
  constructor(private readonly db: Executor) {}

  async current(): Promise<PolicyVersionRow | undefined> {
    const [row] = await this.db.select().from(policyVersions).orderBy(desc(policyVersions.version)).limit(1);
    return row;
  }

  async publish(input: { title: string; body: string; url: string | null; publishedBy: string | null; at: Date }): Promise<PolicyVersionRow> {
    const latest = await this.current();
    const [row] = await this.db
      .insert(policyVersions)
      .values({
        version: (latest?.version ?? 0) + 1,
        title: input.title,
        body: input.body,
        url: input.url,
        publishedBy: input.publishedBy,
        publishedAt: input.at,
      })
      .returning();
    return row!;
  }

  async acknowledge(userId: string, policyVersionId: string, at: Date): Promise<void> {
    await this.db.insert(policyAcknowledgements).values({ userId, policyVersionId, acknowledgedAt: at }).onConflictDoNothing();
  }

  /** When each user acknowledged this version (users who have not are absent). */
  async acknowledgementsOf(policyVersionId: string): Promise<Map<string, Date>> {
    const rows = await this.db.select().from(policyAcknowledgements).where(eq(policyAcknowledgements.policyVersionId, policyVersionId));
    return new Map(rows.map((r) => [r.userId, r.acknowledgedAt]));
  }

  async hasAcknowledged(userId: string, policyVersionId: string): Promise<boolean> {
    const rows = await this.db
      .select({ userId: policyAcknowledgements.userId })
      .from(policyAcknowledgements)
      .where(and(eq(policyAcknowledgements.userId, userId), eq(policyAcknowledgements.policyVersionId, policyVersionId)));
    return rows.length > 0;
  }
}
