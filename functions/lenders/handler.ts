import * as z from 'zod/mini';
import type { Actor } from '../../shared/auth/actor';
import { mayAccessLender } from '../../shared/auth/scope';
import { httpRoute } from '../../shared/http/route';
import { emis } from '../../shared/wiring';

/** GET /api/lenders — the lenders that have loans and the caller may see (for the page's filter). */
export async function main(actor: Actor) {
  const lenders = (await emis().listLenders())
    .filter((l) => mayAccessLender(actor, l))
    .sort((a, b) => a.localeCompare(b));
  return { statusCode: 200, body: { lenders } };
}

export const handler = httpRoute('lenders', { query: z.strictObject({}) }, (req) => main(req.actor));
