/**
 * Start a bulk job: links for many EMIs, then a CSV.
 *
 * Steps:
 *   1. check the request as a whole (one way of selecting, ≤ MAX_BULK_ITEMS, option rules that
 *      do not depend on the EMI) — 422 naming the problem;
 *   2. select, in order (only within the caller's lenders: a `lender` outside them is a 403, a
 *      listed EMI of another lender becomes the row error "EMI not found" when its turn comes,
 *      exactly like an unknown one): by lender + bucket + withinDays with exactly the pending list's rules
 *      (IST today, the same sort-key range on the sparse pending index, due date then loan then
 *      EMI number), or the explicit `emis` list in request order (a repeated entry becomes a row
 *      error "duplicate in request" at once);
 *   3. record the work items (BatchWrite chunks), then the job (queued, total, counts, its
 *      lender scope and who started it);
 *   4. enqueue one message per chunk of CHUNK_SIZE items (or one `finalize` message when no
 *      item needs work, e.g. an unknown lender: the worker writes the header-only CSV);
 *   5. for a small job, wait up to `waitMs` for it to finish so the caller gets the CSV at once.
 */
import * as z from 'zod/mini';
import { type Actor, actorRef } from '../auth/actor';
import { lendersToRead } from '../auth/scope';
import type { AccountRepository } from '../domain/accounts';
import { type Clock, istDate, sleepOn } from '../domain/dates';
import { type FieldIssue, ValidationError } from '../domain/errors';
import { emiOutstanding, LOAN_SCOPE_EMI_NUMBER } from '../domain/model';
import type { EmiStore, JobRecord, NewJobItem, PageKey, QueueSender } from '../domain/ports';
import { correlate } from '../observe';
import { emiNumberSchema, lenderSchema, loanIdSchema } from '../schemas/common';
import { type BulkJobDeps, type BulkJobView, newJobId, toJobView } from './bulk-job';
import { type BulkMessage, chunkMessages } from './bulk-messages';
import {
  linkOptionsSchema,
  MAX_EXPIRY_SECONDS,
  MIN_EXPIRY_SECONDS,
  refuseUnsupported,
  scopeSchema,
  UPI_NO_PARTIAL,
} from './generate-link';
import { bucketRange } from './list-pending-emis';

export const MAX_BULK_ITEMS = 10_000;
/** A job this small usually finishes within the wait (at 20 creates/s) */
export const QUICK_JOB_MAX_ITEMS = 50;
export const QUICK_JOB_WAIT_MS = 3000;

// bulk links are for each EMI's outstanding amount: `amount` is not accepted
const { amount: _amount, ...bulkLinkOptions } = linkOptionsSchema;

export const bulkStartSchema = z.strictObject({
  lender: z.optional(lenderSchema),
  bucket: z.optional(z.enum(['overdue', 'upcoming', 'all'])),
  withinDays: z.optional(z.int().check(z.minimum(0), z.maximum(365))),
  emis: z.optional(z.array(z.strictObject({ loanId: loanIdSchema, emiNumber: emiNumberSchema }))),
  /** `loan`: one link (and one CSV row) per loan among the selected EMIs, for its overdue EMIs */
  scope: z.optional(scopeSchema),
  ...bulkLinkOptions,
});

export type BulkStartInput = z.infer<typeof bulkStartSchema>;

export interface BulkStartDeps extends BulkJobDeps {
  emis: EmiStore;
  queue: QueueSender;
  clock: Clock;
  /** which provider a lender's links go to: options it lacks are a 422 before any work */
  accounts: Pick<AccountRepository, 'accountOfLender'>;
}

function invalid(issues: FieldIssue[]): ValidationError {
  const first = issues[0]!;
  const message =
    issues.length === 1 ? `${first.field} ${first.message}` : `${issues.length} fields are invalid`;
  return new ValidationError(message, issues, true);
}

/** Rules about the request as a whole (422), all reported together. */
export function checkBulkRequest(input: BulkStartInput, nowSeconds: number): void {
  const issues: FieldIssue[] = [];
  const byFilter = input.lender !== undefined || input.bucket !== undefined || input.withinDays !== undefined;
  if (byFilter && input.emis !== undefined) {
    issues.push({
      field: 'emis',
      message: 'cannot be combined with lender/bucket/withinDays: choose one selection',
    });
  } else if (!byFilter && input.emis === undefined) {
    issues.push({
      field: 'body',
      message: 'must select EMIs by lender (with bucket and withinDays) or list them in emis',
    });
  } else if (byFilter && input.lender === undefined) {
    issues.push({ field: 'lender', message: 'is required to select by bucket or withinDays' });
  }
  if (input.emis !== undefined) {
    if (input.emis.length === 0) issues.push({ field: 'emis', message: 'must list at least one EMI' });
    if (input.emis.length > MAX_BULK_ITEMS) {
      issues.push({
        field: 'emis',
        message: `must list at most ${MAX_BULK_ITEMS} EMIs (got ${input.emis.length}); split the request`,
      });
    }
  }
  if (input.upiLink === true && input.acceptPartial === true) {
    issues.push({ field: 'acceptPartial', message: UPI_NO_PARTIAL });
  }
  if (input.minPartialAmount !== undefined && input.acceptPartial !== true) {
    issues.push({ field: 'minPartialAmount', message: 'is allowed only with acceptPartial: true' });
  }
  if (input.expireBy !== undefined) {
    const expireBy = Math.floor(Date.parse(input.expireBy) / 1000);
    if (expireBy < nowSeconds + MIN_EXPIRY_SECONDS) {
      issues.push({ field: 'expireBy', message: 'must be at least 16 minutes in the future' });
    } else if (expireBy > nowSeconds + MAX_EXPIRY_SECONDS) {
      issues.push({ field: 'expireBy', message: 'must be at most 180 days in the future' });
    }
  }
  if (issues.length > 0) throw invalid(issues);
}

