import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OidcClient, OidcLoginError } from '../../src/platform/auth/oidc-client.js';
import { parseOidcConfig, type OidcConfig } from '../../src/platform/auth/oidc-config.js';
import { rolesFromClaims } from '../../src/platform/auth/oidc-roles.js';
import { signInAtProvider, startOidcProvider, type LocalOidcProvider } from '../support/oidc-provider.js';

const PUBLIC_BASE_URL = 'http://127.0.0.1:9';
const REDIRECT_URI = `${PUBLIC_BASE_URL}/sign-in/oidc/callback`;
const CLIENT = { clientId: 'rvr-test', clientSecret: 'test-client-secret-that-is-long-enough' };

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'officer-1': { preferred_username: 'A.Officer@Force.Example', name: 'Alex Officer', email: 'a.officer@force.example', roles: ['RVR.Officer'] },
  'admin-1': { preferred_username: 'b.admin@force.example', name: 'Bo Admin', roles: ['RVR.Admin', 'Finance.Reader'], groups: ['group-handlers'] },
  'nameless-1': { email: 'C.Nameless@Force.Example', roles: 'RVR.Officer' },
};

function oidcEnv(issuer: string, extra: Record<string, string> = {}) {
  return {
    OIDC_ISSUER_URL: issuer,
    OIDC_CLIENT_ID: CLIENT.clientId,
    OIDC_CLIENT_SECRET: CLIENT.clientSecret,
    OIDC_ROLE_MAPPING: 'RVR.Officer=rvr_officer,RVR.Admin=admin+dpo,group-handlers=call_handler',
    ...extra,
  };
}

function configFor(issuer: string, extra: Record<string, string> = {}): OidcConfig {
  const { config, problems } = parseOidcConfig(oidcEnv(issuer, extra), PUBLIC_BASE_URL, false);
  assert.deepEqual(problems, []);
  assert.ok(config);
  return config;
}

