/**
 * The local gateway's stand-in for API Gateway's HTTP API JWT authorizer, checking what it
 * checks and nothing more: a token in `Authorization` (the `Bearer ` prefix removed), signed
 * with a key of the issuer's JWKS (RS256), `iss` the configured issuer, `exp` in the future
 * (and `nbf`, `iat` not ahead), and `aud` — or, when the token has none (Cognito's access tokens),
 * `client_id` — one of the configured app clients. It does NOT check `token_use`, roles or
 * scopes (the API's routes declare no authorization scopes): like on AWS, an ID token of a
 * configured client passes here and is refused by the function's own check.
 * A refusal is a 401 before any function runs; a pass hands the claims to the function in
 * `requestContext.authorizer.jwt`, as API Gateway does (the function verifies the token again).
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

export interface AuthorizerConfig {
  issuer: string;
  jwksUri: string;
  clientIds: string[];
}

export type AuthorizerResult =
  | { ok: true; claims: Record<string, string>; scopes: string[] | null }
  | { ok: false; status: 401 | 503; message: string; tokenPresented: boolean };

/** The configuration the functions read (AUTH_*), or undefined when access control is not set up. */
export function authorizerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthorizerConfig | undefined {
  const { AUTH_ISSUER: issuer, AUTH_JWKS_URI: jwksUri, AUTH_CLIENT_IDS: ids } = env;
  if (!issuer || !jwksUri || !ids) return undefined;
  const clientIds = ids
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { issuer, jwksUri, clientIds };
}

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySet(uri: string) {
  let set = keySets.get(uri);
  if (!set) {
    set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 3000 });
    keySets.set(uri, set);
  }
  return set;
}

/** API Gateway passes claims to the function as strings; arrays as `[a b]`. */
function flatten(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

export async function authorizeRequest(
  authorization: string | undefined,
  cfg: AuthorizerConfig,
): Promise<AuthorizerResult> {
  const token = authorization?.replace(/^Bearer\s+/i, '').trim();
  if (!token) return { ok: false, status: 401, message: 'missing token', tokenPresented: false };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySet(cfg.jwksUri), {
      issuer: cfg.issuer,
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    const outage =
      err instanceof errors.JWKSTimeout ||
      !(err instanceof errors.JOSEError) ||
      err.code === errors.JOSEError.code;
    if (outage) return { ok: false, status: 503, message: 'issuer keys unavailable', tokenPresented: true };
    return { ok: false, status: 401, message: err.code, tokenPresented: true };
  }
  const audiences = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const clientOk =
    audiences.length > 0
      ? audiences.some((a) => cfg.clientIds.includes(a))
      : typeof payload.client_id === 'string' && cfg.clientIds.includes(payload.client_id);
  if (!clientOk) return { ok: false, status: 401, message: 'audience', tokenPresented: true };
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : null;
  return { ok: true, claims: flatten(payload), scopes };
}
