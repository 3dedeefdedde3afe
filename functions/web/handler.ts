/**
 * The operator page (web/dist), served by the API on its `$default` route: same origin as the
 * API, so the page needs no CORS and deploys with everything else. Only GET/HEAD of the page's
 * own files; anything else no route matched is the contract's 404/405 JSON error.
 * The files sit beside the bundle in Lambda (./web, copied at bundling) or under WEB_ROOT.
 *
 * `/auth-config.json` tells the page how to log in (architecture §4a) — public settings only,
 * from the environment: AUTH_ISSUER, AUTH_WEB_CLIENT_ID (the page's public client),
 * AUTH_WEB_REDIRECT_URI (optional: the registered redirect, so the page can move to that origin
 * first) and AUTH_LOGIN_URL (optional: Cognito's hosted-login base URL, whose `/oauth2/token`
 * the page calls, whose `/logout` ends the session and whose `/oauth2/revoke` retires the refresh
 * token at logout: Cognito's discovery document names neither).
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from '../../shared/http/route';
import { observedHandler } from '../../shared/observe';

const FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/styles.css': 'styles.css',
  '/charts.js': 'charts.js',
  '/refund.js': 'refund.js',
  '/exports.js': 'exports.js',
  '/uplot.css': 'uplot.css',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const AUTH_CONFIG_PATH = '/auth-config.json';

interface AuthConfig {
  issuer: string;
  clientId: string;
  redirectUri?: string;
  logoutUrl?: string;
  revokeUrl?: string;
}

function originOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/** Read per request (cheap): tests and the local system set these after this module loads. */
function authConfig(): AuthConfig | undefined {
  const issuer = process.env.AUTH_ISSUER;
  const clientId = process.env.AUTH_WEB_CLIENT_ID;
  if (!originOf(issuer) || !clientId) return undefined;
  const config: AuthConfig = { issuer: issuer!, clientId };
  if (originOf(process.env.AUTH_WEB_REDIRECT_URI)) config.redirectUri = process.env.AUTH_WEB_REDIRECT_URI;
  const login = process.env.AUTH_LOGIN_URL;
  if (originOf(login)) {
    const base = login!.replace(/\/+$/, '');
    config.logoutUrl = `${base}/logout`;
    config.revokeUrl = `${base}/oauth2/revoke`;
  }
  return config;
}

/**
 * The page loads only its own script and style and talks only to its own API and its identity
 * provider (discovery, token and its renewal; on Cognito the token endpoint is on the hosted-UI
 * domain, AUTH_LOGIN_URL), and the imports bucket (IMPORTS_UPLOAD_ORIGIN: the Import tab's presigned
 * PUT of a loans file). Logging in and out are navigations, not fetches; so is
 * the CSV download (a presigned S3 URL), and connect-src governs none of them.
 */
function securityHeaders(): Record<string, string> {
  const auth = authConfig();
  const connect = new Set(["'self'"]);
  const uploads = originOf(process.env.IMPORTS_UPLOAD_ORIGIN);
  for (const o of [originOf(auth?.issuer), originOf(auth?.logoutUrl), uploads]) if (o) connect.add(o);
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${[...connect].join(' ')}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

function webRoot(): string {
  return process.env.WEB_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), 'web');
}

/** Files are read once per container and kept: they never change while it lives. */
const cache = new Map<string, Buffer>();

function notFound(method: string, path: string): APIGatewayProxyStructuredResultV2 {
  return jsonResponse(404, { error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } });
}

export async function main(method: string, path: string): Promise<APIGatewayProxyStructuredResultV2> {
  const name = FILES[path];
  if (!name && path !== AUTH_CONFIG_PATH) return notFound(method, path);
  if (method !== 'GET' && method !== 'HEAD') {
    return jsonResponse(
      405,
      { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}` } },
      { allow: 'GET, HEAD' },
    );
  }
  if (path === AUTH_CONFIG_PATH) {
    const config = authConfig();
    if (!config) {
      return jsonResponse(503, {
        error: { code: 'AUTH_NOT_CONFIGURED', message: 'Logging in is not configured (AUTH_ISSUER)' },
      });
    }
    return jsonResponse(200, config, { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  }
  if (!name) return notFound(method, path);
  let body = cache.get(name);
  if (!body) {
    try {
      body = await readFile(join(webRoot(), name));
    } catch {
      return jsonResponse(503, {
        error: { code: 'PAGE_NOT_BUILT', message: 'The web page is not built; run npm run build:web' },
      });
    }
    cache.set(name, body);
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream',
      // not content-hashed names, so revalidate each time (the files are small)
      'cache-control': 'no-cache',
      ...securityHeaders(),
    },
    body: method === 'HEAD' ? '' : body.toString('base64'),
    isBase64Encoded: true,
  };
}

export const handler = observedHandler(
  'web',
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    main(event.requestContext.http.method.toUpperCase(), event.rawPath),
);
