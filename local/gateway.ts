/**
 * The local API gateway: serves the route table (lib/routes.ts) over node:http by turning each
 * request into an API Gateway HTTP API (payload v2.0) event for the very same handler modules
 * that run in Lambda, and maps their results back like API Gateway does. Also serves the web
 * page's static files. Handlers load lazily on first use, as a Lambda cold start would.
 * Every route the route table does not mark `public` goes through the JWT authorizer first
 * (local/jwt-authorizer.ts, the checks API Gateway makes): no valid token, no function call.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type RouteDef, routeKeyOf, routes } from '../lib/routes';
import { authorizeRequest, authorizerConfigFromEnv } from './jwt-authorizer';
import { ROOT } from './paths';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's own payload cap is 10 MB; our JSON routes refuse more than 1 MB themselves. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|xml)|text\/)/i;

interface CompiledRoute {
  def: RouteDef;
  regex: RegExp;
  params: string[];
}

function compile(def: RouteDef): CompiledRoute {
  const params: string[] = [];
  const pattern = def.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a, b) => {
      params.push(a ?? b);
      return '([^/]+)';
    });
  return { def, regex: new RegExp(`^${pattern}$`), params };
}

const compiled = routes.filter((r) => r.path !== '$default').map(compile);
/** API Gateway's `$default` route: whatever no other route matches */
const fallback = routes.find((r) => r.path === '$default');
const handlerCache = new Map<string, Promise<Handler>>();

function loadHandler(id: string): Promise<Handler> {
  let p = handlerCache.get(id);
  if (!p) {
    p = import(join(ROOT, 'functions', id, 'handler.ts')).then((m: { handler: Handler }) => m.handler);
    handlerCache.set(id, p);
  }
  return p;
}

/**
 * Reads the body, up to `max` bytes. A declared Content-Length above the cap is refused before
 * a byte is read; a chunked body stops being read the moment it passes the cap.
 */
function readBody(req: IncomingMessage, max = GATEWAY_MAX_BODY): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too-large');
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) {
        chunks.push(c);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolveBody('too-large');
    };
    req.on('data', onData);
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function lambdaContext(id: string): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: id,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${id}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${id}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function toEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: CompiledRoute,
  pathParams: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: routeKeyOf(route.def),
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: headers.cookie ? headers.cookie.split(/;\s*/) : undefined,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: route.params.length > 0 ? pathParams : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: routeKeyOf(route.def),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJsonError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  send(res, status, JSON.stringify({ error: { code, message } }), {
    'content-type': 'application/json',
    ...headers,
  });
}

/**
 * The JWT authorizer's verdict for a route that needs a token: claims for the event, or the
 * refusal already sent. Without AUTH_* configuration every such route is refused (fail closed).
 */
async function authorize(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<{ claims: Record<string, string>; scopes: string[] | null } | undefined> {
  const cfg = authorizerConfigFromEnv();
  if (!cfg) {
    sendJsonError(
      res,
      503,
      'AUTH_NOT_CONFIGURED',
      'Access control is not configured: set AUTH_ISSUER, AUTH_JWKS_URI and AUTH_CLIENT_IDS',
    );
    return undefined;
  }
  const verdict = await authorizeRequest(req.headers.authorization, cfg);
  if (verdict.ok) return { claims: verdict.claims, scopes: verdict.scopes };
  if (verdict.status === 503) {
    sendJsonError(
      res,
      503,
      'AUTH_UNAVAILABLE',
      'The identity provider cannot be reached; try again shortly',
      {
        'retry-after': '5',
      },
    );
  } else {
    sendJsonError(
      res,
      401,
      'UNAUTHENTICATED',
      verdict.tokenPresented
        ? 'The access token is invalid or has expired; log in again'
        : 'This route needs Authorization: Bearer <access token>',
      { 'www-authenticate': verdict.tokenPresented ? 'Bearer error="invalid_token"' : 'Bearer' },
    );
  }
  return undefined;
}

/** How long a caller is told to wait while the local stack starts (seconds). */
export const STARTING_RETRY_AFTER_SECONDS = 1;

export interface GatewayOptions {
  port: number;
  host?: string;
  /**
   * Open the port at once but answer every request 503 with Retry-After until `markReady()`:
   * `npm start` opens it before DynamoDB Local and the demo data are loaded, so a caller sees
   * "starting" (and `GET /api/health` says so) instead of a refused connection or a partial list.
   */
  starting?: boolean;
  /** local-only operator routes (e.g. /_local/…); return true when handled */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  onError?: (err: unknown) => void;
}

function sendStarting(res: ServerResponse, url: URL) {
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'retry-after': String(STARTING_RETRY_AFTER_SECONDS),
  };
  // the health route's own shape (see functions/health), every other route the error body
  const body =
    url.pathname === '/api/health'
      ? { status: 'starting' }
      : {
          error: {
            code: 'STARTING',
            message: 'The local stack is still starting (loading its data); retry in a moment',
          },
        };
  send(res, 503, JSON.stringify(body), headers);
}