describe('OIDC sign-in against a real provider (code flow with PKCE)', () => {
  let provider: LocalOidcProvider;
  let config: OidcConfig;
  let client: OidcClient;
  before(async () => {
    provider = await startOidcProvider({ ...CLIENT, redirectUris: [REDIRECT_URI], accounts: ACCOUNTS });
    config = configFor(provider.issuer);
    client = await OidcClient.discover(config);
  });
  after(() => provider.close());

  it('SEC-07 step-up: asks the provider to sign the person in again now (prompt=login, max_age=0) and reads when they did', async () => {
    const startedAt = Math.floor(Date.now() / 1000);
    const { url, request } = await client.startLogin({ reauthenticate: true });
    const params = new URL(url).searchParams;
    assert.equal(params.get('prompt'), 'login');
    assert.equal(params.get('max_age'), '0');
    const identity = await client.finishLogin(await signInAtProvider(url, 'officer-1', REDIRECT_URI), request);
    assert.equal(identity.subject, 'officer-1');
    assert.ok(identity.authTime !== undefined && identity.authTime >= startedAt - 1, `auth_time ${identity.authTime} is fresh`);
    const plain = new URL((await client.startLogin()).url).searchParams;
    assert.equal(plain.get('prompt'), null, 'an ordinary sign-in does not force a new login');
  });

  it('sends the browser to the provider with S256 PKCE, state and nonce', async () => {
    const { url, request } = await client.startLogin();
    const params = new URL(url).searchParams;
    assert.ok(url.startsWith(`${provider.issuer}/`));
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), CLIENT.clientId);
    assert.equal(params.get('redirect_uri'), REDIRECT_URI);
    assert.equal(params.get('scope'), 'openid profile email');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.equal(params.get('state'), request.state);
    assert.equal(params.get('nonce'), request.nonce);
    assert.ok(params.get('code_challenge'));
    assert.notEqual(params.get('code_challenge'), request.codeVerifier);
    const other = await client.startLogin();
    assert.notEqual(other.request.state, request.state);
    assert.notEqual(other.request.codeVerifier, request.codeVerifier);
  });

  it('completes the flow and says who signed in, with roles from the ID token', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'officer-1', REDIRECT_URI);
    assert.ok(callback.searchParams.get('code'));
    const identity = await client.finishLogin(callback, request);
    assert.equal(identity.issuer, provider.issuer);
    assert.equal(identity.subject, 'officer-1');
    assert.equal(identity.username, 'a.officer@force.example');
    assert.equal(identity.displayName, 'Alex Officer');
    assert.deepEqual(identity.claims.roles, ['RVR.Officer']);
    assert.deepEqual(rolesFromClaims(identity.claims, config.rolesClaim, config.roleMapping), ['rvr_officer']);
  });

  it('maps several app roles, ignores unknown ones, and can map groups instead', async () => {
    const { url, request } = await client.startLogin();
    const identity = await client.finishLogin(await signInAtProvider(url, 'admin-1', REDIRECT_URI), request);
    assert.deepEqual(rolesFromClaims(identity.claims, config.rolesClaim, config.roleMapping), ['admin', 'dpo']);
    assert.deepEqual(rolesFromClaims(identity.claims, 'groups', config.roleMapping), ['call_handler']);
  });

  it('falls back to email for the username and to the username for the name', async () => {
    const { url, request } = await client.startLogin();
    const identity = await client.finishLogin(await signInAtProvider(url, 'nameless-1', REDIRECT_URI), request);
    assert.equal(identity.username, 'c.nameless@force.example');
    assert.equal(identity.displayName, 'c.nameless@force.example');
    assert.deepEqual(rolesFromClaims(identity.claims, config.rolesClaim, config.roleMapping), ['rvr_officer']);
  });

  it('refuses a callback whose state was tampered with', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'officer-1', REDIRECT_URI);
    callback.searchParams.set('state', `${request.state}x`);
    await assert.rejects(client.finishLogin(callback, request), (error: Error) => {
      assert.ok(error instanceof OidcLoginError);
      assert.match(error.message, /does not match the one RVR started/);
      return true;
    });
  });

  it('refuses a callback that belongs to another sign-in attempt', async () => {
    const first = await client.startLogin();
    const second = await client.startLogin();
    const callback = await signInAtProvider(first.url, 'officer-1', REDIRECT_URI);
    await assert.rejects(client.finishLogin(callback, second.request), OidcLoginError);
  });

  it('refuses the code when the PKCE verifier does not match the challenge', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'officer-1', REDIRECT_URI);
    const wrongVerifier = (await client.startLogin()).request.codeVerifier;
    await assert.rejects(client.finishLogin(callback, { ...request, codeVerifier: wrongVerifier }), (error: Error) => {
      assert.ok(error instanceof OidcLoginError);
      assert.match(error.message, /expired or was already used/);
      return true;
    });
  });

  it('refuses a nonce that does not match the ID token', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'officer-1', REDIRECT_URI);
    await assert.rejects(client.finishLogin(callback, { ...request, nonce: `${request.nonce}x` }), OidcLoginError);
  });

  it('does not accept the same code twice', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'officer-1', REDIRECT_URI);
    await client.finishLogin(callback, request);
    await assert.rejects(client.finishLogin(callback, request), /expired or was already used/);
  });

  it('explains an error response from the provider (a real access_denied)', async () => {
    const { url, request } = await client.startLogin();
    const callback = await signInAtProvider(url, 'nobody-here', REDIRECT_URI);
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    await assert.rejects(client.finishLogin(callback, request), (error: Error) => {
      assert.ok(error instanceof OidcLoginError);
      assert.match(error.message, /did not let you into RVR.*\(access_denied\)$/);
      return true;
    });
  });

  it('explains an Entra-style error response, with the AADSTS code for the administrator', async () => {
    const { request } = await client.startLogin();
    const callback = new URL(REDIRECT_URI);
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'AADSTS50105: The signed in user is not assigned to a role for the application. Trace ID: 1234',
      state: request.state,
      iss: provider.issuer,
    }).toString();
    await assert.rejects(client.finishLogin(callback, request), (error: Error) => {
      assert.ok(error instanceof OidcLoginError);
      assert.match(error.message, /ask your RVR administrator to give you access\. \(AADSTS50105\)$/);
      assert.doesNotMatch(error.message, /Trace ID/);
      return true;
    });
  });

  it('explains an unknown error code generically', async () => {
    const { request } = await client.startLogin();
    for (const code of ['constructor', 'invalid_scope']) {
      const callback = new URL(`${REDIRECT_URI}?error=${code}&state=${request.state}&iss=${encodeURIComponent(provider.issuer)}`);
      await assert.rejects(client.finishLogin(callback, request), {
        name: 'OidcLoginError',
        message: `Your force sign-in service refused the sign-in. Start again from the RVR sign-in page. (${code})`,
      });
    }
  });

  it('does not show the provider error of a response whose state does not match', async () => {
    const { request } = await client.startLogin();
    const callback = new URL(`${REDIRECT_URI}?error=access_denied&error_description=Call+0800+000000&state=forged`);
    await assert.rejects(client.finishLogin(callback, request), (error: Error) => {
      assert.match(error.message, /does not match the one RVR started/);
      assert.doesNotMatch(error.message, /0800/);
      return true;
    });
  });
});

