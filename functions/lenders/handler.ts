import * as z from 'zod/mini';
import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { listLenders } from '../../shared/usecases/list-lenders';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/lenders — the lenders that have loans and the caller may see (for the page's filter). */
export async function main(deps: Pick<Stores, 'emis'>, actor: Actor) {
  return { statusCode: 200, body: await listLenders(deps, actor) };
}

export const handler = httpRoute('lenders', { query: z.strictObject({}) }, (req) =>
  main(stores(), req.actor),
);
