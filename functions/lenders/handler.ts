import * as z from 'zod/mini';
import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { listLenders } from '../../shared/usecases/list-lenders';
import { emis } from '../../shared/wiring';

/** GET /api/lenders — the lenders that have loans and the caller may see (for the page's filter). */
export async function main(actor: Actor) {
  return { statusCode: 200, body: await listLenders({ emis: emis() }, actor) };
}

export const handler = httpRoute('lenders', { query: z.strictObject({}) }, (req) => main(req.actor));
