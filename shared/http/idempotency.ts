/**
 * Idempotency-Key for POST routes: the first answer to a key is stored (ops table, 24 h) and
 * returned to every repeat; the same key with a different body is a 422; a repeat while the
 * first is still running is a 409 with Retry-After. Answers that a retry could change (5xx,
 * Razorpay down) are not stored, so a retry runs again — and resumes the same link, because
 * the link id is derived from the key.
 */
import { createHash } from 'node:crypto';
import { IdempotencyInProgressError, IdempotencyMismatchError, ValidationError } from '../domain/errors';
import type { OpsStore } from '../domain/ports';
import { toHttpError } from './errors';
import type { RouteResponse } from './route';

const KEY_RE = /^[\x21-\x7e]{1,128}$/;

export function checkIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!KEY_RE.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 128 visible ASCII characters', [
      { field: 'header.Idempotency-Key', message: 'must be 1 to 128 visible ASCII characters' },
    ]);
  }
  return key;
}

/** JSON with sorted keys, so the same body in another key order hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function withIdempotency(
  ops: OpsStore,
  scope: string,
  key: string | undefined,
  body: unknown,
  nowSeconds: number,
  run: () => Promise<RouteResponse>,
): Promise<RouteResponse> {
  if (key === undefined) return run();
  const hash = createHash('sha256').update(canonical(body)).digest('hex');
  const claim = await ops.claimIdempotency(scope, key, hash, nowSeconds);
  if (claim.state === 'mismatch') {
    throw new IdempotencyMismatchError('This Idempotency-Key was already used with a different request body');
  }
  if (claim.state === 'in_progress') {
    throw new IdempotencyInProgressError(
      'A request with this Idempotency-Key is still being processed; retry shortly',
    );
  }
  if (claim.state === 'completed') {
    return { ...claim.response, headers: { 'idempotent-replayed': 'true' } };
  }
  let response: RouteResponse;
  try {
    response = await run();
  } catch (err) {
    const mapped = toHttpError(err);
    if (
      mapped.statusCode >= 400 &&
      mapped.statusCode < 500 &&
      mapped.statusCode !== 409 &&
      mapped.statusCode !== 429
    ) {
      await ops.completeIdempotency(
        scope,
        key,
        hash,
        { statusCode: mapped.statusCode, body: mapped.body },
        nowSeconds,
      );
    } else {
      await ops.releaseIdempotency(scope, key);
    }
    throw err;
  }
  await ops.completeIdempotency(
    scope,
    key,
    hash,
    { statusCode: response.statusCode, body: response.body },
    nowSeconds,
  );
  return response;
}
