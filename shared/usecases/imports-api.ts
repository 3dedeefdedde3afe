/**
 * The imports API (architecture §4e), for a person or a script holding the `loans` permission:
 * - `POST /api/imports` `{ fileName }` reserves an import and answers a presigned PUT URL for
 *   `loans/<importId>/<fileName>` in the imports bucket; the upload's S3 notification starts it.
 * - `GET /api/imports/{importId}` answers its progress and, once done, its counts and first errors
 *   (the report beside the file has them all).
 * An import requested by someone with some lenders only imports rows of those lenders; another
 * person's import of lenders outside the caller's answers like an unknown id.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { mayAccessScope } from '../auth/scope';
import type { Clock } from '../domain/dates';
import { NotFoundError } from '../domain/errors';
import type { ImportStore } from '../domain/ports';
import type { ImportStatus, StartedImport } from '../schemas/responses';

export const startImportSchema = z.strictObject({
  fileName: z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9._ -]{0,119}\.(csv|jsonl)$/,
        'must be a file name ending in .csv or .jsonl (letters, digits, dot, dash, underscore, space; at most 124 characters)',
      ),
    ),
});

export const importPathSchema = z.strictObject({
  importId: z.string().check(z.regex(/^imp_[0-9a-f]{20}$/, 'is not an import id')),
});

export type ImportStatusView = ImportStatus;

export interface ImportsApiDeps {
  imports: ImportStore;
  presignPut(key: string, expiresInSeconds: number): Promise<string>;
  clock: Clock;
  uploadTtlSeconds?: number;
}

export async function requestImport(
  deps: ImportsApiDeps,
  input: z.infer<typeof startImportSchema>,
  actor: Actor,
): Promise<StartedImport> {
  const importId = `imp_${randomBytes(10).toString('hex')}`;
  const key = `loans/${importId}/${input.fileName}`;
  const now = deps.clock.now();
  const ttl = deps.uploadTtlSeconds ?? 15 * 60;
  await deps.imports.createWaiting({
    importId,
    bucketKey: key,
    fileName: input.fileName,
    requestedBy: actorRef(actor),
    lenders: actor.lenders,
    now: now.toISOString(),
  });
  const uploadUrl = await deps.presignPut(key, ttl);
  return { importId, uploadUrl, uploadExpiresAt: new Date(now.getTime() + ttl * 1000).toISOString() };
}

export async function getImport(
  deps: Pick<ImportsApiDeps, 'imports'>,
  importId: string,
  actor: Actor,
): Promise<ImportStatusView> {
  const rec = await deps.imports.get(importId);
  if (!rec || !mayAccessScope(actor, rec.lenders ?? '*'))
    throw new NotFoundError(`Import ${importId} not found`);
  return {
    importId: rec.importId,
    status: rec.status,
    fileName: rec.fileName,
    rows: rec.rows,
    processed: rec.processed,
    created: rec.created,
    updated: rec.updated,
    unchanged: rec.unchanged,
    failed: rec.failed,
    errors: rec.errors,
  };
}
