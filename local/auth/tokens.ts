/**
 * Real access tokens from an OpenID Connect provider (the local one, or any that speaks the same
 * flows), for API tests, scripts and benchmarks. No shortcuts: discovery, then the token
 * endpoint with HTTP Basic for machines, and for people the whole authorization-code + PKCE
 * (S256) flow of the page's client, following the provider's own sign-in form over plain HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WEB_CLIENT_ID } from './identities';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint?: string;
}

export interface TokenSet {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** seconds */
  expiresIn: number;
}

export class TokenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

const discoveries = new Map<string, Promise<Discovery>>();

export function discover(issuer: string): Promise<Discovery> {
  let d = discoveries.get(issuer);
  if (!d) {
    d = (async () => {
      const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
      if (!res.ok) throw new TokenError(`discovery at ${issuer} answered ${res.status}`, res.status);
      const doc = (await res.json()) as Discovery;
      if (doc.issuer !== issuer) throw new TokenError(`discovery names issuer ${doc.issuer}, not ${issuer}`);
      return doc;
    })();
    d.catch(() => discoveries.delete(issuer));
    discoveries.set(issuer, d);
  }
  return d;
}

async function tokenRequest(
  tokenEndpoint: string,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenSet> {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(body),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof json.access_token !== 'string') {
    throw new TokenError(
      `token endpoint answered ${res.status}: ${String(json.error ?? 'no access_token')}`,
      res.status,
    );
  }
  return {
    accessToken: json.access_token,
    idToken: typeof json.id_token === 'string' ? json.id_token : undefined,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
    expiresIn: Number(json.expires_in ?? 0),
  };
}

/** A machine's access token: client credentials with HTTP Basic and `grant_type` only. */
export async function clientCredentialsToken(
  issuer: string,
  clientId: string,
  clientSecret: string,
): Promise<string> {
  const { token_endpoint } = await discover(issuer);
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before the Basic encoding
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
    'base64',
  );
  const tokens = await tokenRequest(
    token_endpoint,
    { grant_type: 'client_credentials' },
    { authorization: `Basic ${basic}` },
  );
  return tokens.accessToken;
}

/** A tiny cookie jar: the provider's cookies are host-only; paths do not matter to it. */
class Cookies {
  private readonly jar = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
  header(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m
    ? m[1]!
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
    : undefined;
}

/** The provider's sign-in form: its action and fields, filled in with the person's credentials. */
function fillLoginForm(html: string, base: string, username: string, password: string) {
  const form = /<form\b[^>]*>/i.exec(html)?.[0];
  if (!form) throw new TokenError('the provider did not show a sign-in form');
  const action = new URL(attr(form, 'action') ?? '', base).href;
  const fields = new URLSearchParams();
  let sawUser = false;
  let sawPassword = false;
  for (const input of html.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(input, 'name');
    if (!name) continue;
    const type = (attr(input, 'type') ?? 'text').toLowerCase();
    if (type === 'password') {
      fields.set(name, password);
      sawPassword = true;
    } else if (type === 'hidden') {
      fields.set(name, attr(input, 'value') ?? '');
    } else if (!sawUser) {
      fields.set(name, username);
      sawUser = true;
    }
  }
  if (!sawUser || !sawPassword) throw new TokenError('the sign-in form has no username or password field');
  return { action, fields };
}

const base64url = (b: Buffer) => b.toString('base64url');

/**
 * Signs a person in through the provider's own sign-in page as the page would (client
 * `emi-links-web`, authorization code + PKCE S256) and returns all tokens.
 */
export async function passwordLoginTokens(
  issuer: string,
  opts: { username: string; password: string; redirectUri: string; scope?: string },
): Promise<TokenSet> {
  const d = await discover(issuer);
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const auth = new URL(d.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: WEB_CLIENT_ID,
    response_type: 'code',
    redirect_uri: opts.redirectUri,
    scope: opts.scope ?? 'openid profile',
    state,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();

  const cookies = new Cookies();
  let url = auth.href;
  let init: RequestInit = {};
  let submitted = false;
  for (let hop = 0; hop < 12; hop++) {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: cookies.header() },
    });
    cookies.take(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      if (next.href.startsWith(opts.redirectUri)) {
        const p = next.searchParams;
        if (p.get('error')) throw new TokenError(`sign-in failed: ${p.get('error')}`);
        if (p.get('state') !== state) throw new TokenError('sign-in answered with another state');
        const code = p.get('code');
        if (!code) throw new TokenError('sign-in answered without a code');
        return tokenRequest(d.token_endpoint, {
          grant_type: 'authorization_code',
          client_id: WEB_CLIENT_ID,
          code,
          redirect_uri: opts.redirectUri,
          code_verifier: verifier,
        });
      }
      url = next.href;
      init = {};
      continue;
    }
    const html = await res.text();
    if (submitted) {
      throw new TokenError(
        res.status === 401 ? 'sign-in refused: wrong username or password' : `sign-in failed (${res.status})`,
        res.status,
      );
    }
    if (!res.ok) throw new TokenError(`the provider answered ${res.status} before sign-in`, res.status);
    const form = fillLoginForm(html, url, opts.username, opts.password);
    url = form.action;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.fields.toString(),
    };
    submitted = true;
  }
  throw new TokenError('sign-in did not finish (too many redirects)');
}

/** A person's access token, signed in through the provider's own sign-in page (see above). */
export async function passwordLogin(
  issuer: string,
  opts: { username: string; password: string; redirectUri: string },
): Promise<string> {
  return (await passwordLoginTokens(issuer, opts)).accessToken;
}

/** Exchanges a refresh token of the page's client for fresh tokens. */
export async function refreshTokens(issuer: string, refreshToken: string): Promise<TokenSet> {
  const d = await discover(issuer);
  return tokenRequest(d.token_endpoint, {
    grant_type: 'refresh_token',
    client_id: WEB_CLIENT_ID,
    refresh_token: refreshToken,
  });
}
