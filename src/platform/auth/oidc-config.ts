import { isRole, ROLES, type Role } from '../../domain/roles.js';

export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Where the provider sends the browser back; register this exact URL with the provider. */
  redirectUri: string;
  scopes: string[];
  /** The claim holding app roles ("roles" in Entra ID) or groups ("groups"). */
  rolesClaim: string;
  /** Claim value (app role value or group id) → RVR roles. */
  roleMapping: Record<string, Role[]>;
  usernameClaim: string;
  displayNameClaim: string;
  /** Plain-http issuer, allowed only outside production (a provider on this machine in tests). */
  allowInsecureIssuer: boolean;
}

type Env = Record<string, string | undefined>;

export const OIDC_CALLBACK_PATH = '/sign-in/oidc/callback';

/** Single sign-on settings from OIDC_* variables; undefined (and no problems) when OIDC_ISSUER_URL is unset. */
export function parseOidcConfig(env: Env, publicBaseUrl: string, production: boolean): { config: OidcConfig | undefined; problems: string[] } {
  const get = (name: string) => env[name]?.trim() || undefined;
  const issuerUrl = get('OIDC_ISSUER_URL');
  if (!issuerUrl) return { config: undefined, problems: [] };

  const problems: string[] = [];
  const insecure = checkIssuer(issuerUrl, production, problems);
  const clientId = get('OIDC_CLIENT_ID');
  const clientSecret = get('OIDC_CLIENT_SECRET');
  if (!clientId) problems.push('OIDC_CLIENT_ID is required when OIDC_ISSUER_URL is set (the application (client) ID)');
  if (!clientSecret) problems.push('OIDC_CLIENT_SECRET is required when OIDC_ISSUER_URL is set (a client secret issued by the identity provider)');
  const scopes = (get('OIDC_SCOPES') ?? 'openid profile email').split(/\s+/);
  if (!scopes.includes('openid')) problems.push(`OIDC_SCOPES must include openid (got "${scopes.join(' ')}")`);
  const roleMapping = parseRoleMapping(get('OIDC_ROLE_MAPPING') ?? '', problems);

  if (problems.length > 0 || !clientId || !clientSecret) return { config: undefined, problems };
  return {
    config: {
      issuerUrl,
      clientId,
      clientSecret,
      redirectUri: `${publicBaseUrl.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}`,
      scopes,
      rolesClaim: get('OIDC_ROLES_CLAIM') ?? 'roles',
      roleMapping,
      usernameClaim: get('OIDC_USERNAME_CLAIM') ?? 'preferred_username',
      displayNameClaim: get('OIDC_DISPLAY_NAME_CLAIM') ?? 'name',
      allowInsecureIssuer: insecure && !production,
    },
    problems: [],
  };
}

/** Records what is wrong with the issuer URL; returns whether it is plain http. */
function checkIssuer(issuerUrl: string, production: boolean, problems: string[]): boolean {
  let issuer: URL;
  try {
    issuer = new URL(issuerUrl);
  } catch {
    problems.push(`OIDC_ISSUER_URL must be an absolute URL such as https://login.microsoftonline.com/<tenant-id>/v2.0 (got "${issuerUrl}")`);
    return false;
  }
  if (issuer.protocol === 'https:') return false;
  if (issuer.protocol !== 'http:') problems.push(`OIDC_ISSUER_URL must be an https:// URL (got "${issuerUrl}")`);
  else if (production) problems.push('OIDC_ISSUER_URL must be an https:// URL in production');
  return issuer.protocol === 'http:';
}

/**
 * "RVR.Officer=rvr_officer,RVR.Admin=admin+dpo". Required: with no mapping every single sign-on would be refused for
 * want of a role, so it is better to say so at start-up.
 */
function parseRoleMapping(text: string, problems: string[]): Record<string, Role[]> {
  // A Map, not an object literal: claim values such as __proto__ or constructor are plain keys here.
  const mapping = new Map<string, Role[]>();
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const separator = entry.lastIndexOf('=');
    const value = entry.slice(0, separator).trim();
    const roles = entry
      .slice(separator + 1)
      .split('+')
      .map((role) => role.trim())
      .filter(Boolean);
    if (separator < 0 || !value || roles.length === 0) {
      problems.push(`OIDC_ROLE_MAPPING entry "${entry}" must look like ClaimValue=role or ClaimValue=role1+role2`);
      continue;
    }
    const unknown = roles.filter((role) => !isRole(role));
    if (unknown.length > 0) {
      problems.push(`OIDC_ROLE_MAPPING maps "${value}" to unknown role ${unknown.map((r) => `"${r}"`).join(', ')}; the roles are ${ROLES.join(', ')}`);
      continue;
    }
    mapping.set(value, [...new Set([...(mapping.get(value) ?? []), ...roles.filter(isRole)])]);
  }
  if (entries.length === 0) {
    problems.push('OIDC_ROLE_MAPPING is required with single sign-on: map app roles or groups to RVR roles, e.g. RVR.Officer=rvr_officer,RVR.Admin=admin');
  }
  return Object.fromEntries(mapping);
}
