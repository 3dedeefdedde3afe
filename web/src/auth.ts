/**
 * Logging in (architecture §4a): OpenID Connect authorization code + PKCE (S256) through the
 * identity provider's own login page — Cognito's hosted UI on AWS, the local provider on this
 * machine. Written out here rather than taken from a library: the page needs only this one flow
 * and the refresh grant (~3 KB), where oauth4webapi adds 19 KB to a 50 KB page budget. The
 * checks that matter are all here: PKCE S256, `state`, `iss` (RFC 9207) when the provider sends
 * it, the issuer of the discovery document, HTTPS for any provider not on this machine. The ID
 * token is kept only as the logout hint: who is logged in comes from GET /api/me.
 *
 * - The issuer and the page's public client id come from `/auth-config.json` (public settings,
 *   no data); the provider's endpoints from its discovery document.
 * - Tokens live in this tab's sessionStorage only: a reload keeps the person logged in, closing
 *   the tab forgets them. Nothing is kept in cookies or localStorage.
 * - An access token about to expire, or one the API answered 401 to, is renewed once with the
 *   refresh token; when that fails the page asks the person to log in again.
 * - Log out forgets the tokens, revokes the refresh token, and ends the session at the provider
 *   (RP-initiated logout, or Cognito's /logout when the config names one), which sends the
 *   browser back to the page.
 */
export interface AuthConfig {
  issuer: string;
  clientId: string;
  redirectUri?: string;
  logoutUrl?: string;
  revokeUrl?: string;
}

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** epoch ms */
  expiresAt: number;
}

interface PendingLogin {
  verifier: string;
  state: string;
  /** the tab the person was on (the URL hash), restored after login */
  hash: string;
}

const TOKENS_KEY = 'emi-links.auth.tokens';
const PENDING_KEY = 'emi-links.auth.pending';
/** renew this long before expiry, so a request never leaves with a token about to lapse */
const EARLY_MS = 60_000;
/** what the page asks for: who you are; the API decides by role, not by scopes */
const SCOPE = 'openid profile';

/** the provider's discovery document: the parts the page uses */
interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  revocation_endpoint?: string;
}

let config: AuthConfig;
let as: Discovery;
let redirectUri: string;
let tokens: Tokens | null = null;
let renewing: Promise<string | null> | null = null;

export class LoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoginError';
  }
}

function save(t: Tokens | null): void {
  tokens = t;
  if (t) sessionStorage.setItem(TOKENS_KEY, JSON.stringify(t));
  else sessionStorage.removeItem(TOKENS_KEY);
}

function load(): Tokens | null {
  try {
    const t = JSON.parse(sessionStorage.getItem(TOKENS_KEY) ?? 'null') as Tokens | null;
    return t && typeof t.accessToken === 'string' && typeof t.expiresAt === 'number' ? t : null;
  } catch {
    return null;
  }
}

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

const random = (n = 32) => base64url(crypto.getRandomValues(new Uint8Array(n)));

/** RFC 7636 S256: BASE64URL(SHA256(verifier)) */
async function pkceChallenge(verifier: string): Promise<string> {
  return base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/** Plain HTTP only for a provider on this machine (the local one); anything else needs HTTPS. */
function trusted(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  const url = new URL(endpoint);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) return url.href;
  throw new LoginError('The login service is not configured safely (it must use HTTPS).');
}

async function discover(issuer: string): Promise<Discovery> {
  trusted(issuer);
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    headers: { accept: 'application/json' },
  });
  if (!res.ok) throw new LoginError('The login service did not answer. Reload the page to try again.');
  const d = (await res.json()) as Partial<Discovery>;
  if (d.issuer !== issuer || !d.authorization_endpoint || !d.token_endpoint)
    throw new LoginError('The login service is not the one this page is configured for.');
  return {
    issuer,
    authorization_endpoint: trusted(d.authorization_endpoint)!,
    token_endpoint: trusted(d.token_endpoint)!,
    end_session_endpoint: trusted(d.end_session_endpoint),
    revocation_endpoint: trusted(d.revocation_endpoint),
  };
}

/** The provider refused the grant (as opposed to not answering). */
class GrantRefused extends Error {}

/** A token request (code exchange or refresh) of the page's public client. */
async function tokenRequest(params: Record<string, string>, previous?: Tokens | null): Promise<Tokens> {
  const res = await fetch(as.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: config.clientId, ...params }),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.access_token !== 'string' || !/^bearer$/i.test(String(body.token_type))) {
    throw new GrantRefused(String(body.error_description ?? body.error ?? `HTTP ${res.status}`));
  }
  return {
    accessToken: body.access_token,
    // a provider that does not rotate refresh tokens answers none: keep the one we have
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : previous?.refreshToken,
    idToken: typeof body.id_token === 'string' ? body.id_token : previous?.idToken,
    expiresAt: Date.now() + (Number(body.expires_in) > 0 ? Number(body.expires_in) : 300) * 1000,
  };
}

/**
 * Reads the config and the provider's discovery document, and finishes a login when the
 * provider has just sent the browser back with a code. Resolves whether someone is logged in;
 * never resolves when it first moves the page to its registered origin.
 */