describe('OIDC sign-in when the roles claim comes only from userinfo', () => {
  let provider: LocalOidcProvider;
  before(async () => {
    provider = await startOidcProvider({ ...CLIENT, redirectUris: [REDIRECT_URI], accounts: ACCOUNTS, userinfoOnlyClaims: ['roles', 'groups'] });
  });
  after(() => provider.close());

  it('reads the roles claim from the userinfo endpoint', async () => {
    const config = configFor(provider.issuer);
    const client = await OidcClient.discover(config);
    const { url, request } = await client.startLogin();
    const identity = await client.finishLogin(await signInAtProvider(url, 'admin-1', REDIRECT_URI), request);
    assert.equal(identity.subject, 'admin-1');
    assert.deepEqual(identity.claims.roles, ['RVR.Admin', 'Finance.Reader']);
    assert.deepEqual(rolesFromClaims(identity.claims, config.rolesClaim, config.roleMapping), ['admin', 'dpo']);
  });

  it('asks userinfo only when the ID token lacks the roles claim (so the claim above did come from userinfo)', async () => {
    const client = await OidcClient.discover(configFor(provider.issuer, { OIDC_ROLES_CLAIM: 'name' }));
    const { url, request } = await client.startLogin();
    const identity = await client.finishLogin(await signInAtProvider(url, 'admin-1', REDIRECT_URI), request);
    assert.equal(identity.claims.name, 'Bo Admin');
    assert.equal(identity.claims.roles, undefined);
  });

  it('refuses a plain-http issuer unless it is explicitly allowed', async () => {
    const config = { ...configFor(provider.issuer), allowInsecureIssuer: false };
    await assert.rejects(
      OidcClient.discover(config),
      /Could not read the OpenID Connect configuration of http:\/\/127\.0\.0\.1:\d+: only requests to HTTPS are allowed/,
    );
  });
});

