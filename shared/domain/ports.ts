/**
 * The ports the use cases depend on: the stores, queue, archive and export interfaces, and the
 * records they hold. Declared here, in the domain; the DynamoDB, SQS and S3 adapters under
 * shared/adapters implement them, and unit tests pass in-memory fakes (test/support/fakes.ts).
 * Page keys (`startKey`/`lastKey`) are the store's own position, opaque (`PageKey`): use cases
 * seal them into cursors and hand them back unread; key names and index values stay in the
 * adapter's schema. The PaymentGateway port is in ./gateway.
 */
import type { Readable } from 'node:stream';
import type { ActorRef, Emi, Link, LinkStatus, Loan } from './model';

/** A store's page position: values only, meaningful to the store that made it. */
export type PageKey = readonly (string | number)[];

// ── links ─────────────────────────────────────────────────────────────────────────────────────

/** A stored link carries an optimistic-lock revision. */
export interface StoredLink extends Link {
  rev: number;
}

export type CommitOutcome = 'ok' | 'conflict' | 'already-credited';

export interface CreditEntry {
  paymentId: string;
  linkId: string;
  loanId: string;
  emiNumber: number;
  amount: number;
  creditedAt: string;
  /** the link's lender (the dashboard's collected totals); the store fills it from the link */
  lender?: string;
  /**
   * Set when this payment was flagged (paid after cancel or expiry, or beyond what the EMI owed):
   * the reason, and the money the EMI did not need (0 when a dead link took money the EMI still
   * owed). On the ledger entry so the curated feed's `surplus` line comes from the same record,
   * in the same transaction, as the credit.
   */
  surplusAmount?: number;
  surplusReason?: 'paid_after_cancel' | 'paid_after_expiry' | 'overpaid';
  /**
   * A loan link's payment: what each covered EMI was credited (sum = amount), so the curated
   * feed writes one credit line per EMI. Absent: all of it to `emiNumber`.
   */
  allocations?: { emiNumber: number; amount: number }[];
}

/**
 * A refund line of the ledger: written once, when Razorpay reports the refund processed (the
 * money left), conditional on its refund id never having been written — the curated feed's
 * `refund` line comes from it. The refund's reservation lives on the link (LinkRefund).
 */
export interface RefundEntry {
  refundId: string;
  providerRefundId?: string;
  paymentId: string;
  linkId: string;
  loanId: string;
  emiNumber: number;
  amount: number;
  refundedAt: string;
  lender?: string;
  /** made outside this tool (Razorpay's Dashboard) */
  external?: boolean;
}

export interface LinkFilters {
  status?: LinkStatus;
  lender?: string;
  /** only these lenders' links (with loanId or attention: a filter on a small set) */
  lenders?: readonly string[];
  loanId?: string;
  emiNumber?: number;
  attention?: boolean;
  /** created at or after this instant (ISO-8601 UTC) */
  createdFrom?: string;
  /** created before this instant (ISO-8601 UTC) */
  createdBefore?: string;
}

/** Links, their EMI anchor and the credit ledger (DynamoDB: link-store.ts). */
/**
 * A link, its EMI anchor and a ledger entry written together. `before` is the record as the
 * caller read it at `expectedRev` / `expectedVersion` (the store reads it when absent): the
 * dashboard's totals move by what changed from it.
 */
export interface EmiWrite {
  emi: Emi;
  expectedVersion: number;
  before?: Emi;
}

export interface CommitArgs {
  link?: { link: StoredLink; expectedRev: number; before?: StoredLink };
  emi?: EmiWrite;
  /** several EMIs of one loan (a loan link's covered EMIs), each guarded by its version */
  emis?: EmiWrite[];
  credit?: CreditEntry;
  /** a processed refund's ledger line (a second write of the same refund id: 'already-credited') */
  refund?: RefundEntry;
}

