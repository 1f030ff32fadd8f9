/**
 * SEC-07 step-up re-authentication: pure rules. Sensitive actions (download or export of evidence, releasing a hold,
 * disposal, erasure, changing roles) need the user to have proved again, recently, that they are who the session says.
 */

/** The elevation is fresh when the last step-up on this session is no older than `maxAgeMinutes` (and not in the future). */
export function isStepUpFresh(steppedUpAt: Date | null | undefined, now: Date, maxAgeMinutes: number): boolean {
  if (!steppedUpAt) return false;
  const age = now.getTime() - steppedUpAt.getTime();
  return age >= 0 && age <= maxAgeMinutes * 60_000;
}

/** Where the step-up page sends someone with no (or an unsafe) return address. */
export const STEP_UP_DEFAULT_RETURN = '/';

const ORIGIN = 'http://rvr.invalid';

/**
 * A return address after step-up, made safe (no open redirect): only a path on this service. Anything that could
 * leave it (`//host`, `/\host`, `https://…`, `javascript:`, control characters, encoded slashes that a browser might
 * read as another host) gives the default. The result is the normalised path and query.
 */
export function safeReturnPath(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 2000) return STEP_UP_DEFAULT_RETURN;
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.includes('\\')) return STEP_UP_DEFAULT_RETURN;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(candidate)) return STEP_UP_DEFAULT_RETURN;
  let parsed: URL;
  try {
    parsed = new URL(candidate, ORIGIN);
  } catch {
    return STEP_UP_DEFAULT_RETURN;
  }
  if (parsed.origin !== ORIGIN) return STEP_UP_DEFAULT_RETURN;
  const path = parsed.pathname + parsed.search;
  if (!path.startsWith('/') || path.startsWith('//')) return STEP_UP_DEFAULT_RETURN;
  // The step-up pages themselves are never a destination (no loops).
  if (path.startsWith('/account/step-up')) return STEP_UP_DEFAULT_RETURN;
  return path;
}

/** The step-up page's address, carrying where to go back to. */
export function stepUpUrl(returnTo: string): string {
  return `/account/step-up?return=${encodeURIComponent(safeReturnPath(returnTo))}`;
}

/**
 * A refused form post's fields, carried through the step-up page so the user can send it again: strings only, the
 * CSRF token left out (a fresh one is given), at most 50 fields of at most 10,000 characters.
 */
export function carriedFields(body: unknown): Record<string, string> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body).slice(0, 50)) {
    if (key === '_csrf' || typeof value !== 'string' || value.length > 10_000) continue;
    fields[key] = value;
  }
  return fields;
}