describe('parseOidcConfig', () => {
  const ISSUER = 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0';
  const parse = (env: Record<string, string | undefined>, production = false) => parseOidcConfig(env, 'https://rvr.example.police.uk', production);

  it('is off, with no problems, when OIDC_ISSUER_URL is unset', () => {
    assert.deepEqual(parse({}), { config: undefined, problems: [] });
    assert.deepEqual(parse({ OIDC_ISSUER_URL: '  ', OIDC_CLIENT_ID: 'x' }), { config: undefined, problems: [] });
  });

  it('reads a valid Entra ID configuration, with defaults', () => {
    const { config, problems } = parse(oidcEnv(ISSUER, { OIDC_ROLE_MAPPING: 'RVR.Officer=rvr_officer, RVR.Admin=admin+dpo ,RVR.Admin=supervisor' }), true);
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      issuerUrl: ISSUER,
      clientId: CLIENT.clientId,
      clientSecret: CLIENT.clientSecret,
      redirectUri: 'https://rvr.example.police.uk/sign-in/oidc/callback',
      scopes: ['openid', 'profile', 'email'],
      rolesClaim: 'roles',
      roleMapping: { 'RVR.Officer': ['rvr_officer'], 'RVR.Admin': ['admin', 'dpo', 'supervisor'] },
      usernameClaim: 'preferred_username',
      displayNameClaim: 'name',
      allowInsecureIssuer: false,
    });
  });

  it('takes the optional claim names and scopes', () => {
    const { config } = parse(
      oidcEnv(ISSUER, { OIDC_SCOPES: 'openid  profile', OIDC_ROLES_CLAIM: 'groups', OIDC_USERNAME_CLAIM: 'upn', OIDC_DISPLAY_NAME_CLAIM: 'given_name' }),
    );
    assert.deepEqual(config?.scopes, ['openid', 'profile']);
    assert.equal(config?.rolesClaim, 'groups');
    assert.equal(config?.usernameClaim, 'upn');
    assert.equal(config?.displayNameClaim, 'given_name');
  });

  it('needs the client id and secret', () => {
    const { config, problems } = parse(oidcEnv(ISSUER, { OIDC_CLIENT_ID: '', OIDC_CLIENT_SECRET: '' }));
    assert.equal(config, undefined);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^OIDC_CLIENT_ID is required/);
    assert.match(problems[1]!, /^OIDC_CLIENT_SECRET is required/);
  });

  it('refuses a mapping to a role RVR does not have, naming it', () => {
    const { config, problems } = parse(oidcEnv(ISSUER, { OIDC_ROLE_MAPPING: 'RVR.Officer=rvr_officer,RVR.Boss=superuser+admin' }));
    assert.equal(config, undefined);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^OIDC_ROLE_MAPPING maps "RVR\.Boss" to unknown role "superuser"; the roles are call_handler, /);
  });

  it('refuses malformed or missing mappings', () => {
    for (const mapping of ['RVR.Officer', '=admin', 'RVR.Officer=', 'RVR.Officer=+']) {
      const { problems } = parse(oidcEnv(ISSUER, { OIDC_ROLE_MAPPING: mapping }));
      assert.equal(problems.length, 1, mapping);
      assert.match(problems[0]!, /^OIDC_ROLE_MAPPING entry ".*" must look like ClaimValue=role/);
    }
    assert.match(parse(oidcEnv(ISSUER, { OIDC_ROLE_MAPPING: '' })).problems[0]!, /^OIDC_ROLE_MAPPING is required/);
  });

  it('keeps claim values that look like object properties as plain keys', () => {
    const { config } = parse(oidcEnv(ISSUER, { OIDC_ROLE_MAPPING: '__proto__=admin,constructor=dpo,CN=RVR Officers=rvr_officer' }));
    assert.deepEqual(Object.entries(config!.roleMapping), [
      ['__proto__', ['admin']],
      ['constructor', ['dpo']],
      ['CN=RVR Officers', ['rvr_officer']],
    ]);
    assert.deepEqual(rolesFromClaims({ roles: ['__proto__', 'toString'] }, 'roles', config!.roleMapping), ['admin']);
  });

  it('allows a plain-http issuer outside production only', () => {
    assert.equal(parse(oidcEnv('http://127.0.0.1:4000')).config?.allowInsecureIssuer, true);
    const { config, problems } = parse(oidcEnv('http://127.0.0.1:4000'), true);
    assert.equal(config, undefined);
    assert.deepEqual(problems, ['OIDC_ISSUER_URL must be an https:// URL in production']);
  });

  it('refuses an issuer that is not an http(s) URL, and scopes without openid', () => {
    assert.match(parse(oidcEnv('login.microsoftonline.com')).problems[0]!, /^OIDC_ISSUER_URL must be an absolute URL/);
    assert.match(parse(oidcEnv('ftp://idp.example')).problems[0]!, /^OIDC_ISSUER_URL must be an https:\/\/ URL/);
    assert.match(parse(oidcEnv(ISSUER, { OIDC_SCOPES: 'profile email' })).problems[0]!, /^OIDC_SCOPES must include openid/);
  });
});
