import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { default as ProviderClass, FindAccount } from 'oidc-provider';

export interface LocalOidcProvider {
  issuer: string;
  close(): Promise<void>;
}

export interface LocalOidcProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Account id (what you type at the login form) → the claims the provider releases for it. */
  accounts: Record<string, Record<string, unknown>>;
  /**
   * Claims left out of the ID token and served only by the userinfo endpoint, as spec-conforming providers do
   * when an access token is issued. By default every claim is in the ID token, as Entra ID does with app roles.
   */
  userinfoOnlyClaims?: string[];
}

const LOGIN_FORM_PATH = '/interaction/';

/**
 * A real OpenID Connect provider (panva's oidc-provider) on loopback, for single sign-on tests: one confidential
 * client (client_secret_basic), code flow with PKCE required, and a one-form login where you type an account id.
 * Consent is automatic. An unknown account id ends the flow with error=access_denied at the client.
 */
export async function startOidcProvider(options: LocalOidcProviderOptions): Promise<LocalOidcProvider> {
  const Provider = await loadProvider();
  // Listen first: the issuer URL names the port, and the provider is built from the issuer URL.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const userinfoOnly = new Set(options.userinfoOnlyClaims ?? []);
  const findAccount: FindAccount = (_ctx, id) => {
    const claims = Object.hasOwn(options.accounts, id) ? options.accounts[id] : undefined;
    if (!claims) return undefined;
    return {
      accountId: id,
      claims: (use) => ({ ...Object.fromEntries(Object.entries(claims).filter(([name]) => use !== 'id_token' || !userinfoOnly.has(name))), sub: id }),
    };
  };

  const provider = await quietly(
    () =>
      new Provider(issuer, {
        clients: [
          {
            client_id: options.clientId,
            client_secret: options.clientSecret,
            redirect_uris: options.redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        jwks: { keys: [{ ...signingKey(), kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        pkce: { required: () => true },
        // Put scope claims in the ID token even though an access token is issued too (Entra ID does this with app roles).
        conformIdTokenClaims: false,
        claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'roles', 'groups'], email: ['email', 'email_verified'] },
        features: { devInteractions: { enabled: false } },
        interactions: { url: (_ctx, interaction) => `${LOGIN_FORM_PATH}${interaction.uid}` },
        findAccount,
        // Explicit lifetimes and error page, so the provider does not print "you SHOULD change this" notices.
        ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
        renderError: (ctx, out) => {
          ctx.type = 'text/plain';
          ctx.body = `Test identity provider error: ${JSON.stringify(out)}`;
        },
      }),
  );

  const providerCallback = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!req.url?.startsWith(LOGIN_FORM_PATH)) return void providerCallback(req, res);
    interaction(provider, options.accounts, req, res).catch((error: Error) => {
      if (res.headersSent) res.destroy(error);
      else res.writeHead(500, { 'content-type': 'text/plain' }).end(error.message);
    });
  });

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** GET shows the login form; POST signs the typed account in and grants everything the client asked for. */
async function interaction(provider: ProviderClass, accounts: Record<string, unknown>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html>
<html lang="en">
<head><title>Test identity provider</title></head>
<body>
  <h1>Test identity provider</h1>
  <form method="post" action="${LOGIN_FORM_PATH}${details.uid}">
    <label for="login">Account</label> <input id="login" name="login" autocomplete="off">
    <button type="submit">Sign in</button>
  </form>
</body>
</html>`);
    return;
  }
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const accountId = new URLSearchParams(body).get('login') ?? '';
  if (!Object.hasOwn(accounts, accountId)) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'Unknown account' }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

/**
 * Drives the provider like a browser with plain fetch: follows redirects by hand, carries the provider's cookies and
 * submits the login form as `login`. Returns the URL the provider finally sends the browser to (the client's callback).
 */
export async function signInAtProvider(authorizationUrl: string, login: string, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  const send = async (url: URL, init: RequestInit = {}) => {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair = ''] = setCookie.split(';');
      const separator = pair.indexOf('=');
      const [name, value] = [pair.slice(0, separator).trim(), pair.slice(separator + 1).trim()];
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(setCookie)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };

  let url = new URL(authorizationUrl);
  let init: RequestInit = {};
  for (let hops = 0; hops < 10; hops++) {
    const response = await send(url, init);
    init = {};
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url);
      if (url.href.startsWith(redirectUri)) return url;
      continue;
    }
    const page = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (response.status !== 200 || !action) throw new Error(`Test identity provider answered ${response.status} at ${url.pathname}: ${page.slice(0, 300)}`);
    url = new URL(action, url);
    init = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ login }).toString() };
  }
  throw new Error('Too many redirects at the test identity provider');
}

function signingKey() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
}

/**
 * oidc-provider prints notices through console: on import ("Unsupported runtime" below Node 22 LTS) and when built
 * with its development-only in-memory store. Both are expected in tests, so they are muted here and only here.
 */
async function quietly<T>(work: () => T | Promise<T>): Promise<T> {
  const { info, warn } = console;
  console.info = console.warn = () => {};
  try {
    return await work();
  } finally {
    Object.assign(console, { info, warn });
  }
}

let providerModule: Promise<typeof ProviderClass> | undefined;
function loadProvider(): Promise<typeof ProviderClass> {
  providerModule ??= quietly(async () => (await import('oidc-provider')).default);
  return providerModule;
}
