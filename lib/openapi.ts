/**
 * The API's OpenAPI 3.1 description, generated from the route table (lib/routes.ts) and the
 * very zod schemas the handlers validate with and the use cases answer with
 * (shared/schemas/responses.ts). `npm run openapi` writes it to docs/openapi.json, which the
 * `openapi` function serves at GET /api/openapi.json; a test fails when the file is stale.
 *
 * Generator: zod-openapi. It builds on zod 4's own JSON Schema conversion (z.toJSONSchema), so
 * zod/mini schemas work as they are — no `.openapi()` patch on zod's classes, which
 * @asteasolutions/zod-to-openapi needs and zod/mini does not have — and it turns an object
 * schema into one parameter per field and `io: input` for requests (query strings stay strings).
 * Only the route table's own routes appear: no worker, no /_local or /_sandbox route.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ROOT } from '../local/paths';
import { MAX_JSON_BODY_BYTES } from '../shared/http/route';
import {
  accountIdPathSchema,
  paymentAccountListSchema,
  paymentAccountSchema,
  putAccountSchema,
  rotateWebhookSecretSchema,
} from '../shared/schemas/accounts';
import { dueDateSchema } from '../shared/schemas/common';
import { linkDetailSchema, refundResultSchema } from '../shared/schemas/link-detail';
import {
  bulkJobPageSchema,
  bulkJobSchema,
  dashboardSchema,
  errorBodySchema,
  generatedLinkSchema,
  healthSchema,
  importStatusSchema,
  lendersSchema,
  linkPageSchema,
  linkSchema,
  meSchema,
  pendingEmiPageSchema,
  searchPageSchema,
  startedImportSchema,
  upsertLoansResultSchema,
  webhookAckSchema,
} from '../shared/schemas/responses';
import { bulkJobPathSchema, listBulkJobsQuerySchema } from '../shared/usecases/bulk-job';
import { bulkStartSchema, MAX_BULK_ITEMS } from '../shared/usecases/bulk-start';
import { dashboardQuerySchema } from '../shared/usecases/dashboard';
import { generateLinkSchema } from '../shared/usecases/generate-link';
import { importPathSchema, startImportSchema } from '../shared/usecases/imports-api';
import { notifyBodySchema, updateBodySchema } from '../shared/usecases/link-detail';
import { pendingEmisQuerySchema } from '../shared/usecases/list-pending-emis';
import { linkIdPathSchema, listLinksQuerySchema } from '../shared/usecases/manage-link';
import { payReturnQuerySchema } from '../shared/usecases/pay-return';
import { refundBodySchema } from '../shared/usecases/refunds';
import { searchQuerySchema } from '../shared/usecases/search';
import { MAX_LOANS_PER_REQUEST, upsertLoansSchema } from '../shared/usecases/upsert-loans';
import { MAX_WEBHOOK_BODY_BYTES } from '../shared/usecases/webhook-receive';
import { type Permission, type RouteDef, routes } from './routes';

/** Descriptions for fields of the request schemas (metadata only; validation is unchanged). */
function describe<S extends { shape: Record<string, z.ZodMiniType> }>(
  schema: S,
  fields: Partial<Record<keyof S['shape'], string>>,
): S {
  for (const [name, description] of Object.entries(fields)) {
    const field = schema.shape[name];
    if (field && description) z.globalRegistry.add(field, { description: description as string });
  }
  return schema;
}

