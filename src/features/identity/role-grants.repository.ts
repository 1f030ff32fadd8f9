import { aliasedTable, and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { Role } from '../../domain/roles.js';
import type { Executor } from '../../platform/db/database.js';
import { roleGrantRequests, users } from '../../platform/auth/identity.schema.js';

export type RoleGrantRequestRow = typeof roleGrantRequests.$inferSelect;
export type RoleGrantState = 'pending' | 'approved' | 'refused' | 'withdrawn';

/** A request with the names an administrator reads it by. */
export type RoleGrantRequestView = RoleGrantRequestRow & { username: string; displayName: string; requestedByUsername: string };

/** Role grants waiting for (or decided by) a second administrator. */
export class RoleGrantsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: { userId: string; role: Role; requestedBy: string; requestedAt: Date; reason: string }): Promise<RoleGrantRequestRow> {
    const [created] = await this.db.insert(roleGrantRequests).values(row).returning();
    return created!;
  }

  async findPending(userId: string, role: Role): Promise<RoleGrantRequestRow | undefined> {
    const [row] = await this.db
      .select()
      .from(roleGrantRequests)
      .where(and(eq(roleGrantRequests.userId, userId), eq(roleGrantRequests.role, role), eq(roleGrantRequests.state, 'pending')));
    return row;
  }

  /** The request, locked until the transaction ends so two decisions cannot both land. */
  async lock(id: string): Promise<RoleGrantRequestRow | undefined> {
    const [row] = await this.db.select().from(roleGrantRequests).where(eq(roleGrantRequests.id, id)).for('update');
    return row;
  }

  /** Marks pending requests for roles the account has just been given another way (the operator's CLI) as approved. */
  async closeGiven(userId: string, roles: readonly Role[], values: { decidedBy: string | null; decidedAt: Date; decisionReason: string }): Promise<string[]> {
    if (roles.length === 0) return [];
    const closed = await this.db
      .update(roleGrantRequests)
      .set({ ...values, state: 'approved' })
      .where(and(eq(roleGrantRequests.userId, userId), inArray(roleGrantRequests.role, [...roles]), eq(roleGrantRequests.state, 'pending')))
      .returning({ id: roleGrantRequests.id });
    return closed.map((row) => row.id);
  }

  async decide(
    id: string,
    values: { state: Exclude<RoleGrantState, 'pending'>; decidedBy: string; decidedAt: Date; decisionReason: string },
  ): Promise<boolean> {
    const updated = await this.db
      .update(roleGrantRequests)
      .set(values)
      .where(and(eq(roleGrantRequests.id, id), eq(roleGrantRequests.state, 'pending')))
      .returning({ id: roleGrantRequests.id });
    return updated.length > 0;
  }

  /** Pending requests (oldest first), or one account's requests of every state (newest first). */
  async list(filter: { state: 'pending' } | { userId: string }): Promise<RoleGrantRequestView[]> {
    const requester = aliasedTable(users, 'requester');
    return this.db
      .select({
        id: roleGrantRequests.id,
        userId: roleGrantRequests.userId,
        role: roleGrantRequests.role,
        requestedBy: roleGrantRequests.requestedBy,
        requestedAt: roleGrantRequests.requestedAt,
        reason: roleGrantRequests.reason,
        state: roleGrantRequests.state,
        decidedBy: roleGrantRequests.decidedBy,
        decidedAt: roleGrantRequests.decidedAt,
        decisionReason: roleGrantRequests.decisionReason,
        username: users.username,
        displayName: users.displayName,
        requestedByUsername: requester.username,
      })
      .from(roleGrantRequests)
      .innerJoin(users, eq(users.id, roleGrantRequests.userId))
      .innerJoin(requester, eq(requester.id, roleGrantRequests.requestedBy))
      .where('state' in filter ? eq(roleGrantRequests.state, filter.state) : eq(roleGrantRequests.userId, filter.userId))
      .orderBy('state' in filter ? asc(roleGrantRequests.requestedAt) : desc(roleGrantRequests.requestedAt));
  }
}