export interface LinkStore {
  getLink(id: string): Promise<StoredLink | null>;
  /** The ledger entry of one payment (consistent read): which link it landed on, its surplus. */
  getCredit(paymentId: string): Promise<CreditEntry | null>;
  findByRazorpayId(razorpayLinkId: string): Promise<StoredLink | null>;
  /** Every link of one EMI, from the loan+EMI index (eventually consistent; see the EMI anchor). */
  listForEmi(loanId: string, emiNumber: number): Promise<StoredLink[]>;
  /**
   * One page, newest first. With a FilterExpression a Query may return fewer items than asked,
   * so it queries on (bounded) until the page is full; the cursor is the last returned item's key.
   */
  listLinks(
    filters: LinkFilters,
    limit: number,
    startKey?: PageKey,
  ): Promise<{
    items: StoredLink[];
    lastKey?: PageKey;
  }>;
  /**
   * One page of several lenders' links (a person's scope, no loan or attention filter), newest
   * first: one Query per lender on its own index partition (byLender, or byLenderStatus with a
   * status), merged by creation key. Never reads another lender's partition. The page key is the
   * last link's keys plus its creation key; each lender's query resumes from that position.
   */
  listLinksOfLenders(
    filters: Pick<LinkFilters, 'status' | 'createdFrom' | 'createdBefore'>,
    lenders: readonly string[],
    limit: number,
    startKey?: PageKey,
  ): Promise<{
    items: StoredLink[];
    lastKey?: PageKey;
  }>;
  /**
   * Links reconciliation should look at, least recently synced first. A link that reconciliation
   * found unchanged must be `markSynced`, or it keeps its old sort key and heads every page.
   */
  listWatched(syncedBefore: string, limit: number): Promise<StoredLink[]>;
  /**
   * Open links synced at or after `syncedSince` (so not in `listWatched(syncedSince)`) whose
   * `expire_by` has passed: Razorpay has expired them, or is about to. Reads the recently synced
   * part of the open index with a filter, a bounded number of pages.
   */
  listWatchedPastExpiry(nowSeconds: number, syncedSince: string, limit: number): Promise<StoredLink[]>;
  /**
   * Records that Razorpay was asked about a watched link and reported nothing new: moves it to
   * the back of the open index. Not a state change, so the revision stays; a concurrent writer
   * may put back an older sync time, which only means the link is looked at again sooner.
   */
  markSynced(linkId: string, syncedAt: string): Promise<void>;
  /**
   * Writes a link, its EMI anchor and (optionally) one credit-ledger entry in one transaction.
   * Each write is guarded: the link by its revision (`expectedRev` 0 = must be new), the EMI by
   * its version, the credit by "this payment id was never credited".
   */
  commit(args: CommitArgs): Promise<CommitOutcome>;
}

// ── EMIs and loans ────────────────────────────────────────────────────────────────────────────

export interface PendingPage {
  items: Emi[];
  lastKey?: PageKey;
}

/** A page of pending EMIs in another order than due date ascending (pending-sorted.ts). */
export interface PendingSortArgs {
  /** these lenders' partitions, merged; undefined: the all-lenders index (due-date order only) */
  lenders?: readonly string[];
  order: 'dueDate' | 'amount';
  descending: boolean;
  /** due dates, inclusive (YYYY-MM-DD); no `fromDate`: from the oldest */
  fromDate?: string;
  toDate: string;
  limit: number;
  startKey?: PageKey;
}

/** A loan as stored, with who wrote it last. */
export interface StoredLoan extends Loan {
  updatedAt: string;
  /** who wrote it last (a person or a machine client) */
  updatedBy?: ActorRef;
}

