/**
 * What the API answers, as zod schemas: the types the use cases return (`z.infer`) and the
 * OpenAPI description (docs/openapi.json, `npm run openapi`) both come from here, so the two
 * cannot drift. Handlers import only the types (erased from bundles); the schemas themselves
 * are read by the OpenAPI generator and by the contract tests.
 *
 * Amounts are integer paise (₹1 = 100 paise), timestamps ISO-8601 UTC, due dates IST calendar
 * dates (YYYY-MM-DD).
 */
import * as z from 'zod/mini';
import type { JobStatus } from '../adapters/dynamo/job-store';
import { PROVIDERS } from '../domain/accounts';
import { type AttentionReason, type CancelReason, LINK_ID, LINK_STATUSES } from '../domain/model';
import { PENDING_SORTS } from './common';

type Meta = { id?: string; description?: string; example?: unknown };

/** Attaches OpenAPI metadata (an `id` makes it a named component). */
function doc<T extends z.ZodMiniType>(schema: T, meta: Meta): T {
  z.globalRegistry.add(schema, meta);
  return schema;
}

const paise = (description: string) => doc(z.int().check(z.minimum(0)), { description });
const timestamp = (description: string) => doc(z.iso.datetime(), { description });
const nullable = <T extends z.ZodMiniType>(schema: T) => z.nullable(schema);

export const CANCEL_REASONS = [
  'sibling_paid',
  'emi_settled',
  'emi_removed',
  'manual',
  'razorpay',
  'covered_emi_paid',
] as const satisfies readonly CancelReason[];
export const ATTENTION_REASONS = [
  'paid_after_cancel',
  'paid_after_expiry',
  'overpaid',
  'sibling_partially_paid',
  'invalid_event',
  'refund_beyond_surplus',
] as const satisfies readonly AttentionReason[];
export const JOB_STATUSES = [
  'queued',
  'running',
  'completed',
  'failed',
] as const satisfies readonly JobStatus[];
// the other direction: a reason added to the domain must be added here too
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : never;
const _complete: [
  Missing<CancelReason, (typeof CANCEL_REASONS)[number]>,
  Missing<AttentionReason, (typeof ATTENTION_REASONS)[number]>,
  Missing<JobStatus, (typeof JOB_STATUSES)[number]>,
] = [true, true, true];
void _complete;

const currency = doc(z.literal('INR'), { description: 'always INR' });

export const actorRefSchema = doc(z.strictObject({ sub: z.string(), name: z.string() }), {
  id: 'ActorRef',
  description: 'Who did something: the token subject and a display name (architecture: access).',
});

export const errorBodySchema = doc(
  z.strictObject({
    error: z.strictObject({
      code: doc(z.string(), { description: 'stable, machine-readable: VALIDATION_FAILED, NOT_FOUND, …' }),
      message: doc(z.string(), { description: 'for a person; never a stack trace' }),
      details: z.optional(
        z.array(
          z.strictObject({
            field: doc(z.string(), { description: 'where: `loans.3.emis.0.amount`, `query.limit`, …' }),
            message: z.string(),
          }),
        ),
      ),
    }),
  }),
  {
    id: 'Error',
    description: 'Every error, from every route: 4xx names each bad field in `details`; never a stack trace.',
    example: {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'loans.3.emis.0.amount must be an integer',
        details: [{ field: 'loans.3.emis.0.amount', message: 'must be an integer' }],
      },
    },
  },
);
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const healthSchema = doc(z.strictObject({ status: z.enum(['ok', 'starting']) }), {
  id: 'Health',
  description: '`ok` once the API serves; `starting` (with 503 and Retry-After) while the local stack loads',
});
export type Health = z.infer<typeof healthSchema>;

export const linkPaymentSchema = doc(
  z.strictObject({
    paymentId: doc(z.string(), { description: "Razorpay's payment id (pay_…)" }),
    amount: paise('paise'),
    method: z.string(),
    status: z.enum(['captured', 'failed']),
    capturedAt: timestamp('when Razorpay captured it'),
  }),
  { id: 'LinkPayment' },
);

export const coverSchema = doc(z.strictObject({ emiNumber: z.int(), amount: paise('paise') }), {
  id: 'LinkCover',
  description: 'One EMI a loan link covers, with an amount in paise.',
});

