/**
 * The operator page (web/dist), served by the API on its `$default` route: same origin as the
 * API, so the page needs no CORS and deploys with everything else. Only GET/HEAD of the page's
 * own files; anything else no route matched is the contract's 404/405 JSON error.
 * The files sit beside the bundle in Lambda (./web, copied at bundling) or under WEB_ROOT.
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
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

const SECURITY_HEADERS = {
  // the page loads only its own script and style and talks only to its own API; the CSV
  // download is a plain navigation to a presigned S3 URL, which connect-src does not govern
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function webRoot(): string {
  return process.env.WEB_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), 'web');
}

/** Files are read once per container and kept: they never change while it lives. */
const cache = new Map<string, Buffer>();

export async function main(method: string, path: string): Promise<APIGatewayProxyStructuredResultV2> {
  const name = FILES[path];
  if (!name) {
    return jsonResponse(404, { error: { code: 'NOT_FOUND', message: `No route for ${method} ${path}` } });
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return jsonResponse(
      405,
      { error: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on ${path}` } },
      { allow: 'GET, HEAD' },
    );
  }
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
      ...SECURITY_HEADERS,
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