z.globalRegistry.add(dueDateSchema, { format: 'date', description: 'IST calendar date, YYYY-MM-DD' });
describe(pendingEmisQuerySchema, {
  lender: 'one lender (exact name); all lenders when absent',
  bucket: '`overdue` (due before today, IST), `upcoming` (today … today + withinDays) or `all` (default)',
  withinDays: 'the upcoming window in days, 0–365 (default 7)',
  limit: 'page size, 1–200 (default 50)',
  cursor: "the previous page's nextCursor",
  sort: '`dueDate` (default), `amount` (outstanding) or `daysPastDue`; a leading `-` sorts descending',
});
describe(listLinksQuerySchema, {
  status: 'one status',
  lender: 'one lender',
  loanId: 'one loan (any case: `kav-10001` finds `KAV-10001`)',
  from: 'created on or after this IST date (YYYY-MM-DD)',
  to: 'created on or before this IST date (YYYY-MM-DD)',
  emiNumber: 'one EMI of that loan (needs loanId), 1–9999',
  attention: '`true`: only links a person must look at',
  limit: 'page size, 1–200 (default 50)',
  cursor: "the previous page's nextCursor",
});
describe(generateLinkSchema, {
  amount: 'paise; default: all that is outstanding; at least 100 and at most the outstanding amount',
  expireBy: 'ISO-8601 with offset, at least 16 minutes and at most 180 days ahead (default 14 days)',
  acceptPartial: 'let the borrower pay part of it',
  minPartialAmount: 'paise; the smallest part payment (with acceptPartial)',
  notify: 'have Razorpay send the link itself by SMS / e-mail',
  reminders: "Razorpay's payment reminders",
  forceNew: 'make a new link even if an open one of the same amount exists',
  emiNumber: 'the EMI (1–9999); required with scope `emi`, refused with scope `loan`',
  scope:
    "`emi` (default): a link for `emiNumber`; `loan`: one link for all of the loan's overdue EMIs (due before today in IST, something outstanding; the oldest 24 at most), for their outstanding sum (no `amount`)",
});
describe(dashboardQuerySchema, { lender: 'one lender (exact name); all of your lenders when absent' });
describe(searchQuerySchema, {
  q: 'a loan id (prefix, any case), a phone number (its last 10 digits; at least 4 digits), a word of the client’s name (prefix, any case), our link id (lnk_…) or Razorpay’s (plink_…); 3–64 characters, matched literally',
  limit: 'at most this many results, 1–20 (default 20)',
});
describe(listBulkJobsQuerySchema, {
  limit: 'page size, 1–50 (default 20)',
  cursor: "the previous page's nextCursor",
});
describe(startImportSchema, {
  fileName: 'the name the file keeps in the bucket: ends in `.csv` (with a header row) or `.jsonl`',
});
describe(bulkStartSchema, {
  lender: 'select by lender (with bucket and withinDays, like pending EMIs)…',
  bucket: '`overdue`, `upcoming` or `all`',
  withinDays: 'upcoming window in days (default 7)',
  emis: `…or name the EMIs (at most ${MAX_BULK_ITEMS.toLocaleString('en-US')})`,
  scope:
    '`loan`: one link and one CSV row (`emi_number` empty) per loan among the selected EMIs, for its overdue EMIs; `emi` (default): one per EMI',
});

const PERMISSION_TEXT: Record<Exclude<Permission, 'public'>, string> = {
  read: 'read: roles viewer, collector, admin; machine scope `emi-links/read`',
  write: 'write: roles collector, admin; machine scope `emi-links/write`',
  loans: 'loans: role admin; machine scope `emi-links/loans.write`',
  admin: 'admin: role admin',
};

const json = (schema: z.ZodMiniType) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(errorBodySchema) });
const retryAfter = {
  'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' as const } },
};

interface RouteDoc {
  summary: string;
  description?: string;
  tags: string[];
  query?: z.ZodMiniType;
  path?: z.ZodMiniType;
  header?: z.ZodMiniType;
  body?: z.ZodMiniType;
  /** success and route-specific failures */
  responses: ZodOpenApiResponsesObject;
}

