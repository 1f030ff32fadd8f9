import { and, asc, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Role } from '../../domain/roles.js';
import type { Executor } from '../../platform/db/database.js';
import { userRoles, users } from '../../platform/auth/identity.schema.js';

export type UserRow = typeof users.$inferSelect;
export type UserWithRoles = UserRow & { roles: Role[] };

// Any fixed number distinct from the other advisory locks (the audit chain's is 7_400_101).
const ADMINISTRATORS_LOCK = 7_400_201;

export class UsersRepository {
  constructor(private readonly db: Executor) {}

  /**
   * Serialises changes that could remove an administrator until the transaction ends, so two administrators
   * disabling each other at the same moment cannot both succeed and leave none.
   */
  async lockAdministrators(): Promise<void> {
    await this.db.execute(sql`select pg_advisory_xact_lock(${ADMINISTRATORS_LOCK})`);
  }

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
    oidc?: { issuer: string; subject: string };
  }): Promise<UserWithRoles> {
    const [user] = await this.db
      .insert(users)
      .values({
        username: input.username.toLowerCase(),
        displayName: input.displayName,
        passwordHash: input.passwordHash,
        isDemo: input.isDemo ?? false,
        oidcIssuer: input.oidc?.issuer ?? null,
        oidcSubject: input.oidc?.subject ?? null,
      })
      .returning();
    await this.replaceRoles(user!.id, input.roles);
    return { ...user!, roles: [...input.roles] };
  }

  async replaceRoles(userId: string, roles: readonly Role[]): Promise<void> {
    await this.db.delete(userRoles).where(eq(userRoles.userId, userId));
    if (roles.length > 0) await this.db.insert(userRoles).values(roles.map((role) => ({ userId, role })));
  }

  async enable(userId: string): Promise<void> {
    await this.db.update(users).set({ disabledAt: null, failedSignIns: 0, lockedUntil: null }).where(eq(users.id, userId));
  }

  async disable(userId: string, at: Date): Promise<boolean> {
    const updated = await this.db
      .update(users)
      .set({ disabledAt: at })
      .where(and(eq(users.id, userId), isNull(users.disabledAt)))
      .returning({ id: users.id });
    return updated.length > 0;
  }

  /** Counts a failed sign-in and returns the new count in a row (atomic: concurrent failures all count). */
  async recordFailedSignIn(userId: string): Promise<number> {
    const [row] = await this.db
      .update(users)
      .set({ failedSignIns: sql`${users.failedSignIns} + 1` })
      .where(eq(users.id, userId))
      .returning({ failed: users.failedSignIns });
    return row?.failed ?? 0;
  }

  async setLockedUntil(userId: string, until: Date | null): Promise<void> {
    await this.db.update(users).set({ lockedUntil: until }).where(eq(users.id, userId));
  }

  async recordSuccessfulSignIn(userId: string, at: Date): Promise<void> {
    await this.db.update(users).set({ failedSignIns: 0, lockedUntil: null, lastSignInAt: at }).where(eq(users.id, userId));
  }

  /** SEC-07: a complete re-authentication (step-up) clears the failures in a row, as a complete sign-in does. */
  async clearFailedSignIns(userId: string): Promise<void> {
    await this.db.update(users).set({ failedSignIns: 0, lockedUntil: null }).where(eq(users.id, userId));
  }

  async setPendingMfaSecret(userId: string, sealed: string | null): Promise<void> {
    await this.db.update(users).set({ mfaPendingSecret: sealed }).where(eq(users.id, userId));
  }

  async confirmMfa(userId: string, sealed: string, at: Date, step: number): Promise<void> {
    await this.db.update(users).set({ mfaSecret: sealed, mfaPendingSecret: null, mfaEnrolledAt: at, mfaLastStep: step }).where(eq(users.id, userId));
  }

  /** Records a used TOTP step only if it is newer than the last one: a replayed code updates nothing. */
  async useMfaStep(userId: string, step: number): Promise<boolean> {
    const updated = await this.db
      .update(users)
      .set({ mfaLastStep: step })
      .where(and(eq(users.id, userId), or(isNull(users.mfaLastStep), lt(users.mfaLastStep, step))))
      .returning({ id: users.id });
    return updated.length > 0;
  }

  async listSealedMfaSecrets(): Promise<{ id: string; mfaSecret: string | null; mfaPendingSecret: string | null }[]> {
    return this.db
      .select({ id: users.id, mfaSecret: users.mfaSecret, mfaPendingSecret: users.mfaPendingSecret })
      .from(users)
      .where(or(isNotNull(users.mfaSecret), isNotNull(users.mfaPendingSecret)))
      .orderBy(asc(users.id));
  }

  /** Replaces sealed seeds only if they are still what the caller read (compare-and-set); true if replaced. */
  async resealMfaSecrets(
    userId: string,
    before: { mfaSecret: string | null; mfaPendingSecret?: string | null },
    after: { mfaSecret: string | null; mfaPendingSecret?: string | null },
  ): Promise<boolean> {
    const same = (column: typeof users.mfaSecret | typeof users.mfaPendingSecret, value: string | null) =>
      value === null ? isNull(column) : eq(column, value);
    const conditions = [eq(users.id, userId), same(users.mfaSecret, before.mfaSecret)];
    if (before.mfaPendingSecret !== undefined) conditions.push(same(users.mfaPendingSecret, before.mfaPendingSecret));
    const updated = await this.db
      .update(users)
      .set({ mfaSecret: after.mfaSecret, ...(after.mfaPendingSecret !== undefined ? { mfaPendingSecret: after.mfaPendingSecret } : {}) })
      .where(and(...conditions))
      .returning({ id: users.id });
    return updated.length > 0;
  }

  async clearMfa(userId: string): Promise<void> {
    await this.db.update(users).set({ mfaSecret: null, mfaPendingSecret: null, mfaEnrolledAt: null, mfaLastStep: null }).where(eq(users.id, userId));
  }

  async findByOidcIdentity(issuer: string, subject: string): Promise<UserWithRoles | undefined> {
    const [user] = await this.db
      .select()
      .from(users)
      .where(and(eq(users.oidcIssuer, issuer), eq(users.oidcSubject, subject)));
    return user ? this.withRoles(user) : undefined;
  }

  async linkOidcIdentity(userId: string, issuer: string, subject: string, displayName: string): Promise<void> {
    await this.db.update(users).set({ oidcIssuer: issuer, oidcSubject: subject, displayName }).where(eq(users.id, userId));
  }

  async enabledIdsWithRole(role: Role): Promise<string[]> {
    const rows = await this.db
      .select({ id: users.id })
      .from(users)
      .innerJoin(userRoles, eq(userRoles.userId, users.id))
      .where(and(eq(userRoles.role, role), isNull(users.disabledAt)));
    return rows.map((r) => r.id);
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
