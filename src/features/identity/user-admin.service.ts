import type { DataAccess, Repositories } from '../../data-access.js';
import { leavesNoAdministrator, planRoleChange, roleGrantApprovalRefusal } from '../../domain/role-grants.js';
import { isRole, ROLES, type Role } from '../../domain/roles.js';
import type { AuditEventInput, AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { type AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { hashPassword, STANDARD_PASSWORD_HASHING, type PasswordHashing } from '../../platform/auth/password.js';
import { DEMO_PASSWORD, passwordProblem } from '../../platform/auth/password-policy.js';
import type { RoleGrantRequestRow, RoleGrantRequestView } from './role-grants.repository.js';
import type { UserWithRoles } from './users.repository.js';

/** A user with their roles, for the features that show users (they never import this feature's repository). */
export type { UserWithRoles };

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function parseRoles(input: string | readonly string[]): Role[] {
  const names = (typeof input === 'string' ? input.split(',') : input).map((r) => r.trim()).filter(Boolean);
  if (names.length === 0) throw new ValidationError(`Give at least one role: ${ROLES.join(', ')}`);
  const unknown = names.filter((n) => !isRole(n));
  if (unknown.length > 0) throw new ValidationError(`Unknown role ${unknown.map((u) => `"${u}"`).join(', ')}; roles are ${ROLES.join(', ')}`);
  return [...new Set(names)] as Role[];
}

/** An account as changed, and the roles asked for that now wait for a second administrator. */
export type ChangedUser = UserWithRoles & { pendingRoles: Role[] };

const LAST_ADMINISTRATOR =
  'This is the last active administrator: give another account the administrator role first (approved by a second administrator, or with `rvr user set-role` on the server).';

/** A refusal to log in its own transaction (so it is kept though the change is not), then to throw. */
class Refusal {
  constructor(
    readonly error: AppError,
    readonly event: AuditEventInput,
  ) {}
}

/**
 * Creating, disabling and re-roling staff accounts; each change is audited with who did it.
 *
 * Two-person rule (issue 12 item 6, SEC-11): an administrator signed in to the service cannot give the admin, dpo,
 * evidence_manager or professional_standards role alone. The change makes a pending request, which another
 * administrator (neither the requester nor the recipient) approves or refuses. The server operator's CLI is the
 * break-glass path: it creates the first administrator and may give any role directly, audited as the operator.
 * No change may leave the service without an active administrator.
 */
export class UserAdminService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
    private readonly passwordHashing: PasswordHashing = STANDARD_PASSWORD_HASHING,
  ) {}

  async create(context: RequestContext, input: { username: string; displayName: string; password: string; roles: readonly Role[] }): Promise<ChangedUser> {
    const username = input.username.trim().toLowerCase();
    const displayName = input.displayName.trim();
    const errors: Record<string, string> = {};
    if (!USERNAME.test(username))
      errors.username = 'Username must be 2 to 64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit';
    if (displayName.length < 1 || displayName.length > 100) errors.displayName = 'Name must be 1 to 100 characters';
    const weak = passwordProblem(input.password, { username, displayName });
    if (weak) errors.password = weak;
    if (input.roles.length === 0) errors.roles = 'Give at least one role';
    if (Object.keys(errors).length > 0) throw new ValidationError(Object.values(errors).join('; '), errors);
    return this.createAccount(context, {
      username,
      displayName,
      roles: input.roles,
      passwordHash: await hashPassword(input.password, this.passwordHashing),
      isDemo: false,
    });
  }

  /**
   * The demo seeder's accounts (development only: the seeder is refused in production, and a demo account cannot
   * sign in there). The only way an account gets the published demo password.
   */
  async createDemoAccount(context: RequestContext, input: { username: string; displayName: string; roles: readonly Role[] }): Promise<ChangedUser> {
    return this.createAccount(context, { ...input, passwordHash: await hashPassword(DEMO_PASSWORD, this.passwordHashing), isDemo: true });
  }

  private async createAccount(
    context: RequestContext,
    input: { username: string; displayName: string; roles: readonly Role[]; passwordHash: string; isDemo: boolean },
  ): Promise<ChangedUser> {
    const plan = planRoleChange([], input.roles, twoPersonRuleApplies(context));
    return this.data.transaction(async (tx) => {
      if (await tx.users.findByUsername(input.username)) throw new ConflictError(`A user called "${input.username}" already exists`);
      const user = await tx.users.create({ ...input, roles: plan.roles });
      await this.audit.record(tx.audit, context, {
        what: 'user.created',
        subject: `user:${user.id}`,
        details: { roles: plan.roles, isDemo: input.isDemo, ...(plan.pending.length > 0 ? { awaitingApproval: plan.pending } : {}) },
      });
      await this.requestGrants(tx, context, user.id, plan.pending, 'asked for when the account was created');
      return { ...user, pendingRoles: plan.pending };
    });
  }

  /** Disabling ends every session of the user at once. The last active administrator cannot be disabled. */
  async disable(context: RequestContext, username: string, justification: string): Promise<UserWithRoles> {
    return this.refusalsLogged(context, async (tx) => {
      await tx.users.lockAdministrators();
      const user = await this.requireUser(tx.users, username);
      if (user.disabledAt) throw new ConflictError(`User "${user.username}" is already disabled`);
      const refusal = await this.lastAdministratorRefusal(tx, user, true, 'disable', justification);
      if (refusal) return refusal;
      const at = this.now();
      await tx.users.disable(user.id, at);
      const sessionsEnded = await tx.sessions.endAllForUser(user.id, at, 'user_disabled');
      await this.audit.record(tx.audit, context, { what: 'user.disabled', subject: `user:${user.id}`, justification, details: { sessionsEnded } });
      return { ...user, disabledAt: at };
    });
  }

  async enable(context: RequestContext, username: string, justification: string): Promise<UserWithRoles> {
    return this.data.transaction(async (tx) => {
      const user = await this.requireUser(tx.users, username);
      if (!user.disabledAt) throw new ConflictError(`User "${user.username}" is already active`);
      await tx.users.enable(user.id);
      await this.audit.record(tx.audit, context, { what: 'user.enabled', subject: `user:${user.id}`, justification });
      return { ...user, disabledAt: null };
    });
  }

  /**
   * Sets an account's roles. Removals and ordinary roles take effect at once; an administrator's grant of a role
   * that needs a second administrator becomes a pending request instead. Removing the administrator role from the
   * last active administrator is refused.
   */
  async setRoles(context: RequestContext, username: string, roles: readonly Role[], justification: string): Promise<ChangedUser> {
    return this.refusalsLogged(context, async (tx) => {
      await tx.users.lockAdministrators();
      const user = await this.requireUser(tx.users, username);
      const plan = planRoleChange(user.roles, roles, twoPersonRuleApplies(context));
      const refusal = await this.lastAdministratorRefusal(tx, user, plan.removed.includes('admin'), 'remove_admin_role', justification);
      if (refusal) return refusal;
      if (plan.added.length > 0 || plan.removed.length > 0) {
        await tx.users.replaceRoles(user.id, plan.roles);
        // A request for a role now given directly (the operator's break-glass) is settled by it.
        const settledRequests = await tx.roleGrants.closeGiven(user.id, plan.added, {
          decidedBy: context.actor.type === 'user' ? context.actor.userId : null,
          decidedAt: this.now(),
          decisionReason: `Given directly by ${context.actor.type === 'cli' ? 'the server operator (CLI)' : 'the system'}: ${justification}`,
        });
        await this.audit.record(tx.audit, context, {
          what: 'user.roles_changed',
          subject: `user:${user.id}`,
          justification,
          details: { from: user.roles, to: plan.roles, ...(settledRequests.length > 0 ? { settledRequests } : {}) },
        });
      }
      await this.requestGrants(tx, context, user.id, plan.pending, justification);
      return { ...user, roles: plan.roles, pendingRoles: plan.pending };
    });
  }

  /** Role grants waiting for a second administrator, oldest first. */
  /** One user with their roles, for the administrator's page and the user's own account page. */
  async find(userId: string): Promise<UserWithRoles | undefined> {
    return this.data.repos.users.findById(userId);
  }

  async pendingRoleGrants(): Promise<RoleGrantRequestView[]> {
    return this.data.repos.roleGrants.list({ state: 'pending' });
  }

  /** One account's role grant requests, newest first. */
  async roleGrantsFor(userId: string): Promise<RoleGrantRequestView[]> {
    return this.data.repos.roleGrants.list({ userId });
  }

  /**
   * A second administrator approves a pending grant: the role is added. Never the requester, never the recipient
   * (403, and the attempt is audited); a request already decided, or for a disabled account, is a 409.
   */
  async approveRoleGrant(context: RequestContext, requestId: string, reason: string): Promise<RoleGrantRequestRow> {
    const decision = requireDecisionReason(reason);
    const approver = this.administrator(context, 'approve a role');
    return this.refusalsLogged(context, async (tx) => {
      const request = await this.requirePending(tx, requestId);
      const refused = roleGrantApprovalRefusal(request, approver);
      if (refused)
        return new Refusal(new ForbiddenError(refused), {
          what: 'user.role_grant_approval_refused',
          subject: `user:${request.userId}`,
          justification: decision,
          details: { requestId, role: request.role, requestedBy: request.requestedBy },
        });
      const user = await tx.users.findById(request.userId);
      if (!user) throw new NotFoundError('No such user');
      if (user.disabledAt) throw new ConflictError(`User "${user.username}" is disabled: enable the account before giving it a role`);
      const at = this.now();
      await tx.roleGrants.decide(requestId, { state: 'approved', decidedBy: approver, decidedAt: at, decisionReason: decision });
      const role = request.role as Role;
      const roles = user.roles.includes(role) ? user.roles : [...user.roles, role];
      if (roles !== user.roles) await tx.users.replaceRoles(user.id, roles);
      await this.audit.record(tx.audit, context, {
        what: 'user.role_grant_approved',
        subject: `user:${user.id}`,
        justification: decision,
        details: { requestId, role, requestedBy: request.requestedBy, requestReason: request.reason },
      });
      await this.audit.record(tx.audit, context, {
        what: 'user.roles_changed',
        subject: `user:${user.id}`,
        justification: decision,
        details: { from: user.roles, to: roles, roleGrantRequest: requestId },
      });
      return { ...request, state: 'approved', decidedBy: approver, decidedAt: at, decisionReason: decision };
    });
  }

  /** Another administrator refuses a pending grant; the requester refusing their own request withdraws it. */
  async refuseRoleGrant(context: RequestContext, requestId: string, reason: string): Promise<RoleGrantRequestRow> {
    const decision = requireDecisionReason(reason);
    const decider = this.administrator(context, 'refuse a role');
    return this.data.transaction(async (tx) => {
      const request = await this.requirePending(tx, requestId);
      const state = decider === request.requestedBy ? 'withdrawn' : 'refused';
      const at = this.now();
      await tx.roleGrants.decide(requestId, { state, decidedBy: decider, decidedAt: at, decisionReason: decision });
      await this.audit.record(tx.audit, context, {
        what: state === 'withdrawn' ? 'user.role_grant_withdrawn' : 'user.role_grant_refused',
        subject: `user:${request.userId}`,
        justification: decision,
        details: { requestId, role: request.role, requestedBy: request.requestedBy },
      });
      return { ...request, state, decidedBy: decider, decidedAt: at, decisionReason: decision };
    });
  }

  private administrator(context: RequestContext, action: string): string {
    if (context.actor.type !== 'user') throw new ForbiddenError(`Only an administrator signed in to the service can ${action} grant`);
    return context.actor.userId;
  }

  private async requirePending(tx: Repositories, requestId: string): Promise<RoleGrantRequestRow> {
    const request = await tx.roleGrants.lock(requestId);
    if (!request) throw new NotFoundError('There is no role request with that id');
    if (request.state !== 'pending') throw new ConflictError(`That role request has already been ${request.state}`);
    return request;
  }

  private async requestGrants(tx: Repositories, context: RequestContext, userId: string, roles: readonly Role[], reason: string): Promise<void> {
    if (roles.length === 0) return;
    if (context.actor.type !== 'user') throw new ForbiddenError('Only an administrator can ask for a role to be given');
    for (const role of roles) {
      if (await tx.roleGrants.findPending(userId, role)) continue;
      const request = await tx.roleGrants.create({ userId, role, requestedBy: context.actor.userId, requestedAt: this.now(), reason });
      await this.audit.record(tx.audit, context, {
        what: 'user.role_grant_requested',
        subject: `user:${userId}`,
        justification: reason,
        details: { requestId: request.id, role },
      });
    }
  }

  /** A refusal when the change would leave no active administrator (call with the administrators locked). */
  private async lastAdministratorRefusal(
    tx: Repositories,
    user: UserWithRoles,
    losesAdministration: boolean,
    attempted: string,
    justification: string,
  ): Promise<Refusal | undefined> {
    const removesAnActiveAdministrator = losesAdministration && user.roles.includes('admin') && !user.disabledAt;
    const active = removesAnActiveAdministrator ? (await tx.users.enabledIdsWithRole('admin')).length : 0;
    if (!leavesNoAdministrator(active, removesAnActiveAdministrator)) return undefined;
    return new Refusal(new ConflictError(LAST_ADMINISTRATOR), {
      what: 'user.change_refused',
      subject: `user:${user.id}`,
      justification,
      details: { attempted, reason: 'last_active_administrator' },
    });
  }

  /** Runs `work` in a transaction; a Refusal it returns is rolled back, logged in a transaction of its own, and thrown. */
  private async refusalsLogged<T>(context: RequestContext, work: (tx: Repositories) => Promise<T | Refusal>): Promise<T> {
    const outcome = await this.data.transaction(async (tx) => {
      const result = await work(tx);
      return result instanceof Refusal ? { refusal: result } : { result };
    });
    if ('refusal' in outcome && outcome.refusal) {
      const { error, event } = outcome.refusal;
      await this.data.transaction((tx) => this.audit.record(tx.audit, context, event));
      throw error;
    }
    return (outcome as { result: T }).result;
  }

  private async requireUser(users: DataAccess['repos']['users'], username: string): Promise<UserWithRoles> {
    const user = await users.findByUsername(username.trim());
    if (!user) throw new NotFoundError(`No user called "${username}"`);
    return user;
  }
}

/** The two-person rule binds administrators using the service; the server operator's CLI and the system do not. */
function twoPersonRuleApplies(context: RequestContext): boolean {
  return context.actor.type !== 'cli' && context.actor.type !== 'system';
}

function requireDecisionReason(reason: string): string {
  const trimmed = reason.trim();
  if (trimmed.length === 0) throw new ValidationError('Give a reason for this decision', { reason: 'Give a reason for this decision' });
  if (trimmed.length > 1000)
    throw new ValidationError('The reason must be 1,000 characters or fewer', { reason: 'The reason must be 1,000 characters or fewer' });
  return trimmed;
}
