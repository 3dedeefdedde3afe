/**
 * Keeps a bulk job from staying `running` forever (called by the reconcile schedule).
 *
 * For each unfinished job (the active-jobs list, a Query) whose last progress is older than
 * `staleAfterMs`:
 *   - items still pending, first stall: re-enqueue the chunks holding them (a lost message, a
 *     dead-lettered chunk, or a start that died before enqueuing);
 *   - items still pending, a later stall: mark them failed with a reason (each counted once,
 *     through the same conditional completion the workers use) and ask for the export;
 *   - every item counted but no CSV (the writer died, or the finalize message was lost): ask a
 *     worker for the export again; after three such stalls mark the job failed.
 * Every action is conditional on the progress time it saw, so overlapping runs act once.
 */
import type { Clock } from '../domain/dates';
import type { JobRecord, JobStore, QueueSender } from '../domain/ports';
import { log } from '../log';
import { type BulkMessage, chunkMessages } from './bulk-messages';

export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

export interface StuckJobsDeps {
  jobs: JobStore;
  /** the bulk queue (BULK_QUEUE_URL) */
  queue: QueueSender;
  clock: Clock;
}

export interface StuckJobsReport {
  /** unfinished jobs looked at */
  checked: number;
  /** jobs whose pending items were sent to the queue again */
  requeued: string[];
  /** jobs whose pending items were given up as failed rows */
  gaveUp: string[];
  /** jobs whose export was asked for again */
  finalizing: string[];
  /** jobs marked failed because the export could not be written */
  failed: string[];
}

export async function checkStuckJobs(
  deps: StuckJobsDeps,
  options: { staleAfterMs?: number } = {},
): Promise<StuckJobsReport> {
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const report: StuckJobsReport = { checked: 0, requeued: [], gaveUp: [], finalizing: [], failed: [] };
  for (const jobId of await deps.jobs.listActiveJobs()) {
    const job = await deps.jobs.getJob(jobId);
    if (!job || job.status === 'completed' || job.status === 'failed') continue;
    report.checked++;
    const now = deps.clock.now();
    if (now.getTime() - Date.parse(job.lastProgressAt) < staleAfterMs) continue;
    if (job.exportLeaseUntil !== undefined && job.exportLeaseUntil > now.getTime()) continue;
    // one act per stall: another run that saw the same progress time does nothing
    if (!(await deps.jobs.noteStall(jobId, job.lastProgressAt, now.toISOString()))) continue;
    const stalls = (job.stalls ?? 0) + 1;
    if (job.processed >= job.total) {
      if (stalls > 3) {
        await deps.jobs.failJob(jobId, 'the CSV export could not be written', now.toISOString());
        report.failed.push(jobId);
      } else {
        await send(deps, [{ kind: 'finalize', jobId }]);
        report.finalizing.push(jobId);
      }
      continue;
    }
    const pending = await pendingSeqs(deps, jobId);
    if (stalls === 1) {
      await send(deps, chunkMessages(jobId, pending));
      report.requeued.push(jobId);
      log.warn('bulk job stalled: pending items re-enqueued', { jobId, pending: pending.length });
    } else {
      await giveUp(deps, job, pending, staleAfterMs);
      await send(deps, [{ kind: 'finalize', jobId }]);
      report.gaveUp.push(jobId);
      log.warn('bulk job stalled again: pending items marked failed', { jobId, pending: pending.length });
    }
  }
  return report;
}

async function pendingSeqs(deps: StuckJobsDeps, jobId: string): Promise<number[]> {
  const seqs: number[] = [];
  for await (const page of deps.jobs.itemPages(jobId)) {
    for (const item of page) if (item.state !== 'done') seqs.push(item.seq);
  }
  return seqs;
}

async function giveUp(
  deps: StuckJobsDeps,
  job: JobRecord,
  seqs: number[],
  staleAfterMs: number,
): Promise<void> {
  const minutes = Math.round(staleAfterMs / 60_000);
  const error = `not processed: the job made no progress for ${minutes} minutes, twice`;
  for (const seq of seqs) {
    await deps.jobs.completeItem(
      job.jobId,
      seq,
      { outcome: 'failed', error },
      deps.clock.now().toISOString(),
    );
  }
}

async function send(deps: StuckJobsDeps, messages: BulkMessage[]): Promise<void> {
  await deps.queue.sendMany(messages.map((m) => JSON.stringify(m)));
}
