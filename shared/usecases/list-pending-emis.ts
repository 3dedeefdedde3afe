/**
 * Pending EMIs for the operators' list.
 *
 * Steps: work out the lenders the caller may read (a `lender` outside them is a 403); judge
 * "today" in India time; turn the bucket into a sort-key range on the sparse pending index
 * (overdue: due before today; upcoming: today … today+withinDays; all: both); Query one page —
 * on the all-lenders index for an all-lenders caller, the lender's own index for one lender, one
 * Query per lender merged for several; shape each EMI with its active link from the EMI anchor.
 */
import * as z from 'zod/mini';
import type { Actor } from '../auth/actor';
import { lendersToRead } from '../auth/scope';
import { addDays, type Clock, daysBetween, istDate } from '../domain/dates';
import { type Emi, type EmiLinkRef, emiAmountPaid, emiOutstanding, OPEN_STATUSES } from '../domain/model';
import type { AggregateReader, EmiStore, PendingPage } from '../domain/ports';
import { decodeCursor, encodeCursor } from '../http/cursor';
import { lenderSchema, PENDING_SORTS, queryInt } from '../schemas/common';
import type { ActiveLink, PendingEmi, PendingEmiPage } from '../schemas/responses';

/**
 * Days past due are today − due date, so that order is the due-date order reversed (and EMIs
 * not yet due, 0 days, tie).
 */
export type PendingSort = (typeof PENDING_SORTS)[number];

export const pendingEmisQuerySchema = z.strictObject({
  lender: z.optional(lenderSchema),
  bucket: z.optional(z.enum(['overdue', 'upcoming', 'all'])),
  withinDays: z.optional(queryInt(0, 365)),
  limit: z.optional(queryInt(1, 200)),
  cursor: z.optional(z.string()),
  sort: z.optional(z.enum(PENDING_SORTS)),
});

export type PendingEmisQuery = z.infer<typeof pendingEmisQuerySchema>;

/** The shapes are declared once, as zod schemas (shared/schemas/responses.ts). */
export type { ActiveLink, PendingEmi };
export type PendingEmisPage = PendingEmiPage;

/** The newest open link on the EMI anchor that a borrower can still pay. */
export function activeLinkOf(emi: Emi, nowSeconds: number): ActiveLink | null {
  let best: EmiLinkRef | undefined;
  for (const ref of Object.values(emi.links)) {
    if (!OPEN_STATUSES.includes(ref.status) || !ref.shortUrl) continue;
    if (ref.expireBy > 0 && ref.expireBy <= nowSeconds) continue;
    if (!best || ref.createdAt > best.createdAt) best = ref;
  }
  return best
    ? {
        id: best.linkId,
        shortUrl: best.shortUrl!,
        status: best.status,
        amount: best.amount,
        scope: best.scope ?? 'emi',
      }
    : null;
}

export function toPendingEmi(emi: Emi, today: string, nowSeconds: number): PendingEmi {
  const daysPastDue = Math.max(0, daysBetween(emi.dueDate, today));
  return {
    loanId: emi.loanId,
    lender: emi.lender,
    clientName: emi.clientName,
    phone: emi.phone,
    email: emi.email ?? null,
    emiNumber: emi.emiNumber,
    dueDate: emi.dueDate,
    amountDue: emi.amount,
    amountPaid: emiAmountPaid(emi),
    amountOutstanding: emiOutstanding(emi),
    currency: emi.currency,
    daysPastDue,
    bucket: emi.dueDate < today ? 'overdue' : 'upcoming',
    activeLink: activeLinkOf(emi, nowSeconds),
  };
}

/** The due dates a bucket covers (inclusive; no `fromDate`: from the oldest). */
export function bucketRange(
  bucket: 'overdue' | 'upcoming' | 'all',
  today: string,
  withinDays: number,
): { fromDate?: string; toDate: string } {
  const lastUpcoming = addDays(today, withinDays);
  if (bucket === 'overdue') return { toDate: addDays(today, -1) };
  if (bucket === 'upcoming') return { fromDate: today, toDate: lastUpcoming };
  return { toDate: lastUpcoming };
}

/** The index order a sort is served by. */
export function sortOrder(sort: PendingSort): { order: 'dueDate' | 'amount'; descending: boolean } {
  switch (sort) {
    case 'dueDate':
    case '-daysPastDue':
      return { order: 'dueDate', descending: false };
    case '-dueDate':
    case 'daysPastDue':
      return { order: 'dueDate', descending: true };
    case 'amount':
      return { order: 'amount', descending: false };
    case '-amount':
      return { order: 'amount', descending: true };
  }
}

export async function listPendingEmis(
  deps: {
    emis: EmiStore;
    clock: Clock;
    aggregates?: Pick<AggregateReader, 'pendingTotals'>;
  },
  query: PendingEmisQuery,
  actor: Pick<Actor, 'lenders'>,
): Promise<PendingEmisPage> {
  const scope = lendersToRead(actor, query.lender);
  const now = deps.clock.now();
  const today = istDate(now);
  const bucket = query.bucket ?? 'all';
  const withinDays = query.withinDays ?? 7;
  const limit = query.limit ?? 50;
  // the cursor is bound to the query it came from and to today's date (ranges move at
  // midnight), and sealed with the caller's scope: the lenders this page reads
  const sort = query.sort ?? 'dueDate';
  const { order, descending } = sortOrder(sort);
  const fingerprint = JSON.stringify(['pending', query.lender ?? '', bucket, withinDays, today, sort]);
  const range = bucketRange(bucket, today, withinDays);
  let page: PendingPage;
  const single = scope === '*' || scope.length === 1;
  const lender = scope === '*' ? undefined : scope[0];
  const cursor = { scope: JSON.stringify(scope), query: fingerprint };
  const startKey = await decodeCursor(query.cursor, cursor);
  if (order === 'amount') {
    // the amount index is per lender: every lender the caller may read, merged
    const lenders = scope === '*' ? await deps.emis.listLenders() : scope;
    page = await deps.emis.queryPendingSorted({ lenders, order, descending, ...range, limit, startKey });
  } else if (descending) {
    const lenders = scope === '*' ? undefined : scope;
    page = await deps.emis.queryPendingSorted({ lenders, order, descending, ...range, limit, startKey });
  } else if (single) {
    page = await deps.emis.queryPending({ lender, ...range, limit, startKey });
  } else {
    page = await deps.emis.queryPendingOfLenders({ lenders: scope as string[], ...range, limit, startKey });
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  // the whole filter's count and outstanding, from the kept totals: on the first page only
  let total: PendingEmisPage['total'] = null;
  if (query.cursor === undefined && deps.aggregates) {
    const lenders = scope === '*' ? await deps.emis.listLenders() : scope;
    const sums = await Promise.all(
      lenders.map((l) => deps.aggregates!.pendingTotals(l, range.fromDate, range.toDate)),
    );
    total = {
      count: sums.reduce((n, t) => n + t.count, 0),
      outstanding: sums.reduce((n, t) => n + t.outstanding, 0),
    };
  }
  return {
    items: page.items.map((emi) => toPendingEmi(emi, today, nowSeconds)),
    nextCursor: await encodeCursor(cursor, page.lastKey),
    today,
    sort,
    total,
  };
}