export const linkSchema = doc(
  z.strictObject({
    id: doc(z.string().check(z.regex(LINK_ID)), {
      description: "our id; also Razorpay's reference_id",
    }),
    razorpayLinkId: doc(nullable(z.string()), {
      description: "Razorpay's plink_… id (null until Razorpay answered, and for other providers' links)",
    }),
    providerLinkId: doc(nullable(z.string()), {
      description:
        "the provider's own id of the link (Razorpay plink_…, EximPe payment_id PR…); null until it answered",
    }),
    referenceId: z.string(),
    loanId: z.string(),
    emiNumber: doc(nullable(z.int()), {
      description: "the EMI's number; null for a loan link (`scope: loan`)",
    }),
    scope: doc(z.enum(['emi', 'loan']), {
      description:
        "`emi`: a link for one EMI; `loan`: one link for the EMIs in `covers` (the loan's overdue EMIs)",
    }),
    covers: doc(nullable(z.array(coverSchema)), {
      description:
        'a loan link: the EMIs it covers, oldest first, each with its outstanding when the link was made (sum = amount); null for an EMI link',
    }),
    lender: z.string(),
    clientName: z.string(),
    amount: paise('what the link asks for, in paise'),
    amountPaid: paise('captured so far, in paise'),
    currency,
    shortUrl: doc(nullable(z.string()), { description: 'what the borrower opens' }),
    status: doc(z.enum(LINK_STATUSES), {
      description:
        'forward-only: creating → created → partially_paid → paid; or expired / cancelled; failed when Razorpay refused or never answered',
    }),
    expireBy: nullable(timestamp('when the link expires')),
    createdAt: timestamp('created'),
    updatedAt: timestamp('last change'),
    payments: z.array(linkPaymentSchema),
    cancelReason: doc(nullable(z.enum(CANCEL_REASONS)), { description: 'why it was cancelled' }),
    attention: doc(nullable(z.enum(ATTENTION_REASONS)), {
      description: 'money a person must look at (credited, never dropped)',
    }),
    acceptPartial: z.boolean(),
    upiLink: doc(z.boolean(), { description: 'a Razorpay UPI link (UPI only, no partial payments)' }),
    minPartialAmount: nullable(paise('smallest partial payment, in paise')),
    error: doc(nullable(z.strictObject({ code: z.string(), message: z.string() })), {
      description: 'why Razorpay refused (status failed)',
    }),
    jobId: doc(nullable(z.string()), { description: 'the bulk job that created it' }),
    createdBy: doc(nullable(actorRefSchema), { description: 'who generated it' }),
    cancelledBy: doc(nullable(actorRefSchema), { description: 'the person who cancelled it, if one did' }),
    accountId: doc(z.string(), {
      description: 'the payment account it lives in, for life (architecture §4b); `default` for older links',
    }),
    provider: doc(z.enum(PROVIDERS), { description: 'the payment provider of that account' }),
  }),
  { id: 'Link', description: "A payment link for one EMI, or for a loan's overdue EMIs (`scope: loan`)." },
);
export type Link = z.infer<typeof linkSchema>;

export const generatedLinkSchema = doc(
  z.strictObject({
    ...linkSchema.shape,
    reused: doc(z.boolean(), {
      description: 'true (with 200) when an open link of the same amount already existed for the EMI',
    }),
  }),
  { id: 'GeneratedLink' },
);

/** A link as the list shows it: with the borrower's contact and the EMI's due date (for the CSV). */
export const linkListItemSchema = doc(
  z.strictObject({
    ...linkSchema.shape,
    phone: doc(nullable(z.string()), { description: "the borrower's phone, from the EMI (null if unknown)" }),
    email: doc(nullable(z.string()), { description: "the borrower's e-mail, from the EMI (null if none)" }),
    dueDate: doc(nullable(z.iso.date()), { description: "the EMI's due date; null for a loan link" }),
  }),
  { id: 'LinkListItem' },
);
export type LinkListItem = z.infer<typeof linkListItemSchema>;

export const linkPageSchema = doc(
  z.strictObject({
    items: z.array(linkListItemSchema),
    nextCursor: doc(nullable(z.string()), { description: 'opaque; null on the last page' }),
  }),
  { id: 'LinkPage' },
);

export const activeLinkSchema = doc(
  z.strictObject({
    id: z.string(),
    shortUrl: z.string(),
    status: z.enum(LINK_STATUSES),
    amount: paise('paise'),
    scope: doc(z.enum(['emi', 'loan']), {
      description:
        "`loan`: a link for the loan's overdue EMIs, this one among them (its amount is their sum)",
    }),
  }),
  { id: 'ActiveLink', description: 'the newest open link a borrower can still pay' },
);
export type ActiveLink = z.infer<typeof activeLinkSchema>;

export const pendingEmiSchema = doc(
  z.strictObject({
    loanId: z.string(),
    lender: z.string(),
    clientName: z.string(),
    phone: z.string(),
    email: nullable(z.string()),
    emiNumber: z.int(),
    dueDate: doc(z.iso.date(), { description: 'IST calendar date' }),
    amountDue: paise('the instalment, in paise'),
    amountPaid: paise('paid so far (before this tool and through it), in paise'),
    amountOutstanding: paise('still owed, in paise (> 0 while pending)'),
    currency,
    daysPastDue: z.int().check(z.minimum(0)),
    bucket: z.enum(['overdue', 'upcoming']),
    activeLink: nullable(activeLinkSchema),
  }),
  { id: 'PendingEmi', description: 'An instalment with something still owed.' },
);
export type PendingEmi = z.infer<typeof pendingEmiSchema>;

