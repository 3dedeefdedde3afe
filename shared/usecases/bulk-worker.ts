/**
 * The bulk worker: turns queue messages into links, then the CSV.
 *
 * A message names a chunk of one job's work items (`items`, seq from..to, ≤ CHUNK_SIZE) or asks
 * for the export (`finalize`). For a chunk:
 *   1. read the job (unknown or finished → nothing to do) and mark it running;
 *   2. read the chunk's items; skip those already done (a redelivery resumes, never repeats);
 *   3. per item, at most BULK_CONCURRENCY at once in this process, each Razorpay call paced by
 *      the token bucket: run THE generate use case with a
 *      deterministic link id (`bulk:<job>:<loan>:<emi>`), so a redelivered item resumes the
 *      same link — the same Razorpay reference_id — and never makes a second one;
 *   4. record the outcome (created / reused / failed with reason / skipped because settled) on
 *      the item and the job's counters in one conditional transaction: an item counts once;
 *   5. a retryable failure (429, 5xx, timeout) is retried here with backoff and full jitter; if
 *      it persists, the failed delivery is counted on the item and the chunk goes back to the
 *      queue (batchItemFailures); after `maxItemAttempts` such deliveries the item becomes a
 *      row with the error;
 *   6. whoever finds every item counted claims the export (a conditional lease: exactly one
 *      writer), streams the CSV to S3 page by page and marks the job completed.
 */

import { mayAccessLender } from '../auth/scope';
import { SETTINGS } from '../config';
import { byDueDate } from '../domain/allocation';
import { type Clock, sleepOn } from '../domain/dates';
import {
  ConflictError,
  GatewayError,
  GatewayNotFoundError,
  GatewayRejectedError,
  NotFoundError,
  ValidationError,
} from '../domain/errors';
import {
  type Emi,
  emiIsPending,
  emiOutstanding,
  LOAN_SCOPE_EMI_NUMBER,
  OPEN_STATUSES,
} from '../domain/model';
import { exportKey } from '../domain/objects';
import type { ExportWriter, ItemResult, JobItem, JobRecord, JobStore } from '../domain/ports';
import { log } from '../log';
import { metrics } from '../metrics';
import type { Semaphore } from '../pacing';
import { csvStream } from './bulk-csv';
import { csvFilename } from './bulk-job';
import type { BulkMessage } from './bulk-messages';
import { generateLink, type LinkOptions, newLinkId } from './generate-link';
import { generateLoanLink } from './generate-loan-link';
import type { LinkDeps } from './link-deps';

export interface BulkWorkerSettings {
  /** deliveries of one item before a still-retryable failure becomes a row error */
  maxItemAttempts: number;
  /** tries of one item within one delivery (each already retried by the gateway adapter) */
  triesPerDelivery: number;
  /** backoff between those tries: full jitter under min(maxMs, baseMs × 2^n) */
  retryBaseMs: number;
  retryMaxMs: number;
  /** an item is not started with less time than this left in the invocation */
  itemBudgetMs: number;
  /** how long a CSV writer holds the export before another may take over */
  exportLeaseMs: number;
  /** pause of the account's bucket after Razorpay still answered 429 through the adapter's retries (the worker wires it into each account's paced gateway) */
  rateLimitPauseMs: number;
}

export const DEFAULT_BULK_WORKER_SETTINGS: BulkWorkerSettings = {
  maxItemAttempts: SETTINGS.BULK_MAX_ITEM_ATTEMPTS.default,
  triesPerDelivery: 3,
  retryBaseMs: 500,
  retryMaxMs: 5000,
  itemBudgetMs: 45_000,
  exportLeaseMs: 5 * 60_000,
  rateLimitPauseMs: 1000,
};