/** Loans, EMIs and lenders (DynamoDB: emi-store.ts). */
export interface EmiStore {
  getEmi(loanId: string, emiNumber: number, consistent?: boolean): Promise<Emi | null>;
  /** The loan item and all its EMIs, strongly consistent. */
  getLoanItems(loanId: string): Promise<{
    loan: StoredLoan | null;
    emis: Emi[];
  }>;
  /** The lender a loan is filed under, or null for a new loan. */
  getLoanLender(loanId: string): Promise<string | null>;
  /**
   * Writes EMIs of one loan, each only if unchanged since `before` was read (null: must not
   * exist), with the dashboard's kept totals in the same transactions; false on a conflict.
   */
  writeEmis(loanId: string, writes: { emi: Emi; before: Emi | null }[]): Promise<boolean>;
  /** The loan and its search entries (replacing `previous`'s that no longer apply). */
  putLoan(loan: Loan, now: string, by?: ActorRef, previous?: Loan | null): Promise<void>;
  putLender(lender: string): Promise<void>;
  /**
   * Writes lenders, loans and EMIs unconditionally, 25 items a request, several requests in
   * flight, retrying what DynamoDB leaves unprocessed. Only for a table known to be empty.
   */
  batchPutIntoEmptyTable(args: { lenders: string[]; loans: Loan[]; emis: Emi[]; now: string }): Promise<void>;
  listLenders(): Promise<string[]>;
  /**
   * One page of pending EMIs ordered by due date, loan, EMI number: a Query on the sparse
   * pending index between two sort keys (inclusive). Cost depends on the page, not the table.
   */
  queryPending(args: {
    lender?: string;
    /** due dates, inclusive (YYYY-MM-DD); no `fromDate`: from the oldest */
    fromDate?: string;
    toDate: string;
    limit: number;
    startKey?: PageKey;
  }): Promise<PendingPage>;
  /**
   * One page of pending EMIs of several lenders (a person's scope), in the same order as
   * queryPending: one Query per lender on pendingByLender, each asking for a page, merged by sort
   * key. Never reads another lender's partition. The page key is the last item's own keys plus
   * its index sort key, from which each lender's query resumes (its own partition, same position).
   */
  queryPendingOfLenders(args: {
    lenders: readonly string[];
    /** due dates, inclusive (YYYY-MM-DD); no `fromDate`: from the oldest */
    fromDate?: string;
    toDate: string;
    limit: number;
    startKey?: PageKey;
  }): Promise<PendingPage>;
  /**
   * One page in another order: due date descending (the pending indexes read backwards) or
   * amount outstanding (the pendingByAmount index, the due-date range as a bounded filter; a page
   * may come back short with a cursor). See shared/adapters/dynamo/pending-sorted.ts.
   */
  queryPendingSorted(args: PendingSortArgs): Promise<PendingPage>;
  /**
   * The borrower's contact (and the due date) for links shown in a list: one BatchGetItem of the
   * EMI items (the loan item for a loan link), deduplicated; keyed `<loanId>#<emiNumber or "">`.
   */
  contactsOf(refs: readonly { loanId: string; emiNumber: number | null }[]): Promise<Map<string, Contact>>;
}

export interface Contact {
  phone: string | null;
  email: string | null;
  dueDate: string | null;
}

// ── bulk jobs ─────────────────────────────────────────────────────────────────────────────────

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';

export type ItemOutcome = 'created' | 'reused' | 'failed' | 'skipped';

/** What a finished item keeps for its CSV row. */
export interface ItemResult {
  outcome: ItemOutcome;
  linkId?: string;
  shortUrl?: string;
  linkStatus?: string;
  /** unix seconds, 0 when none */
  expireBy?: number;
  /** paise: the link's amount, or the outstanding amount when no link was made */
  amount?: number;
  clientName?: string;
  phone?: string;
  email?: string;
  lender?: string;
  dueDate?: string;
  error?: string;
}

export interface JobItem extends ItemResult {
  jobId: string;
  seq: number;
  loanId: string;
  emiNumber: number;
  state: 'pending' | 'done';
  attempts: number;
}

/** A new item: pending, or already done when the request itself decided it (a duplicate). */
export type NewJobItem = Omit<JobItem, 'jobId' | 'attempts' | 'outcome'> & { outcome?: ItemOutcome };

export interface JobCounts {
  total: number;
  processed: number;
  created: number;
  reused: number;
  failed: number;
  skipped: number;
}

