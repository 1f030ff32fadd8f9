import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Config } from '../../config.js';
import type { DataAccess } from '../../data-access.js';
import { lockedUntilAfterFailure } from '../../domain/lockout.js';
import { isStepUpFresh } from '../../domain/step-up.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { NotFoundError } from '../../platform/errors.js';
import type { SessionRow } from './sessions.repository.js';
import type { UserWithRoles } from './users.repository.js';
import { verifyPassword } from '../../platform/auth/password.js';
import { RateLimitedLog } from '../../platform/logging/rate-limited-log.js';
import { isPublishedPassword } from '../../platform/auth/password-policy.js';
import type { ResolvedSession, SignedInUser } from '../../platform/http/principals.js';

export type { ResolvedSession, SignedInUser };

/** Where a request comes from; kept with the session and in the audit log (DP-04). */
export interface ClientMeta {
  userAgent: string | null;
  clientIp: string | null;
  correlationId: string;
}

export type SignInOutcome = { ok: true; token: string; next: 'home' | 'mfa' | 'mfa_enrol' } | { ok: false };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// last_seen_at is written at most this often, so every page view does not become a database write.
const TOUCH_INTERVAL_MS = 30_000;

type AuthConfig = Pick<
  Config,
  'nodeEnv' | 'sessionIdleMinutes' | 'sessionAbsoluteHours' | 'mfaRequired' | 'lockoutThreshold' | 'passwordHashing' | 'stepUpMaxAgeMinutes'
>;

