/**
 * The money rules, one named test each, against in-memory fakes of the ports
 * (test/support/fakes.ts): no DynamoDB, no network, milliseconds per test. The same rules are
 * proven against the real adapters by the DynamoDB Local and sandbox tests in test/integration.
 */
import { describe, expect, it } from 'vitest';
import { indexKeys, pendingSortKey } from '../../../shared/adapters/dynamo/schema';
import { GatewayNotCancellableError, ValidationError } from '../../../shared/domain/errors';
import type { GatewayLink, GatewayPayment } from '../../../shared/domain/gateway';
import { canMoveStatus, LINK_STATUSES } from '../../../shared/domain/model';
import { planLink } from '../../../shared/usecases/generate-link';
import { withRef } from '../../../shared/usecases/link-deps';
import { listLenders } from '../../../shared/usecases/list-lenders';
import { bucketRange } from '../../../shared/usecases/list-pending-emis';
import { applyObservation, cancelAtRazorpay, syncLink } from '../../../shared/usecases/sync-link';
import { aLink, anEmi, FakeGateway, FakeStores, fakeLinkDeps } from '../../support/fakes';

const NOW = Date.parse('2026-06-10T06:30:00.000Z') / 1000;

function payment(id: string, amount: number, over: Partial<GatewayPayment> = {}): GatewayPayment {
  return {
    paymentId: id,
    amount,
    currency: 'INR',
    method: 'upi',
    status: 'captured',
    createdAt: NOW,
    ...over,
  };
}

/** One EMI of ₹1,500 with the given links on its anchor. */
function world(links = [aLink()], emi = anEmi()) {
  const stores = new FakeStores();
  let anchored = emi;
  for (const l of links) {
    stores.links.set(l.id, l);
    anchored = withRef(anchored, l, '2026-06-01T00:00:00.000Z');
  }
  stores.emis.set(FakeStores.emiKey(emi.loanId, emi.emiNumber), anchored);
  return stores;
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('link status moves forward only', () => {
  it('never moves to itself, and nothing leaves paid', () => {
    for (const s of LINK_STATUSES) expect(canMoveStatus(s, s)).toBe(false);
    for (const s of LINK_STATUSES) expect(canMoveStatus('paid', s)).toBe(false);
  });
  it('created → partially_paid → paid, never back', () => {
    expect(canMoveStatus('created', 'partially_paid')).toBe(true);
    expect(canMoveStatus('partially_paid', 'paid')).toBe(true);
    expect(canMoveStatus('partially_paid', 'created')).toBe(false);
    expect(canMoveStatus('expired', 'created')).toBe(false);
  });
  it('money wins over a dead link: cancelled or expired may still become (partially) paid', () => {
    for (const dead of ['cancelled', 'expired'] as const) {
      expect(canMoveStatus(dead, 'paid')).toBe(true);
      expect(canMoveStatus(dead, 'partially_paid')).toBe(true);
      expect(canMoveStatus(dead, 'created')).toBe(false);
    }
  });
  it('a create in flight resolves to created or failed, and failed may still be adopted', () => {
    expect(canMoveStatus('creating', 'created')).toBe(true);
    expect(canMoveStatus('creating', 'failed')).toBe(true);
    expect(canMoveStatus('failed', 'created')).toBe(true);
    expect(canMoveStatus('created', 'creating')).toBe(false);
  });
});

describe('planning a link', () => {
  const emi = anEmi({ amount: 150_000, amountPaidExternal: 50_000 });
  it('asks for the outstanding amount by default, with the default expiry', () => {
    expect(planLink(emi, {}, NOW, 14)).toEqual({
      amount: 100_000,
      expireBy: NOW + 14 * 86_400,
      acceptPartial: false,
      minPartialAmount: undefined,
      upiLink: false,
    });
  });
  it('never plans partial payments on a UPI link (Razorpay refuses them there)', () => {
    const err = errorOf(() => planLink(emi, { upiLink: true, acceptPartial: true }, NOW, 14));
    expect(err.details).toEqual([{ field: 'acceptPartial', message: expect.stringContaining('UPI link') }]);
    expect(planLink(emi, { upiLink: true }, NOW, 14)).toMatchObject({ upiLink: true, acceptPartial: false });
  });
  it('never asks for more than is outstanding', () => {
    const err = errorOf(() => planLink(emi, { amount: 100_001 }, NOW, 14));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.details?.[0]?.field).toBe('amount');
  });
  it("refuses an outstanding amount below Razorpay's ₹1 minimum", () => {
    const tiny = anEmi({ amount: 150_000, amountPaidExternal: 149_950 });
    expect(errorOf(() => planLink(tiny, {}, NOW, 14)).details?.[0]?.field).toBe('amount');
  });
  it('keeps the expiry between 16 minutes and 180 days from now', () => {
    const at = (s: number) => new Date(s * 1000).toISOString();
    expect(errorOf(() => planLink(emi, { expireBy: at(NOW + 15 * 60) }, NOW, 14)).details?.[0]?.field).toBe(
      'expireBy',
    );
    expect(
      errorOf(() => planLink(emi, { expireBy: at(NOW + 181 * 86_400) }, NOW, 14)).details?.[0]?.field,
    ).toBe('expireBy');
    expect(planLink(emi, { expireBy: at(NOW + 17 * 60) }, NOW, 14).expireBy).toBe(NOW + 17 * 60);
  });
  it('allows a minimum partial amount only with partial payments, and not above the link amount', () => {
    expect(errorOf(() => planLink(emi, { minPartialAmount: 500 }, NOW, 14)).details?.[0]?.field).toBe(
      'minPartialAmount',
    );
    expect(
      errorOf(() => planLink(emi, { acceptPartial: true, minPartialAmount: 100_001 }, NOW, 14)).details?.[0]
        ?.field,
    ).toBe('minPartialAmount');
    expect(planLink(emi, { acceptPartial: true, minPartialAmount: 500 }, NOW, 14).minPartialAmount).toBe(500);
  });
});

