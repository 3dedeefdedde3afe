import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { type SearchQuery, search, searchQuerySchema } from '../../shared/usecases/search';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/search — loans by id, phone or name; links by our id or Razorpay's. */
export async function main(
  deps: Pick<Stores, 'emis' | 'links' | 'search'>,
  actor: Actor,
  query: SearchQuery,
) {
  return {
    statusCode: 200,
    body: await search(deps, query, actor),
  };
}

export const handler = httpRoute('search', { query: searchQuerySchema }, (req) =>
  main(stores(), req.actor, req.query),
);
