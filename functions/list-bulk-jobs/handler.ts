import { JobStore } from '../../shared/adapters/dynamo/job-store';
import { S3ExportReader } from '../../shared/adapters/s3/export-reader';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  type BulkJobDeps,
  type ListBulkJobsQuery,
  listBulkJobs,
  listBulkJobsQuerySchema,
} from '../../shared/usecases/bulk-job';

let deps: BulkJobDeps | undefined;

function jobDeps(): BulkJobDeps {
  deps ??= {
    jobs: new JobStore(env('OPS_TABLE')),
    exports: new S3ExportReader(env('EXPORTS_BUCKET')),
    clock: systemClock,
  };
  return deps;
}

/** GET /api/payment-links/bulk-jobs — recent bulk jobs, newest first, within the caller's lenders. */
export async function main(actor: Actor, query: ListBulkJobsQuery) {
  return { statusCode: 200, body: await listBulkJobs(jobDeps(), query, actor) };
}

export const handler = httpRoute('list-bulk-jobs', { query: listBulkJobsQuerySchema }, (req) =>
  main(req.actor, req.query),
);
