/**
 * The bulk-job read routes' dependencies (the job store and the CSV presigner); wired the one way
 * (shared/wiring.ts). Apart from shared/wiring.ts so routes without S3 never load the S3 client.
 */
import { JobStore } from './adapters/dynamo/job-store';
import { S3ExportReader } from './adapters/s3/export-reader';
import { env } from './config';
import { systemClock } from './domain/dates';
import type { BulkJobDeps } from './usecases/bulk-job';
import { perContainer } from './wiring';

export function bulkJobConfig() {
  return { opsTable: env('OPS_TABLE'), exportsBucket: env('EXPORTS_BUCKET') };
}

export function makeBulkJobDeps(config: ReturnType<typeof bulkJobConfig>): BulkJobDeps {
  return {
    jobs: new JobStore(config.opsTable),
    exports: new S3ExportReader(config.exportsBucket),
    clock: systemClock,
  };
}

export const bulkJobDeps = perContainer(bulkJobConfig, makeBulkJobDeps);
