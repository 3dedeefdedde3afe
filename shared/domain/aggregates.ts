/**
 * The dashboard's kept totals (architecture §4d), as pure functions of the records.
 *
 * Every record — an EMI, a loan's pending summary, a link, a credit-ledger entry — contributes
 * fixed amounts to named counters. A write that changes a record adds `after − before` to the
 * counters in the same transaction (shared/adapters/dynamo/aggregate-store.ts), and the rebuild
 * (shared/usecases/rebuild-aggregates.ts) sums the contributions of every record from scratch:
 * the two must agree exactly, whatever order writes came in.
 *
 * A counter is `<lender>`, a group (the aggregate item it lives on) and an attribute:
 * - `T` (totals): `pc`/`po` pending EMIs and their outstanding; `ln`/`lo` loans with something
 *   pending and what they have pending; `lk_<status>` links per status; `lk_att` links needing
 *   a person.
 * - `D#<yyyy-mm>` (DPD by the loan's oldest unpaid due date): `n<dd>` loans, `o<dd>` their
 *   outstanding. Read-time code turns due dates into RBI's SMA buckets against today, so the
 *   buckets move with the calendar without any nightly job.
 * - `E#<yyyy-mm>` (pending EMIs by their own due date): `c<dd>` EMIs, `o<dd>` their outstanding;
 *   the pending list's totals for a due-date range (overdue, due within n days) sum these.
 * - `C#<yyyy-mm-dd>` (one IST day): `cc`/`ca` payments credited that day and their amount;
 *   `lc`/`lp` links created that day (that reached Razorpay) and how many of those are paid;
 *   `h<i>` links that became paid that day, by hours-to-pay bin `i` (HOURS_BINS).
 */
import { daysBetween, istDate } from './dates';
import type { Emi, Link, LinkStatus } from './model';
import { emiIsPending, emiOutstanding, LINK_STATUSES } from './model';

export type Counters = Map<string, number>;

export const SEP = '|';

export function counterKey(lender: string, group: string, attr: string): string {
  return `${lender}${SEP}${group}${SEP}${attr}`;
}

export function splitKey(key: string): { lender: string; group: string; attr: string } {
  const last = key.lastIndexOf(SEP);
  const mid = key.lastIndexOf(SEP, last - 1);
  return { lender: key.slice(0, mid), group: key.slice(mid + 1, last), attr: key.slice(last + 1) };
}

function add(c: Counters, key: string, v: number): void {
  if (v === 0) return;
  c.set(key, (c.get(key) ?? 0) + v);
}

/** Lower edges of the hours-to-pay bins; the last bin is open-ended. */
export const HOURS_BINS = [
  0, 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720,
] as const;

export function hoursBin(hours: number): number {
  let i = 0;
  while (i + 1 < HOURS_BINS.length && hours >= HOURS_BINS[i + 1]!) i++;
  return i;
}

/** Median from a histogram of HOURS_BINS counts, interpolated inside its bin (0 when empty). */
export function medianHours(bins: readonly number[]): number {
  const total = bins.reduce((s, n) => s + n, 0);
  if (total === 0) return 0;
  const half = total / 2;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    const n = bins[i] ?? 0;
    if (n > 0 && seen + n >= half) {
      const lo = HOURS_BINS[i]!;
      const hi = HOURS_BINS[i + 1];
      if (hi === undefined) return lo;
      return Math.round((lo + ((half - seen) / n) * (hi - lo)) * 10) / 10;
    }
    seen += n;
  }
  return HOURS_BINS[HOURS_BINS.length - 1]!;
}

/** One pending EMI as the loan's summary keeps it. */
export interface PendingEntry {
  lender: string;
  dueDate: string;
  outstanding: number;
}

/** A loan's pending EMIs by EMI number (the LOAN#…/#AGG item): enough to know its DPD. */
export type LoanSummary = Record<string, PendingEntry>;

export function pendingEntry(emi: Emi | null): PendingEntry | null {
  if (!emi || !emiIsPending(emi)) return null;
  return { lender: emi.lender, dueDate: emi.dueDate, outstanding: emiOutstanding(emi) };
}

export function summaryWith(
  summary: LoanSummary,
  emiNumber: number,
  entry: PendingEntry | null,
): LoanSummary {
  const next = { ...summary };
  if (entry) next[String(emiNumber)] = entry;
  else delete next[String(emiNumber)];
  return next;
}

export function sameEntry(a: PendingEntry | null, b: PendingEntry | null): boolean {
  if (a === null || b === null) return a === b;
  return a.lender === b.lender && a.dueDate === b.dueDate && a.outstanding === b.outstanding;
}

