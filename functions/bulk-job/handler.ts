import { JobStore } from '../../shared/adapters/dynamo/job-store';
import { S3ExportReader } from '../../shared/adapters/s3/export-reader';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import { type BulkJobDeps, bulkJobPathSchema, getBulkJob } from '../../shared/usecases/bulk-job';

let deps: BulkJobDeps | undefined;

function jobDeps(): BulkJobDeps {
  deps ??= {
    jobs: new JobStore(env('OPS_TABLE')),
    exports: new S3ExportReader(env('EXPORTS_BUCKET')),
    clock: systemClock,
  };
  return deps;
}

/** GET /api/payment-links/bulk-jobs/{jobId} — progress, counts, and a fresh CSV URL once done. */
export async function main(actor: Actor, jobId: string) {
  return { statusCode: 200, body: await getBulkJob(jobDeps(), jobId, actor) };
}

export const handler = httpRoute('bulk-job', { path: bulkJobPathSchema }, (req) =>
  main(req.actor, req.path.jobId),
);