export interface JobRecord extends JobCounts {
  jobId: string;
  status: JobStatus;
  /** how the EMIs were chosen, for the record (`lender` / `bucket` / `withinDays`, or `list`) */
  selection: Record<string, unknown>;
  /** the link options every item is generated with */
  options: Record<string, unknown>;
  /**
   * the lenders the job may touch and show (its creator's scope, narrowed to the selected
   * lender): only EMIs of these get links and rows, only callers who see all of them see the
   * job and its CSV. Absent on jobs from before access control: all lenders.
   */
  lenders?: string[] | '*';
  /** who started it */
  createdBy?: ActorRef;
  createdAt: string;
  /** last time an item finished (or the job was created or re-enqueued) */
  lastProgressAt: string;
  completedAt?: string;
  csvKey?: string;
  error?: string;
  /** times the stuck-job check found no progress */
  stalls: number;
  /** epoch ms until which one worker holds the right to write the CSV */
  exportLeaseUntil?: number;
}

/** Bulk jobs and their items (DynamoDB: job-store.ts). */
export interface JobStore {
  /**
   * Writes the items first, then the job: a crash in between leaves only orphan items (they
   * expire), never a job whose items are missing.
   */
  createJob(job: JobRecord, items: NewJobItem[], nowSeconds: number): Promise<void>;
  getJob(jobId: string): Promise<JobRecord | null>;
  markRunning(jobId: string): Promise<void>;
  /** Items `from`..`to` (inclusive), in order. */
  getItems(jobId: string, from: number, to: number): Promise<JobItem[]>;
  /** Every item in order, one Query page at a time: memory holds one page, whatever the job's size. */
  itemPages(jobId: string, pageSize?: number): AsyncGenerator<JobItem[]>;
  /** Counts one more delivery that left the item unfinished; null when it is done after all. */
  countFailedAttempt(jobId: string, seq: number): Promise<number | null>;
  /**
   * Records an item's result and counts it on the job, in one transaction that only goes
   * through while the item is not done: a redelivered or duplicated item is never counted
   * twice. 'already-done' when another worker (or an earlier delivery) finished it first.
   */
  completeItem(
    jobId: string,
    seq: number,
    result: ItemResult,
    now: string,
  ): Promise<'recorded' | 'already-done'>;
  /**
   * Takes the right to write the CSV: only once every item is counted, only while the job is
   * not finished, and only if no other worker holds a lease that has not lapsed.
   */
  claimExport(jobId: string, nowMs: number, leaseMs: number): Promise<boolean>;
  /** Gives the lease back after a failed export, so the next try need not wait for it to lapse. */
  releaseExport(jobId: string): Promise<void>;
  completeJob(jobId: string, csvKey: string, now: string): Promise<void>;
  failJob(jobId: string, error: string, now: string): Promise<void>;
  /** Ids of jobs not yet completed or failed. */
  listActiveJobs(): Promise<string[]>;
  /** recent jobs, newest first, those `visible(lenders)` allows */
  listRecentJobs(
    visible: (lenders: string[] | '*') => boolean,
    limit: number,
    startKey?: PageKey,
  ): Promise<{ jobs: JobRecord[]; lastKey?: PageKey }>;
  /**
   * Records that the stuck-job check acted on a stall: counts it and restarts the progress
   * clock. Conditional on the progress time it saw, so two checks never act on the same stall.
   */
  noteStall(jobId: string, seenProgressAt: string, now: string): Promise<boolean>;
}

// ── idempotency and webhook receipts ──────────────────────────────────────────────────────────

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'completed'; response: StoredResponse }
  | { state: 'in_progress' }
  | { state: 'mismatch' };

/** Idempotency keys (DynamoDB: ops-store.ts). */
export interface OpsStore {
  /**
   * Claims an idempotency key for a request. A claim left `in_progress` by a crashed
   * invocation can be taken over once its lock has lapsed (`lockSeconds`).
   */
  claimIdempotency(
    scope: string,
    key: string,
    requestHash: string,
    nowSeconds: number,
    lockSeconds?: number,
  ): Promise<IdempotencyClaim>;
  completeIdempotency(
    scope: string,
    key: string,
    requestHash: string,
    response: StoredResponse,
    nowSeconds: number,
  ): Promise<void>;
  releaseIdempotency(scope: string, key: string): Promise<void>;
}

