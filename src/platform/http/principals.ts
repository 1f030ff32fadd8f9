import type { Role } from '../../domain/roles.js';

/**
 * Who a request is from (ADR 0010). Platform code — the request guard, route access, the audit context — knows
 * only these shapes; the features that sign people in (identity), issue API keys (cad-api) and text call links
 * (video) implement the resolvers below and return values of these shapes.
 */

/** A fully signed-in staff member. */
export interface SignedInUser {
  id: string;
  username: string;
  displayName: string;
  roles: Role[];
}

/** A staff session, including one still waiting for its second factor. */
export interface ResolvedSession {
  user: SignedInUser;
  /** Public id (for listing and the audit log), never the token. */
  sessionId: string;
  /** The password step is done but the second factor is not: only the MFA pages may be used. */
  mfaPending: boolean;
  /** The user must enrol a second factor before anything else (MFA required, none enrolled yet). */
  mfaEnrolmentNeeded: boolean;
  method: 'password' | 'oidc';
  /** SEC-07: the user re-authenticated on this session within STEP_UP_MAX_AGE_MINUTES (sensitive routes need it). */
  stepUpFresh: boolean;
}

export const API_SCOPES = ['incidents:write', 'consultations:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A CAD system presenting a live API key. */
export interface ApiClient {
  id: string;
  name: string;
  scopes: ApiScope[];
}

/**
 * A link-holder's participant record and their call. Platform code reads only their ids; the feature that issues
 * call links gives them their full shape by declaration merging (features/video/link-session.ts), the way Fastify's
 * own request decorators are typed, so platform never imports a feature's types.
 */
export interface LinkParticipant {
  id: string;
}
export interface LinkCall {
  id: string;
}

/** Someone holding a live call session from a texted link (the victim, an interpreter), on their call. */
export interface LinkSession {
  participant: LinkParticipant;
  call: LinkCall;
  /** Both consents (video and recording) are stored for this participant on this call. */
  consented: boolean;
}

/** The port the request guard asks who is calling; the composition root wires it to the features' services. */
export interface PrincipalResolvers {
  /** The staff session behind a session cookie's token, if live. */
  staffSession(token: string): Promise<ResolvedSession | undefined>;
  /** SC-5: the user has not yet acknowledged the current policy. */
  needsPolicyAcknowledgement(userId: string): Promise<boolean>;
  /** The CAD system behind a bearer API key, if well-formed, known and unrevoked. */
  apiClient(bearerKey: string): Promise<ApiClient | undefined>;
  /** The link-holder behind a call cookie, if their session and call are live. */
  linkSession(secret: string | undefined): Promise<LinkSession | undefined>;
}
