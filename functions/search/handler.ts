import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { type SearchQuery, search, searchQuerySchema } from '../../shared/usecases/search';
import { emis, links, searchIndex } from '../../shared/wiring';

/** GET /api/search — loans by id, phone or name; links by our id or Razorpay's. */
export async function main(actor: Actor, query: SearchQuery) {
  return {
    statusCode: 200,
    body: await search({ emis: emis(), links: links(), search: searchIndex() }, query, actor),
  };
}

export const handler = httpRoute('search', { query: searchQuerySchema }, (req) => main(req.actor, req.query));
