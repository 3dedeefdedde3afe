import * as z from 'zod/mini';
import { httpRoute } from '../../shared/http/route';
import { emis } from '../../shared/wiring';

/** GET /api/lenders — the lenders that have loans (for the page's filter). */
export async function main() {
  const lenders = (await emis().listLenders()).sort((a, b) => a.localeCompare(b));
  return { statusCode: 200, body: { lenders } };
}

export const handler = httpRoute('lenders', { query: z.strictObject({}) }, () => main());
