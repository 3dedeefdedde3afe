/**
 * Opaque, tamper-proof page cursors. A cursor is a store's page position (`PageKey`: key values
 * only, in the store's own order, so no attribute name is known outside the adapter), sealed with
 * AES-256-GCM under a key from configuration. The query fingerprint and the caller's scope are
 * the authenticated associated data: a cursor forged, edited, truncated, reused with other
 * filters or by a caller of another scope fails to open and is a 400 naming `query.cursor`.
 *
 * The key: `CURSOR_SECRET` (≥ 32 characters) when set; on AWS the Secrets Manager secret named by
 * `CURSOR_SECRET_ARN` (read once per cold start, cached); otherwise, for a local run, a random
 * key made once per process (cursors then live as long as that process).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readSecretJson, secretField } from '../adapters/secrets/secret-json';
import { envOptional } from '../config';
import { ConfigError, ValidationError } from '../domain/errors';

import type { PageKey } from '../domain/ports';

const MAX_KEY_PARTS = 8;

/** What a cursor is bound to. */
export interface CursorContext {
  /** the caller's scope (e.g. the lenders the caller may see); a constant until access control */
  scope: string;
  /** every query parameter that shapes the result (and so the index read), except the cursor and the page size */
  query: string;
}

/** Until callers carry their own scope (access control), every cursor is bound to this one. */
export const UNSCOPED = 'all-lenders';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_CURSOR_CHARS = 2048;
const MIN_SECRET_CHARS = 32;

let localKey: Buffer | undefined;
let cachedKey: { source: string; key: Promise<Buffer> } | undefined;

function deriveKey(secret: string | Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'emi-payment-links', 'page cursor v1', 32));
}

/** The cursor key, from configuration; read once and cached (again only if the source changes). */
export function cursorKey(): Promise<Buffer> {
  const fromEnv = envOptional('CURSOR_SECRET');
  const arn = envOptional('CURSOR_SECRET_ARN');
  const source = fromEnv !== undefined ? `env:${fromEnv}` : arn !== undefined ? `arn:${arn}` : 'local';
  if (cachedKey?.source === source) return cachedKey.key;
  let key: Promise<Buffer>;
  if (fromEnv !== undefined) {
    if (fromEnv.length < MIN_SECRET_CHARS) {
      return Promise.reject(new ConfigError(`CURSOR_SECRET must be at least ${MIN_SECRET_CHARS} characters`));
    }
    key = Promise.resolve(deriveKey(fromEnv));
  } else if (arn !== undefined) {
    key = readSecretJson(arn, 'CURSOR_SECRET_ARN').then((s) =>
      deriveKey(secretField(s, 'key', 'CURSOR_SECRET_ARN')),
    );
  } else if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
    // a per-instance key would break every cursor that reaches another instance
    return Promise.reject(new ConfigError('Missing required environment variable CURSOR_SECRET_ARN'));
  } else {
    localKey ??= randomBytes(32);
    key = Promise.resolve(deriveKey(localKey));
  }
  cachedKey = { source, key };
  key.catch(() => {
    if (cachedKey?.key === key) cachedKey = undefined;
  });
  return key;
}

function associatedData(ctx: CursorContext): Buffer {
  return Buffer.from(JSON.stringify([VERSION, ctx.scope, ctx.query]), 'utf8');
}

export async function encodeCursor(ctx: CursorContext, lastKey: PageKey | undefined): Promise<string | null> {
  if (!lastKey) return null;
  const values = [...lastKey];
  const key = await cursorKey();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(ctx));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, sealed, cipher.getAuthTag()]).toString('base64url');
}

const bad = () =>
  new ValidationError('cursor is invalid or belongs to another query', [
    { field: 'query.cursor', message: 'is invalid or belongs to another query; start again without it' },
  ]);

/** Returns the page position the cursor was made from, or a 400 for anything else. */
export async function decodeCursor(
  cursor: string | undefined,
  ctx: CursorContext,
): Promise<PageKey | undefined> {
  if (cursor === undefined) return undefined;
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== VERSION) throw bad();
  const key = await cursorKey();
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(associatedData(ctx));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    plain = Buffer.concat([
      decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw bad();
  }
  // authentic, so written by encodeCursor; checked all the same (a key mix-up must not be a 500)
  let values: unknown;
  try {
    values = JSON.parse(plain);
  } catch {
    throw bad();
  }
  if (!Array.isArray(values) || values.length === 0 || values.length > MAX_KEY_PARTS) throw bad();
  return values.map((v: unknown) => {
    if (typeof v === 'string' && v.length > 0 && v.length <= 1024) return v;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    throw bad();
  });
}
