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
  /** a loan link's payment: what each covered EMI was credited (sum = amount) */
  allocations?: { emiNumber: number; amount: number }[];
  /** a refund line's */
  refundId?: string;
  refundedAt?: string;
}

export interface FeedDeps {
  links: Pick<LinkStore, 'getLink'>;
  putLine(key: string, body: string): Promise<void>;
}

/**
 * One object per line. A loan link's payment makes one credit line per covered EMI it reached:
 * those objects carry the EMI number too (`credit-<payment>-emi<n>`), so each is still written
 * once, whatever the retries. A payment may have several refunds: each is its own object, keyed
 * by its refund id.
 */
export function feedKey(
  line: Pick<FeedLine, 'credited_at' | 'kind' | 'payment_id' | 'emi_number' | 'refund_id'>,
  perEmi = false,
): string {
  const id = line.kind === 'refund' && line.refund_id ? line.refund_id : line.payment_id;
  const emi = perEmi && line.kind === 'credit' ? `-emi${line.emi_number}` : '';
  return `${CURATED_PREFIX}dt=${line.credited_at.slice(0, 10)}/${line.kind}-${id}${emi}.jsonl`;
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
export async function refundLineFor(
  deps: Pick<FeedDeps, 'links'>,
  r: LedgerImage,
): Promise<{ line: FeedLine; key: string }> {
  const payment = await feedLineFor(deps, { ...r, creditedAt: r.refundedAt });
  const line: FeedLine = { ...payment, kind: 'refund', refund_id: r.refundId ?? null };
  return { line, key: feedKey(line) };
}

/**
 * The lines one ledger entry makes: its credit (one per covered EMI it reached, for a loan link's
 * payment, with that EMI's share), and its surplus when it carries surplus money.
 */
export async function feedLinesFor(
  deps: Pick<FeedDeps, 'links'>,
  c: LedgerImage,
): Promise<{ line: FeedLine; key: string }[]> {
  const credit = await feedLineFor(deps, c);
  const perEmi = c.allocations !== undefined && c.allocations.length > 0;
  const credits = perEmi
    ? (c.allocations ?? []).map((a) => ({ ...credit, emi_number: a.emiNumber, amount: a.amount }))
    : [credit];
  const surplus = c.surplusReason ? (c.surplusAmount ?? 0) : 0;
  // a loan link's surplus sits on its newest covered EMI (domain/allocation.ts creditsOf)
  const surplusLine: FeedLine = { ...(credits.at(-1) ?? credit), amount: surplus, kind: 'surplus' };
  const lines: FeedLine[] = surplus > 0 ? [...credits, surplusLine] : credits;
  return lines.map((line) => ({ line, key: feedKey(line, perEmi) }));
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
      const { line, key } = lines[next++]!;
      await deps.putLine(key, `${JSON.stringify(line)}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, lines.length) }, worker));
  return lines.length;
}