export const pendingEmiPageSchema = doc(
  z.strictObject({
    items: z.array(pendingEmiSchema),
    nextCursor: doc(nullable(z.string()), { description: 'opaque; null on the last page' }),
    today: doc(z.iso.date(), { description: 'the IST date the buckets were judged on' }),
    sort: doc(z.enum(PENDING_SORTS), {
      description: 'the order of the items (a leading - is descending)',
    }),
    total: doc(
      nullable(
        z.strictObject({
          count: z.int().check(z.minimum(0)),
          outstanding: paise('what all pending EMIs matching the filter still owe'),
        }),
      ),
      {
        description: 'every pending EMI matching the filter (not only this page); first page only, else null',
      },
    ),
  }),
  {
    id: 'PendingEmiPage',
    description: 'ordered by `sort`: by default due date, then loan, then EMI number',
  },
);
export type PendingEmiPage = z.infer<typeof pendingEmiPageSchema>;

export const bulkJobSchema = doc(
  z.strictObject({
    jobId: z.string().check(z.regex(/^job_[a-z0-9]{20}$/)),
    status: z.enum(JOB_STATUSES),
    total: z.int(),
    processed: z.int(),
    created: z.int(),
    reused: z.int(),
    failed: z.int(),
    skipped: doc(z.int(), {
      description: 'EMIs found settled when their turn came (a CSV row with an error)',
    }),
    csvUrl: doc(nullable(z.string()), {
      description:
        'once completed: a fresh presigned GET URL, valid 15 minutes (quote it in a shell: it holds &)',
    }),
    csvExpiresAt: nullable(timestamp('when csvUrl stops working')),
    createdAt: timestamp('created'),
    completedAt: nullable(timestamp('finished')),
    error: nullable(z.string()),
    createdBy: doc(nullable(actorRefSchema), { description: 'who started it' }),
  }),
  { id: 'BulkJob', description: 'A bulk generate & export job.' },
);
export type BulkJob = z.infer<typeof bulkJobSchema>;

export const upsertLoansResultSchema = doc(
  z.strictObject({
    loans: z.int(),
    emis: z.strictObject({ created: z.int(), updated: z.int(), unchanged: z.int(), removed: z.int() }),
  }),
  { id: 'UpsertLoansResult', description: 'counts of EMIs by what happened to them' },
);
export type UpsertLoansResult = z.infer<typeof upsertLoansResultSchema>;

export const meSchema = doc(
  z.strictObject({
    sub: z.string(),
    name: z.string(),
    role: doc(nullable(z.enum(['viewer', 'collector', 'admin'])), {
      description: 'null for a machine client',
    }),
    permissions: z.array(z.enum(['read', 'write', 'loans', 'admin'])),
    lenders: doc(z.union([z.literal('*'), z.array(z.string())]), { description: '"*" = all lenders' }),
  }),
  { id: 'Me', description: 'Who the token says is calling, as the API sees them.' },
);

export const lendersSchema = doc(z.strictObject({ lenders: z.array(z.string()) }), { id: 'Lenders' });

export const webhookAckSchema = doc(z.strictObject({ received: z.literal(true), outcome: z.string() }), {
  id: 'WebhookAck',
});

const count = (description: string) => doc(z.int().check(z.minimum(0)), { description });
const tally = z.strictObject({ count: count('payments credited'), amount: paise('their sum, paise') });

