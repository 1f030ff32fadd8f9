import type { FastifyReply, FastifyRequest } from 'fastify';

export interface SessionCookieSettings {
  name: string;
  secure: boolean;
}

/** `__Host-` binds the cookie to this exact origin over HTTPS (no Domain, Path=/, Secure). */
export function sessionCookieSettings(publicBaseUrl: string): SessionCookieSettings {
  const secure = publicBaseUrl.startsWith('https://');
  return { name: secure ? '__Host-rvr_session' : 'rvr_session', secure };
}

export function readSessionToken(request: FastifyRequest, settings: SessionCookieSettings): string | undefined {
  const raw = request.cookies[settings.name];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

export function setSessionCookie(reply: FastifyReply, settings: SessionCookieSettings, token: string): void {
  // No Max-Age: a browser session cookie; the server enforces idle and absolute lifetimes.
  reply.setCookie(settings.name, token, { path: '/', httpOnly: true, sameSite: 'lax', secure: settings.secure, signed: true });
}

export function clearSessionCookie(reply: FastifyReply, settings: SessionCookieSettings): void {
  reply.clearCookie(settings.name, { path: '/', httpOnly: true, sameSite: 'lax', secure: settings.secure });
}
