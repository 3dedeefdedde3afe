/**
 * The curated payments feed (architecture §4e): every credit in the payment-credit ledger becomes
 * one JSON line under `curated/payments/dt=YYYY-MM-DD/` in the landing bucket, and a credit that
 * was flagged with money the EMI did not need (paid after the EMI was settled, overpaid) a second,
 * `surplus` line with that amount. A refund of surplus money that Razorpay reported processed is a
 * `refund` line (its amount: the money that went back; `refund_id`: ours), from the refund's own
 * ledger line (`#REFUND#<refundId>`, written once when it was processed).
 *
 * Driven by the ledger itself: the EMI table's stream (on AWS a DynamoDB Streams event source;
 * locally local/stream-poller.ts reading DynamoDB Local's stream) hands every new `#CREDIT` item
 * (and `#REFUND#…`) item here. The ledger item exists once per Razorpay payment id (its conditional write is what
 * "credit once" means), so the feed has exactly one line per credited payment:
 * - none is missing: a batch that fails is retried until it succeeds (the stream keeps it);
 * - none appears twice: each line is its own object, keyed by kind and payment id, so a retried
 *   or replayed record rewrites the same object with the same bytes.
 * The line's other fields come from the link the credit landed on (a consistent read; the link
 * and the credit were written in one transaction).
 */
import { DEFAULT_ACCOUNT_ID, type Provider } from '../domain/accounts';
import { CURATED_PREFIX } from '../domain/objects';
import type { LinkStore } from '../domain/ports';
import { REFUND_ID } from '../domain/refunds';

/** PUTs in flight at once per batch. */
const PUT_CONCURRENCY = 16;

export type FeedKind = 'credit' | 'refund' | 'surplus';

export interface FeedLine {
  payment_id: string;
  link_id: string;
  provider: Provider;
  provider_link_id: string | null;
  /** the payment account the money went to (links from before accounts: `default`) */
  account_id: string | null;
  loan_id: string;
  lender: string | null;
  emi_number: number;
  amount: number;
  currency: string;
  method: string | null;
  captured_at: string | null;
  credited_at: string;
  kind: FeedKind;
  /** a refund line's refund id (ours, `rfd_…`); null on credit and surplus lines */
  refund_id: string | null;
}

/** A new ledger item as the stream shows it (already unmarshalled). */
export interface LedgerImage {
  pk?: string;
  sk?: string;
  type?: string;
  paymentId?: string;
  linkId?: string;
  loanId?: string;
  emiNumber?: number;
  amount?: number;
  creditedAt?: string;
  surplusAmount?: number;
  surplusReason?: string;
  /** a refund line's */
  refundId?: string;
  refundedAt?: string;
}

export interface FeedDeps {
  links: Pick<LinkStore, 'getLink'>;
  putLine(key: string, body: string): Promise<void>;
}

export function feedKey(line: Pick<FeedLine, 'credited_at' | 'kind' | 'payment_id' | 'refund_id'>): string {
  // a payment may have several refunds: each is its own object, keyed by its refund id
  const id = line.kind === 'refund' && line.refund_id ? line.refund_id : line.payment_id;
  return `${CURATED_PREFIX}dt=${line.credited_at.slice(0, 10)}/${line.kind}-${id}.jsonl`;
}

export function isCreditImage(image: LedgerImage): boolean {
  return (
    image.sk === '#CREDIT' && typeof image.paymentId === 'string' && typeof image.creditedAt === 'string'
  );
}

/** A processed refund's ledger line (its sort key names the refund). */
export function isRefundImage(image: LedgerImage): boolean {
  return (
    image.type === 'REFUND' &&
    typeof image.refundId === 'string' &&
    REFUND_ID.test(image.refundId) &&
    image.sk === `#REFUND#${image.refundId}` &&
    typeof image.paymentId === 'string' &&
    typeof image.refundedAt === 'string'
  );
}

export async function feedLineFor(deps: Pick<FeedDeps, 'links'>, c: LedgerImage): Promise<FeedLine> {
  const link = c.linkId ? await deps.links.getLink(c.linkId) : null;
  const payment = link?.payments.find((p) => p.paymentId === c.paymentId);
  return {
    payment_id: c.paymentId!,
    link_id: c.linkId ?? '',
    provider: link?.provider ?? 'razorpay',
    provider_link_id: link?.razorpayLinkId ?? null,
    account_id: link ? (link.accountId ?? DEFAULT_ACCOUNT_ID) : null,
    loan_id: c.loanId ?? link?.loanId ?? '',
    lender: link?.lender ?? null,
    emi_number: c.emiNumber ?? link?.emiNumber ?? 0,
    amount: c.amount ?? 0,
    currency: link?.currency ?? 'INR',
    method: payment?.method ?? null,
    captured_at: payment?.capturedAt ?? null,
    credited_at: c.creditedAt!,
    kind: 'credit',
    refund_id: null,
  };
}

/** A refund line: the payment's fields, the refunded money as its amount, when it was processed. */
export async function refundLineFor(deps: Pick<FeedDeps, 'links'>, r: LedgerImage): Promise<FeedLine> {
  const line = await feedLineFor(deps, { ...r, creditedAt: r.refundedAt });
  return { ...line, kind: 'refund', refund_id: r.refundId ?? null };
}

/** The lines one ledger entry makes: its credit, and its surplus when it carries surplus money. */
export async function feedLinesFor(deps: Pick<FeedDeps, 'links'>, c: LedgerImage): Promise<FeedLine[]> {
  const credit = await feedLineFor(deps, c);
  const surplus = c.surplusReason ? (c.surplusAmount ?? 0) : 0;
  return surplus > 0 ? [credit, { ...credit, amount: surplus, kind: 'surplus' }] : [credit];
}

/** Writes the lines of a batch of new ledger images; throws (the batch comes again) on any failure. */
export async function appendToFeed(deps: FeedDeps, images: LedgerImage[]): Promise<number> {
  const credits = images.filter(isCreditImage);
  const refunds = images.filter(isRefundImage);
  // one read per link, however many of the batch's credits landed on it
  const links = new Map<string, ReturnType<FeedDeps['links']['getLink']>>();
  const reader: Pick<FeedDeps, 'links'> = {
    links: {
      getLink: (id) => {
        const known = links.get(id);
        if (known) return known;
        const read = deps.links.getLink(id);
        links.set(id, read);
        return read;
      },
    },
  };
  const lines = [
    ...(await Promise.all(credits.map((c) => feedLinesFor(reader, c)))).flat(),
    ...(await Promise.all(refunds.map((r) => refundLineFor(reader, r)))),
  ];
  // a bounded number of PUTs at a time: a batch is up to 100 records (200 lines with surpluses)
  let next = 0;
  const worker = async () => {
    while (next < lines.length) {
      const line = lines[next++]!;
      await deps.putLine(feedKey(line), `${JSON.stringify(line)}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, lines.length) }, worker));
  return lines.length;
}