/** What the receiver learns when it claims a webhook event id. */
export interface WebhookClaim {
  /** the first receipt's: every attempt archives to the same object */
  receivedAt: string;
  archiveKey: string;
  /** what an earlier attempt finished before it failed (so this one does not do it again) */
  archived: boolean;
  enqueued: boolean;
}

/** The receiver's dedupe records (DynamoDB: webhook-events.ts). */
export interface WebhookEventStore {
  /**
   * Claims a webhook event id for one receipt: one conditional write that both dedupes and
   * records (the receiver's only write when all goes well). The first delivery of an event, and a
   * redelivery whose earlier receipt did not finish, get the claim — with the first receipt's time
   * and archive key, so every attempt archives to the same object, and what an earlier attempt
   * finished before failing (so it is not done twice). Anything else is 'duplicate'.
   *
   * A receipt holds the claim for `leaseSeconds`. The record stays `received` until the worker
   * takes the message from the queue and marks it `queued`; a receipt that died mid-way (a crashed
   * or timed-out invocation) thus leaves a `received` record whose lease runs out, and the next
   * delivery of that event is claimed again — otherwise Razorpay's retries would all be
   * acknowledged as duplicates of an event never queued. A receipt that failed part-way
   * (releaseWebhookEvent) can be claimed again at once, whatever the worker did meanwhile.
   */
  claimWebhookEvent(
    eventId: string,
    fields: {
      event: string;
      receivedAt: string;
      archiveKey: string;
    },
    nowSeconds: number,
    leaseSeconds?: number,
  ): Promise<WebhookClaim | 'duplicate'>;
  /**
   * A receipt failed (the caller answers 5xx): remember what it did finish and end its claim now,
   * so Razorpay's retry is claimed at once and does only what is left.
   */
  releaseWebhookEvent(
    eventId: string,
    done: {
      archived: boolean;
      enqueued: boolean;
    },
  ): Promise<void>;
  /**
   * A receipt finished without the worker's help: after a retry that completed what an earlier
   * attempt left (the part-way marks go), or for a body with nothing to queue (`archived`, final).
   */
  completeWebhookEvent(eventId: string, state?: 'archived'): Promise<void>;
  /**
   * The worker took the event from the queue: later deliveries of it are duplicates for good
   * (unless a receipt still owes its archive: then its retry is claimed all the same). Answers
   * false when there is no record (it expired, or the message was replayed from elsewhere).
   */
  markWebhookEventQueued(eventId: string): Promise<boolean>;
}

// ── queue, raw archive, exports ───────────────────────────────────────────────────────────────

export interface QueueSender {
  send(body: string): Promise<void>;
  /** sends many bodies (SQS batches of 10) */
  sendMany(bodies: string[]): Promise<void>;
}