describe('pending buckets as due-date ranges', () => {
  it('overdue ends with yesterday, upcoming runs from today for N days, all covers both', () => {
    expect(bucketRange('overdue', '2026-06-10', 7)).toEqual({ toDate: '2026-06-09' });
    expect(bucketRange('upcoming', '2026-06-10', 7)).toEqual({
      fromDate: '2026-06-10',
      toDate: '2026-06-17',
    });
    expect(bucketRange('all', '2026-06-10', 7)).toEqual({ toDate: '2026-06-17' });
  });
  it('crosses month and year ends in IST calendar days', () => {
    expect(bucketRange('overdue', '2027-01-01', 7)).toEqual({ toDate: '2026-12-31' });
    expect(bucketRange('upcoming', '2026-02-25', 7).toDate).toBe('2026-03-04');
  });
});

describe('pending sort-key ranges (the schema spells them)', () => {
  it("puts every key of a date inside its range ('#' sorts before and '~' after the key's tail)", () => {
    const key = pendingSortKey('2026-06-10', 'LN-1', 1);
    const { fromSk, toSk } = indexKeys.pendingRange('2026-06-10', '2026-06-10');
    expect(key >= fromSk! && key <= toSk).toBe(true);
    expect(key <= indexKeys.pendingRange(undefined, '2026-06-09').toSk).toBe(false);
    expect(
      pendingSortKey('2026-06-09', 'ZZZZ', 9999) <= indexKeys.pendingRange(undefined, '2026-06-09').toSk,
    ).toBe(true);
  });
});

