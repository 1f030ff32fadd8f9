import type { DataAccess } from '../../data-access.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { AppError, ForbiddenError } from '../../platform/errors.js';
import type { AuthService, ClientMeta } from './auth.service.js';
import type { OidcConfig } from '../../platform/auth/oidc-config.js';
import { OidcLoginError, type OidcClient, type OidcLoginRequest } from '../../platform/auth/oidc-client.js';
import { rolesFromClaims } from '../../platform/auth/oidc-roles.js';

/**
 * Single sign-on with the force's identity provider (Entra ID or any OIDC provider). The provider is the
 * source of truth for roles (mapped from a claim) and enforces its own MFA; RVR keeps the account record,
 * sessions and the audit trail.
 */
export class SsoService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly auth: AuthService,
    private readonly client: OidcClient,
    private readonly config: OidcConfig,
  ) {}

  startLogin(): Promise<{ url: string; request: OidcLoginRequest }> {
    return this.client.startLogin();
  }

  /** SEC-07: send an SSO user back to the provider to sign in again now, to step up this session. */
  async startStepUp(returnTo: string, now: Date): Promise<{ url: string; request: OidcLoginRequest }> {
    const started = await this.client.startLogin({ reauthenticate: true });
    return { url: started.url, request: { ...started.request, stepUp: { returnTo, startedAt: now.getTime() } } };
  }

  /**
   * SEC-07: the provider's answer to a step-up: the same account as the session's (issuer and subject), signed in
   * afresh (auth_time no earlier than a minute before the step-up began). Says why not, for the audit log.
   */
  async checkStepUp(callbackUrl: URL, request: OidcLoginRequest, userId: string): Promise<{ ok: true } | { ok: false; reason: string; message: string }> {
    let identity;
    try {
      identity = await this.client.finishLogin(callbackUrl, request);
    } catch (error) {
      if (error instanceof OidcLoginError) return { ok: false, reason: 'sso_step_up_refused', message: error.message };
      throw error;
    }
    const user = await this.data.repos.users.findByOidcIdentity(identity.issuer, identity.subject);
    if (!user || user.id !== userId)
      return { ok: false, reason: 'sso_step_up_other_account', message: 'You signed in as someone else. Sign in again with your own account.' };
    const startedAt = request.stepUp?.startedAt ?? 0;
    if (identity.authTime === undefined || identity.authTime * 1000 < startedAt - 60_000)
      return { ok: false, reason: 'sso_step_up_not_fresh', message: 'Your force sign-in service did not ask you to sign in again. Try again.' };
    return { ok: true };
  }

  /** Completes the code flow and opens a session; refuses clearly when the account has no RVR role or is disabled. */
  async finishLogin(callbackUrl: URL, request: OidcLoginRequest, meta: ClientMeta): Promise<string> {
    let identity;
    try {
      identity = await this.client.finishLogin(callbackUrl, request);
    } catch (error) {
      if (error instanceof OidcLoginError) throw new AppError(400, error.message);
      throw error;
    }
    const roles = rolesFromClaims(identity.claims, this.config.rolesClaim, this.config.roleMapping);
    const system = { actor: { type: 'system' as const, name: 'sso' }, correlationId: meta.correlationId, clientIp: meta.clientIp ?? undefined };
    const refuse = async (reason: string, message: string, userId?: string): Promise<never> => {
      await this.data.transaction((tx) =>
        this.audit.record(tx.audit, system, {
          what: 'session.sign_in_failed',
          subject: userId ? `user:${userId}` : undefined,
          details: { reason, method: 'oidc' },
        }),
      );
      throw new ForbiddenError(message);
    };
    if (roles.length === 0) {
      return refuse('no_rvr_role', 'Your force account is not given any RVR role. Ask your RVR administrator to add you to an RVR group.');
    }
    let user = await this.data.repos.users.findByOidcIdentity(identity.issuer, identity.subject);
    if (user?.disabledAt) return refuse('account_disabled', 'Your RVR account is disabled. Ask your RVR administrator.', user.id);
    if (!user) {
      // Never link to an existing local account by username: that would let an IdP account take it over.
      if (await this.data.repos.users.findByUsername(identity.username)) {
        return refuse('username_taken', `An RVR account called "${identity.username}" already exists. Ask your RVR administrator to link it.`);
      }
      user = await this.data.transaction(async (tx) => {
        const created = await tx.users.create({ username: identity.username, displayName: identity.displayName, passwordHash: null, roles, oidc: identity });
        await this.audit.record(tx.audit, system, { what: 'user.created', subject: `user:${created.id}`, details: { roles, method: 'oidc' } });
        return created;
      });
    } else if ([...user.roles].sort().join() !== [...roles].sort().join() || user.displayName !== identity.displayName) {
      const previous = user.roles;
      await this.data.transaction(async (tx) => {
        await tx.users.replaceRoles(user!.id, roles);
        await tx.users.linkOidcIdentity(user!.id, identity.issuer, identity.subject, identity.displayName);
        await this.audit.record(tx.audit, system, {
          what: 'user.roles_changed',
          subject: `user:${user!.id}`,
          details: { from: previous, to: roles, source: 'identity provider' },
        });
      });
      user = { ...user, roles, displayName: identity.displayName };
    }
    return this.auth.startSession(user, meta, { method: 'oidc', mfaSatisfied: true });
  }
}
