import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { httpRoute } from '../../shared/http/route';
import { getImport, importPathSchema } from '../../shared/usecases/imports-api';

let store: ImportStore | undefined;

/** GET /api/imports/{importId} — progress, counts and the first errors. */
export async function main(actor: Actor, importId: string) {
  store ??= new ImportStore(env('OPS_TABLE'));
  return { statusCode: 200, body: await getImport({ imports: store }, importId, actor) };
}

export const handler = httpRoute('import-status', { path: importPathSchema }, (req) =>
  main(req.actor, req.path.importId),
);
