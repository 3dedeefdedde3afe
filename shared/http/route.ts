/**
 * The one HTTP middleware stack (middy), in a fixed order:
 *   1. error mapping (registered first so its onError runs last: middy unwinds in reverse)
 *   2. observability (shared/observe.ts: Powertools logger context, tracer, metrics flush;
 *      the request id in every log entry)
 *   3. request context / access log
 *   4. the gate (every route the route table does not mark `public`): a verified access token
 *      whose actor holds the route's permission, else 401/403 — before anything is read
 *   5. body reading (JSON routes only: content type, size limit, parse) — never in front of
 *      the webhook, which needs the raw bytes
 *   6. zod validation of body, query and path
 * Handlers receive typed input (and the actor) and return `{ statusCode, body }`; the stack serialises it.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { type Permission, routes } from '../../lib/routes';
import type { Actor, GrantedPermission } from '../auth/actor';
import { authenticate } from '../auth/gate';
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors';
import { log } from '../log';
import { observability, withInvocation } from '../observe';
import { toHttpError } from './errors';
import { parseWith } from './validation';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export interface RouteRequest<B, Q, P> {
  /** who is calling: verified by the gate, holding the route's permission */
  actor: Actor;
  body: B;
  query: Q;
  path: P;
  /** lower-cased header names */
  headers: Record<string, string | undefined>;
  requestId: string;
  /** the body bytes exactly as delivered, for routes that verify a signature over them */
  rawBody: () => Buffer;
}

export interface RouteResponse {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** a non-JSON answer (an image, a page): sent as is instead of `body` (bytes base64-encoded) */
  content?: { type: string; body: string | Buffer };
}

export interface RouteSchemas<B, Q, P> {
  body?: z.ZodMiniType<B>;
  query?: z.ZodMiniType<Q>;
  path?: z.ZodMiniType<P>;
  maxBodyBytes?: number;
  /** the webhook: any content type (it verifies a signature over the raw bytes instead) */
  anyContentType?: boolean;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers?: Record<string, string>,
): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function lowerCaseHeaders(event: HttpEvent): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** Decodes the body bytes exactly as API Gateway delivered them. */
export function rawBodyOf(event: HttpEvent): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function contentTypeOf(headers: Record<string, string | undefined>): string {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * A write without a body schema (cancel, refresh) takes no body and no content type, or JSON:
 * a cross-site HTML form (urlencoded, multipart, text/plain) is a 415, never a write.
 */
function refuseFormWrite(event: HttpEvent): void {
  if (event.requestContext?.http?.method === 'GET') return;
  const contentType = contentTypeOf(lowerCaseHeaders(event));
  if (contentType === '' ? rawBodyOf(event).length > 0 : contentType !== 'application/json') {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json, or send no body');
  }
}

/** Reads and parses a JSON body: 415 for another content type, 413 when too large, 400 when malformed. */
export function readJsonBody(event: HttpEvent, maxBytes = MAX_JSON_BODY_BYTES): unknown {
  const headers = lowerCaseHeaders(event);
  const raw = rawBodyOf(event);
  if (raw.length > maxBytes) {
    throw new PayloadTooLargeError(`Request body is larger than ${maxBytes} bytes`);
  }
  const contentType = contentTypeOf(headers);
  const unsupported = () => new UnsupportedMediaTypeError('Content-Type must be application/json');
  if (contentType !== '' && contentType !== 'application/json') throw unsupported();
  if (raw.length === 0) throw new MalformedBodyError('Request body is empty; send a JSON object');
  if (contentType !== 'application/json') throw unsupported();
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MalformedBodyError('Request body is not valid JSON');
  }
}

const errorMapper = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const { statusCode, body, headers } = toHttpError(request.error);
    request.response = jsonResponse(statusCode, body, headers);
  },
});

/** The actor the gate let through, per event (read by the access log and the handler). */
const actors = new WeakMap<HttpEvent, Actor>();

const gate = (permission: GrantedPermission): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    const authorization = lowerCaseHeaders(request.event).authorization;
    actors.set(request.event, await authenticate(authorization, permission));
  },
});

/** A public route's place in the stack (middy wants a hook in every middleware). */
const noGate: MiddlewareObj<HttpEvent, HttpResult> = { before: async () => {} };

const accessLog = (routeId: string): MiddlewareObj<HttpEvent, HttpResult> => {
  let started = 0;
  return {
    before: async () => {
      started = performance.now();
    },
    after: async (request) => {
      log.info('request', {
        route: routeId,
        requestId: request.context.awsRequestId,
        status: request.response?.statusCode,
        // who, by id only: this line never carries a borrower's data, and names stay out of logs
        actor: actors.get(request.event)?.sub,
        ms: Math.round(performance.now() - started),
      });
    },
    onError: async (request) => {
      log.info('request failed', {
        route: routeId,
        requestId: request.context.awsRequestId,
        errorName: request.error?.name,
        ms: Math.round(performance.now() - started),
      });
    },
  };
};

/** The route's permission from the route table (lib/routes.ts), the one place it is declared. */
export function permissionOf(routeId: string): Permission {
  const def = routes.find((r) => r.id === routeId);
  if (!def) throw new Error(`Route ${routeId} is not in lib/routes.ts`);
  return def.permission;
}

/**
 * Wraps a plain route function into the Lambda handler. `fn` receives typed, validated input
 * and the actor; tests may call the returned handler with an API Gateway v2 event. The route
 * table decides whether the gate runs: every route but a `public` one (the webhook, whose
 * signature is its check, and which therefore has no actor) needs a token with its permission.
 */
export function httpRoute<B = undefined, Q = Record<string, never>, P = Record<string, never>>(
  routeId: string,
  schemas: RouteSchemas<B, Q, P>,
  fn: (req: RouteRequest<B, Q, P>) => Promise<RouteResponse>,
) {
  const permission = permissionOf(routeId);
  const wrapped = middy<HttpEvent, HttpResult, Error, Context>()
    .use(errorMapper())
    .use(observability())
    .use(accessLog(routeId))
    .use(permission === 'public' ? noGate : gate(permission))
    .handler(async (event, context) => {
      const headers = lowerCaseHeaders(event);
      if (!schemas.body && !schemas.anyContentType) refuseFormWrite(event);
      const body = schemas.body
        ? parseWith(schemas.body, readJsonBody(event, schemas.maxBodyBytes), 'body')
        : (undefined as B);
      const query = schemas.query
        ? parseWith(schemas.query, event.queryStringParameters ?? {}, 'query')
        : ({} as Q);
      const path = schemas.path ? parseWith(schemas.path, event.pathParameters ?? {}, 'path') : ({} as P);
      const result = await fn({
        // only a route the table marks public has none (and its function never reads it)
        actor: actors.get(event) as Actor,
        body,
        query,
        path,
        headers,
        requestId: context.awsRequestId,
        rawBody: () => rawBodyOf(event),
      });
      if (result.content) {
        const bytes = Buffer.isBuffer(result.content.body);
        return {
          statusCode: result.statusCode,
          headers: { 'content-type': result.content.type, ...result.headers },
          body: bytes ? (result.content.body as Buffer).toString('base64') : (result.content.body as string),
          isBase64Encoded: bytes,
        };
      }
      return jsonResponse(result.statusCode, result.body ?? {}, result.headers);
    });
  return withInvocation(routeId, (event: HttpEvent, context) => wrapped(event, context));
}
