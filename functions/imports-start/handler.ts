import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import { S3ImportFiles } from '../../shared/adapters/s3/imports';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import { type ImportsApiDeps, requestImport, startImportSchema } from '../../shared/usecases/imports-api';
import { perContainer } from '../../shared/wiring';

export function config() {
  return { opsTable: env('OPS_TABLE'), importsBucket: env('IMPORTS_BUCKET') };
}

export function makeDeps(c: ReturnType<typeof config>): ImportsApiDeps {
  const files = new S3ImportFiles(c.importsBucket);
  return {
    imports: new ImportStore(c.opsTable),
    presignPut: (key, ttl) => files.presignPut(key, ttl),
    clock: systemClock,
  };
}

const deps = perContainer(config, makeDeps);

/** POST /api/imports — reserve an import and hand out a presigned PUT URL for its file. */
export async function main(d: ImportsApiDeps, actor: Actor, body: { fileName: string }) {
  return { statusCode: 201, body: await requestImport(d, body, actor) };
}

export const handler = httpRoute('imports-start', { body: startImportSchema }, (req) =>
  main(deps(), req.actor, req.body),
);
