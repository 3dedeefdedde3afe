/**
 * The local OpenID Connect provider (architecture §4a): the real `oidc-provider` package with
 * the fixed demo users and clients, its own sign-in page, RS256 keys generated at start, and
 * access tokens that carry Cognito's claim names so one verifier serves AWS and this machine:
 *
 *   token_use "access", client_id, sub, scope, iss, iat, exp, jti
 *   people:   cognito:groups [role], lenders [...] (["*"] = all), username
 *   machines: sub = client_id, scope = the client's grants
 *
 * - Client credentials need nothing but `grant_type` and HTTP Basic: with no `scope` the token
 *   carries all the client's scopes (as Cognito does), and with no `resource` it is for the
 *   one API, `emi-links`, so it is a JWT (oidc-provider issues JWT access tokens only for a
 *   resource server).
 * - The page (`emi-links-web`) uses authorization code + PKCE S256 and gets a refresh token.
 * - Listens on loopback only: 127.0.0.1, and ::1 when the machine has it (like the gateway:
 *   `localhost` may resolve to either).
 */
import { createHash, generateKeyPair, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import Provider, {
  type AccessToken,
  type ClientCredentials,
  type ClientMetadata,
  type Configuration,
  errors,
  type JWK,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import {
  DEMO_CLIENT_IDS,
  DEMO_CLIENTS,
  DEMO_USERS,
  type DemoUser,
  userBySub,
  WEB_CLIENT_ID,
} from './identities';
import { memoryAdapter } from './memory-adapter';
import { loginPage, logoutPage, messagePage, type Page } from './pages';

export interface AuthProviderOptions {
  /** 0 picks a free port */
  port: number;
  /** the page's origin, e.g. http://localhost:3000: its redirect and post-logout URI is `${pageOrigin}/` */
  pageOrigin: string;
}

export interface AuthProvider {
  issuer: string;
  jwksUri: string;
  clientIds: string[];
  stop(): Promise<void>;
}

/** The API as a resource server (the one resource indicator; every access token is for it). */
export const RESOURCE = 'urn:emi-links';
/** seconds: short-lived access tokens; the page renews them with its refresh token */
export const ACCESS_TOKEN_TTL = 15 * 60;
const SESSION_TTL = 12 * 60 * 60;
/** OIDC scopes a person's sign-in may carry (the access token lists them, as Cognito's do) */
const OIDC_SCOPES = ['openid', 'profile', 'offline_access'];
const MAX_FORM_BYTES = 4096;

/** compares digests, so neither the content nor the length of a secret shows in the timing */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The demo user with this username and password, or undefined (compared in constant time). */
export function checkPassword(username: string, password: string): DemoUser | undefined {
  let found: DemoUser | undefined;
  for (const u of DEMO_USERS) {
    const nameOk = sameSecret(u.username, username);
    const passOk = sameSecret(u.password, password);
    if (nameOk && passOk) found = u;
  }
  return found;
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: `local-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}

function clientMetadata(pageOrigin: string): ClientMetadata[] {
  return DEMO_CLIENTS.map((c): ClientMetadata => {
    if (!c.secret) {
      return {
        client_id: c.clientId,
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${pageOrigin}/`],
        post_logout_redirect_uris: [`${pageOrigin}/`],
        scope: OIDC_SCOPES.join(' '),
      };
    }
    return {
      client_id: c.clientId,
      client_secret: c.secret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
  });
}

function machineScope(clientId: string): string {
  return DEMO_CLIENTS.find((c) => c.clientId === clientId)?.scope ?? '';
}