describe('crediting (the one crediting path)', () => {
  it('credits a payment once, however often it is reported', async () => {
    const stores = world();
    const deps = fakeLinkDeps(stores, new FakeGateway());
    for (let i = 0; i < 3; i++)
      await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
        captured: [payment('pay_AAAAAAAAAAAAA1', 150_000)],
      });
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.ledger.size).toBe(1);
    const link = stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!;
    expect(link).toMatchObject({ status: 'paid', amountPaid: 150_000 });
    expect(link.attention).toBeUndefined();
    // a paid link leaves the EMI's anchor: nothing open remains for it
    expect(stores.emiOf('LN-1', 1).links).toEqual({});
  });

  it('credits two partial payments separately and moves created → partially_paid → paid', async () => {
    const stores = world([aLink({ acceptPartial: true })]);
    const deps = fakeLinkDeps(stores, new FakeGateway());
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
      captured: [payment('pay_AAAAAAAAAAAAA1', 50_000)],
    });
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.status).toBe('partially_paid');
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
      captured: [payment('pay_AAAAAAAAAAAAA1', 50_000), payment('pay_AAAAAAAAAAAAA2', 100_000)],
    });
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.status).toBe('paid');
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.ledger.size).toBe(2);
  });

  it('credits money on a cancelled link and flags it paid_after_cancel (never dropped)', async () => {
    const stores = world([aLink({ status: 'cancelled', cancelReason: 'manual' })]);
    const deps = fakeLinkDeps(stores, new FakeGateway());
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
      captured: [payment('pay_AAAAAAAAAAAAA1', 150_000)],
    });
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')).toMatchObject({
      status: 'paid',
      attention: 'paid_after_cancel',
    });
  });

  it('credits money beyond what the EMI owed and flags it overpaid', async () => {
    const stores = world([aLink()], anEmi({ amountPaidExternal: 100_000 }));
    const deps = fakeLinkDeps(stores, new FakeGateway());
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
      captured: [payment('pay_AAAAAAAAAAAAA1', 150_000)],
    });
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.attention).toBe('overpaid');
  });

  it('never credits a payment that makes no sense (negative, fractional, USD, failed, above the link): flags it', async () => {
    for (const bad of [
      payment('pay_AAAAAAAAAAAAA1', -500_000),
      payment('pay_AAAAAAAAAAAAA1', 0.5),
      payment('pay_AAAAAAAAAAAAA1', 150_000, { currency: 'USD' }),
      payment('pay_AAAAAAAAAAAAA1', 150_000, { status: 'failed' }),
      payment('pay_AAAAAAAAAAAAA1', 150_001),
    ]) {
      const stores = world();
      const deps = fakeLinkDeps(stores, new FakeGateway());
      await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', { captured: [bad] });
      expect(stores.ledger.size, JSON.stringify(bad)).toBe(0);
      expect(stores.emiOf('LN-1', 1).amountCredited).toBe(0);
      expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')).toMatchObject({
        status: 'created',
        attention: 'invalid_event',
      });
    }
  });

  it('does not believe a reported "paid" status without the payment itself', async () => {
    const stores = world();
    const deps = fakeLinkDeps(stores, new FakeGateway());
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', {
      status: 'paid',
      amountPaid: 150_000,
      captured: [],
    });
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.status).toBe('created');
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(0);
  });

  it('applies non-money news forward only: expired moves on, created never comes back', async () => {
    const stores = world();
    const deps = fakeLinkDeps(stores, new FakeGateway());
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', { status: 'expired', captured: [] });
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.status).toBe('expired');
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', { status: 'created', captured: [] });
    expect(stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!.status).toBe('expired');
    expect(stores.emiOf('LN-1', 1).links).toEqual({});
  });

  it('records a failed attempt once, without money', async () => {
    const stores = world();
    const deps = fakeLinkDeps(stores, new FakeGateway());
    const failed = [{ paymentId: 'pay_FFFFFFFFFFFFF1', amount: 150_000, method: 'card', createdAt: NOW }];
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', { captured: [], failed });
    await applyObservation(deps, 'lnk_aaaaaaaaaaaaaaaaaaaa', { captured: [], failed });
    const link = stores.links.get('lnk_aaaaaaaaaaaaaaaaaaaa')!;
    expect(link.failedAttempts).toBe(1);
    expect(link.payments).toEqual([
      expect.objectContaining({ paymentId: 'pay_FFFFFFFFFFFFF1', status: 'failed' }),
    ]);
    expect(stores.ledger.size).toBe(0);
  });
});