const DOCS: Record<string, RouteDoc> = {
  'loans-upsert': {
    summary: 'Upsert loans with their EMI schedules',
    description: `At most ${MAX_LOANS_PER_REQUEST} loans per request, 1 MB. New or changed EMIs are written, EMIs missing from a new schedule leave the pending list (their links and credits stay), unchanged ones are not touched; money credited meanwhile is never overwritten. Amounts in paise.`,
    tags: ['loans'],
    body: upsertLoansSchema,
    responses: {
      '200': { description: 'what happened to each EMI', content: json(upsertLoansResultSchema) },
      '422': error('well-formed but inconsistent: a duplicate loan or EMI, amountPaid above amount'),
    },
  },
  'pending-emis': {
    summary: 'Pending EMIs, one page',
    description:
      'EMIs with something still owed, by due date, then loan, then EMI number. Each carries its newest payable link (`activeLink`).',
    tags: ['EMIs'],
    query: pendingEmisQuerySchema,
    responses: { '200': { description: 'one page', content: json(pendingEmiPageSchema) } },
  },
  me: {
    summary: 'Who is calling: role, permissions and lenders',
    tags: ['access'],
    responses: { '200': { description: 'the caller as the API sees them', content: json(meSchema) } },
  },
  lenders: {
    summary: 'The lenders that have loans',
    tags: ['EMIs'],
    responses: { '200': { description: 'sorted by name', content: json(lendersSchema) } },
  },
  'generate-link': {
    summary: "A payment link for one EMI, or for a loan's whole overdue amount",
    description:
      'Creates a Razorpay Payment Link for the EMI (201), or answers the open link of the same amount (200, `reused: true`) unless `forceNew`. With `scope: "loan"` (and no `emiNumber`) the link covers all of the loan\'s overdue EMIs (`covers`); its payments are credited to them oldest first, and an open loan link covering the same EMIs for the same amounts is answered again. The same `Idempotency-Key` with the same body answers the first answer again; with another body, 422.',
    tags: ['links'],
    header: z.object({
      'idempotency-key': z.optional(z.string().check(z.regex(/^[\x21-\x7e]{1,128}$/))),
    }),
    body: generateLinkSchema,
    responses: {
      '200': {
        description: 'an open link of the same amount already existed',
        content: json(generatedLinkSchema),
      },
      '201': { description: 'a new link', content: json(generatedLinkSchema) },
      '404': error('no such loan or EMI'),
      '409': error(
        'the EMI is already paid, the loan has no overdue EMI (`NOTHING_OVERDUE`, scope loan), or a request with this Idempotency-Key is still running',
      ),
      '422': error(
        'amount above what is outstanding, expiry out of range, Idempotency-Key reused with another body, or Razorpay refused (its reason in details)',
      ),
    },
  },
  'list-links': {
    summary: 'Payment links, newest first',
    tags: ['links'],
    query: listLinksQuerySchema,
    responses: { '200': { description: 'one page', content: json(linkPageSchema) } },
  },
  'refresh-link': {
    summary: 'Ask Razorpay for the link now and apply what it says',
    description:
      'Credits captured payments (once each), moves the status forward, cancels open siblings of a paid EMI.',
    tags: ['links'],
    path: linkIdPathSchema,
    responses: {
      '200': { description: 'the link after the refresh', content: json(linkSchema) },
      '404': error('no such link'),
    },
  },
  'cancel-link': {
    summary: 'Cancel one open link',
    tags: ['links'],
    path: linkIdPathSchema,
    responses: {
      '200': { description: 'the cancelled link (cancelReason `manual`)', content: json(linkSchema) },
      '404': error('no such link'),
      '409': error('the link cannot be cancelled (paid, partially paid, expired…); the message says why'),
    },
  },
  'bulk-start': {
    summary: 'Generate links for many EMIs and export a CSV',
    description:
      'Select EMIs by lender + bucket + withinDays or list them; same link options as generate (except amount). 202 with the queued job; 200 with the completed job when it finished within a few seconds. Poll GET /api/payment-links/bulk-jobs/{jobId} for `csvUrl`.',
    tags: ['bulk'],
    body: bulkStartSchema,
    responses: {
      '200': { description: 'a small job that already completed', content: json(bulkJobSchema) },
      '202': { description: 'the job, queued', content: json(bulkJobSchema) },
    },
  },
  'bulk-job': {
    summary: 'A bulk job: progress, counts, and a fresh CSV URL once done',
    tags: ['bulk'],
    path: bulkJobPathSchema,
    responses: {
      '200': { description: 'the job', content: json(bulkJobSchema) },
      '404': error('no such job'),
    },
  },
  'list-bulk-jobs': {
    summary: 'Recent bulk jobs, newest first',
    description: 'Jobs whose lenders are all yours, each with its counts and, once done, a fresh `csvUrl`.',
    tags: ['bulk'],
    query: listBulkJobsQuerySchema,
    responses: { '200': { description: 'one page', content: json(bulkJobPageSchema) } },
  },
  dashboard: {
    summary: 'The book at a glance',
    description:
      "Pending EMIs, loans by RBI DPD bucket (by each loan's oldest unpaid EMI), links by status, collections for today, 7 and 30 days and per day, conversion and median time to pay — from totals kept as money and links move, never by scanning EMIs or links.",
    tags: ['dashboard'],
    query: dashboardQuerySchema,
    responses: { '200': { description: 'the figures', content: json(dashboardSchema) } },
  },
  search: {
    summary: 'Find a loan or a link',
    description:
      'By loan id prefix, phone number (last 10 digits), client name word prefix, our link id or Razorpay’s `plink_…` id; served by indexes, within your lenders.',
    tags: ['dashboard'],
    query: searchQuerySchema,
    responses: { '200': { description: 'the matches', content: json(searchPageSchema) } },
  },
  'imports-start': {
    summary: 'Import a loans file: reserve an import and get an upload URL',
    description:
      "Answers a presigned PUT URL (15 minutes) for `loans/<importId>/<fileName>` in the imports bucket; uploading the file starts the import (S3 notification → queue → import worker). The file is CSV with a header, or JSON Lines, UTF-8 (BOM allowed), one row per EMI with the columns `loan_id, lender, client_name, phone, email, emi_number, due_date, amount_due_inr, amount_paid_inr` (rupees with at most two decimals). Rows go through the same rules as POST /api/loans, merged (a file never removes an EMI); rows of lenders outside the caller's fail with a reason. The report `<name>.report.json` lands beside the file. The same file again changes nothing.",
    tags: ['loans'],
    body: startImportSchema,
    responses: {
      '201': { description: 'the import, waiting for its file', content: json(startedImportSchema) },
    },
  },
  'import-status': {
    summary: 'A loans file import: progress, counts and the first errors',
    tags: ['loans'],
    path: importPathSchema,
    responses: {
      '200': { description: 'the import', content: json(importStatusSchema) },
      '404': error("no such import (or another lender's)"),
    },
  },
  health: {
    summary: 'Is the API serving?',
    description:
      '`ok` once it is. Locally, while `npm start` is still loading, every route answers 503 with Retry-After and this one says `starting`.',
    tags: ['operations'],
    responses: {
      '200': { description: 'serving', content: json(healthSchema) },
      '503': {
        description: 'still starting (local runtime)',
        headers: retryAfter,
        content: json(healthSchema),
      },
    },
  },
  openapi: {
    summary: 'This description (OpenAPI 3.1)',
    tags: ['operations'],
    responses: { '200': { description: 'the OpenAPI document', content: { 'application/json': {} } } },
  },
  webhook: {
    summary: 'Razorpay webhook delivery',
    description: `Razorpay calls this, not people: no token, the signature is the authentication. The raw body (at most ${MAX_WEBHOOK_BODY_BYTES / 1024} KB) must carry a valid \`X-Razorpay-Signature\` (hex HMAC-SHA256 with the webhook secret); the event is recorded once per \`X-Razorpay-Event-Id\`, archived and queued before the 200 — a duplicate answers 200 and does nothing.`,
    tags: ['webhooks'],
    header: z.object({
      'x-razorpay-signature': z.string(),
      'x-razorpay-event-id': z.string(),
    }),
    body: doc_any('the event exactly as Razorpay sends it'),
    responses: {
      '200': { description: 'recorded (or a duplicate)', content: json(webhookAckSchema) },
      '401': error('bad or missing signature: nothing stored'),
      '413': error('body too large'),
    },
  },
};

