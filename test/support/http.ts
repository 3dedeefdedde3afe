/** Builds API Gateway HTTP API (v2.0) events and calls handlers the way Lambda would. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

export interface EventInput {
  method?: string;
  path?: string;
  body?: unknown;
  /** send this exact string/buffer as the body */
  rawBody?: string | Buffer;
  base64?: boolean;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  /** the Bearer token to send; default: the file's default token (see useDefaultToken); null: none */
  token?: string | null;
}

let defaultToken: string | undefined;

/** The token `call` sends when a test names none (set by useLocalAws: a demo-ops machine token). */
export function useDefaultToken(token: string | undefined): void {
  defaultToken = token;
}

/** `Authorization` for tests that call the local gateway with fetch: the file's default token. */
export function defaultAuthorization(): Record<string, string> {
  return defaultToken ? { authorization: `Bearer ${defaultToken}` } : {};
}

export function httpEvent(input: EventInput = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...input.headers };
  const token = input.token === undefined ? defaultToken : input.token;
  if (token && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.authorization = `Bearer ${token}`;
  }
  let body: string | undefined;
  if (input.rawBody !== undefined) {
    const buf = Buffer.isBuffer(input.rawBody) ? input.rawBody : Buffer.from(input.rawBody, 'utf8');
    body = input.base64 ? buf.toString('base64') : buf.toString('utf8');
  } else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const method = input.method ?? (body === undefined ? 'GET' : 'POST');
  const path = input.path ?? '/';
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(input.query ?? {}).toString(),
    headers,
    queryStringParameters: input.query,
    pathParameters: input.pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: Boolean(input.base64),
  };
}

export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:test',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    // generous: these calls test behaviour, not speed, and a loaded machine is slow (the route's
    // answer when time does run out is tested on its own: test/unit/route-timeout.test.ts)
    getRemainingTimeInMillis: () => 300_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, string>;
  json: T;
}

// biome-ignore lint/suspicious/noExplicitAny: test replies are read loosely by design
export async function call<T = any>(handler: Handler, input: EventInput = {}): Promise<Reply<T>> {
  const res = await handler(httpEvent(input), lambdaContext());
  const text = res.body ?? '';
  return {
    status: res.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k, String(v)])),
    json: (text ? JSON.parse(text) : undefined) as T,
  };
}
