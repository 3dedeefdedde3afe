import { httpRoute } from '../../shared/http/route';
import { type ListLinksQuery, listLinks, listLinksQuerySchema } from '../../shared/usecases/manage-link';
import { links } from '../../shared/wiring';

/** GET /api/payment-links/list — links, newest first, filtered through an index. */
export async function main(query: ListLinksQuery) {
  return { statusCode: 200, body: await listLinks({ links: links() }, query) };
}

export const handler = httpRoute('list-links', { query: listLinksQuerySchema }, (req) => main(req.query));
