import { JobStore } from '../../shared/adapters/dynamo/job-store';
import { queueSender } from '../../shared/adapters/queue/sender';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { log } from '../../shared/log';
import { metrics } from '../../shared/metrics';
import { observedHandler } from '../../shared/observe';
import { checkStuckJobs } from '../../shared/usecases/bulk-stuck';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { type ReconcileCounts, type ReconcileOptions, reconcile } from '../../shared/usecases/reconcile';
import { perContainer } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';

const stuckDeps = perContainer(
  () => ({ opsTable: env('OPS_TABLE'), queueUrl: env('BULK_QUEUE_URL') }),
  (c) => ({ jobs: new JobStore(c.opsTable), queue: queueSender(c.queueUrl), clock: systemClock }),
);

/**
 * Scheduled reconciliation (EventBridge, every 15 minutes; a timer under the local runtime):
 * links a missed webhook left behind (`main`), then bulk jobs that stopped making progress
 * (`stuckJobs`). Per-link failures are counted, not thrown: a throw would make EventBridge
 * re-run the whole batch, and the next scheduled run picks the same links up anyway.
 */
export async function main(
  options: ReconcileOptions = {},
  d: LinkDeps = linkDeps(),
): Promise<ReconcileCounts> {
  return reconcile(d, options);
}

export async function stuckJobs() {
  const report = await checkStuckJobs(stuckDeps());
  // a stalled job is what the "bulk job stuck" alarm watches
  metrics.bulkJobsStalled(report.requeued.length + report.gaveUp.length);
  return {
    checked: report.checked,
    requeued: report.requeued.length,
    gaveUp: report.gaveUp.length,
    finalizing: report.finalizing.length,
    failed: report.failed.length,
  };
}

export const handler = observedHandler('reconcile', async () => {
  const links = await main();
  const bulkJobs = await stuckJobs();
  log.info('reconciled', { ...links, bulkJobs });
  return { links, bulkJobs };
});
