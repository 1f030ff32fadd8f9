import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import type { Executor } from '../../platform/db/database.js';
import { sessions } from '../../platform/auth/identity.schema.js';

export type SessionRow = typeof sessions.$inferSelect;

export class SessionsRepository {
  constructor(private readonly db: Executor) {}

  async create(row: {
    tokenHash: string;
    userId: string;
    expiresAt: Date;
    userAgent: string | null;
    clientIp: string | null;
    method: 'password' | 'oidc';
    mfaVerifiedAt: Date | null;
    now: Date;
  }): Promise<SessionRow> {
    const [created] = await this.db
      .insert(sessions)
      .values({
        tokenHash: row.tokenHash,
        userId: row.userId,
        expiresAt: row.expiresAt,
        userAgent: row.userAgent,
        clientIp: row.clientIp,
        method: row.method,
        mfaVerifiedAt: row.mfaVerifiedAt,
        createdAt: row.now,
        lastSeenAt: row.now,
      })
      .returning();
    return created!;
  }

  async markMfaVerified(tokenHash: string, at: Date): Promise<void> {
    await this.db.update(sessions).set({ mfaVerifiedAt: at }).where(eq(sessions.tokenHash, tokenHash));
  }

  /** SEC-07: the user re-authenticated on this session just now (step-up). */
  async markSteppedUp(tokenHash: string, at: Date): Promise<void> {
    await this.db.update(sessions).set({ steppedUpAt: at }).where(eq(sessions.tokenHash, tokenHash));
  }

  async listLiveForUser(userId: string): Promise<SessionRow[]> {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt)))
      .orderBy(desc(sessions.lastSeenAt));
  }

  async endById(userId: string, sessionId: string, at: Date, reason: string): Promise<boolean> {
    const ended = await this.db
      .update(sessions)
      .set({ endedAt: at, endedReason: reason })
      .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId), isNull(sessions.endedAt)))
      .returning({ id: sessions.id });
    return ended.length > 0;
  }

  async findLive(tokenHash: string): Promise<SessionRow | undefined> {
    const [row] = await this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.endedAt)));
    return row;
  }

  async touch(tokenHash: string, at: Date): Promise<void> {
    await this.db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.tokenHash, tokenHash));
  }

  async end(tokenHash: string, at: Date, reason: string): Promise<boolean> {
    const ended = await this.db
      .update(sessions)
      .set({ endedAt: at, endedReason: reason })
      .where(and(eq(sessions.tokenHash, tokenHash), isNull(sessions.endedAt)))
      .returning({ tokenHash: sessions.tokenHash });
    return ended.length > 0;
  }

  async endAllForUser(userId: string, at: Date, reason: string): Promise<number> {
    const ended = await this.db
      .update(sessions)
      .set({ endedAt: at, endedReason: reason })
      .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt)))
      .returning({ tokenHash: sessions.tokenHash });
    return ended.length;
  }

  /** Ends sessions past their absolute expiry or idle since `idleBefore`; returns how many. */
  async endStale(now: Date, idleBefore: Date): Promise<number> {
    const ended = await this.db
      .update(sessions)
      .set({ endedAt: now, endedReason: 'expired' })
      .where(and(isNull(sessions.endedAt), or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, idleBefore))))
      .returning({ tokenHash: sessions.tokenHash });
    return ended.length;
  }

  /** Ended sessions are kept a while for the record, then removed. */
  async deleteEndedBefore(before: Date): Promise<number> {
    const deleted = await this.db.delete(sessions).where(lt(sessions.endedAt, before)).returning({ tokenHash: sessions.tokenHash });
    return deleted.length;
  }
}
