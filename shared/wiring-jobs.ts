/**
 * The bulk-job read routes' dependencies (the job store and the CSV presigner), wired once per
 * cold start. Apart from shared/wiring.ts so routes without S3 never load the S3 client.
 */
import { JobStore } from './adapters/dynamo/job-store';
import { S3ExportReader } from './adapters/s3/export-reader';
import { env } from './config';
import { systemClock } from './domain/dates';
import type { BulkJobDeps } from './usecases/bulk-job';

let deps: BulkJobDeps | undefined;

export function bulkJobDeps(): BulkJobDeps {
  deps ??= {
    jobs: new JobStore(env('OPS_TABLE')),
    exports: new S3ExportReader(env('EXPORTS_BUCKET')),
    clock: systemClock,
  };
  return deps;
}
