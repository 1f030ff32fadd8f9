import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { officerAvailability } from './officer.schema.js';

export const AVAILABILITY = ['available', 'on_call', 'offline'] as const;
export type Availability = (typeof AVAILABILITY)[number];

export class AvailabilityRepository {
  constructor(private readonly db: Executor) {}

  async set(userId: string, status: Availability, at: Date): Promise<void> {
    await this.db
      .insert(officerAvailability)
      .values({ userId, status, updatedAt: at })
      .onConflictDoUpdate({ target: officerAvailability.userId, set: { status, updatedAt: at } });
  }

  async get(userId: string): Promise<Availability> {
    const [row] = await this.db.select().from(officerAvailability).where(eq(officerAvailability.userId, userId));
    return (row?.status as Availability | undefined) ?? 'offline';
  }

  async countByStatus(userIds: string[]): Promise<Record<Availability, number>> {
    const counts: Record<Availability, number> = { available: 0, on_call: 0, offline: 0 };
    if (userIds.length === 0) return counts;
    const rows = await this.db.select().from(officerAvailability).where(inArray(officerAvailability.userId, userIds));
    const known = new Map(rows.map((r) => [r.userId, r.status as Availability]));
    for (const id of userIds) counts[known.get(id) ?? 'offline'] += 1;
    return counts;
  }
}
