import type { Role } from '../../domain/roles.js';

/** The RVR roles a user's identity-provider claim (app roles or groups; a string or a list) maps to. */
export function rolesFromClaims(claims: Record<string, unknown>, rolesClaim: string, mapping: Record<string, Role[]>): Role[] {
  const raw = claims[rolesClaim];
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  // Own keys only: a claim value such as "constructor" must not reach Object.prototype.
  const roles = values.filter((value): value is string => typeof value === 'string' && Object.hasOwn(mapping, value)).flatMap((value) => mapping[value] ?? []);
  return [...new Set(roles)].sort();
}
