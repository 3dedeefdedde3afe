/** Small node:http helpers shared by the API, control and page routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** The whole request body as text; rejects beyond MAX_BODY_BYTES (the rest is drained, not buffered). */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () =>
      tooLarge ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function send(res: ServerResponse, status: number, contentType: string, text: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function redirect(res: ServerResponse, location: string): void {
  if (res.destroyed || res.headersSent) return;
  res.writeHead(303, { location, 'content-length': 0 });
  res.end();
}

/**
 * Form fields with PHP-style nesting (`customer[name]=A` → `{customer:{name:'A'}}`), which is
 * how Razorpay reads form-encoded requests.
 */
export function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.split(/\[|\]\[|\]$/).filter((part, i) => i === 0 || part !== '');
    let target = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next = target[part];
      if (typeof next === 'object' && next !== null) target = next as Record<string, unknown>;
      else {
        const created: Record<string, unknown> = {};
        target[part] = created;
        target = created;
      }
    }
    target[parts[parts.length - 1] as string] = value;
  }
  return out;
}

export class BadJsonError extends Error {}

/** JSON or form-encoded body; an empty body is `{}` (the SDK's cancel sends an empty form body). */
export function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) return parseForm(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadJsonError();
  }
}
