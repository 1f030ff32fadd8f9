import { asc, desc, eq } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { breachSubjectNotifications, personalDataBreaches } from './breaches.schema.js';

export type BreachRow = typeof personalDataBreaches.$inferSelect;
export type BreachSubjectNotificationRow = typeof breachSubjectNotifications.$inferSelect;

/** DP-15: the breach register's rows. */
export class BreachesRepository {
  constructor(private readonly db: Executor) {}

  async create(row: typeof personalDataBreaches.$inferInsert): Promise<BreachRow> {
    const [created] = await this.db.insert(personalDataBreaches).values(row).returning();
    return created!;
  }

  async find(id: string, forUpdate = false): Promise<BreachRow | undefined> {
    const query = this.db.select().from(personalDataBreaches).where(eq(personalDataBreaches.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  }

  list(limit = 200): Promise<BreachRow[]> {
    return this.db.select().from(personalDataBreaches).orderBy(desc(personalDataBreaches.awareAt)).limit(limit);
  }

  async update(id: string, values: Partial<typeof personalDataBreaches.$inferInsert>): Promise<void> {
    await this.db.update(personalDataBreaches).set(values).where(eq(personalDataBreaches.id, id));
  }

  async addSubjectNotification(row: typeof breachSubjectNotifications.$inferInsert): Promise<BreachSubjectNotificationRow> {
    const [created] = await this.db.insert(breachSubjectNotifications).values(row).returning();
    return created!;
  }

  subjectNotifications(breachId: string): Promise<BreachSubjectNotificationRow[]> {
    return this.db
      .select()
      .from(breachSubjectNotifications)
      .where(eq(breachSubjectNotifications.breachId, breachId))
      .orderBy(asc(breachSubjectNotifications.notifiedAt));
  }
}
