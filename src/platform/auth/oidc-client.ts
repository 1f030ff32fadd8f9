import * as openid from 'openid-client';
import type { OidcConfig } from './oidc-config.js';

/** What must survive between sending the browser to the provider and its return (keep it server-side or in a signed cookie). */
export interface OidcLoginRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** SEC-07: a step-up (prompt=login, max_age=0) of an existing session, with where to go back and when it started. */
  stepUp?: { returnTo: string; startedAt: number };
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  username: string;
  displayName: string;
  /** ID token claims, plus userinfo claims when the roles claim was not in the ID token. */
  claims: Record<string, unknown>;
  /** When the person last actively signed in at the provider (seconds since the epoch), if the provider said. */
  authTime: number | undefined;
}

/** A sign-in that cannot complete, with words a person can act on. */
export class OidcLoginError extends Error {
  override name = 'OidcLoginError';
}

const START_AGAIN = 'Start again from the RVR sign-in page.';

/** What a person is told for each OAuth error code a provider may send back instead of a code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const PROVIDER_ERRORS: Record<string, string> = {
  access_denied: 'Your force sign-in service did not let you into RVR. If you cancelled, start again; otherwise ask your RVR administrator to give you access.',
  temporarily_unavailable: 'Your force sign-in service is temporarily unavailable. Try again in a few minutes.',
  server_error: 'Your force sign-in service had a problem. Try again in a few minutes.',
  login_required: `Your force sign-in service needs you to sign in again. ${START_AGAIN}`,
  interaction_required: `Your force sign-in service needs you to sign in again. ${START_AGAIN}`,
  consent_required: 'RVR has not been approved to use your force sign-in service. Ask your RVR administrator.',
};

/** OpenID Connect authorization code flow with PKCE (S256), state and nonce, via openid-client. */
export class OidcClient {
  private constructor(
    private readonly configuration: openid.Configuration,
    private readonly config: OidcConfig,
  ) {}

  /** Reads the provider's discovery document (issuer, endpoints, signing keys location). */
  static async discover(config: OidcConfig): Promise<OidcClient> {
    const options = config.allowInsecureIssuer ? { execute: [openid.allowInsecureRequests] } : undefined;
    try {
      const configuration = await openid.discovery(
        new URL(config.issuerUrl),
        config.clientId,
        config.clientSecret,
        openid.ClientSecretBasic(config.clientSecret),
        options,
      );
      return new OidcClient(configuration, config);
    } catch (error) {
      throw new Error(`Could not read the OpenID Connect configuration of ${config.issuerUrl}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** `reauthenticate` (SEC-07 step-up): the provider must make the person sign in again now (prompt=login, max_age=0). */
  async startLogin(options: { reauthenticate?: boolean } = {}): Promise<{ url: string; request: OidcLoginRequest }> {
    const request: OidcLoginRequest = { state: openid.randomState(), nonce: openid.randomNonce(), codeVerifier: openid.randomPKCECodeVerifier() };
    const url = openid.buildAuthorizationUrl(this.configuration, {
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(' '),
      response_type: 'code',
      state: request.state,
      nonce: request.nonce,
      code_challenge: await openid.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: 'S256',
      ...(options.reauthenticate ? { prompt: 'login', max_age: '0' } : {}),
    });
    return { url: url.href, request };
  }

  /** Checks the provider's answer (state, issuer, PKCE, ID token signature, audience, nonce) and says who signed in. */
  async finishLogin(callbackUrl: URL, request: OidcLoginRequest): Promise<OidcIdentity> {
    // openid-client checks state too; checking first gives the person a clearer message than "invalid response".
    if (callbackUrl.searchParams.get('state') !== request.state) {
      throw new OidcLoginError(`This sign-in does not match the one RVR started (it may be from another tab or an old link). ${START_AGAIN}`);
    }
    let tokens: Awaited<ReturnType<typeof openid.authorizationCodeGrant>>;
    try {
      tokens = await openid.authorizationCodeGrant(this.configuration, callbackUrl, {
        expectedState: request.state,
        expectedNonce: request.nonce,
        pkceCodeVerifier: request.codeVerifier,
      });
    } catch (error) {
      throw loginError(error);
    }
    const idTokenClaims = tokens.claims();
    if (!idTokenClaims) throw new OidcLoginError(`Your force sign-in service did not say who you are. ${START_AGAIN}`);

    let claims: Record<string, unknown> = { ...idTokenClaims };
    // Some providers release extra claims only from userinfo; the ID token's own claims still win.
    if (claims[this.config.rolesClaim] === undefined) {
      try {
        claims = { ...(await openid.fetchUserInfo(this.configuration, tokens.access_token, idTokenClaims.sub)), ...claims };
      } catch (error) {
        throw new OidcLoginError(`RVR could not read your details from your force sign-in service. ${START_AGAIN}`, { cause: error });
      }
    }

    const text = (name: string) => {
      const value = claims[name];
      return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
    };
    const username = (text(this.config.usernameClaim) ?? text('email') ?? idTokenClaims.sub).toLowerCase();
    const authTime = typeof idTokenClaims.auth_time === 'number' ? idTokenClaims.auth_time : undefined;
    return { issuer: idTokenClaims.iss, subject: idTokenClaims.sub, username, displayName: text(this.config.displayNameClaim) ?? username, claims, authTime };
  }
}

function loginError(error: unknown): OidcLoginError {
  if (error instanceof openid.AuthorizationResponseError) {
    const known = Object.hasOwn(PROVIDER_ERRORS, error.error) ? PROVIDER_ERRORS[error.error] : undefined;
    // Entra ID puts an AADSTS code in the description (e.g. AADSTS50105: user not assigned to the app); admins need it.
    const entraCode = /\bAADSTS\d+\b/.exec(error.error_description ?? '')?.[0];
    const reference = /^[a-z_]{1,64}$/.test(error.error) ? ` (${entraCode ?? error.error})` : '';
    return new OidcLoginError(`${known ?? `Your force sign-in service refused the sign-in. ${START_AGAIN}`}${reference}`, { cause: error });
  }
  if (error instanceof openid.ResponseBodyError && error.error === 'invalid_grant') {
    return new OidcLoginError(`This sign-in link has expired or was already used. ${START_AGAIN}`, { cause: error });
  }
  return new OidcLoginError(`RVR could not check your sign-in with your force sign-in service. ${START_AGAIN}`, { cause: error });
}
