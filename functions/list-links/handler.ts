import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { type ListLinksQuery, listLinks, listLinksQuerySchema } from '../../shared/usecases/manage-link';
import { emis, links, searchIndex } from '../../shared/wiring';

/** GET /api/payment-links/list — links, newest first, filtered through an index. */
export async function main(actor: Actor, query: ListLinksQuery) {
  return {
    statusCode: 200,
    body: await listLinks({ links: links(), search: searchIndex(), emis: emis() }, query, actor),
  };
}

export const handler = httpRoute('list-links', { query: listLinksQuerySchema }, (req) =>
  main(req.actor, req.query),
);
