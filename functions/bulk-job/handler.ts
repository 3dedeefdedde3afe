import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import type { BulkJobDeps } from '../../shared/usecases/bulk-job';
import { bulkJobPathSchema, getBulkJob } from '../../shared/usecases/bulk-job';
import { bulkJobDeps } from '../../shared/wiring-jobs';

/** GET /api/payment-links/bulk-jobs/{jobId} — progress, counts, and a fresh CSV URL once done. */
export async function main(deps: BulkJobDeps, actor: Actor, jobId: string) {
  return { statusCode: 200, body: await getBulkJob(deps, jobId, actor) };
}

export const handler = httpRoute('bulk-job', { path: bulkJobPathSchema }, (req) =>
  main(bulkJobDeps(), req.actor, req.path.jobId),
);