const accountWebhookDoc: RouteDoc = {
  summary: "A payment account's webhook delivery",
  description:
    "Each payment account's own webhook URL (paste it into that Razorpay account's Dashboard): the signature is checked with that account's current and, for 24 h after a rotation, previous secret only — a body signed with another account's secret is a 401. An unknown account is a 404 and nothing is stored. Otherwise as `POST /webhooks/razorpay` (the `default` account's URL).",
  tags: ['webhooks'],
  path: accountIdPathSchema,
  header: z.object({
    'x-razorpay-signature': z.string(),
    'x-razorpay-event-id': z.string(),
  }),
  body: doc_any('the event exactly as Razorpay sends it'),
  responses: {
    '200': { description: 'recorded (or a duplicate)', content: json(webhookAckSchema) },
    '401': error("bad or missing signature, or another account's: nothing stored"),
    '404': error('no such payment account: nothing stored'),
    '413': error('body too large'),
  },
};
DOCS['webhook-account'] = accountWebhookDoc;
DOCS['webhook-eximpe'] = {
  summary: "An EximPe payment account's webhook delivery",
  description:
    "An EximPe account's webhook URL (set it in EximPe's Developer settings). The raw body must carry a valid `X-Webhook-Signature` (hex HMAC-SHA256 with that account's current or, for 24 h after a rotation, previous webhook secret); anything else is a 401 and nothing is stored; an unknown account is a 404. The event is recorded once per `sequence_number`, archived under raw/eximpe/webhooks/ and queued before the 200. The worker maps it to a link only through EximPe's payment API (the order's `reference_id`) and credits only what that API confirms.",
  tags: ['webhooks'],
  path: accountIdPathSchema,
  header: z.object({ 'x-webhook-signature': z.string() }),
  body: doc_any('the event exactly as EximPe sends it'),
  responses: {
    '200': { description: 'recorded (or a duplicate)', content: json(webhookAckSchema) },
    '401': error("bad or missing signature, or another account's: nothing stored"),
    '404': error('no such payment account: nothing stored'),
    '413': error('body too large'),
  },
};
DOCS['list-accounts'] = {
  summary: 'Payment accounts',
  description:
    'Every payment account (architecture §4b) with its public key id, its lenders and the webhook URL to paste into its Razorpay Dashboard. Secrets are write-only: never returned.',
  tags: ['accounts'],
  responses: { '200': { description: 'every account', content: json(paymentAccountListSchema) } },
};
DOCS['put-account'] = {
  summary: 'Create or replace a payment account',
  description:
    '`provider` defaults to `razorpay`. The keys are checked with one harmless Razorpay call before anything is saved. A lender belongs to at most one account; lenders without one use `default`. A link keeps the account it was created on for life. A new webhook secret keeps the previous one valid for 24 h. Secrets are write-only: never returned, never logged.',
  tags: ['accounts'],
  path: accountIdPathSchema,
  body: putAccountSchema,
  responses: {
    '200': { description: 'replaced', content: json(paymentAccountSchema) },
    '201': { description: 'created', content: json(paymentAccountSchema) },
    '409': error('a lender already belongs to another account, or the account changed meanwhile'),
    '422': error('Razorpay rejected these keys'),
  },
};
DOCS['rotate-webhook-secret'] = {
  summary: "Rotate an account's webhook secret",
  description:
    'The new secret is current at once; the previous one keeps verifying deliveries for 24 h (Razorpay retries events signed before the change). Set the same secret in the Razorpay Dashboard.',
  tags: ['accounts'],
  path: accountIdPathSchema,
  body: rotateWebhookSecretSchema,
  responses: {
    '200': { description: 'the account after the rotation', content: json(paymentAccountSchema) },
    '404': error('no such payment account'),
    '409': error('the same secret as the current or the previous one'),
  },
};