export async function initAuth(): Promise<boolean> {
  const res = await fetch('/auth-config.json', { headers: { accept: 'application/json' } });
  if (!res.ok) throw new LoginError('Logging in is not configured on this server.');
  config = (await res.json()) as AuthConfig;
  redirectUri = config.redirectUri ?? `${window.location.origin}/`;
  const registered = new URL(redirectUri);
  if (registered.origin !== window.location.origin) {
    // e.g. opened as 127.0.0.1 while the provider knows localhost: move there first
    window.location.replace(`${registered.href}${window.location.hash}`);
    return new Promise<boolean>(() => {});
  }
  as = await discover(config.issuer);

  const url = new URL(window.location.href);
  if (url.searchParams.has('code') || url.searchParams.has('error')) {
    await finishLogin(url);
  } else {
    tokens = load();
  }
  return tokens !== null;
}

async function finishLogin(url: URL): Promise<void> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as PendingLogin | null;
  sessionStorage.removeItem(PENDING_KEY);
  // the code is single-use and must not stay in the address bar or the history
  window.history.replaceState(null, '', `${url.pathname}${pending?.hash ?? ''}`);
  if (!pending) throw new LoginError('This login was not started here (or took too long). Log in again.');
  const p = url.searchParams;
  if (p.get('state') !== pending.state)
    throw new LoginError('This login was not started here. Log in again.');
  // RFC 9207: a provider that names itself must be ours (Cognito does not send it)
  if (p.has('iss') && p.get('iss') !== as.issuer) throw new LoginError('Login answered by another service.');
  if (p.has('error')) {
    throw new LoginError(`Login failed: ${p.get('error_description') || p.get('error')}. Try again.`);
  }
  try {
    save(
      await tokenRequest({
        grant_type: 'authorization_code',
        code: p.get('code') ?? '',
        redirect_uri: redirectUri,
        code_verifier: pending.verifier,
      }),
    );
  } catch (err) {
    throw new LoginError(
      err instanceof GrantRefused
        ? `Login failed: ${err.message}. Try again.`
        : 'Cannot reach the login service.',
    );
  }
}

/** Sends the browser to the provider's login page. */
export async function login(): Promise<void> {
  const verifier = random();
  const state = random(16);
  const pending: PendingLogin = { verifier, state, hash: window.location.hash };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: config.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.href);
}

/** Forgets the tokens here and ends the session at the provider. */
export function logout(): void {
  const idToken = tokens?.idToken;
  const refreshToken = tokens?.refreshToken;
  save(null);
  // retire the refresh token too (RFC 7009); keepalive lets it finish as the page navigates away
  const revoke = as?.revocation_endpoint ?? config?.revokeUrl;
  if (revoke && refreshToken) {
    fetch(revoke, {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: refreshToken,
        token_type_hint: 'refresh_token',
        client_id: config.clientId,
      }),
    }).catch(() => {});
  }
  if (as?.end_session_endpoint) {
    const url = new URL(as.end_session_endpoint);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('post_logout_redirect_uri', redirectUri);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    window.location.assign(url.href);
  } else if (config?.logoutUrl) {
    const url = new URL(config.logoutUrl);
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('logout_uri', redirectUri);
    window.location.assign(url.href);
  } else {
    window.location.assign(redirectUri);
  }
}

async function renew(): Promise<string | null> {
  const refreshToken = tokens?.refreshToken;
  if (!refreshToken) {
    save(null);
    return null;
  }
  try {
    save(await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, tokens));
    return tokens!.accessToken;
  } catch (err) {
    // refused (expired, revoked, spent): log in again. Unreachable: keep the tokens and let the
    // request go with the one we have; it fails like any request while offline, and the next
    // one tries to renew again.
    if (err instanceof GrantRefused) {
      save(null);
      return null;
    }
    return tokens?.accessToken ?? null;
  }
}

/** One renewal at a time, however many requests notice the expiry together. */
function renewOnce(): Promise<string | null> {
  renewing ??= renew().finally(() => {
    renewing = null;
  });
  return renewing;
}

/** The access token for the next API request (renewed first when about to expire), or null. */
export async function accessToken(): Promise<string | null> {
  if (!tokens) return null;
  if (tokens.expiresAt - EARLY_MS > Date.now()) return tokens.accessToken;
  return renewOnce();
}

/**
 * The API refused `rejected` (401): renew once. Resolves a new token to retry with, or null
 * when the person must log in again. Several 401s for the same token share one renewal.
 */
export async function renewAfter401(rejected: string): Promise<string | null> {
  if (!tokens) return null;
  if (tokens.accessToken !== rejected) return tokens.accessToken;
  return renewOnce();
}

let sessionEnded: () => void = () => {};

/** What the page does when the session is over and the person must log in again. */
export function onSessionEnd(fn: () => void): void {
  sessionEnded = fn;
}

/** The API keeps refusing our token (or there is none): forget it and ask for a login. */
export function endSession(): void {
  save(null);
  sessionEnded();
}
