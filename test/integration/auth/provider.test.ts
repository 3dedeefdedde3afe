/**
 * The local OpenID Connect provider (real oidc-provider on a free port): discovery, client
 * credentials with nothing but grant_type and HTTP Basic, the claims of every demo identity in
 * tokens whose RS256 signature checks against the published JWKS, and sign-in through the
 * provider's own login form (authorization code + PKCE S256) for each person.
 */
import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENTS, DEMO_USERS } from '../../../local/auth/identities';
import { ACCESS_TOKEN_TTL, type AuthProvider, startAuthProvider } from '../../../local/auth/provider';
import {
  clientCredentialsToken,
  passwordLogin,
  passwordLoginTokens,
  refreshTokens,
  TokenError,
} from '../../../local/auth/tokens';

const PAGE = 'http://localhost:39999';
const REDIRECT = `${PAGE}/`;

let p: AuthProvider;
let discovery: Record<string, unknown>;
let jwks: { keys: (JsonWebKey & { kid: string; alg?: string; use?: string })[] };

beforeAll(async () => {
  p = await startAuthProvider({ port: 0, pageOrigin: PAGE });
  discovery = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as Record<
    string,
    unknown
  >;
  jwks = (await (await fetch(p.jwksUri)).json()) as typeof jwks;
});

afterAll(async () => {
  await p?.stop();
});

type Claims = Record<string, unknown>;