export interface RawWebhook {
  eventId: string;
  /** the payment account whose URL received it (architecture §4b) */
  accountId: string;
  /** whose webhook it is; absent: Razorpay (EximPe's land under raw/eximpe/webhooks/) */
  provider?: 'razorpay' | 'eximpe';
  /** the envelope's `event`, or null when the body is not JSON */
  event: string | null;
  receivedAt: Date;
  /** lower-cased header names */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** The port the receiver writes through. */
export interface RawWebhookArchive {
  /** the object key a delivery received at `receivedAt` is stored under */
  keyOf(eventId: string, receivedAt: Date, accountId: string, provider?: 'razorpay' | 'eximpe'): string;
  /** stores the delivery (again: the same object); returns the object key */
  put(raw: RawWebhook): Promise<string>;
}

export interface ExportWriter {
  upload(key: string, body: Readable, filename: string): Promise<void>;
}

export interface ExportReader {
  presignGet(key: string, filename: string, expiresInSeconds?: number): Promise<string>;
}

export interface ExportStore extends ExportWriter, ExportReader {}

// ── the dashboard's kept totals and the search index (architecture §4d) ──────────────────────

/** One lender's counters, summed over shards: group (`T`, `D#<month>`, `C#<day>`) → attribute → value. */
export type LenderCounters = Map<string, Map<string, number>>;

export interface AggregateReader {
  /** the counters the dashboard needs for `today` (IST): totals, DPD from today−90 on, the last 30 days */
  readLender(lender: string, today: string): Promise<{ counters: LenderCounters; itemsRead: number }>;
  /** pending EMIs due `fromDate`..`toDate` (inclusive; no `fromDate`: from the oldest): count and outstanding */
  pendingTotals(
    lender: string,
    fromDate: string | undefined,
    toDate: string,
  ): Promise<{ count: number; outstanding: number }>;
}

export interface SearchHit {
  kind: 'loan';
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
}

export interface SearchIndex {
  /** entries of these lenders whose `kind` term starts with `term`, at most `limit` per lender */
  prefix(
    lenders: readonly string[],
    kind: 'loan' | 'phone' | 'name',
    term: string,
    limit: number,
  ): Promise<SearchHit[]>;
}

// ---- loans file imports (architecture: the warehouse, in) ----

/** Write errors an import record keeps (~100 bytes each: far below DynamoDB's 400 KB item). */
export const MAX_WRITE_ERRORS = 1000;

/** Errors an import record shows (the first, by row); the report beside the file has them all. */
export const MAX_ERRORS_IN_RECORD = 100;

export type ImportStatus = 'waiting' | 'running' | 'completed' | 'failed';

/** One problem of one row of a loans file. */
export interface ImportError {
  row: number;
  field: string;
  message: string;
}

export interface ImportCounts {
  rows: number;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
}

export interface ImportRecord extends ImportCounts {
  importId: string;
  bucketKey: string;
  fileName: string;
  status: ImportStatus;
  /** the S3 upload this run reads (the notification's sequencer), and its ETag */
  runId?: string;
  etag?: string;
  /** every row on a line up to this one is written (0 = none yet) */
  checkpointLine: number;
  /**
   * failures of writes (not of validation, which a resume recomputes), kept for the report: the
   * first MAX_WRITE_ERRORS only, so a file of refused rows cannot outgrow the item
   */
  writeErrors: ImportError[];
  /** rows whose write failed, all of them (writeErrors may be cut short); absent on older records */
  writeFailedRows?: number;
  /** the first errors, for `GET /api/imports/{id}`; the report has them all */
  errors: ImportError[];
  leaseOwner?: string;
  leaseUntil?: number;
  requestedBy?: { sub: string; name: string };
  /** the requester's lenders: the rows of other lenders fail */
  lenders?: string[] | '*';
  createdAt: string;
  updatedAt: string;
  /** epoch seconds: the table's TTL drops the record after 90 days */
  expiresAt: number;
}

/** Loans file imports, one record each (DynamoDB: import-store.ts). */
export interface ImportStore {
  /** `POST /api/imports` reserves an id before the upload */
  createWaiting(rec: {
    importId: string;
    bucketKey: string;
    fileName: string;
    requestedBy: ActorRef;
    lenders: readonly string[] | '*';
    now: string;
  }): Promise<void>;
  /** consistent read (progress, resume) */
  get(importId: string): Promise<ImportRecord | null>;
  /** true when this upload's run is new; false for a repeated notification or a superseded upload */
  startRun(rec: {
    importId: string;
    bucketKey: string;
    fileName: string;
    runId: string;
    etag: string;
    now: string;
  }): Promise<boolean>;
  /** the run's lease: one worker at a time reads a file */
  claim(importId: string, runId: string, owner: string, nowMs: number, leaseMs: number): Promise<boolean>;
  /** progress; false when the run or the lease is no longer ours (stop reading) */
  checkpoint(
    importId: string,
    runId: string,
    owner: string,
    state: ImportCounts & {
      checkpointLine: number;
      writeErrors: ImportError[];
      writeFailedRows: number;
      errors: ImportError[];
    },
    nowMs: number,
    leaseMs: number,
  ): Promise<boolean>;
  finish(
    importId: string,
    runId: string,
    owner: string,
    status: 'completed' | 'failed',
    state: ImportCounts & { errors: ImportError[] },
    now: string,
  ): Promise<boolean>;
}