/** Pending EMIs of a lender in the pending list's order, exactly as GET pending-emis selects them. */
async function selectByFilter(
  deps: BulkStartDeps,
  lender: string,
  bucket: 'overdue' | 'upcoming' | 'all',
  withinDays: number,
  today: string,
): Promise<NewJobItem[]> {
  const range = bucketRange(bucket, today, withinDays);
  const items: NewJobItem[] = [];
  let startKey: PageKey | undefined;
  do {
    const page = await deps.emis.queryPending({ lender, ...range, limit: 1000, startKey });
    for (const emi of page.items) {
      items.push({
        seq: items.length,
        loanId: emi.loanId,
        emiNumber: emi.emiNumber,
        state: 'pending',
        clientName: emi.clientName,
        phone: emi.phone,
        email: emi.email,
        lender: emi.lender,
        dueDate: emi.dueDate,
        amount: emiOutstanding(emi),
      });
      if (items.length > MAX_BULK_ITEMS) {
        throw invalid([
          {
            field: 'lender',
            message: `selects more than ${MAX_BULK_ITEMS} EMIs; narrow it with bucket or withinDays`,
          },
        ]);
      }
    }
    startKey = page.lastKey;
  } while (startKey);
  return items;
}

function selectByList(emis: { loanId: string; emiNumber: number }[]): NewJobItem[] {
  const seen = new Set<string>();
  return emis.map(({ loanId, emiNumber }, seq) => {
    const key = `${loanId}#${emiNumber}`;
    if (seen.has(key)) {
      return { seq, loanId, emiNumber, state: 'done', outcome: 'failed', error: 'duplicate in request' };
    }
    seen.add(key);
    return { seq, loanId, emiNumber, state: 'pending' };
  });
}

/**
 * `scope: "loan"`: one item per loan, in the order its first EMI was selected, for the loan's
 * overdue EMIs (the worker reads them when the item's turn comes); the row shows the oldest
 * selected EMI's due date and an empty EMI number.
 */
export function perLoan(items: NewJobItem[]): NewJobItem[] {
  const byLoan = new Map<string, NewJobItem>();
  for (const item of items) {
    if (byLoan.has(item.loanId)) continue;
    const { outcome: _o, error: _e, ...rest } = item;
    byLoan.set(item.loanId, { ...rest, emiNumber: LOAN_SCOPE_EMI_NUMBER, state: 'pending' });
  }
  return [...byLoan.values()].map((item, seq) => ({ ...item, seq }));
}

export async function startBulkJob(
  deps: BulkStartDeps,
  input: BulkStartInput,
  actor: Actor,
  opts: { waitMs?: number; pollMs?: number } = {},
): Promise<BulkJobView> {
  const now = deps.clock.now();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  checkBulkRequest(input, nowSeconds);
  const { lender, bucket, withinDays, emis, ...options } = input;
  const scope = emis !== undefined ? actor.lenders : lendersToRead(actor, lender, 'lender');
  // one lender: its provider is known now, so options it lacks fail the request, not every row
  // (a listed selection may span lenders: there each row says so, as generate would)
  if (lender !== undefined) {
    refuseUnsupported((await deps.accounts.accountOfLender(lender))?.provider ?? 'razorpay', options);
  }
  const today = istDate(now);
  const selected =
    emis !== undefined
      ? selectByList(emis)
      : await selectByFilter(deps, lender!, bucket ?? 'all', withinDays ?? 7, today);
  const items = options.scope === 'loan' ? perLoan(selected) : selected;
  const preDone = items.filter((i) => i.state === 'done').length;
  const job: JobRecord = {
    jobId: newJobId(),
    status: 'queued',
    total: items.length,
    processed: preDone,
    created: 0,
    reused: 0,
    failed: preDone,
    skipped: 0,
    selection:
      emis !== undefined
        ? { emis: emis.length }
        : { lender, bucket: bucket ?? 'all', withinDays: withinDays ?? 7, today },
    options,
    lenders: scope === '*' ? '*' : [...scope],
    createdBy: actorRef(actor),
    createdAt: now.toISOString(),
    lastProgressAt: now.toISOString(),
    stalls: 0,
  };
  correlate({ jobId: job.jobId });
  await deps.jobs.createJob(job, items, nowSeconds);
  const pending = items.filter((i) => i.state === 'pending').map((i) => i.seq);
  const messages: BulkMessage[] =
    pending.length > 0 ? chunkMessages(job.jobId, pending) : [{ kind: 'finalize', jobId: job.jobId }];
  await deps.queue.sendMany(messages.map((m) => JSON.stringify(m)));

  const waitMs = opts.waitMs ?? (job.total <= QUICK_JOB_MAX_ITEMS ? QUICK_JOB_WAIT_MS : 0);
  return toJobView(deps, await awaitJob(deps, job, waitMs, opts.pollMs ?? 150));
}

/** Polls the job until it is finished or `waitMs` has passed; returns what it last read. */
async function awaitJob(
  deps: BulkStartDeps,
  job: JobRecord,
  waitMs: number,
  pollMs: number,
): Promise<JobRecord> {
  const until = deps.clock.now().getTime() + waitMs;
  let current = job;
  // bounded by count too: a clock that stands still (a test's) must not wait forever
  for (let i = 0; i <= Math.ceil(waitMs / pollMs) && deps.clock.now().getTime() < until; i++) {
    await sleepOn(deps.clock, pollMs);
    current = (await deps.jobs.getJob(job.jobId)) ?? current;
    if (current.status === 'completed' || current.status === 'failed') break;
  }
  return current;
}