describe('siblings', () => {
  const paid = aLink();
  const open = aLink({ id: 'lnk_bbbbbbbbbbbbbbbbbbbb', razorpayLinkId: 'plink_BBBBBBBBBBBBBB' });
  const partial = aLink({
    id: 'lnk_cccccccccccccccccccc',
    razorpayLinkId: 'plink_CCCCCCCCCCCCCC',
    status: 'partially_paid',
    amountPaid: 10_000,
  });

  function gatewayWith(links: GatewayLink[], refuse?: ConstructorParameters<typeof FakeGateway>[0]) {
    const g = new FakeGateway(refuse);
    for (const l of links) g.links.set(l.id, l);
    return g;
  }
  const asGateway = (l: typeof open, over: Partial<GatewayLink> = {}): GatewayLink => ({
    id: l.razorpayLinkId!,
    referenceId: l.id,
    status: 'created',
    amount: l.amount,
    amountPaid: 0,
    currency: 'INR',
    shortUrl: l.shortUrl!,
    expireBy: l.expireBy,
    createdAt: NOW,
    notes: {},
    payments: [],
    ...over,
  });

  it('a payment on one link cancels every other open link of the EMI (sibling_paid)', async () => {
    const stores = world([paid, open]);
    const gateway = gatewayWith([asGateway(open)]);
    await syncLink(fakeLinkDeps(stores, gateway), paid.id, {
      captured: [payment('pay_AAAAAAAAAAAAA1', 150_000)],
    });
    expect(gateway.cancels).toEqual([open.razorpayLinkId]);
    expect(stores.links.get(open.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
  });

  it('a sibling that already took part of the money cannot be cancelled: it is flagged instead', async () => {
    const stores = world([paid, partial]);
    const gateway = gatewayWith([]);
    await syncLink(fakeLinkDeps(stores, gateway), paid.id, {
      captured: [payment('pay_AAAAAAAAAAAAA1', 150_000)],
    });
    expect(gateway.cancels).toEqual([]);
    expect(stores.links.get(partial.id)).toMatchObject({
      status: 'partially_paid',
      attention: 'sibling_partially_paid',
    });
  });

  it('when the provider refuses a cancel because the link was paid meanwhile, that payment is credited', async () => {
    const lateMoney = payment('pay_BBBBBBBBBBBBB1', 150_000);
    const stores = world([open]);
    const gateway = gatewayWith(
      [asGateway(open, { status: 'paid', amountPaid: 150_000, payments: [lateMoney] })],
      () => new GatewayNotCancellableError('paid', 'cannot cancel'),
    );
    const after = await cancelAtRazorpay(fakeLinkDeps(stores, gateway), open, 'manual');
    expect(after.status).toBe('paid');
    expect(stores.ledger.has('pay_BBBBBBBBBBBBB1')).toBe(true);
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
  });
});

describe('lender scope', () => {
  const emis = { listLenders: async () => ['Sahyadri Microfin', 'Deccan Credit', 'Kaveri Finance'] };
  it('shows a person only their lenders, in name order; all-lenders callers see every one', async () => {
    expect(await listLenders({ emis }, { lenders: ['Kaveri Finance', 'Deccan Credit'] })).toEqual({
      lenders: ['Deccan Credit', 'Kaveri Finance'],
    });
    expect((await listLenders({ emis }, { lenders: '*' })).lenders).toHaveLength(3);
    expect(await listLenders({ emis }, { lenders: [] })).toEqual({ lenders: [] });
  });
});
