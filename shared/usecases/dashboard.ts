/**
 * GET /api/dashboard (architecture §4d): the book at a glance, from the kept totals.
 *
 * Steps: work out the lenders the caller may read (a `lender` outside them is a 403); judge
 * "today" in India time; read each lender's aggregate items (three Queries per lender, the same
 * number of items whatever the size of the book); sum the shards and lenders; turn the loans'
 * oldest-unpaid due dates into RBI's SMA buckets against today (loans older than the window read
 * are NPA: the total minus the rest), and the last 30 days into collections, conversion and the
 * median time to pay.
 */
import * as z from 'zod/mini';
import type { Actor } from '../auth/actor';
import { lendersToRead } from '../auth/scope';
import { DPD_BUCKETS, type DpdBucket, dpdBucket, HOURS_BINS, medianHours } from '../domain/aggregates';
import { addDays, type Clock, istDate } from '../domain/dates';
import { CURRENCY } from '../domain/money';
import type { AggregateReader, EmiStore, LenderCounters } from '../domain/ports';
import { lenderSchema } from '../schemas/common';
import type { Dashboard } from '../schemas/responses';

export const dashboardQuerySchema = z.strictObject({
  lender: z.optional(lenderSchema),
});

export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;
export type { Dashboard };

export interface DashboardDeps {
  emis: Pick<EmiStore, 'listLenders'>;
  aggregates: AggregateReader;
  clock: Clock;
}

/** The lenders a read covers: the requested one, the caller's, or every lender on file. */
export async function lendersFor(
  deps: { emis: Pick<EmiStore, 'listLenders'> },
  actor: Pick<Actor, 'lenders'>,
  requested: string | undefined,
): Promise<string[]> {
  const scope = lendersToRead(actor, requested);
  return scope === '*' ? await deps.emis.listLenders() : [...scope];
}

function sumInto(into: LenderCounters, from: LenderCounters): void {
  for (const [group, attrs] of from) {
    let target = into.get(group);
    if (!target) {
      target = new Map();
      into.set(group, target);
    }
    for (const [k, v] of attrs) target.set(k, (target.get(k) ?? 0) + v);
  }
}

/** The answer from counters already summed over shards and lenders. Pure: tested directly. */
export function dashboardFrom(counters: LenderCounters, now: Date): Dashboard {
  const today = istDate(now);
  const get = (group: string, attr: string) => counters.get(group)?.get(attr) ?? 0;
  const dpd = new Map<DpdBucket, { loans: number; outstanding: number }>(
    DPD_BUCKETS.map((b) => [b, { loans: 0, outstanding: 0 }]),
  );
  const oldestRead = addDays(today, -90);
  let loansSeen = 0;
  let outstandingSeen = 0;
  for (const [group, attrs] of counters) {
    if (!group.startsWith('D#')) continue;
    const month = group.slice(2);
    for (const [attr, n] of attrs) {
      if (!attr.startsWith('n') || n === 0) continue;
      const date = `${month}-${attr.slice(1)}`;
      if (date < oldestRead) continue; // its month straddles the window: counted as NPA below
      const outstanding = attrs.get(`o${attr.slice(1)}`) ?? 0;
      const bucket = dpd.get(dpdBucket(date, today))!;
      bucket.loans += n;
      bucket.outstanding += outstanding;
      loansSeen += n;
      outstandingSeen += outstanding;
    }
  }
  const npa = dpd.get('NPA')!;
  npa.loans = get('T', 'ln') - loansSeen;
  npa.outstanding = get('T', 'lo') - outstandingSeen;

  const days = Array.from({ length: 30 }, (_, i) => addDays(today, i - 29));
  const daily = days.map((date) => ({
    date,
    count: get(`C#${date}`, 'cc'),
    amount: get(`C#${date}`, 'ca'),
  }));
  const window = (n: number) =>
    daily.slice(30 - n).reduce((s, d) => ({ count: s.count + d.count, amount: s.amount + d.amount }), {
      count: 0,
      amount: 0,
    });
  const linksCreated = days.reduce((s, d) => s + get(`C#${d}`, 'lc'), 0);
  const linksPaid = days.reduce((s, d) => s + get(`C#${d}`, 'lp'), 0);
  const bins = HOURS_BINS.map((_, i) => days.reduce((s, d) => s + get(`C#${d}`, `h${i}`), 0));
  return {
    asOf: now.toISOString(),
    currency: CURRENCY,
    pending: { count: get('T', 'pc'), outstanding: get('T', 'po') },
    dpd: DPD_BUCKETS.map((bucket) => ({ bucket, ...dpd.get(bucket)! })),
    links: {
      created: get('T', 'lk_created'),
      partially_paid: get('T', 'lk_partially_paid'),
      paid: get('T', 'lk_paid'),
      expired: get('T', 'lk_expired'),
      cancelled: get('T', 'lk_cancelled'),
      failed: get('T', 'lk_failed'),
      attention: get('T', 'lk_att'),
    },
    collected: { today: window(1), last7d: window(7), last30d: window(30) },
    daily,
    conversion30d: {
      linksCreated,
      linksPaid,
      rate: linksCreated === 0 ? 0 : Math.round((linksPaid / linksCreated) * 10_000) / 10_000,
    },
    medianHoursToPay30d: medianHours(bins),
  };
}

export async function dashboard(
  deps: DashboardDeps,
  query: DashboardQuery,
  actor: Pick<Actor, 'lenders'>,
): Promise<Dashboard> {
  const lenders = await lendersFor(deps, actor, query.lender);
  const now = deps.clock.now();
  const today = istDate(now);
  const reads = await Promise.all(lenders.map((l) => deps.aggregates.readLender(l, today)));
  const total: LenderCounters = new Map();
  for (const r of reads) sumInto(total, r.counters);
  return dashboardFrom(total, now);
}
