import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { type ListLinksQuery, listLinks, listLinksQuerySchema } from '../../shared/usecases/manage-link';
import { type Stores, stores } from '../../shared/wiring';

/** GET /api/payment-links/list — links, newest first, filtered through an index. */
export async function main(
  deps: Pick<Stores, 'emis' | 'links' | 'search'>,
  actor: Actor,
  query: ListLinksQuery,
) {
  return {
    statusCode: 200,
    body: await listLinks(deps, query, actor),
  };
}

export const handler = httpRoute('list-links', { query: listLinksQuerySchema }, (req) =>
  main(stores(), req.actor, req.query),
);