/** Checks the RS256 signature against the provider's JWKS and returns header and payload. */
function verified(token: string): { header: Claims; payload: Claims } {
  const [h, b, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as Claims;
  expect(header.alg).toBe('RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  expect(jwk).toBeDefined();
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${h}.${b}`),
    createPublicKey({ key: jwk!, format: 'jwk' }),
    Buffer.from(s!, 'base64url'),
  );
  expect(ok).toBe(true);
  return { header, payload: JSON.parse(Buffer.from(b!, 'base64url').toString()) as Claims };
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

describe('discovery', () => {
  it('publishes the issuer, its endpoints and an RS256 public key at the well-known URLs', () => {
    expect(p.issuer).toMatch(/^http:\/\/localhost:\d+$/);
    expect(discovery.issuer).toBe(p.issuer);
    expect(discovery.jwks_uri).toBe(p.jwksUri);
    expect(p.jwksUri).toBe(`${p.issuer}/.well-known/jwks.json`);
    for (const ep of ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint'])
      expect(String(discovery[ep])).toMatch(new RegExp(`^${p.issuer}/`));
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    expect(discovery.response_types_supported).toEqual(['code']);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.token_endpoint_auth_methods_supported).toContain('client_secret_basic');
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    // public parts only
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(p.clientIds.sort()).toEqual(['demo-ops', 'demo-warehouse', 'emi-links-web']);
  });

  it('listens on loopback: 127.0.0.1 answers', async () => {
    const port = new URL(p.issuer).port;
    const res = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
  });
});

describe('client credentials', () => {
  it('answers a signed JWT access token to grant_type and HTTP Basic alone, with the client scopes', async () => {
    const res = await fetch(String(discovery.token_endpoint), {
      method: 'POST',
      headers: {
        authorization: basic('demo-ops', 'demo-ops-secret'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Claims;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL,
      scope: 'emi-links/read emi-links/write emi-links/loans.write',
    });
    expect(body.refresh_token).toBeUndefined();
    const { header, payload } = verified(String(body.access_token));
    expect(header.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      iss: p.issuer,
      token_use: 'access',
      client_id: 'demo-ops',
      sub: 'demo-ops',
      scope: 'emi-links/read emi-links/write emi-links/loans.write',
      // API Gateway's JWT authorizer checks `aud`, or `client_id` when there is none (Cognito):
      // both name the client
      aud: 'demo-ops',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(ACCESS_TOKEN_TTL);
    // a machine is no person: no role, no lenders, no username
    expect(payload['cognito:groups']).toBeUndefined();
    expect(payload.lenders).toBeUndefined();
    expect(payload.username).toBeUndefined();
  });

  it('gives each machine client exactly its own scopes, also when it asks for more', async () => {
    for (const c of DEMO_CLIENTS.filter((x) => x.secret)) {
      const { payload } = verified(await clientCredentialsToken(p.issuer, c.clientId, c.secret!));
      expect(payload.scope).toBe(c.scope);
      expect(payload.client_id).toBe(c.clientId);
    }
    const res = await fetch(String(discovery.token_endpoint), {
      method: 'POST',
      headers: { authorization: basic('demo-warehouse', 'demo-warehouse-secret') },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'emi-links/write emi-links/loans.write',
      }),
    });
    const body = (await res.json()) as Claims;
    expect(res.status).toBe(200);
    expect(verified(String(body.access_token)).payload.scope).toBe('emi-links/loans.write');
  });

  it('refuses a wrong secret, an unknown client and the public client', async () => {
    const token = String(discovery.token_endpoint);
    const attempts: [string, RequestInit][] = [
      ['wrong secret', { headers: { authorization: basic('demo-ops', 'nope') } }],
      ['unknown client', { headers: { authorization: basic('someone', 'demo-ops-secret') } }],
      [
        'public client',
        { body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'emi-links-web' }) },
      ],
    ];
    for (const [why, init] of attempts) {
      const res = await fetch(token, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
        ...init,
      });
      expect(res.status, why).toBeGreaterThanOrEqual(400);
      expect(res.status, why).toBeLessThan(500);
      const body = (await res.json()) as Claims;
      expect(body.access_token, why).toBeUndefined();
      expect(['invalid_client', 'unauthorized_client', 'invalid_request']).toContain(body.error);
    }
    await expect(clientCredentialsToken(p.issuer, 'demo-ops', 'wrong')).rejects.toBeInstanceOf(TokenError);
  });
});

describe('people sign in through the provider login page (authorization code + PKCE)', () => {
  it.each(DEMO_USERS.map((u) => [u.username, u] as const))(
    '%s gets an access token with its role, lenders and username',
    async (_name, user) => {
      const token = await passwordLogin(p.issuer, {
        username: user.username,
        password: user.password,
        redirectUri: REDIRECT,
      });
      const { payload } = verified(token);
      expect(payload).toMatchObject({
        iss: p.issuer,
        token_use: 'access',
        client_id: 'emi-links-web',
        sub: user.sub,
        'cognito:groups': [user.role],
        lenders: user.lenders,
        username: user.username,
        scope: 'openid profile',
        aud: 'emi-links-web',
      });
      expect(Number(payload.exp) - Number(payload.iat)).toBe(ACCESS_TOKEN_TTL);
    },
  );

  it('the demo people are the contract ones', () => {
    expect(DEMO_USERS.map((u) => [u.username, u.password, u.role, u.lenders.join('|')])).toEqual([
      ['admin', 'demo-admin', 'admin', '*'],
      ['collector', 'demo-collector', 'collector', 'Kaveri Finance|Deccan Credit'],
      ['viewer', 'demo-viewer', 'viewer', 'Sahyadri Microfin'],
    ]);
  });

  it('refuses a wrong password and an unknown user on the login page itself', async () => {
    for (const [username, password] of [
      ['collector', 'demo-viewer'],
      ['collector', ''],
      ['nobody', 'demo-collector'],
    ] as const) {
      await expect(passwordLogin(p.issuer, { username, password, redirectUri: REDIRECT })).rejects.toThrow(
        /wrong username or password/,
      );
    }
  });

  it('the login page has a Username and a Password field and a Sign in button, behind a strict CSP', async () => {
    const auth = new URL(String(discovery.authorization_endpoint));
    auth.search = new URLSearchParams({
      client_id: 'emi-links-web',
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const first = await fetch(auth, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const cookie = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const page = await fetch(new URL(first.headers.get('location')!, p.issuer), { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<label for="username">Username<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<input id="password" name="password" type="password"/);
    expect(html).toMatch(/<button type="submit">Sign in<\/button>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`form-action 'self' ${PAGE}`);
  });

  it('refuses a redirect the page client did not register', async () => {
    await expect(
      passwordLoginTokens(p.issuer, {
        username: 'collector',
        password: 'demo-collector',
        redirectUri: 'http://localhost:1/elsewhere',
      }),
    ).rejects.toThrow(TokenError);
  });

  it('a refresh token renews the access token with the same claims; the old refresh token is spent', async () => {
    const first = await passwordLoginTokens(p.issuer, {
      username: 'viewer',
      password: 'demo-viewer',
      redirectUri: REDIRECT,
    });
    expect(first.refreshToken).toBeTruthy();
    const renewed = await refreshTokens(p.issuer, first.refreshToken!);
    const a = verified(first.accessToken).payload;
    const b = verified(renewed.accessToken).payload;
    expect(b.jti).not.toBe(a.jti);
    for (const claim of ['sub', 'cognito:groups', 'lenders', 'username', 'client_id', 'token_use', 'scope'])
      expect(b[claim]).toEqual(a[claim]);
    // public client: the refresh token rotates, and a spent one is refused
    expect(renewed.refreshToken).toBeTruthy();
    expect(renewed.refreshToken).not.toBe(first.refreshToken);
    await expect(refreshTokens(p.issuer, first.refreshToken!)).rejects.toThrow(/invalid_grant/);
  });

  it('the page can revoke its refresh token (logout), and nobody else can', async () => {
    const tokens = await passwordLoginTokens(p.issuer, {
      username: 'collector',
      password: 'demo-collector',
      redirectUri: REDIRECT,
    });
    const revoke = (clientId: string, auth?: string) =>
      fetch(String(discovery.revocation_endpoint), {
        method: 'POST',
        headers: auth ? { authorization: auth } : {},
        body: new URLSearchParams({
          token: tokens.refreshToken!,
          token_type_hint: 'refresh_token',
          ...(auth ? {} : { client_id: clientId }),
        }),
      });
    // another client's attempt changes nothing (RFC 7009 lets it look the same), the token still works
    expect((await revoke('demo-ops', basic('demo-ops', 'demo-ops-secret'))).status).toBeLessThan(500);
    const renewed = await refreshTokens(p.issuer, tokens.refreshToken!);
    tokens.refreshToken = renewed.refreshToken;
    expect((await revoke('emi-links-web')).status).toBe(200);
    await expect(refreshTokens(p.issuer, tokens.refreshToken!)).rejects.toThrow(/invalid_grant/);
  });

  it('an ID token says it is one (token_use "id"), as on Cognito', async () => {
    const tokens = await passwordLoginTokens(p.issuer, {
      username: 'admin',
      password: 'demo-admin',
      redirectUri: REDIRECT,
    });
    const { payload } = verified(tokens.idToken!);
    expect(payload).toMatchObject({ token_use: 'id', aud: 'emi-links-web', iss: p.issuer });
  });
});
