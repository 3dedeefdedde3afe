/**
 * A loan link's money (scope "loan"): the allocation arithmetic on its own (exact paise, oldest
 * first, a property test with fast-check), then the crediting path and sibling rules against the
 * in-memory fakes of the ports (test/support/fakes.ts). The same rules are proven through the
 * local stack in test/integration/loan-links.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, creditsOf, MAX_LOAN_LINK_EMIS, overdueCovers } from '../../../shared/domain/allocation';
import type { GatewayPayment } from '../../../shared/domain/gateway';
import { type Emi, emiOutstanding, LOAN_SCOPE_EMI_NUMBER } from '../../../shared/domain/model';
import type { StoredLink } from '../../../shared/domain/ports';
import { withRef } from '../../../shared/usecases/link-deps';
import { syncLink } from '../../../shared/usecases/sync-link';
import { aLink, anEmi, FakeGateway, FakeStores, fakeLinkDeps } from '../../support/fakes';

const NOW = Date.parse('2026-06-10T06:30:00.000Z') / 1000;

function payment(id: string, amount: number): GatewayPayment {
  return { paymentId: id, amount, currency: 'INR', method: 'upi', status: 'captured', createdAt: NOW };
}

/** a payment id in Razorpay's shape (`pay_` + 14 characters) */
const pid = (c: string) => `pay_${c.repeat(14)}`;

const emiAt = (emiNumber: number, dueDate: string, amount: number, paid = 0) =>
  anEmi({ emiNumber, dueDate, amount, amountPaidExternal: paid });

