import type { Config } from '../../config.js';
import type { DataAccess } from '../../composition.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { RequestContext } from '../context.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { hashToken, type AuthService, type ClientMeta } from './auth.service.js';
import type { SecretBox } from './secret-box.js';
import { matchTotp, newTotpSecret, otpauthUri } from './totp.js';

/** TOTP second factor (SEC-08): enrolment with a QR code or typed key, verification, reset by an administrator. */
export class MfaService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly auth: AuthService,
    private readonly box: SecretBox,
    private readonly config: Pick<Config, 'serviceName'>,
    private readonly now: () => Date,
  ) {}

  /** A new secret to show (QR and typed key); it takes effect only when a code from it is confirmed. */
  async beginEnrolment(userId: string): Promise<{ secret: string; uri: string }> {
    const user = await this.data.repos.users.findById(userId);
    if (!user) throw new NotFoundError('No such user');
    if (user.mfaEnrolledAt) throw new ConflictError('You already have an authenticator app set up. Ask an administrator to reset it if you have lost it.');
    const secret = newTotpSecret();
    await this.data.repos.users.setPendingMfaSecret(user.id, this.box.seal(secret));
    return { secret, uri: otpauthUri(secret, user.username, this.config.serviceName) };
  }

  /** The secret being enrolled, to show the page again after a wrong code. */
  async pendingEnrolment(userId: string): Promise<{ secret: string; uri: string } | undefined> {
    const user = await this.data.repos.users.findById(userId);
    if (!user?.mfaPendingSecret) return undefined;
    const secret = this.box.open(user.mfaPendingSecret);
    return { secret, uri: otpauthUri(secret, user.username, this.config.serviceName) };
  }

  /** Confirms enrolment with a code from the app; the current session then counts as fully signed in. */
  async confirmEnrolment(token: string, userId: string, code: string, context: RequestContext): Promise<boolean> {
    const user = await this.data.repos.users.findById(userId);
    if (!user?.mfaPendingSecret) return false;
    const step = matchTotp(this.box.open(user.mfaPendingSecret), code, this.now());
    if (step === undefined) {
      await this.auth.recordFailure(user, 'wrong_mfa_code', metaOf(context));
      return false;
    }
    const now = this.now();
    await this.data.transaction(async (tx) => {
      await tx.users.confirmMfa(user.id, user.mfaPendingSecret!, now, step);
      await tx.sessions.markMfaVerified(hashToken(token), now);
      await tx.users.recordSuccessfulSignIn(user.id, now);
      await this.audit.record(tx.audit, context, { what: 'mfa.enrolled', subject: `user:${user.id}` });
      await this.audit.record(tx.audit, context, { what: 'session.signed_in', subject: `user:${user.id}`, details: { secondFactor: 'totp' } });
    });
    return true;
  }

  /** The second step of sign-in. A code is accepted once; a wrong code counts toward the account pause. */
  async verify(token: string, userId: string, code: string, context: RequestContext): Promise<boolean> {
    const user = await this.data.repos.users.findById(userId);
    if (!user?.mfaSecret) return false;
    const now = this.now();
    if (user.lockedUntil && user.lockedUntil > now) {
      await this.auth.recordFailure(user, 'account_paused', metaOf(context));
      return false;
    }
    const step = matchTotp(this.box.open(user.mfaSecret), code, now);
    const fresh = step !== undefined && (await this.data.repos.users.useMfaStep(user.id, step));
    if (!fresh) {
      await this.auth.recordFailure(user, step === undefined ? 'wrong_mfa_code' : 'replayed_mfa_code', metaOf(context));
      return false;
    }
    await this.data.transaction(async (tx) => {
      await tx.sessions.markMfaVerified(hashToken(token), now);
      await tx.users.recordSuccessfulSignIn(user.id, now);
      await this.audit.record(tx.audit, context, { what: 'session.signed_in', subject: `user:${user.id}`, details: { secondFactor: 'totp' } });
    });
    return true;
  }

  /** An administrator clears a lost authenticator: the user enrols again at next sign-in; their sessions end. */
  async reset(context: RequestContext, userId: string, justification: string): Promise<void> {
    await this.data.transaction(async (tx) => {
      const user = await tx.users.findById(userId);
      if (!user) throw new NotFoundError('No such user');
      await tx.users.clearMfa(user.id);
      const sessionsEnded = await tx.sessions.endAllForUser(user.id, this.now(), 'mfa_reset');
      await this.audit.record(tx.audit, context, { what: 'mfa.reset', subject: `user:${user.id}`, justification, details: { sessionsEnded } });
    });
  }
}

function metaOf(context: RequestContext): ClientMeta {
  return { userAgent: null, clientIp: context.clientIp ?? null, correlationId: context.correlationId };
}