export const dashboardSchema = doc(
  z.strictObject({
    asOf: timestamp('when this was read'),
    currency,
    pending: z.strictObject({
      count: count('EMIs with something still owed'),
      outstanding: paise('what they owe, paise'),
    }),
    dpd: doc(
      z.array(
        z.strictObject({
          bucket: z.enum(['current', 'SMA-0', 'SMA-1', 'SMA-2', 'NPA']),
          loans: count('loans (accounts) in the bucket'),
          outstanding: paise('what those loans have pending, paise'),
        }),
      ),
      {
        description:
          "RBI's SMA classes by the days past due of each loan's oldest unpaid EMI: current (nothing overdue), SMA-0 1–30, SMA-1 31–60, SMA-2 61–90, NPA > 90 — always these five, in this order",
      },
    ),
    links: doc(
      z.strictObject({
        created: count('open, unpaid'),
        partially_paid: count('partly paid'),
        paid: count('paid'),
        expired: count('expired'),
        cancelled: count('cancelled'),
        failed: count('Razorpay refused or never answered'),
        attention: count('links a person must look at (any status)'),
      }),
      { description: 'payment links by status' },
    ),
    collected: doc(z.strictObject({ today: tally, last7d: tally, last30d: tally }), {
      description: 'payments credited, by the IST day they were credited',
    }),
    daily: doc(z.array(z.strictObject({ date: z.iso.date(), count: z.int(), amount: z.int() })), {
      description: 'the last 30 IST days, oldest first, today last',
    }),
    conversion30d: doc(
      z.strictObject({
        linksCreated: count('links created (reaching Razorpay) in the last 30 IST days'),
        linksPaid: count('how many of those are paid'),
        rate: doc(z.number().check(z.minimum(0), z.maximum(1)), {
          description: 'linksPaid / linksCreated (0 when none)',
        }),
      }),
      { description: 'of the links created in the last 30 IST days, the share paid' },
    ),
    medianHoursToPay30d: doc(z.number().check(z.minimum(0)), {
      description:
        'median hours from a link’s creation to its payment, over links paid in the last 30 IST days, from a histogram (interpolated inside its bin); 0 when none',
    }),
  }),
  {
    id: 'Dashboard',
    description:
      'The book at a glance, from totals kept as money and links move (never a scan): the same cost at 1k and 1M EMIs.',
  },
);
export type Dashboard = z.infer<typeof dashboardSchema>;

export const searchResultSchema = doc(
  z.strictObject({
    kind: z.enum(['loan', 'link']),
    loanId: z.string(),
    lender: z.string(),
    clientName: z.string(),
    phone: z.string(),
    emiNumber: doc(z.optional(z.int()), {
      description: "links only; absent for a loan link (it covers the loan's overdue EMIs)",
    }),
    linkId: doc(z.optional(z.string()), { description: 'links only: our id' }),
    razorpayLinkId: doc(z.optional(z.string()), { description: 'links only: plink_…, once known' }),
    status: doc(z.optional(z.enum(LINK_STATUSES)), { description: 'links only' }),
  }),
  { id: 'SearchResult' },
);
export const searchPageSchema = doc(z.strictObject({ items: z.array(searchResultSchema) }), {
  id: 'SearchResults',
  description: 'at most `limit` (≤ 20) matches, loans then links, within the caller’s lenders',
});
export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchPage = z.infer<typeof searchPageSchema>;

export const bulkJobPageSchema = doc(
  z.strictObject({
    items: z.array(bulkJobSchema),
    nextCursor: doc(nullable(z.string()), { description: 'opaque; null on the last page' }),
  }),
  { id: 'BulkJobPage', description: 'recent bulk jobs, newest first' },
);
export type BulkJobPage = z.infer<typeof bulkJobPageSchema>;
export const importErrorSchema = doc(
  z.strictObject({
    row: doc(z.int().check(z.minimum(1)), { description: "the file's line number (the header is line 1)" }),
    field: doc(z.string(), { description: 'the column (`amount_due_inr`, …), or `row` / `file`' }),
    message: z.string(),
  }),
  { id: 'ImportError', description: 'One problem of one row: that row fails alone.' },
);
export type ImportError = z.infer<typeof importErrorSchema>;

export const startedImportSchema = doc(
  z.strictObject({
    importId: z.string().check(z.regex(/^imp_[0-9a-f]{20}$/)),
    uploadUrl: doc(z.string(), {
      description:
        'a presigned PUT URL for the file (send the bytes as the body; its upload starts the import)',
    }),
    uploadExpiresAt: timestamp('when uploadUrl stops working'),
  }),
  { id: 'StartedImport', description: 'An import waiting for its file.' },
);
export type StartedImport = z.infer<typeof startedImportSchema>;

export const IMPORT_STATUSES = ['waiting', 'running', 'completed', 'failed'] as const;

export const importStatusSchema = doc(
  z.strictObject({
    importId: z.string().check(z.regex(/^imp_[0-9a-f]{20}$/)),
    status: doc(z.enum(IMPORT_STATUSES), {
      description:
        'waiting (for the upload), running, completed (every row written or reported), failed (the file could not be read on; rows before the problem are written)',
    }),
    fileName: z.string(),
    rows: doc(z.int().check(z.minimum(0)), { description: 'EMI rows read so far' }),
    processed: doc(z.int().check(z.minimum(0)), { description: 'rows written or refused so far' }),
    created: z.int().check(z.minimum(0)),
    updated: z.int().check(z.minimum(0)),
    unchanged: z.int().check(z.minimum(0)),
    failed: z.int().check(z.minimum(0)),
    errors: doc(z.array(importErrorSchema), {
      description: 'the first problems (the report beside the file has them all)',
    }),
  }),
  { id: 'Import', description: 'A loans file import: progress and counts of EMI rows.' },
);
export type ImportStatus = z.infer<typeof importStatusSchema>;
