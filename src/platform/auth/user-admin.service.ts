import type { DataAccess } from '../../composition.js';
import { isRole, ROLES, type Role } from '../../domain/roles.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { RequestContext } from '../context.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { hashPassword } from './password.js';
import { passwordProblem } from './password-policy.js';
import type { UserWithRoles } from './users.repository.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function parseRoles(input: string | readonly string[]): Role[] {
  const names = (typeof input === 'string' ? input.split(',') : input).map((r) => r.trim()).filter(Boolean);
  if (names.length === 0) throw new ValidationError(`Give at least one role: ${ROLES.join(', ')}`);
  const unknown = names.filter((n) => !isRole(n));
  if (unknown.length > 0) throw new ValidationError(`Unknown role ${unknown.map((u) => `"${u}"`).join(', ')}; roles are ${ROLES.join(', ')}`);
  return [...new Set(names)] as Role[];
}

/** Creating, disabling and re-roling staff accounts; each change is audited with who did it. */
export class UserAdminService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  async create(
    context: RequestContext,
    input: { username: string; displayName: string; password: string; roles: readonly Role[]; isDemo?: boolean },
  ): Promise<UserWithRoles> {
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
    const passwordHash = await hashPassword(input.password);
    return this.data.transaction(async (tx) => {
      if (await tx.users.findByUsername(username)) throw new ConflictError(`A user called "${username}" already exists`);
      const user = await tx.users.create({ username, displayName, passwordHash, roles: input.roles, isDemo: input.isDemo });
      await this.audit.record(tx.audit, context, {
        what: 'user.created',
        subject: `user:${user.id}`,
        details: { roles: input.roles, isDemo: input.isDemo ?? false },
      });
      return user;
    });
  }

  /** Disabling ends every session of the user at once. */
  async disable(context: RequestContext, username: string, justification: string): Promise<UserWithRoles> {
    return this.data.transaction(async (tx) => {
      const user = await this.requireUser(tx.users, username);
      if (user.disabledAt) throw new ConflictError(`User "${user.username}" is already disabled`);
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

  async setRoles(context: RequestContext, username: string, roles: readonly Role[], justification: string): Promise<UserWithRoles> {
    return this.data.transaction(async (tx) => {
      const user = await this.requireUser(tx.users, username);
      await tx.users.replaceRoles(user.id, roles);
      await this.audit.record(tx.audit, context, {
        what: 'user.roles_changed',
        subject: `user:${user.id}`,
        justification,
        details: { from: user.roles, to: roles },
      });
      return { ...user, roles: [...roles] };
    });
  }

  private async requireUser(users: DataAccess['repos']['users'], username: string): Promise<UserWithRoles> {
    const user = await users.findByUsername(username.trim());
    if (!user) throw new NotFoundError(`No user called "${username}"`);
    return user;
  }
}