describe('allocate: a loan link payment split across its EMIs', () => {
  it('fills the oldest EMI first, whatever order the EMIs come in', () => {
    const emis = [
      emiAt(3, '2026-05-05', 100_000),
      emiAt(1, '2026-03-05', 100_000),
      emiAt(2, '2026-04-05', 100_000),
    ];
    expect(allocate(150_000, emis)).toEqual({
      applied: [
        { emiNumber: 1, amount: 100_000 },
        { emiNumber: 2, amount: 50_000 },
      ],
      surplus: 0,
    });
  });

  it('takes at most what each EMI still owes, to the paisa', () => {
    const emis = [emiAt(1, '2026-03-05', 100_001, 40_000), emiAt(2, '2026-04-05', 99_999)];
    expect(allocate(160_000, emis)).toEqual({
      applied: [
        { emiNumber: 1, amount: 60_001 },
        { emiNumber: 2, amount: 99_999 },
      ],
      surplus: 0,
    });
  });

  it('leaves a settled EMI out and calls what nobody owes a surplus', () => {
    const emis = [emiAt(1, '2026-03-05', 100_000, 100_000), emiAt(2, '2026-04-05', 100_000)];
    expect(allocate(200_000, emis)).toEqual({
      applied: [{ emiNumber: 2, amount: 100_000 }],
      surplus: 100_000,
    });
  });

  it('orders EMIs due the same day by number', () => {
    const emis = [emiAt(2, '2026-03-05', 100), emiAt(1, '2026-03-05', 100)];
    expect(allocate(150, emis).applied).toEqual([
      { emiNumber: 1, amount: 100 },
      { emiNumber: 2, amount: 50 },
    ]);
  });

  it('credits the surplus to the newest covered EMI (never dropped)', () => {
    expect(creditsOf({ applied: [{ emiNumber: 1, amount: 100 }], surplus: 30 }, 2)).toEqual([
      { emiNumber: 1, amount: 100 },
      { emiNumber: 2, amount: 30 },
    ]);
    expect(creditsOf({ applied: [{ emiNumber: 2, amount: 100 }], surplus: 30 }, 2)).toEqual([
      { emiNumber: 2, amount: 130 },
    ]);
  });

  it('property: allocations and surplus sum to the payment; no EMI gets more than it owes; oldest first', () => {
    const emiArb = fc.record({
      dueOffset: fc.integer({ min: 0, max: 400 }),
      amount: fc.integer({ min: 1, max: 10_000_000 }),
      paidShare: fc.double({ min: 0, max: 1.2, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(emiArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 400_000_000 }),
        (specs, amount) => {
          const emis: Emi[] = specs.map((s, i) =>
            anEmi({
              emiNumber: i + 1,
              dueDate: new Date(Date.UTC(2025, 0, 1 + s.dueOffset)).toISOString().slice(0, 10),
              amount: s.amount,
              amountPaidExternal: Math.floor(s.amount * s.paidShare),
            }),
          );
          const { applied, surplus } = allocate(amount, emis);
          const owed = new Map(emis.map((e) => [e.emiNumber, emiOutstanding(e)]));
          expect(applied.reduce((sum, a) => sum + a.amount, 0) + surplus).toBe(amount);
          expect(surplus).toBeGreaterThanOrEqual(0);
          for (const a of applied) {
            expect(Number.isInteger(a.amount)).toBe(true);
            expect(a.amount).toBeGreaterThan(0);
            expect(a.amount).toBeLessThanOrEqual(owed.get(a.emiNumber)!);
          }
          // a surplus only when every EMI is filled
          const totalOwed = [...owed.values()].reduce((s, v) => s + v, 0);
          expect(surplus).toBe(Math.max(0, amount - totalOwed));
          // oldest first: every EMI before the last one reached is filled
          const order = [...emis].sort(
            (x, y) => x.dueDate.localeCompare(y.dueDate) || x.emiNumber - y.emiNumber,
          );
          const last = applied.at(-1);
          if (last) {
            for (const e of order) {
              if (e.emiNumber === last.emiNumber) break;
              const got = applied.find((a) => a.emiNumber === e.emiNumber)?.amount ?? 0;
              expect(got).toBe(owed.get(e.emiNumber));
            }
          }
          // what the EMI records get still sums to the payment
          const credits = creditsOf({ applied, surplus }, order.at(-1)!.emiNumber);
          expect(credits.reduce((sum, c) => sum + c.amount, 0)).toBe(amount);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('overdueCovers: what a new loan link covers', () => {
  it('takes the EMIs due before today with something outstanding, oldest first', () => {
    const emis = [
      emiAt(1, '2026-03-05', 100_000, 100_000),
      emiAt(3, '2026-05-05', 100_000, 30_000),
      emiAt(2, '2026-04-05', 100_000),
      emiAt(4, '2026-06-10', 100_000),
      anEmi({ emiNumber: 5, dueDate: '2026-02-05', removed: true }),
    ];
    expect(overdueCovers(emis, '2026-06-10')).toEqual({
      covers: [
        { emiNumber: 2, amount: 100_000 },
        { emiNumber: 3, amount: 70_000 },
      ],
      overdue: 2,
    });
  });

  it(`caps at ${MAX_LOAN_LINK_EMIS} EMIs, the oldest, and says how many were overdue`, () => {
    const emis = Array.from({ length: 30 }, (_, i) =>
      emiAt(i + 1, new Date(Date.UTC(2023, i, 5)).toISOString().slice(0, 10), 1_000),
    );
    const { covers, overdue } = overdueCovers(emis, '2026-06-10');
    expect(overdue).toBe(30);
    expect(covers.map((c) => c.emiNumber)).toEqual(
      Array.from({ length: MAX_LOAN_LINK_EMIS }, (_, i) => i + 1),
    );
  });
});

/** A loan of two overdue EMIs of ₹1,500, a loan link over both, and each EMI's own link. */
function loanWorld(opts: { loanLink?: Partial<StoredLink> } = {}) {
  const stores = new FakeStores();
  const emis = [emiAt(1, '2026-04-05', 150_000), emiAt(2, '2026-05-05', 150_000)];
  const loanLink = aLink({
    id: 'lnk_loanloanloanloan0000',
    razorpayLinkId: 'plink_LOANLOANLOAN00',
    emiNumber: LOAN_SCOPE_EMI_NUMBER,
    scope: 'loan',
    covers: [
      { emiNumber: 1, amount: 150_000 },
      { emiNumber: 2, amount: 150_000 },
    ],
    amount: 300_000,
    acceptPartial: true,
    ...opts.loanLink,
  });
  const own = [1, 2].map((n) =>
    aLink({
      id: `lnk_emi${n}emi${n}emi${n}emi${n}000`,
      razorpayLinkId: `plink_EMI${n}EMI${n}EMI${n}00`,
      emiNumber: n,
    }),
  );
  const gateway = new FakeGateway((link) => (link.amountPaid > 0 ? new Error('paid') : undefined));
  for (const l of [loanLink, ...own]) {
    stores.links.set(l.id, l);
    gateway.links.set(l.razorpayLinkId!, {
      id: l.razorpayLinkId!,
      referenceId: l.id,
      shortUrl: 'https://rzp.io/i/x',
      amount: l.amount,
      amountPaid: 0,
      currency: 'INR',
      status: 'created',
      expireBy: l.expireBy,
      payments: [],
    } as never);
  }
  for (const e of emis) {
    let anchored = withRef(e, loanLink, '2026-06-01T00:00:00.000Z');
    anchored = withRef(anchored, own[e.emiNumber - 1]!, '2026-06-01T00:00:00.000Z');
    stores.emis.set(FakeStores.emiKey(e.loanId, e.emiNumber), anchored);
  }
  return { stores, gateway, loanLink, own };
}

describe('crediting a loan link (fakes)', () => {
  it('credits 1.5 EMIs oldest first in one commit with one ledger entry, and cancels the links of the EMIs it reached', async () => {
    const { stores, gateway, loanLink, own } = loanWorld();
    await syncLink(fakeLinkDeps(stores, gateway), loanLink.id, { captured: [payment(pid('A'), 225_000)] });
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.emiOf('LN-1', 2).amountCredited).toBe(75_000);
    expect(stores.ledger.get(pid('A'))).toMatchObject({
      amount: 225_000,
      allocations: [
        { emiNumber: 1, amount: 150_000 },
        { emiNumber: 2, amount: 75_000 },
      ],
    });
    expect(stores.links.get(loanLink.id)).toMatchObject({ status: 'partially_paid', amountPaid: 225_000 });
    // a partially paid link is still payable: it stays on the anchors
    expect(Object.keys(stores.emiOf('LN-1', 2).links)).toContain(loanLink.id);
    for (const l of own)
      expect(stores.links.get(l.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
  });

  it('credits a payment once, however often it is reported', async () => {
    const { stores, gateway, loanLink } = loanWorld();
    const deps = fakeLinkDeps(stores, gateway);
    for (let i = 0; i < 3; i++)
      await syncLink(deps, loanLink.id, { captured: [payment(pid('B'), 300_000)], status: 'paid' });
    expect(stores.ledger.size).toBe(1);
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.emiOf('LN-1', 2).amountCredited).toBe(150_000);
    expect(stores.links.get(loanLink.id)!.payments).toHaveLength(1);
  });

  it('cancels an untouched loan link as covered_emi_paid when a covered EMI is paid on its own link', async () => {
    const { stores, gateway, loanLink, own } = loanWorld();
    await syncLink(fakeLinkDeps(stores, gateway), own[0]!.id, { captured: [payment(pid('C'), 150_000)] });
    expect(stores.links.get(loanLink.id)).toMatchObject({
      status: 'cancelled',
      cancelReason: 'covered_emi_paid',
    });
    // EMI 2's own link took nothing and is no sibling of EMI 1's
    expect(stores.links.get(own[1]!.id)!.status).toBe('created');
    expect(stores.emiOf('LN-1', 2).links[loanLink.id]).toBeUndefined();
  });

  it('flags money on a cancelled loan link and credits it all the same', async () => {
    const { stores, gateway, loanLink } = loanWorld({
      loanLink: { status: 'cancelled', cancelReason: 'manual' },
    });
    await syncLink(fakeLinkDeps(stores, gateway), loanLink.id, { captured: [payment(pid('D'), 300_000)] });
    expect(stores.links.get(loanLink.id)).toMatchObject({
      attention: 'paid_after_cancel',
      amountPaid: 300_000,
    });
    expect(stores.emiOf('LN-1', 1).amountCredited + stores.emiOf('LN-1', 2).amountCredited).toBe(300_000);
    expect(stores.ledger.get(pid('D'))).toMatchObject({
      surplusReason: 'paid_after_cancel',
      surplusAmount: 0,
    });
  });
});