// ── one link, in full (architecture §4c) ──
const linkErrors = {
  '404': error("no such link (or another lender's)"),
};
DOCS['link-detail'] = {
  summary: 'One link in full: attempts, siblings and its timeline',
  description:
    'The Link plus `reminders`, `attempts` (failed payments from `payment.failed`), `refunds`, `siblings` (the other links of the same EMI) and `events`, the timeline written as things happened (created, notified, updated, payment_failed, partially_paid, paid, cancelled, expired, attention, refund_requested, refund_processed, refund_failed), each with who did it (`actor`, null when Razorpay or the system did).',
  tags: ['links'],
  path: linkIdPathSchema,
  responses: { '200': { description: 'the link in full', content: json(linkDetailSchema) }, ...linkErrors },
};
DOCS['notify-link'] = {
  summary: 'Send the link to the borrower again (SMS or e-mail, by Razorpay)',
  description: 'Through Razorpay `notify_by`; recorded on the timeline (`notified`, with who asked).',
  tags: ['links'],
  path: linkIdPathSchema,
  body: notifyBodySchema,
  responses: {
    '200': {
      description: 'the link in full, with the resend on its timeline',
      content: json(linkDetailSchema),
    },
    ...linkErrors,
    '409': error('the link is paid, cancelled, expired or not yet created: the borrower cannot pay it'),
    '429': {
      description: "Razorpay's own throttle on resends of this link by this medium; try again in a minute",
      headers: retryAfter,
      content: json(errorBodySchema),
    },
  },
};
DOCS['update-link'] = {
  summary: 'Change expiry, reminders or partial payments of an open link',
  description:
    'By Razorpay’s rules for the state: a `created` link takes all three; a partially paid link none of them (409); a closed one neither (409). `expireBy` lies at least 16 minutes ahead (Razorpay wants 15) and at most 180 days after the link was created. Recorded on the timeline (`updated`, with who and what).',
  tags: ['links'],
  path: linkIdPathSchema,
  body: updateBodySchema,
  responses: {
    '200': { description: 'the link in full, after the change', content: json(linkDetailSchema) },
    ...linkErrors,
    '409': error('the link is partly paid or closed: Razorpay allows no such change'),
    '422': error('`expireBy` too soon, in the past or too far; `details` names it'),
  },
};
DOCS['refund-link'] = {
  summary: 'Refund surplus money of one payment on the link (admin)',
  description:
    'Only money flagged `attention` (paid after cancel or expiry, beyond what the EMI owed, a second paid sibling) is refundable, never more than the payment’s surplus minus refunds pending or processed; `amount` defaults to all of that. The refund is reserved on the link before Razorpay is called, and sent with our refund id as `receipt` and `X-Refund-Idempotency`: a retry can never refund twice. The answer shows it `pending` until `refund.processed` arrives (the flag clears when no surplus is left) or `refund.failed` (the amount is refundable again). Recorded on the timeline (`refund_requested`, `refund_processed`, `refund_failed`). The same `Idempotency-Key` with the same body answers the first answer again; after a 503 it looks the refund up at Razorpay before anything is sent again.',
  tags: ['links'],
  path: linkIdPathSchema,
  header: z.object({
    'idempotency-key': z.optional(z.string().check(z.regex(/^[\x21-\x7e]{1,128}$/))),
  }),
  body: refundBodySchema,
  responses: {
    '201': {
      description: 'the refund, sent to Razorpay, and the link in full',
      content: json(refundResultSchema),
    },
    ...linkErrors,
    '409': error(
      'nothing on the link is flagged for refund, the surplus is already refunded or being refunded, or a request with this Idempotency-Key is still running',
    ),
    '422': error(
      'a payment not captured on this link or with no surplus, an amount above the surplus left, a provider without refunds (EximPe), or an Idempotency-Key reused with another body; `details` names the field',
    ),
    '502': error(
      'Razorpay refused the refund (its reason in the message and `details`); the amount is refundable again',
    ),
    '503': {
      description:
        'Razorpay did not confirm the refund (timeout, 5xx, 429) and a look-up did not find it: kept pending. Retry with the same Idempotency-Key after Retry-After: it is looked up first.',
      headers: retryAfter,
      content: json(errorBodySchema),
    },
  },
};
const qrDoc = (type: 'svg' | 'png'): RouteDoc => ({
  summary: `A QR code of the link's URL (${type.toUpperCase()})`,
  description:
    'Encodes the link’s `shortUrl`, which never changes: cacheable (`Cache-Control: private, max-age=86400`, a strong `ETag`; `If-None-Match` answers 304).',
  tags: ['links'],
  path: linkIdPathSchema,
  responses: {
    '200': {
      description: 'the image',
      content: { [type === 'svg' ? 'image/svg+xml' : 'image/png']: { schema: { type: 'string' as const } } },
    },
    '304': { description: 'the image you have is current' },
    ...linkErrors,
    '409': error('the link has no URL (Razorpay never created it)'),
  },
});
DOCS['link-qr-svg'] = qrDoc('svg');
DOCS['link-qr-png'] = qrDoc('png');
DOCS['pay-return'] = {
  summary: "The borrower's return page after paying (Razorpay callback_url)",
  description:
    'Public HTML, no data: when `razorpay_signature` verifies (HMAC-SHA256 with the key secret of the link’s payment account over `payment_link_id|reference_id|status|payment_id`) it shows "Payment received" with the amount, the loan id and the status; otherwise "We could not confirm this payment". It never credits anything: webhooks do.',
  tags: ['links'],
  query: payReturnQuerySchema,
  responses: {
    '200': { description: 'the page', content: { 'text/html': { schema: { type: 'string' as const } } } },
  },
};