export interface BulkWorkerDeps {
  /** the generate use case's ports; each account's gateway is paced by that account's bucket */
  link: LinkDeps;
  jobs: JobStore;
  exports: ExportWriter;
  pool: Semaphore;
  /**
   * The pool an item waits in: its payment account's own (items of one account waiting for that
   * account's rate budget must not hold the slots another account's items could use). Items whose
   * lender the selection did not record use `pool`.
   */
  poolFor?: (lender: string) => Promise<Semaphore>;
  clock: Clock;
  settings: BulkWorkerSettings;
  /** waits between an item's tries; absent: the clock's */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Milliseconds left in this invocation (Infinity outside Lambda). */
export type TimeLeft = () => number;

/** 'retry' when the message must come back later (some item is not finished). */
export async function handleBulkMessage(
  deps: BulkWorkerDeps,
  message: BulkMessage,
  timeLeft: TimeLeft = () => Number.POSITIVE_INFINITY,
): Promise<'done' | 'retry'> {
  if (message.kind === 'finalize') {
    await finalizeIfComplete(deps, message.jobId);
    return 'done';
  }
  const job = await deps.jobs.getJob(message.jobId);
  if (!job) {
    log.warn('bulk work for an unknown job dropped', { jobId: message.jobId });
    return 'done';
  }
  if (job.status === 'completed' || job.status === 'failed') return 'done';
  if (job.status === 'queued') await deps.jobs.markRunning(job.jobId);
  const items = await deps.jobs.getItems(job.jobId, message.from, message.to);
  const options = job.options as LinkOptions & { scope?: 'emi' | 'loan' };
  const outcomes = await Promise.all(
    items
      .filter((item) => item.state !== 'done')
      .map(async (item) =>
        (item.lender !== undefined && deps.poolFor ? await deps.poolFor(item.lender) : deps.pool)
          .run(() => processItem(deps, job, item, options, timeLeft))
          // one item's trouble must not abandon the others mid-flight: every item settles
          // before the invocation answers, and the chunk comes back for the ones that failed
          .catch((err: unknown): 'retry' => {
            log.error('bulk item could not be recorded; it will be retried', {
              jobId: job.jobId,
              seq: item.seq,
              err,
            });
            return 'retry';
          }),
      ),
  );
  await finalizeIfComplete(deps, job.jobId);
  return outcomes.includes('retry') ? 'retry' : 'done';
}

type Verdict = { final: true; result: ItemResult } | { final: false; error: string };

/** What an error means for a row: final (a row error) or worth another try. */
function judge(err: unknown): Verdict {
  const fail = (error: string, outcome: ItemResult['outcome'] = 'failed'): Verdict => ({
    final: true,
    result: { outcome, error },
  });
  if (err instanceof NotFoundError) return fail('EMI not found');
  if (err instanceof ConflictError && err.code === 'EMI_ALREADY_PAID')
    return fail('EMI already paid', 'skipped');
  if (err instanceof ConflictError && err.code === 'NOTHING_OVERDUE')
    return fail('nothing overdue', 'skipped');
  if (err instanceof ValidationError) return fail(err.message);
  if (err instanceof GatewayRejectedError || err instanceof GatewayNotFoundError) return fail(err.message);
  // 429, 5xx, timeouts, refused credentials (a rotation may fix them), concurrent updates
  if (err instanceof GatewayError || err instanceof ConflictError)
    return { final: false, error: err.message };
  log.error('bulk item failed unexpectedly', { err });
  return { final: false, error: 'unexpected error while generating the link' };
}

async function processItem(
  deps: BulkWorkerDeps,
  job: JobRecord,
  item: JobItem,
  options: LinkOptions & { scope?: 'emi' | 'loan' },
  timeLeft: TimeLeft,
): Promise<'done' | 'retry'> {
  const { settings } = deps;
  const sleep = deps.sleep ?? ((ms: number) => sleepOn(deps.clock, ms));
  const random = deps.random ?? Math.random;
  if (timeLeft() < settings.itemBudgetMs) return 'retry';
  const linkId = newLinkId(`bulk:${job.jobId}:${item.loanId}:${item.emiNumber}`);
  let lastError = '';
  for (let tryNo = 0; tryNo < settings.triesPerDelivery; tryNo++) {
    if (tryNo > 0) {
      const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** (tryNo - 1));
      await sleep(Math.floor(random() * ceiling));
    }
    let verdict: Verdict;
    try {
      const { scope, ...linkOptions } = options;
      const asked = { linkId, jobId: job.jobId, createdBy: job.createdBy, lenders: job.lenders ?? '*' };
      const { link, reused } =
        scope === 'loan'
          ? await generateLoanLink(deps.link, { ...linkOptions, loanId: item.loanId }, asked)
          : await generateLink(
              deps.link,
              { ...linkOptions, loanId: item.loanId, emiNumber: item.emiNumber },
              asked,
            );
      const open = OPEN_STATUSES.includes(link.status);
      const result: ItemResult = {
        outcome: open ? (reused ? 'reused' : 'created') : 'failed',
        linkId: link.id,
        linkStatus: link.status,
        shortUrl: link.shortUrl ?? undefined,
        expireBy: link.expireBy ? Math.floor(Date.parse(link.expireBy) / 1000) : 0,
        amount: link.amount,
      };
      if (!open) {
        result.error =
          link.status === 'cancelled'
            ? 'EMI settled while its link was being created'
            : (link.error?.message ?? `link is ${link.status}`);
      }
      verdict = { final: true, result };
    } catch (err) {
      verdict = judge(err);
    }
    if (verdict.final) return record(deps, job, item, verdict.result);
    lastError = verdict.error;
    if (timeLeft() < settings.itemBudgetMs) break;
  }
  // counted only when a delivery ends unfinished: the common path costs no write for it
  const attempts = await deps.jobs.countFailedAttempt(job.jobId, item.seq);
  if (attempts === null) return 'done';
  if (attempts >= settings.maxItemAttempts) {
    return record(deps, job, item, {
      outcome: 'failed',
      error: `${lastError} (gave up after ${attempts} rounds of retries)`,
    });
  }
  log.warn('bulk item will be retried', { jobId: job.jobId, seq: item.seq, attempts });
  return 'retry';
}

