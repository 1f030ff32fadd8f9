import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { DataAccess } from '../../composition.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { RequestContext } from '../context.js';
import type { UserWithRoles } from './users.repository.js';
import { verifyPassword } from './password.js';

export interface SignedInUser {
  id: string;
  username: string;
  displayName: string;
  roles: UserWithRoles['roles'];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// last_seen_at is written at most this often, so every page view does not become a database write.
const TOUCH_INTERVAL_MS = 30_000;

export class AuthService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly config: Pick<Config, 'sessionIdleMinutes' | 'sessionAbsoluteHours'>,
    private readonly now: () => Date,
  ) {}

  /**
   * Returns a new session token, or undefined for any failure: unknown user, wrong password and disabled
   * account look the same from outside (no user enumeration), though the audit log tells them apart.
   */
  async signIn(
    username: string,
    password: string,
    userAgent: string | null,
    correlationId: string,
  ): Promise<{ token: string; user: SignedInUser } | undefined> {
    const user = await this.data.repos.users.findByUsername(username);
    const passwordOk = await verifyPassword(user?.passwordHash, password);
    const system: RequestContext = { actor: { type: 'system', name: 'sign-in' }, correlationId };
    if (!user || !passwordOk || user.disabledAt) {
      const reason = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'account_disabled';
      await this.data.transaction((tx) =>
        this.audit.record(tx.audit, system, { what: 'session.sign_in_failed', subject: user ? `user:${user.id}` : undefined, details: { reason } }),
      );
      return undefined;
    }
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteHours * 3_600_000);
    const context: RequestContext = { actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles }, correlationId };
    await this.data.transaction(async (tx) => {
      await tx.sessions.create({ tokenHash: hashToken(token), userId: user.id, expiresAt, userAgent: userAgent?.slice(0, 300) ?? null, now });
      await this.audit.record(tx.audit, context, { what: 'session.signed_in', subject: `user:${user.id}` });
    });
    return { token, user: toSignedInUser(user) };
  }

  /** The user behind a session token, if the session is live, neither idle too long nor past its lifetime, and the user is enabled. */
  async resolveSession(token: string): Promise<SignedInUser | undefined> {
    const tokenHash = hashToken(token);
    const session = await this.data.repos.sessions.findLive(tokenHash);
    if (!session) return undefined;
    const now = this.now();
    const idleLimit = this.config.sessionIdleMinutes * 60_000;
    if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > idleLimit) {
      await this.data.repos.sessions.end(tokenHash, now, 'expired');
      return undefined;
    }
    const user = await this.data.repos.users.findById(session.userId);
    if (!user || user.disabledAt) {
      await this.data.repos.sessions.end(tokenHash, now, 'user_disabled');
      return undefined;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) await this.data.repos.sessions.touch(tokenHash, now);
    return toSignedInUser(user);
  }

  async signOut(token: string, context: RequestContext): Promise<void> {
    await this.data.transaction(async (tx) => {
      const ended = await tx.sessions.end(hashToken(token), this.now(), 'signed_out');
      if (ended && context.actor.type === 'user') {
        await this.audit.record(tx.audit, context, { what: 'session.signed_out', subject: `user:${context.actor.userId}` });
      }
    });
  }

  /** Run by the `sessions.expire` job: ends idle and expired sessions, and forgets ended ones after 30 days. */
  async expireStaleSessions(): Promise<{ ended: number; deleted: number }> {
    const now = this.now();
    const idleBefore = new Date(now.getTime() - this.config.sessionIdleMinutes * 60_000);
    return this.data.transaction(async (tx) => {
      const ended = await tx.sessions.endStale(now, idleBefore);
      const deleted = await tx.sessions.deleteEndedBefore(new Date(now.getTime() - 30 * 86_400_000));
      if (ended + deleted > 0) {
        await this.audit.record(
          tx.audit,
          { actor: { type: 'system', name: 'sessions.expire' }, correlationId: randomUUID() },
          {
            what: 'sessions.expired',
            details: { ended, deleted },
          },
        );
      }
      return { ended, deleted };
    });
  }
}

function toSignedInUser(user: UserWithRoles): SignedInUser {
  return { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles };
}
