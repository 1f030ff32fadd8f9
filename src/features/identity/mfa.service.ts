import type { Config } from '../../config.js';
import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import { hashToken, type AuthService, type ClientMeta } from './auth.service.js';
import { UnreadableSecretError, type OpenedSecret, type SecretBox } from '../../platform/auth/secret-box.js';
import { matchTotp, newTotpSecret, otpauthUri } from '../../platform/auth/totp.js';

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

  private openOrUndefined(sealed: string): OpenedSecret | undefined {
    return openQuietly(this.box, sealed);
  }

  /** A new secret to show (QR and typed key); it takes effect only when a code from it is confirmed. */
  async beginEnrolment(userId: string): Promise<{ secret: string; uri: string }> {
    const user = await this.data.repos.users.findById(userId);
    if (!user) throw new NotFoundError('No such user');
    if (user.mfaEnrolledAt) throw new ConflictError('You already have an authenticator app set up. Ask an administrator to reset it if you have lost it.');
    const secret = newTotpSecret();
    await this.data.repos.users.setPendingMfaSecret(user.id, this.box.seal(secret));
    return { secret, uri: otpauthUri(secret, user.username, this.config.serviceName) };
  }

  /** The secret being enrolled, to show the page again after a wrong code (none if the server's key has changed since). */
  async pendingEnrolment(userId: string): Promise<{ secret: string; uri: string } | undefined> {
    const user = await this.data.repos.users.findById(userId);
    if (!user?.mfaPendingSecret) return undefined;
    const secret = this.openOrUndefined(user.mfaPendingSecret)?.plaintext;
    if (secret === undefined) return undefined;
    return { secret, uri: otpauthUri(secret, user.username, this.config.serviceName) };
  }

  /** Confirms enrolment with a code from the app; the current session then counts as fully signed in. */
  async confirmEnrolment(token: string, userId: string, code: string, context: RequestContext): Promise<boolean> {
    const user = await this.data.repos.users.findById(userId);
    if (!user?.mfaPendingSecret) return false;
    const pending = this.openOrUndefined(user.mfaPendingSecret);
    if (!pending) return false;
    const step = matchTotp(pending.plaintext, code, this.now());
    if (step === undefined) {
      await this.auth.recordFailure(user, 'wrong_mfa_code', metaOf(context));
      return false;
    }
    const now = this.now();
    await this.data.transaction(async (tx) => {
      // Sealed afresh, so a seed shown under a previous key is kept under the current one.
      await tx.users.confirmMfa(user.id, this.box.seal(pending.plaintext), now, step);
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
    const seed = this.openOrUndefined(user.mfaSecret);
    if (!seed)
      throw new ConflictError(
        "Your authenticator app cannot be checked because the service's keys have changed. Ask an administrator to reset your authenticator app, then set it up again.",
      );
    const step = matchTotp(seed.plaintext, code, now);
    const fresh = step !== undefined && (await this.data.repos.users.useMfaStep(user.id, step));
    if (!fresh) {
      await this.auth.recordFailure(user, step === undefined ? 'wrong_mfa_code' : 'replayed_mfa_code', metaOf(context));
      return false;
    }
    await this.data.transaction(async (tx) => {
      await tx.sessions.markMfaVerified(hashToken(token), now);
      await tx.users.recordSuccessfulSignIn(user.id, now);
      // Key rotation (ADR 0008): a seed sealed under a previous key or format is sealed again under the current one.
      if (seed.stale) await tx.users.resealMfaSecrets(user.id, { mfaSecret: user.mfaSecret! }, { mfaSecret: this.box.seal(seed.plaintext) });
      await this.audit.record(tx.audit, context, {
        what: 'session.signed_in',
        subject: `user:${user.id}`,
        details: { secondFactor: 'totp', ...(seed.stale ? { seedResealed: true } : {}) },
      });
    });
    return true;
  }

  /**
   * Seals every stored TOTP seed under the current key (ADR 0008 rotation): run once SESSION_SECRET has changed, so
   * SESSION_SECRET_PREVIOUS can be removed. `box` opens the seeds (the CLI may add an older secret typed by the
   * operator); they are sealed with the current key. Seeds no key opens are counted; those users need a reset.
   */
  async resealAll(context: RequestContext, box: SecretBox = this.box): Promise<{ resealed: number; current: number; unreadable: number }> {
    const counts = { resealed: 0, current: 0, unreadable: 0 };
    const unreadableUsers: string[] = [];
    for (const row of await this.data.repos.users.listSealedMfaSecrets()) {
      const before = { mfaSecret: row.mfaSecret, mfaPendingSecret: row.mfaPendingSecret };
      const after = { ...before };
      let unreadable = false;
      for (const field of ['mfaSecret', 'mfaPendingSecret'] as const) {
        const sealed = before[field];
        if (sealed === null) continue;
        const opened = openQuietly(box, sealed);
        if (!opened) unreadable = true;
        else if (opened.stale) after[field] = this.box.seal(opened.plaintext);
      }
      if (unreadable) {
        counts.unreadable += 1;
        unreadableUsers.push(row.id);
      } else if (after.mfaSecret !== before.mfaSecret || after.mfaPendingSecret !== before.mfaPendingSecret) {
        // Compare-and-set: a seed changed meanwhile (a sign-in re-sealed it, a reset cleared it) is left as it is.
        if (await this.data.repos.users.resealMfaSecrets(row.id, before, after)) counts.resealed += 1;
      } else counts.current += 1;
    }
    await this.data.transaction((tx) => this.audit.record(tx.audit, context, { what: 'mfa.seeds_resealed', details: { ...counts, unreadableUsers } }));
    return counts;
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

function openQuietly(box: SecretBox, sealed: string): OpenedSecret | undefined {
  try {
    return box.open(sealed);
  } catch (error) {
    if (error instanceof UnreadableSecretError || (error instanceof Error && error.message === 'Not a sealed secret')) return undefined;
    throw error;
  }
}

function metaOf(context: RequestContext): ClientMeta {
  return { userAgent: null, clientIp: context.clientIp ?? null, correlationId: context.correlationId };
}
