import { ImportStore } from '../../shared/adapters/dynamo/import-store';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { httpRoute } from '../../shared/http/route';
import { getImport, importPathSchema } from '../../shared/usecases/imports-api';
import { perContainer } from '../../shared/wiring';

const deps = perContainer(
  () => ({ opsTable: env('OPS_TABLE') }),
  (c) => ({ imports: new ImportStore(c.opsTable) }),
);

/** GET /api/imports/{importId} — progress, counts and the first errors. */
export async function main(d: { imports: ImportStore }, actor: Actor, importId: string) {
  return { statusCode: 200, body: await getImport(d, importId, actor) };
}

export const handler = httpRoute('import-status', { path: importPathSchema }, (req) =>
  main(deps(), req.actor, req.path.importId),
);
