import { JobStore } from '../../shared/adapters/dynamo/job-store';
import { queueSender } from '../../shared/adapters/queue/sender';
import { S3ExportReader } from '../../shared/adapters/s3/export-reader';
import type { Actor } from '../../shared/auth/actor';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  type BulkStartDeps,
  type BulkStartInput,
  bulkStartSchema,
  startBulkJob,
} from '../../shared/usecases/bulk-start';
import { makeStores, perContainer, tablesConfig } from '../../shared/wiring';

export function config() {
  return {
    tables: tablesConfig(),
    opsTable: env('OPS_TABLE'),
    queueUrl: env('BULK_QUEUE_URL'),
    exportsBucket: env('EXPORTS_BUCKET'),
  };
}

export function makeDeps(c: ReturnType<typeof config>): BulkStartDeps {
  const stores = makeStores(c.tables);
  return {
    emis: stores.emis,
    accounts: stores.accounts,
    jobs: new JobStore(c.opsTable),
    queue: queueSender(c.queueUrl),
    exports: new S3ExportReader(c.exportsBucket),
    clock: systemClock,
  };
}

const deps = perContainer(config, makeDeps);

/**
 * POST /api/payment-links/bulk-generate-export — 202 with the queued job, or 200 with the
 * completed job and its CSV URL when a small job finished within a few seconds.
 */
export async function main(d: BulkStartDeps, actor: Actor, body: BulkStartInput) {
  const job = await startBulkJob(d, body, actor);
  return { statusCode: job.status === 'completed' ? 200 : 202, body: job };
}

export const handler = httpRoute(
  'bulk-start',
  // 10,000 entries of {loanId ≤ 40 chars, emiNumber} fit well inside 2 MB
  { body: bulkStartSchema, maxBodyBytes: 2 * 1024 * 1024 },
  (req) => main(deps(), req.actor, req.body),
);
