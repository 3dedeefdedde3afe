/**
 * Access-token verification (architecture §4a), the second check behind API Gateway's JWT
 * authorizer: every function verifies the token again before a use case runs, so a misrouted
 * request can never bypass roles. Built on `jose` (never hand-written JWT parsing):
 *   - signature against the issuer's JWKS, RS256 only (`alg: none` and an HS256 token "signed"
 *     with the public key fail before any key is looked at);
 *   - `iss` exactly the configured issuer, `exp` required and in the future;
 *   - `token_use` = `access` (ID tokens are refused) and `client_id` one of the app clients.
 * No `aud` check: Cognito access tokens carry none.
 *
 * The JWKS is fetched on first use and cached at module scope (per JWKS URL), so a warm
 * container verifies with no network call; an unknown `kid` refetches at most every 30 s.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import { env } from '../config';
import { AuthUnavailableError, UnauthenticatedError } from '../domain/errors';

export interface AuthConfig {
  issuer: string;
  jwksUri: string;
  clientIds: string[];
}

/** AUTH_ISSUER, AUTH_JWKS_URI, AUTH_CLIENT_IDS (comma-separated); a missing one fails fast. */
export function authConfig(): AuthConfig {
  const clientIds = env('AUTH_CLIENT_IDS')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { issuer: env('AUTH_ISSUER'), jwksUri: env('AUTH_JWKS_URI'), clientIds };
}

/** The claims the API reads, as Cognito names them (locally the same names). */
export interface AccessClaims extends JWTPayload {
  sub: string;
  client_id: string;
  token_use: 'access';
  'cognito:groups'?: unknown;
  lenders?: unknown;
  scope?: unknown;
  username?: unknown;
  email?: unknown;
}

type RemoteJwks = ReturnType<typeof createRemoteJWKSet>;
const jwksByUri = new Map<string, RemoteJwks>();

/** The issuer's key set, one per JWKS URL for the life of the container. */
export function jwksFor(uri: string): RemoteJwks {
  let jwks = jwksByUri.get(uri);
  if (!jwks) {
    // a slow provider must not eat the request's budget; keys rotate rarely (10 min cache)
    jwks = createRemoteJWKSet(new URL(uri), { timeoutDuration: 3000, cacheMaxAge: 10 * 60_000 });
    jwksByUri.set(uri, jwks);
  }
  return jwks;
}

/** Forgets cached key sets (tests and the cold-start benchmark). */
export function resetJwksCache(): void {
  jwksByUri.clear();
}

export const ALGORITHMS = ['RS256'];

/** The key set could not be read: not the caller's fault, and nobody can be verified. */
function isKeySetOutage(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  // non-200 or unparsable JWKS answers are plain JOSEErrors; network failures are not JOSE errors
  return !(err instanceof errors.JOSEError) || err.code === errors.JOSEError.code;
}

/** Verifies one access token; throws UnauthenticatedError (401) or AuthUnavailableError (503). */
export async function verifyAccessToken(
  token: string,
  cfg: AuthConfig = authConfig(),
): Promise<AccessClaims> {
  try {
    decodeProtectedHeader(token);
  } catch (cause) {
    throw new UnauthenticatedError('token is not a JWS', true, { cause });
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwksFor(cfg.jwksUri), {
      issuer: cfg.issuer,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (err) {
    if (isKeySetOutage(err)) {
      throw new AuthUnavailableError('The identity provider cannot be reached; try again shortly', {
        cause: err,
      });
    }
    const code = err instanceof errors.JOSEError ? err.code : 'unknown';
    throw new UnauthenticatedError(`token refused: ${code}`, true, { cause: err });
  }
  if (payload.token_use !== 'access') {
    throw new UnauthenticatedError('not an access token (token_use)', true);
  }
  if (typeof payload.client_id !== 'string' || !cfg.clientIds.includes(payload.client_id)) {
    throw new UnauthenticatedError('token of another client', true);
  }
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new UnauthenticatedError('token without a subject', true);
  }
  return payload as AccessClaims;
}