export function emiContribution(emi: Emi | null, c: Counters = new Map()): Counters {
  const e = pendingEntry(emi);
  if (e) {
    add(c, counterKey(e.lender, 'T', 'pc'), 1);
    add(c, counterKey(e.lender, 'T', 'po'), e.outstanding);
    const group = `E#${e.dueDate.slice(0, 7)}`;
    const day = e.dueDate.slice(8, 10);
    add(c, counterKey(e.lender, group, `c${day}`), 1);
    add(c, counterKey(e.lender, group, `o${day}`), e.outstanding);
  }
  return c;
}

/** A loan counts once per lender it has pending EMIs with (one, in practice): by its oldest. */
export function loanContribution(summary: LoanSummary | null, c: Counters = new Map()): Counters {
  if (!summary) return c;
  const byLender = new Map<string, { oldest: string; outstanding: number }>();
  for (const e of Object.values(summary)) {
    const cur = byLender.get(e.lender);
    if (!cur) byLender.set(e.lender, { oldest: e.dueDate, outstanding: e.outstanding });
    else {
      if (e.dueDate < cur.oldest) cur.oldest = e.dueDate;
      cur.outstanding += e.outstanding;
    }
  }
  for (const [lender, { oldest, outstanding }] of byLender) {
    add(c, counterKey(lender, 'T', 'ln'), 1);
    add(c, counterKey(lender, 'T', 'lo'), outstanding);
    const group = `D#${oldest.slice(0, 7)}`;
    const day = oldest.slice(8, 10);
    add(c, counterKey(lender, group, `n${day}`), 1);
    add(c, counterKey(lender, group, `o${day}`), outstanding);
  }
  return c;
}

/** Statuses reported in `links` (a link still `creating` is counted nowhere). */
export const REPORTED_STATUSES: readonly LinkStatus[] = LINK_STATUSES.filter((s) => s !== 'creating');

/** When a paid link became paid: its last captured payment. */
export function paidAt(link: Pick<Link, 'status' | 'payments'>): string | null {
  if (link.status !== 'paid') return null;
  let last: string | null = null;
  for (const p of link.payments) {
    if (p.status === 'captured' && (last === null || p.capturedAt > last)) last = p.capturedAt;
  }
  return last;
}

export function linkContribution(link: Link | null, c: Counters = new Map()): Counters {
  if (!link) return c;
  const L = link.lender;
  if (REPORTED_STATUSES.includes(link.status)) add(c, counterKey(L, 'T', `lk_${link.status}`), 1);
  if (link.attention) add(c, counterKey(L, 'T', 'lk_att'), 1);
  if (link.status !== 'creating' && link.status !== 'failed') {
    const created = `C#${istDate(new Date(link.createdAt))}`;
    add(c, counterKey(L, created, 'lc'), 1);
    if (link.status === 'paid') add(c, counterKey(L, created, 'lp'), 1);
  }
  const paid = paidAt(link);
  if (paid) {
    const hours = Math.max(0, (Date.parse(paid) - Date.parse(link.createdAt)) / 3_600_000);
    add(c, counterKey(L, `C#${istDate(new Date(paid))}`, `h${hoursBin(hours)}`), 1);
  }
  return c;
}

export interface CreditFacts {
  lender: string;
  amount: number;
  creditedAt: string;
}

export function creditContribution(credit: CreditFacts | null, c: Counters = new Map()): Counters {
  if (!credit) return c;
  const group = `C#${istDate(new Date(credit.creditedAt))}`;
  add(c, counterKey(credit.lender, group, 'cc'), 1);
  add(c, counterKey(credit.lender, group, 'ca'), credit.amount);
  return c;
}

/** `after − before`, without zero entries. */
export function delta(before: Counters, after: Counters): Counters {
  const d: Counters = new Map();
  for (const [k, v] of after) add(d, k, v);
  for (const [k, v] of before) add(d, k, -v);
  for (const [k, v] of d) if (v === 0) d.delete(k);
  return d;
}

export function merge(into: Counters, from: Counters): Counters {
  for (const [k, v] of from) add(into, k, v);
  return into;
}

/** RBI's SMA classes by days past due of the loan's oldest unpaid EMI. */
export const DPD_BUCKETS = ['current', 'SMA-0', 'SMA-1', 'SMA-2', 'NPA'] as const;
export type DpdBucket = (typeof DPD_BUCKETS)[number];

export function dpdBucket(oldestDue: string, today: string): DpdBucket {
  const dpd = daysBetween(oldestDue, today);
  if (dpd <= 0) return 'current';
  if (dpd <= 30) return 'SMA-0';
  if (dpd <= 60) return 'SMA-1';
  if (dpd <= 90) return 'SMA-2';
  return 'NPA';
}
