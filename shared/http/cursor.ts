/**
 * Opaque page cursors. A cursor carries DynamoDB's LastEvaluatedKey plus a fingerprint of the
 * query it belongs to; anything forged, truncated or reused with other filters is a 400.
 */
import { ValidationError } from '../domain/errors';

type Key = Record<string, string | number>;

interface CursorPayload {
  v: 1;
  q: string;
  k: Key;
}

export function encodeCursor(
  queryFingerprint: string,
  lastKey: Record<string, unknown> | undefined,
): string | null {
  if (!lastKey) return null;
  const payload: CursorPayload = { v: 1, q: queryFingerprint, k: lastKey as Key };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

const bad = () =>
  new ValidationError('cursor is invalid or belongs to another query', [
    { field: 'query.cursor', message: 'is invalid or belongs to another query; start again without it' },
  ]);

/** Returns the ExclusiveStartKey, checking it has exactly `expectedKeys` string/number fields. */
export function decodeCursor(
  cursor: string | undefined,
  queryFingerprint: string,
  expectedKeys: readonly string[],
): Key | undefined {
  if (cursor === undefined) return undefined;
  if (cursor.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (typeof payload !== 'object' || payload === null) throw bad();
  const p = payload as Partial<CursorPayload>;
  if (p.v !== 1 || p.q !== queryFingerprint || typeof p.k !== 'object' || p.k === null) throw bad();
  const k = p.k as Record<string, unknown>;
  const names = Object.keys(k).sort();
  if (names.join(',') !== [...expectedKeys].sort().join(',')) throw bad();
  for (const name of names) {
    const value = k[name];
    if (typeof value !== 'string' && typeof value !== 'number') throw bad();
    if (typeof value === 'string' && (value.length === 0 || value.length > 1024)) throw bad();
  }
  return k as Key;
}
