import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { BulkJobDeps } from '../../shared/usecases/bulk-job';
import {
  type ListBulkJobsQuery,
  listBulkJobs,
  listBulkJobsQuerySchema,
} from '../../shared/usecases/bulk-job';
import { bulkJobDeps } from '../../shared/wiring-jobs';

/** GET /api/payment-links/bulk-jobs — recent bulk jobs, newest first, within the caller's lenders. */
export async function main(deps: BulkJobDeps, actor: Actor, query: ListBulkJobsQuery) {
  return { statusCode: 200, body: await listBulkJobs(deps, query, actor) };
}

export const handler = httpRoute('list-bulk-jobs', { query: listBulkJobsQuerySchema }, (req) =>
  main(bulkJobDeps(), req.actor, req.query),
);
