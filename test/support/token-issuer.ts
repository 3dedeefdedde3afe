/**
 * A token issuer for tests: an RSA key the test generates, its public half served as a JWKS
 * over real HTTP, and access tokens signed with it carrying Cognito's claim names — so the
 * functions' verifier runs exactly as in production (fetches the JWKS, checks the signature).
 * Forged tokens for the bad-input cases are made here too (other issuer, other client, expired,
 * tampered, `alg: none`, HS256 with the public key, ID token).
 * Happy-path tests of access control use the real local OpenID Connect provider instead.
 */
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { Actor } from '../../shared/auth/actor';

export const TEST_CLIENT_IDS = ['emi-links-web', 'demo-ops', 'demo-warehouse'];

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  publicJwk: JWK;
  /** a signed access token; `claims` override the defaults (a demo-ops machine token) */
  mint(claims?: JWTPayload, opts?: { expiresInSeconds?: number | null; kid?: string }): Promise<string>;
  person(role: string | null, lenders: string[], extra?: JWTPayload): Promise<string>;
  machine(scope: string, clientId?: string): Promise<string>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('no address');
  return addr.port;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'test-key-1';
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicJwk] }));
      return;
    }
    res.writeHead(404).end();
  });
  const port = await listen(server);
  server.unref();
  const issuer = `http://127.0.0.1:${port}`;
  const mint: TestIssuer['mint'] = async (claims = {}, opts = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({
      token_use: 'access',
      client_id: 'demo-ops',
      sub: 'demo-ops',
      scope: 'emi-links/read emi-links/write emi-links/loans.write',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? kid, typ: 'JWT' })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
      .setIssuedAt(now);
    // null: a token without `exp` (which the verifier must refuse)
    if (opts.expiresInSeconds !== null) jwt.setExpirationTime(now + (opts.expiresInSeconds ?? 3600));
    return jwt.sign(privateKey);
  };
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    publicJwk,
    mint,
    person: (role, lenders, extra = {}) =>
      mint({
        client_id: 'emi-links-web',
        sub: `user-${role ?? 'none'}-${lenders.join('+')}`,
        username: `${role ?? 'nobody'}-user`,
        'cognito:groups': role ? [role] : [],
        lenders,
        scope: 'openid profile',
        ...extra,
      }),
    machine: (scope, clientId = 'demo-ops') => mint({ client_id: clientId, sub: clientId, scope }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Points the functions' verifier (AUTH_* variables) at `issuer`, as the CDK stack would. */
export function trustIssuer(issuer: Pick<TestIssuer, 'issuer' | 'jwksUri'>, clientIds = TEST_CLIENT_IDS) {
  Object.assign(process.env, {
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URI: issuer.jwksUri,
    AUTH_CLIENT_IDS: clientIds.join(','),
  });
}

/** The actor of demo-ops (all scopes, all lenders), for tests that call use cases directly. */
export const opsActor: Actor = {
  sub: 'demo-ops',
  name: 'demo-ops',
  kind: 'machine',
  permissions: new Set(['read', 'write', 'loans']),
  lenders: '*',
};
