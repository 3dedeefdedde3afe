import description from '../../docs/openapi.json' with { type: 'json' };
import { httpRoute } from '../../shared/http/route';

/**
 * GET /api/openapi.json — public: the API's OpenAPI 3.1 description, generated from the zod
 * schemas by `npm run openapi` (docs/openapi.json, bundled into this function). It lists only
 * the route table's routes: no worker, no local-only route, no secret.
 */
export async function main() {
  return { statusCode: 200, body: description, headers: { 'cache-control': 'public, max-age=300' } };
}

export const handler = httpRoute('openapi', {}, () => main());