function configuration(pageOrigin: string, key: JWK): Configuration {
  const formTargets = ["'self'", pageOrigin];
  const render = (ctx: KoaContextWithOIDC, p: Page, status = 200) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('content-security-policy', p.csp);
    ctx.set('cache-control', 'no-store');
    ctx.body = p.html;
  };
  return {
    adapter: memoryAdapter(),
    clients: clientMetadata(pageOrigin),
    jwks: { keys: [key] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: { jwks: '/.well-known/jwks.json' },
    scopes: OIDC_SCOPES,
    responseTypes: ['code'],
    // ID tokens say what they are, as Cognito's do (token_use "id", with the role), so the API's
    // refusal of an ID token in place of an access token is tested against a realistic one
    claims: { openid: ['sub', 'token_use', 'cognito:groups'], profile: ['preferred_username', 'name'] },
    async findAccount(_ctx, sub) {
      const user = userBySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          token_use: 'id',
          'cognito:groups': [user.role],
          preferred_username: user.username,
          name: user.username,
        }),
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // the page calls the token endpoint from its own origin (code exchange, renewal); nobody else
    clientBasedCORS: (_ctx, origin, client) => client.clientAuthMethod === 'none' && origin === pageOrigin,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // the page retires its refresh token at logout; a client may revoke only its own tokens
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => render(ctx, logoutPage(form, formTargets)),
        postLogoutSuccessSource: (ctx) =>
          render(ctx, messagePage('Signed out', 'You have signed out. You can close this tab.')),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          // client credentials without `scope`: all the client's scopes, as Cognito grants them
          const params = ctx.oidc.params as { grant_type?: string; scope?: string } | undefined;
          if (params && params.grant_type === 'client_credentials' && !params.scope) {
            params.scope = machineScope(client.clientId) || undefined;
          }
          return RESOURCE;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => {
          if (indicator !== RESOURCE) throw new errors.InvalidTarget();
          return {
            // people's tokens carry no API scopes: their role decides (cognito:groups)
            scope: machineScope(client.clientId),
            // Cognito's access tokens carry no `aud`, and API Gateway's JWT authorizer then checks
            // `client_id` against its audience list (the app client ids). oidc-provider cannot
            // leave `aud` out of a JWT access token, so it names the client: the same check passes
            // the same tokens whichever claim it reads
            audience: client.clientId,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ACCESS_TOKEN_TTL,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    async extraTokenClaims(_ctx, token: AccessToken | ClientCredentials) {
      const claims: Record<string, unknown> = { token_use: 'access' };
      const user = 'accountId' in token && token.accountId ? userBySub(token.accountId) : undefined;
      if (user) {
        claims['cognito:groups'] = [user.role];
        claims.lenders = [...user.lenders];
        claims.username = user.username;
      }
      return claims;
    },
    formats: {
      customizers: {
        // a person's access token lists the OIDC scopes of the sign-in, as Cognito's do
        jwt: (ctx, token, jwt) => {
          if (!('accountId' in token) || !token.accountId) return;
          const granted = ctx.oidc.entities.Grant?.getOIDCScope().split(' ') ?? ['openid'];
          jwt.payload.scope = granted.filter((s) => s !== 'offline_access').join(' ');
        },
      },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      ClientCredentials: ACCESS_TOKEN_TTL,
      IdToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      Interaction: 10 * 60,
      RefreshToken: SESSION_TTL,
      Session: SESSION_TTL,
      Grant: SESSION_TTL,
    },
    renderError: (ctx, out) =>
      render(
        ctx,
        messagePage(
          'Sign-in failed',
          `${out.error_description ?? out.error}. Go back to the page and log in again.`,
        ),
        ctx.status >= 400 ? ctx.status : 400,
      ),
  };
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_FORM_BYTES) chunks.push(c);
    });
    req.on('end', () =>
      resolve(
        size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      ),
    );
    req.on('error', reject);
  });
}

function send(res: ServerResponse, p: Page, status = 200): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': p.csp,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(p.html);
}

/**
 * The interaction the provider hands over (`/interaction/:uid`): the sign-in page and its post,
 * and consent, which first-party demo clients get without asking.
 */
async function interaction(
  provider: Provider,
  formTargets: string[],
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  isLoginPost: boolean,
): Promise<void> {
  let details: Awaited<ReturnType<Provider['interactionDetails']>>;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return send(
      res,
      messagePage('Sign-in expired', 'This sign-in has expired. Go back to the page and log in again.'),
      400,
    );
  }
  if (details.uid !== uid) return send(res, messagePage('Not found', 'No such sign-in.'), 404);
  const { prompt, params } = details;

  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId: details.session?.accountId, clientId: String(params.client_id) }))
      : new provider.Grant({ accountId: details.session?.accountId, clientId: String(params.client_id) });
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  const action = `/interaction/${uid}/login`;
  if (!isLoginPost || req.method !== 'POST') {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    return send(res, loginPage({ action, formTargets }));
  }
  const form = await readForm(req);
  const username = form?.get('username')?.trim() ?? '';
  const user = checkPassword(username, form?.get('password') ?? '');
  if (!user) {
    return send(res, loginPage({ action, formTargets, username, error: 'Wrong username or password.' }), 401);
  }
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.sub, remember: false } },
    { mergeWithLastSubmission: false },
  );
}

function listen(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (host === '::1') resolve(false);
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}

export async function startAuthProvider(opts: AuthProviderOptions): Promise<AuthProvider> {
  const pageOrigin = new URL(opts.pageOrigin).origin;
  const formTargets = ["'self'", pageOrigin];
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const servers = [createServer((req, res) => handler(req, res))];
  await listen(servers[0]!, opts.port, '127.0.0.1');
  const address = servers[0]!.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const v6 = createServer((req, res) => handler(req, res));
  if (await listen(v6, port, '::1')) servers.push(v6);

  const issuer = `http://localhost:${port}`;
  const provider = new Provider(issuer, configuration(pageOrigin, await signingKey()));
  const callback = provider.callback();
  handler = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login)?$/.exec(path);
    if (!m) {
      callback(req, res);
      return;
    }
    interaction(provider, formTargets, req, res, m[1]!, m[2] !== undefined).catch(() => {
      if (!res.headersSent) send(res, messagePage('Sign-in failed', 'Something went wrong. Try again.'), 500);
      else res.end();
    });
  };

  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientIds: [...DEMO_CLIENT_IDS],
    stop: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.closeAllConnections();
              s.close(() => r());
            }),
        ),
      );
    },
  };
}

export { WEB_CLIENT_ID };