/** The EMI a row's borrower columns come from: a loan's row, its oldest pending EMI. */
async function rowEmi(deps: BulkWorkerDeps, item: JobItem): Promise<Emi | null> {
  if (item.emiNumber !== LOAN_SCOPE_EMI_NUMBER)
    return deps.link.emis.getEmi(item.loanId, item.emiNumber, false);
  const { emis } = await deps.link.emis.getLoanItems(item.loanId);
  const pending = emis.filter((e) => emiIsPending(e)).sort(byDueDate);
  return pending[0] ?? emis[0] ?? null;
}

/** Fills the row's borrower columns from the EMI (unless the selection already captured them). */
async function withRowFields(
  deps: BulkWorkerDeps,
  job: JobRecord,
  item: JobItem,
  result: ItemResult,
): Promise<ItemResult> {
  const known = item.phone !== undefined;
  const found = known ? null : await rowEmi(deps, item);
  // another lender's EMI listed by hand: its row says "EMI not found" and shows none of its data
  const emi = found && mayAccessLender({ lenders: job.lenders ?? '*' }, found.lender) ? found : null;
  const out: ItemResult = { ...result };
  if (emi) {
    out.clientName = emi.clientName;
    out.phone = emi.phone;
    out.email = emi.email;
    out.lender = emi.lender;
    out.dueDate = emi.dueDate;
    out.amount ??= emiOutstanding(emi);
  } else if (known) {
    out.amount ??= item.amount;
  }
  return out;
}

async function record(
  deps: BulkWorkerDeps,
  job: JobRecord,
  item: JobItem,
  result: ItemResult,
): Promise<'done'> {
  const full = await withRowFields(deps, job, item, result);
  const outcome = await deps.jobs.completeItem(job.jobId, item.seq, full, deps.clock.now().toISOString());
  if (outcome === 'already-done') log.info('bulk item already done', { jobId: job.jobId, seq: item.seq });
  else metrics.bulkItemProcessed();
  return 'done';
}

/**
 * Writes the CSV and completes the job once every item is counted — exactly once: the export
 * is claimed with a conditional lease, so concurrent finishers and redeliveries do nothing.
 * A writer that dies leaves the lease to lapse; the stuck-job check then asks again.
 */
export async function finalizeIfComplete(
  deps: BulkWorkerDeps | FinalizeDeps,
  jobId: string,
): Promise<boolean> {
  const job = await deps.jobs.getJob(jobId);
  if (!job || job.status === 'completed' || job.status === 'failed' || job.processed < job.total)
    return false;
  const nowMs = deps.clock.now().getTime();
  if (!(await deps.jobs.claimExport(jobId, nowMs, deps.settings.exportLeaseMs))) return false;
  const key = exportKey(jobId);
  try {
    await deps.exports.upload(key, csvStream(deps.jobs.itemPages(jobId)), csvFilename(jobId));
    await deps.jobs.completeJob(jobId, key, deps.clock.now().toISOString());
  } catch (err) {
    await deps.jobs.releaseExport(jobId).catch(() => {});
    throw err;
  }
  log.info('bulk job completed', { jobId, total: job.total, created: job.created, failed: job.failed });
  const seconds = (deps.clock.now().getTime() - Date.parse(job.createdAt)) / 1000;
  if (seconds > 0) metrics.bulkJobThroughput(job.total / seconds);
  return true;
}

export interface FinalizeDeps {
  jobs: JobStore;
  exports: ExportWriter;
  clock: Clock;
  settings: Pick<BulkWorkerSettings, 'exportLeaseMs'>;
}
