/**
 * The curated feed's lines for a loan link's payment (architecture §4e): one `credit` line per
 * covered EMI it reached, with that EMI's share, each its own object (written once, whatever the
 * retries), and the `surplus` line on the EMI holding it. The link comes from an in-memory reader.
 */
import { describe, expect, it } from 'vitest';
import { LOAN_SCOPE_EMI_NUMBER } from '../../shared/domain/model';
import { appendToFeed, type FeedLine } from '../../shared/usecases/curated-feed';
import { aLink } from '../support/fakes';

const PAYMENT = `pay_${'L'.repeat(14)}`;

const loanLink = aLink({
  id: 'lnk_loanfeedloanfeed0000',
  emiNumber: LOAN_SCOPE_EMI_NUMBER,
  scope: 'loan',
  covers: [
    { emiNumber: 1, amount: 150_000 },
    { emiNumber: 2, amount: 150_000 },
  ],
  amount: 300_000,
  payments: [
    {
      paymentId: PAYMENT,
      amount: 300_000,
      method: 'upi',
      status: 'captured',
      capturedAt: '2026-06-10T06:30:00.000Z',
    },
  ],
});

async function linesOf(image: Record<string, unknown>) {
  const written = new Map<string, FeedLine>();
  const count = await appendToFeed(
    {
      links: { getLink: async (id) => (id === loanLink.id ? structuredClone(loanLink) : null) },
      putLine: async (key, body) => {
        written.set(key, JSON.parse(body) as FeedLine);
      },
    },
    [image],
  );
  return { count, written };
}

const ledger = {
  pk: `PAYMENT#${PAYMENT}`,
  sk: '#CREDIT',
  type: 'CREDIT',
  paymentId: PAYMENT,
  linkId: loanLink.id,
  loanId: 'LN-1',
  emiNumber: 1,
  amount: 300_000,
  creditedAt: '2026-06-10T06:30:01.000Z',
};

describe('curated feed: a loan link payment', () => {
  it('writes one credit line per covered EMI it reached, with its share', async () => {
    const { count, written } = await linesOf({
      ...ledger,
      allocations: [
        { emiNumber: 1, amount: 150_000 },
        { emiNumber: 2, amount: 150_000 },
      ],
    });
    expect(count).toBe(2);
    expect([...written.keys()].sort()).toEqual([
      `curated/payments/dt=2026-06-10/credit-${PAYMENT}-emi1.jsonl`,
      `curated/payments/dt=2026-06-10/credit-${PAYMENT}-emi2.jsonl`,
    ]);
    const lines = [...written.values()].sort((a, b) => a.emi_number - b.emi_number);
    expect(lines.map((l) => [l.kind, l.emi_number, l.amount])).toEqual([
      ['credit', 1, 150_000],
      ['credit', 2, 150_000],
    ]);
    expect(lines.reduce((s, l) => s + l.amount, 0)).toBe(300_000);
    for (const l of lines)
      expect(l).toMatchObject({ payment_id: PAYMENT, link_id: loanLink.id, method: 'upi' });
  });

  it('adds the surplus line on the newest EMI, and an EMI link keeps its one line and key', async () => {
    const { written } = await linesOf({
      ...ledger,
      allocations: [{ emiNumber: 2, amount: 300_000 }],
      surplusReason: 'overpaid',
      surplusAmount: 150_000,
    });
    expect(written.get(`curated/payments/dt=2026-06-10/surplus-${PAYMENT}.jsonl`)).toMatchObject({
      kind: 'surplus',
      emi_number: 2,
      amount: 150_000,
    });
    const single = await linesOf({ ...ledger, linkId: 'lnk_unknownunknown00000', amount: 150_000 });
    expect([...single.written.keys()]).toEqual([`curated/payments/dt=2026-06-10/credit-${PAYMENT}.jsonl`]);
  });
});