export class AuthService {
  private readonly unknownUsernames: RateLimitedLog;
  // Per process, never stored: the same unknown username gives the same pseudonym in this process's log (so a
  // spray against one name shows), but the log cannot be turned back into usernames with a dictionary.
  private readonly pseudonymKey = randomBytes(32);

  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly config: AuthConfig,
    private readonly now: () => Date,
    log: Logger = pino({ level: 'silent' }),
  ) {
    this.unknownUsernames = new RateLimitedLog(log, 'sign-in failed: unknown username');
  }

  /**
   * The password step. Unknown user, wrong password, paused (locked) and disabled accounts all answer
   * `{ ok: false }` in about the same time (no user enumeration); the audit log tells them apart.
   * Issue 12: a failure for a username with no account concerns no one's data, so it goes to the application log
   * (rate-limited, pseudonymised, never the password), not the audit chain, which strangers must not be able to fill.
   */
  async signIn(username: string, password: string, meta: ClientMeta): Promise<SignInOutcome> {
    const user = await this.data.repos.users.findByUsername(username);
    const now = this.now();
    const locked = !!user?.lockedUntil && user.lockedUntil > now;
    const passwordOk = await verifyPassword(locked ? undefined : user?.passwordHash, password, this.config.passwordHashing);
    if (!user) {
      this.unknownUsernames.write({
        reason: 'unknown_user',
        usernamePseudonym: createHmac('sha256', this.pseudonymKey).update(username.toLowerCase()).digest('hex').slice(0, 12),
        clientIp: meta.clientIp,
        correlationId: meta.correlationId,
      });
      return { ok: false };
    }
    // In production a demo account, or any account whose password is the published demo password, never signs in.
    const published = passwordOk && this.config.nodeEnv === 'production' && (user.isDemo === true || isPublishedPassword(password));
    if (!passwordOk || user.disabledAt || locked || published) {
      const reason = locked ? 'account_paused' : user.disabledAt ? 'account_disabled' : published ? 'published_password' : 'wrong_password';
      await this.recordFailure(user, reason, meta);
      return { ok: false };
    }
    const next = user.mfaEnrolledAt ? 'mfa' : this.config.mfaRequired ? 'mfa_enrol' : 'home';
    const token = await this.startSession(user, meta, { method: 'password', mfaSatisfied: next === 'home' });
    return { ok: true, token, next };
  }

  /** A failed first or second factor: audited, counted, and the account paused after too many in a row. */
  async recordFailure(
    user: UserWithRoles,
    reason: string,
    meta: ClientMeta,
    what: 'session.sign_in_failed' | 'session.step_up_failed' = 'session.sign_in_failed',
  ): Promise<void> {
    await this.data.transaction(async (tx) => {
      let failures: number | undefined;
      if (reason !== 'account_paused' && reason !== 'account_disabled') {
        failures = await tx.users.recordFailedSignIn(user.id);
        const until = lockedUntilAfterFailure(failures, this.config.lockoutThreshold, this.now());
        if (until) await tx.users.setLockedUntil(user.id, until);
      }
      await this.audit.record(tx.audit, this.systemContext(meta), {
        what,
        subject: `user:${user.id}`,
        details: { reason, failuresInARow: failures },
      });
    });
  }

  /** Opens a session after the first factor (password or single sign-on). */
  async startSession(user: UserWithRoles, meta: ClientMeta, options: { method: 'password' | 'oidc'; mfaSatisfied: boolean }): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.config.sessionAbsoluteHours * 3_600_000);
    await this.data.transaction(async (tx) => {
      const session = await tx.sessions.create({
        tokenHash: hashToken(token),
        userId: user.id,
        expiresAt,
        userAgent: meta.userAgent?.slice(0, 300) ?? null,
        clientIp: meta.clientIp,
        method: options.method,
        mfaVerifiedAt: options.mfaSatisfied ? now : null,
        now,
      });
      if (options.mfaSatisfied) await tx.users.recordSuccessfulSignIn(user.id, now);
      await this.audit.record(tx.audit, this.userContext(user, session.id, meta), {
        what: options.mfaSatisfied ? 'session.signed_in' : 'session.password_verified',
        subject: `user:${user.id}`,
        details: { method: options.method },
      });
    });
    return token;
  }

  /** The session behind a token, if live: not ended, not idle too long, within its lifetime, user enabled. */
  async resolveSession(token: string): Promise<ResolvedSession | undefined> {
    const tokenHash = hashToken(token);
    const session = await this.data.repos.sessions.findLive(tokenHash);
    if (!session) return undefined;
    const now = this.now();
    if (session.expiresAt <= now || now.getTime() - session.lastSeenAt.getTime() > this.config.sessionIdleMinutes * 60_000) {
      await this.data.repos.sessions.end(tokenHash, now, 'expired');
      return undefined;
    }
    const user = await this.data.repos.users.findById(session.userId);
    if (!user || user.disabledAt) {
      await this.data.repos.sessions.end(tokenHash, now, 'user_disabled');
      return undefined;
    }
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) await this.data.repos.sessions.touch(tokenHash, now);
    return {
      user: toSignedInUser(user),
      sessionId: session.id,
      mfaPending: session.mfaVerifiedAt === null,
      mfaEnrolmentNeeded: session.mfaVerifiedAt === null && !user.mfaEnrolledAt,
      method: session.method as 'password' | 'oidc',
      stepUpFresh: isStepUpFresh(session.steppedUpAt, now, this.config.stepUpMaxAgeMinutes),
    };
  }

  async signOut(token: string, context: RequestContext): Promise<void> {
    await this.data.transaction(async (tx) => {
      const ended = await tx.sessions.end(hashToken(token), this.now(), 'signed_out');
      if (ended && context.actor.type === 'user') {
        await this.audit.record(tx.audit, context, { what: 'session.signed_out', subject: `user:${context.actor.userId}` });
      }
    });
  }

  listSessions(userId: string): Promise<SessionRow[]> {
    return this.data.repos.sessions.listLiveForUser(userId);
  }

  /** Ends one session of a user: their own (from their sessions page) or anyone's (an administrator). */
  async endSession(context: RequestContext, userId: string, sessionId: string, justification?: string): Promise<void> {
    await this.data.transaction(async (tx) => {
      const ended = await tx.sessions.endById(userId, sessionId, this.now(), 'ended_by_user');
      if (!ended) throw new NotFoundError('That session has already ended');
      await this.audit.record(tx.audit, context, { what: 'session.ended', subject: `user:${userId}`, justification, details: { sessionId } });
    });
  }

  async endAllSessions(context: RequestContext, userId: string, justification: string): Promise<number> {
    return this.data.transaction(async (tx) => {
      const count = await tx.sessions.endAllForUser(userId, this.now(), 'ended_by_admin');
      await this.audit.record(tx.audit, context, { what: 'session.all_ended', subject: `user:${userId}`, justification, details: { count } });
      return count;
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
          { what: 'sessions.expired', details: { ended, deleted } },
        );
      }
      return { ended, deleted };
    });
  }

  private systemContext(meta: ClientMeta): RequestContext {
    return { actor: { type: 'system', name: 'sign-in' }, correlationId: meta.correlationId, clientIp: meta.clientIp ?? undefined };
  }

  private userContext(user: UserWithRoles, sessionId: string, meta: ClientMeta): RequestContext {
    return {
      actor: { type: 'user', userId: user.id, username: user.username, roles: user.roles },
      correlationId: meta.correlationId,
      sessionId,
      clientIp: meta.clientIp ?? undefined,
    };
  }
}

export function toSignedInUser(user: UserWithRoles): SignedInUser {
  return { id: user.id, username: user.username, displayName: user.displayName, roles: user.roles };
}
