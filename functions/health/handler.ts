import { httpRoute } from '../../shared/http/route';
import type { Health } from '../../shared/schemas/responses';

/**
 * GET /api/health — public, holds no data. Once this function runs the API is serving: on AWS
 * that is always "ok". Locally the gateway itself answers `{"status":"starting"}` with a 503
 * until DynamoDB Local and the demo data are ready (local/gateway.ts).
 */
export async function main() {
  const body: Health = { status: 'ok' };
  return { statusCode: 200, body };
}

export const handler = httpRoute('health', {}, () => main());
