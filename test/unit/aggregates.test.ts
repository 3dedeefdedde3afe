/** The dashboard's counters and their reading, as pure functions (no DynamoDB). */
import { describe, expect, it } from 'vitest';
import {
  type Counters,
  counterKey,
  delta,
  dpdBucket,
  HOURS_BINS,
  hoursBin,
  linkContribution,
  loanContribution,
  medianHours,
  splitKey,
} from '../../shared/domain/aggregates';
import { addDays } from '../../shared/domain/dates';
import type { Link } from '../../shared/domain/model';
import type { LenderCounters } from '../../shared/domain/ports';
import { dashboardFrom } from '../../shared/usecases/dashboard';

const TODAY = '2026-12-03';
const NOW = new Date('2026-12-03T06:30:00Z'); // noon in India

function toLender(c: Counters): LenderCounters {
  const out: LenderCounters = new Map();
  for (const [key, v] of c) {
    const { group, attr } = splitKey(key);
    if (!out.has(group)) out.set(group, new Map());
    out.get(group)!.set(attr, (out.get(group)!.get(attr) ?? 0) + v);
  }
  return out;
}

describe('RBI buckets by days past due', () => {
  it.each([
    [0, 'current'],
    [-5, 'current'],
    [1, 'SMA-0'],
    [30, 'SMA-0'],
    [31, 'SMA-1'],
    [60, 'SMA-1'],
    [61, 'SMA-2'],
    [90, 'SMA-2'],
    [91, 'NPA'],
    [400, 'NPA'],
  ])('%i days past due is %s', (dpd, bucket) => {
    expect(dpdBucket(addDays(TODAY, -dpd), TODAY)).toBe(bucket);
  });
});

describe('reading the counters', () => {
  it('counts each loan once, by its oldest unpaid EMI, and what it has pending; the calendar moves them', () => {
    const c: Counters = new Map();
    const loan = (dpd: number[], outstanding = 100) =>
      loanContribution(
        Object.fromEntries(
          dpd.map((d, i) => [String(i + 1), { lender: 'L', dueDate: addDays(TODAY, -d), outstanding }]),
        ),
        c,
      );
    loan([0, -30]); // current
    loan([15]); // SMA-0
    loan([45, 15]); // SMA-1
    loan([91, 61, 31]); // NPA: its month may straddle the window read
    loan([400]); // NPA
    loan([89]); // SMA-2 today
    const d = dashboardFrom(toLender(c), NOW);
    expect(d.dpd).toEqual([
      { bucket: 'current', loans: 1, outstanding: 200 },
      { bucket: 'SMA-0', loans: 1, outstanding: 100 },
      { bucket: 'SMA-1', loans: 1, outstanding: 200 },
      { bucket: 'SMA-2', loans: 1, outstanding: 100 },
      { bucket: 'NPA', loans: 2, outstanding: 400 },
    ]);
    // two days later, with no write at all, the SMA-2 loan is NPA
    const later = dashboardFrom(toLender(c), new Date(NOW.getTime() + 2 * 86_400_000));
    expect(later.dpd[3]).toEqual({ bucket: 'SMA-2', loans: 0, outstanding: 0 });
    expect(later.dpd[4]).toEqual({ bucket: 'NPA', loans: 3, outstanding: 500 });
  });

  it('a change adds only after − before, and undoing it brings every counter back to zero', () => {
    const link: Link = {
      id: 'lnk_a',
      referenceId: 'lnk_a',
      loanId: 'L-1',
      emiNumber: 1,
      lender: 'L',
      clientName: 'x',
      amount: 100,
      amountPaid: 0,
      currency: 'INR',
      status: 'created',
      expireBy: 0,
      acceptPartial: false,
      createdAt: '2026-12-01T04:00:00Z',
      updatedAt: '2026-12-01T04:00:00Z',
      payments: [],
      failedAttempts: 0,
    };
    const paid: Link = {
      ...link,
      status: 'paid',
      amountPaid: 100,
      payments: [
        {
          paymentId: 'pay_1',
          amount: 100,
          method: 'upi',
          status: 'captured',
          capturedAt: '2026-12-01T07:00:00Z',
        },
      ],
    };
    const d = delta(linkContribution(link), linkContribution(paid));
    expect(Object.fromEntries(d)).toEqual({
      [counterKey('L', 'T', 'lk_created')]: -1,
      [counterKey('L', 'T', 'lk_paid')]: 1,
      [counterKey('L', 'C#2026-12-01', 'lp')]: 1,
      [counterKey('L', 'C#2026-12-01', `h${hoursBin(3)}`)]: 1,
    });
    expect(delta(linkContribution(paid), linkContribution(paid)).size).toBe(0);
  });

  it('takes the median time to pay from the histogram, inside its bin', () => {
    const bins = HOURS_BINS.map(() => 0);
    expect(medianHours(bins)).toBe(0);
    bins[hoursBin(1.5)] = 3; // [1, 2)
    expect(medianHours(bins)).toBe(1.5);
    bins[hoursBin(30)] = 3; // [24, 36)
    expect(medianHours(bins)).toBe(2);
    bins[hoursBin(1000)] = 100;
    expect(medianHours(bins)).toBe(720);
  });

  it('splits a counter key whose lender holds the separator-free characters of a lender name', () => {
    expect(splitKey(counterKey('Kaveri Finance (South)', 'D#2026-12', 'n03'))).toEqual({
      lender: 'Kaveri Finance (South)',
      group: 'D#2026-12',
      attr: 'n03',
    });
  });
});