function doc_any(description: string): z.ZodMiniType {
  const s = z.record(z.string(), z.unknown());
  z.globalRegistry.add(s, { description });
  return s;
}

function operation(route: RouteDef): ZodOpenApiOperationObject {
  const d = DOCS[route.id];
  if (!d) throw new Error(`route ${route.id} has no entry in lib/openapi.ts`);
  const isPublic = route.permission === 'public';
  const responses: ZodOpenApiResponsesObject = { ...d.responses };
  const hasInput = d.query || d.path || d.body || d.header;
  if (hasInput && !responses['400'])
    responses['400'] = error('malformed or invalid input; `details` names each bad field');
  if (d.body && route.id !== 'webhook' && route.id !== 'webhook-account' && route.id !== 'webhook-eximpe') {
    responses['413'] ??= error(`body larger than ${MAX_JSON_BODY_BYTES / 1024 / 1024} MB`);
    responses['415'] = error('Content-Type is not application/json');
  }
  if (!isPublic) {
    responses['401'] = {
      description: 'no token, or an expired, foreign or malformed one',
      headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
      content: json(errorBodySchema),
    };
    responses['403'] = error(`the token does not grant this (${route.permission})`);
  }
  if (['generate-link', 'refresh-link', 'cancel-link', 'notify-link', 'update-link'].includes(route.id)) {
    responses['502'] = error('Razorpay failed or refused our credentials (the message says so)');
  }
  responses['503'] ??= {
    description:
      route.path.startsWith('/api/payment-links') && route.method === 'POST'
        ? 'Razorpay timed out or rate-limited us; or, locally, the stack is still starting. Retry after Retry-After.'
        : 'locally: the stack is still starting; retry after Retry-After',
    headers: retryAfter,
    content: json(errorBodySchema),
  };
  responses['500'] = error('something went wrong on our side (the detail is logged, never answered)');
  return {
    operationId: route.id,
    summary: d.summary,
    description: [
      d.description,
      isPublic
        ? undefined
        : `Needs the ${PERMISSION_TEXT[route.permission as Exclude<Permission, 'public'>]}.`,
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: d.tags,
    security: isPublic ? [] : [{ bearer: [] }],
    ...(d.query || d.path || d.header
      ? {
          requestParams: {
            ...(d.query ? { query: d.query as never } : {}),
            ...(d.path ? { path: d.path as never } : {}),
            ...(d.header ? { header: d.header as never } : {}),
          },
        }
      : {}),
    ...(d.body ? { requestBody: { required: true, content: json(d.body) } } : {}),
    responses,
  };
}

export function openApiDocument(version: string): ReturnType<typeof createDocument> {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const route of routes) {
    if (route.path === '$default') continue;
    const method = route.method.toLowerCase();
    paths[route.path] = { ...paths[route.path], [method]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'EMI Payment Links',
      version,
      description: [
        'Collect loan instalments (EMIs) through Razorpay Payment Links.',
        'Amounts are **integer paise** (₹1 = 100 paise) with `currency: "INR"`; timestamps are ISO-8601 UTC; due dates are IST calendar dates (YYYY-MM-DD).',
        'Every error has the body `{"error":{"code","message","details"?}}`.',
        'The rules that are not shapes (statuses, money, webhooks, the CSV) are in docs/contract.md in the repository.',
      ].join('\n\n'),
    },
    servers: [{ url: '/', description: 'the API that served this document' }],
    tags: [
      { name: 'access' },
      { name: 'EMIs' },
      { name: 'links' },
      { name: 'bulk' },
      { name: 'dashboard' },
      { name: 'loans' },
      { name: 'webhooks' },
      { name: 'accounts' },
      { name: 'operations' },
    ],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "An access token (RS256 JWT) from the deployment's identity provider: Amazon Cognito on AWS, the local OpenID Connect provider under `npm start` (client credentials, e.g. client `demo-ops`).",
        },
      },
    },
    paths,
  });
}

/** Where `npm run openapi` writes the description (served by the `openapi` function). */
export const OPENAPI_FILE = join(ROOT, 'docs', 'openapi.json');

/** The file's exact text: the document for package.json's version, 2-space JSON. */
export function renderOpenApi(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return `${JSON.stringify(openApiDocument(pkg.version), null, 2)}\n`;
}
