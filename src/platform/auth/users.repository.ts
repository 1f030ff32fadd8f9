import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Role } from '../../domain/roles.js';
import type { Executor } from '../db/database.js';
import { userRoles, users } from '../db/schema.js';

export type UserRow = typeof users.$inferSelect;
export type UserWithRoles = UserRow & { roles: Role[] };

export class UsersRepository {
  constructor(private readonly db: Executor) {}

  async findByUsername(username: string): Promise<UserWithRoles | undefined> {
    const [user] = await this.db.select().from(users).where(eq(users.username, username.toLowerCase()));
    return user ? this.withRoles(user) : undefined;
  }

  async findById(id: string): Promise<UserWithRoles | undefined> {
    const [user] = await this.db.select().from(users).where(eq(users.id, id));
    return user ? this.withRoles(user) : undefined;
  }

  async create(input: {
    username: string;
    displayName: string;
    passwordHash: string | null;
    roles: readonly Role[];
    isDemo?: boolean;
  }): Promise<UserWithRoles> {
    const [user] = await this.db
      .insert(users)
      .values({ username: input.username.toLowerCase(), displayName: input.displayName, passwordHash: input.passwordHash, isDemo: input.isDemo ?? false })
      .returning();
    await this.replaceRoles(user!.id, input.roles);
    return { ...user!, roles: [...input.roles] };
  }

  async replaceRoles(userId: string, roles: readonly Role[]): Promise<void> {
    await this.db.delete(userRoles).where(eq(userRoles.userId, userId));
    if (roles.length > 0) await this.db.insert(userRoles).values(roles.map((role) => ({ userId, role })));
  }

  async disable(userId: string, at: Date): Promise<boolean> {
    const updated = await this.db
      .update(users)
      .set({ disabledAt: at })
      .where(and(eq(users.id, userId), isNull(users.disabledAt)))
      .returning({ id: users.id });
    return updated.length > 0;
  }

  async countDemoAccounts(): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(users)
      .where(eq(users.isDemo, true));
    return row?.count ?? 0;
  }

  async listAll(): Promise<UserWithRoles[]> {
    const rows = await this.db.select().from(users).orderBy(asc(users.username));
    return Promise.all(rows.map((u) => this.withRoles(u)));
  }

  private async withRoles(user: UserRow): Promise<UserWithRoles> {
    const rows = await this.db.select({ role: userRoles.role }).from(userRoles).where(eq(userRoles.userId, user.id)).orderBy(asc(userRoles.role));
    return { ...user, roles: rows.map((r) => r.role as Role) };
  }
}
