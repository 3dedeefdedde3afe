import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import { S3ImportFiles } from '../../shared/adapters/s3/imports';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import { type ImportsApiDeps, requestImport, startImportSchema } from '../../shared/usecases/imports-api';

let deps: ImportsApiDeps | undefined;

function apiDeps(): ImportsApiDeps {
  if (deps) return deps;
  const files = new S3ImportFiles(env('IMPORTS_BUCKET'));
  deps = {
    imports: new ImportStore(env('OPS_TABLE')),
    presignPut: (key, ttl) => files.presignPut(key, ttl),
    clock: systemClock,
  };
  return deps;
}

/** POST /api/imports — reserve an import and hand out a presigned PUT URL for its file. */
export async function main(actor: Actor, body: { fileName: string }) {
  return { statusCode: 201, body: await requestImport(apiDeps(), body, actor) };
}

export const handler = httpRoute('imports-start', { body: startImportSchema }, (req) =>
  main(req.actor, req.body),
);