export async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: GatewayOptions,
  state: { ready: boolean } = { ready: true },
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const target0 = req.url ?? '/';
  // origin-form only: `//evil.example/api/…` or `http://…` would otherwise parse as another host
  if (!target0.startsWith('/') || target0.startsWith('//')) {
    return sendJsonError(res, 404, 'NOT_FOUND', 'No route for this path');
  }
  const url = new URL(`http://localhost${target0}`);
  if (!state.ready) {
    req.resume();
    return sendStarting(res, url);
  }
  if (opts.extra && url.pathname.startsWith('/_local/') && (await opts.extra(req, res, url))) return;
  let pathMatched = false;
  let target: { route: CompiledRoute; params: Record<string, string> } | undefined;
  for (const route of compiled) {
    const m = route.regex.exec(url.pathname);
    if (!m) continue;
    pathMatched = true;
    if (route.def.method !== method) continue;
    const params: Record<string, string> = {};
    try {
      route.params.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
    } catch {
      return sendJsonError(res, 400, 'MALFORMED_PATH', 'The path is not valid percent-encoding');
    }
    target = { route, params };
    break;
  }
  // like API Gateway: a path with routes for other methods only is still a miss, which the
  // `$default` route (when there is one) answers
  if (!target && fallback) target = { route: { def: fallback, regex: /$^/, params: [] }, params: {} };
  if (!target) {
    if (pathMatched)
      return sendJsonError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`);
    return sendJsonError(res, 404, 'NOT_FOUND', `No route for ${method} ${url.pathname}`);
  }
  let authorizer: Awaited<ReturnType<typeof authorize>>;
  if (target.route.def.permission !== 'public') {
    authorizer = await authorize(req, res);
    if (!authorizer) return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    // answer now and close: the rest of the body is never read
    res.setHeader('connection', 'close');
    sendJsonError(res, 413, 'PAYLOAD_TOO_LARGE', 'Request body is too large');
    req.socket.destroySoon();
    return;
  }
  const handler = await loadHandler(target.route.def.id);
  const event = toEvent(req, url, body, target.route, target.params);
  if (authorizer) {
    (event.requestContext as { authorizer?: unknown }).authorizer = {
      jwt: { claims: authorizer.claims, scopes: authorizer.scopes },
    };
  }
  const result = await handler(event, lambdaContext(target.route.def.id));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  const out =
    result.body === undefined
      ? ''
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : result.body;
  return send(res, result.statusCode ?? 200, out, headers);
}

function makeServer(opts: GatewayOptions, state: { ready: boolean }): Server {
  const server = createServer((req, res) => {
    handle(req, res, opts, state).catch((err) => {
      opts.onError?.(err);
      if (!res.headersSent) sendJsonError(res, 500, 'INTERNAL_ERROR', 'Something went wrong on our side');
      else res.end();
    });
  });
  server.keepAliveTimeout = 5000;
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
}

/**
 * Listens on 127.0.0.1 and, when the machine has IPv6, on ::1 too: `localhost` may resolve to
 * either, and binding to every interface would expose the API to the network.
 */
export interface Gateway {
  servers: Server[];
  url: string;
  /** ends the start-up 503s (see GatewayOptions.starting) */
  markReady(): void;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const state = { ready: !opts.starting };
  const v4 = makeServer(opts, state);
  await new Promise<void>((r, reject) => {
    v4.once('error', reject);
    v4.listen(opts.port, opts.host ?? '127.0.0.1', r);
  });
  const addr = v4.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const servers = [v4];
  if (!opts.host) {
    const v6 = makeServer(opts, state);
    const ok = await new Promise<boolean>((r) => {
      v6.once('error', () => r(false));
      v6.listen(port, '::1', () => r(true));
    });
    if (ok) servers.push(v6);
  }
  return {
    servers,
    url: `http://localhost:${port}`,
    markReady: () => {
      state.ready = true;
    },
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}
