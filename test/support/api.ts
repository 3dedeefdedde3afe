/** Calls through the local gateway, and the contract's refusals, for the access-control tests. */
import { expect } from 'vitest';

export interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: replies are read loosely by design
  json: any;
}

/** `auth`: a token, a whole Authorization value (with a space, or `Bearer`), or null for none. */
export async function api(
  gatewayUrl: string,
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  if (auth !== null) h.authorization = auth.includes(' ') || auth === 'Bearer' ? auth : `Bearer ${auth}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${gatewayUrl.replace('localhost', '127.0.0.1')}${path}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

export function expectUnauthenticated(res: Reply) {
  expect(res.status).toBe(401);
  expect(res.json.error.code).toBe('UNAUTHENTICATED');
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
}

export function expectForbidden(res: Reply) {
  expect(res.status).toBe(403);
  expect(res.json.error.code).toBe('FORBIDDEN');
}

/** Replaces the token's payload (keeping its header and signature). */
export function withPayload(token: string, change: (p: Record<string, unknown>) => Record<string, unknown>) {
  const [h, p, s] = token.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
  return `${h}.${Buffer.from(JSON.stringify(change(payload))).toString('base64url')}.${s}`;
}
