import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError } from '../../platform/errors.js';
import { verifyPassword } from '../../platform/auth/password.js';
import type { SecretBox } from '../../platform/auth/secret-box.js';
import { matchTotp } from '../../platform/auth/totp.js';
import type { Config } from '../../config.js';
import { hashToken, type AuthService } from './auth.service.js';

export type StepUpOutcome = { ok: true } | { ok: false; field: 'password' | 'code'; message: string };

/** What the step-up page asks of this user. */
export interface StepUpNeeds {
  /** A local account: the password, and the authenticator code when one is enrolled. */
  password: boolean;
  code: boolean;
  /** A single sign-on account: sign in again at the identity provider (prompt=login, max_age=0). */
  sso: boolean;
}

const WRONG = 'Enter your correct password and the current code from your authenticator app';

/**
 * SEC-07 step-up re-authentication. Before a sensitive action (download or export of evidence, releasing a hold,
 * disposal, erasure, changing roles) the user proves again who they are; the session is then elevated for
 * STEP_UP_MAX_AGE_MINUTES. A failure is audited (session.step_up_failed) and counts toward the account's pause like a
 * failed sign-in (ADR 0002 §5); a paused account cannot step up.
 */
export class StepUpService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly auth: AuthService,
    private readonly box: SecretBox,
    private readonly config: Pick<Config, 'passwordHashing'>,
    private readonly now: () => Date,
  ) {}

  async needs(userId: string, method: 'password' | 'oidc'): Promise<StepUpNeeds> {
    const user = await this.data.repos.users.findById(userId);
    if (method === 'oidc' || !user?.passwordHash) return { password: false, code: false, sso: true };
    return { password: true, code: user.mfaEnrolledAt !== null, sso: false };
  }

  /** The local step-up: password, then the TOTP code if the account has one (a code is accepted once). */
  async withPassword(token: string, context: RequestContext, input: { password: string; code: string }): Promise<StepUpOutcome> {
    if (context.actor.type !== 'user') return { ok: false, field: 'password', message: WRONG };
    const user = await this.data.repos.users.findById(context.actor.userId);
    if (!user?.passwordHash) return { ok: false, field: 'password', message: 'Your account signs in with single sign-on: confirm it is you there.' };
    const now = this.now();
    const meta = { userAgent: null, clientIp: context.clientIp ?? null, correlationId: context.correlationId };
    const paused = !!user.lockedUntil && user.lockedUntil > now;
    const passwordOk = await verifyPassword(paused ? undefined : user.passwordHash, input.password, this.config.passwordHashing);
    if (paused || !passwordOk) {
      await this.auth.recordFailure(user, paused ? 'account_paused' : 'step_up_wrong_password', meta, 'session.step_up_failed');
      return { ok: false, field: 'password', message: paused ? 'Your account is paused after too many failed attempts. Wait, then try again.' : WRONG };
    }
    if (user.mfaSecret) {
      let seed: { plaintext: string };
      try {
        seed = this.box.open(user.mfaSecret);
      } catch {
        throw new ConflictError(
          "Your authenticator app cannot be checked because the service's keys have changed. Ask an administrator to reset your authenticator app.",
        );
      }
      const step = matchTotp(seed.plaintext, input.code.trim(), now);
      const fresh = step !== undefined && (await this.data.repos.users.useMfaStep(user.id, step));
      if (!fresh) {
        await this.auth.recordFailure(user, step === undefined ? 'step_up_wrong_code' : 'step_up_replayed_code', meta, 'session.step_up_failed');
        return { ok: false, field: 'code', message: WRONG };
      }
    }
    await this.elevate(token, context, { method: 'password', secondFactor: user.mfaSecret ? 'totp' : 'none' });
    return { ok: true };
  }

  /** The single sign-on step-up came back from the identity provider with a fresh sign-in of this same account. */
  async withSso(token: string, context: RequestContext): Promise<void> {
    await this.elevate(token, context, { method: 'oidc', secondFactor: 'identity_provider' });
  }

  /** A failed single sign-on step-up (another account, a sign-in that was not fresh): audited and counted. */
  async ssoFailed(context: RequestContext, reason: string): Promise<void> {
    if (context.actor.type !== 'user') return;
    const user = await this.data.repos.users.findById(context.actor.userId);
    if (!user) return;
    await this.auth.recordFailure(
      user,
      reason,
      { userAgent: null, clientIp: context.clientIp ?? null, correlationId: context.correlationId },
      'session.step_up_failed',
    );
  }

  private async elevate(token: string, context: RequestContext, details: { method: string; secondFactor: string }): Promise<void> {
    if (context.actor.type !== 'user') return;
    const userId = context.actor.userId;
    const now = this.now();
    await this.data.transaction(async (tx) => {
      await tx.sessions.markSteppedUp(hashToken(token), now);
      await tx.users.clearFailedSignIns(userId);
      await this.audit.record(tx.audit, context, { what: 'session.stepped_up', subject: `user:${userId}`, details });
    });
  }
}
