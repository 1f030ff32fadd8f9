import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/database.js';
import { sessions, userRoles, users } from '../auth/identity.schema.js';

export const LIVE_CHANNEL = 'rvr_live';

export class LiveRepository {
  constructor(private readonly db: Executor) {}

  /** Sent inside the caller's transaction, so listeners on every node hear of a change only once it is committed. */
  async notify(event: LiveEvent): Promise<void> {
    await this.db.execute(sql`select pg_notify(${LIVE_CHANNEL}, ${JSON.stringify(event)})`);
  }

  /**
   * The user behind a staff session and their roles as they are now, while the session is open (not signed out,
   * ended or past its lifetime) and the user not disabled. Read only: it does not count as activity on the session.
   */
  async sessionViewer(sessionId: string, now: Date): Promise<{ id: string; roles: string[] } | undefined> {
    const [row] = await this.db
      .select({ id: users.id })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.id, sessionId), isNull(sessions.endedAt), gt(sessions.expiresAt, now), isNull(users.disabledAt)));
    if (!row) return undefined;
    const roles = await this.db.select({ role: userRoles.role }).from(userRoles).where(eq(userRoles.userId, row.id));
    return { id: row.id, roles: roles.map((r) => r.role) };
  }
}

/** What browsers are told: ids and states only, never personal data (they fetch what they may see). */
export type LiveEvent =
  | { type: 'consultation'; id: string; state: string; at: string }
  | { type: 'availability'; userId: string; status: string; at: string }
  | { type: 'call'; id: string; at: string }
  /** "I'm not safe" raised on a victim's page, or acted on (RVR-11): for the officer's call page and the supervisor board. */
  | { type: 'safety_alert'; alertId: string; consultationId: string; callId: string | null; state: 'raised' | 'acknowledged' | 'escalated'; at: string }
  /** The victim's statement was shared, corrected or confirmed: the call pages fetch it again. */
  | { type: 'statement'; consultationId: string; callId: string | null; state: string; revision: number; at: string }
  /** The victim shared, declined or stopped sharing their location, or sent a new position (issue 17 §1): the officer's page fetches it. */
  | { type: 'victim_location'; consultationId: string; callId: string; at: string };
