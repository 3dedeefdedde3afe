/**
 * The refund rules (architecture §4c): what is refundable, the reservation, forward-only refund
 * states and refund webhooks — against the in-memory fakes (test/support/fakes.ts) and a fake
 * provider, milliseconds per test. test/integration/refunds.test.ts proves the same through
 * DynamoDB Local and the Razorpay sandbox.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../shared/auth/actor';
import {
  ConflictError,
  GatewayNotFoundError,
  GatewayRejectedError,
  GatewayTimeoutError,
  RefundOutcomeUnknownError,
  RefundRefusedError,
  ValidationError,
} from '../../../shared/domain/errors';
import type { GatewayRefund, RefundRequest } from '../../../shared/domain/gateway';
import type { LinkRefund } from '../../../shared/domain/model';
import type { CreditEntry } from '../../../shared/domain/ports';
import {
  canMoveRefund,
  refundable,
  refundedOrHeld,
  refundIdFor,
  surplusSettled,
} from '../../../shared/domain/refunds';
import { withRef } from '../../../shared/usecases/link-deps';
import { applyRefundEvent, type RefundReport, requestRefund } from '../../../shared/usecases/refunds';
import { aLink, anEmi, FakeGateway, FakeStores, fakeLinkDeps } from '../../support/fakes';

const PAY_A = 'pay_AAAAAAAAAAAAAA';
const PAY_B = 'pay_BBBBBBBBBBBBBB';
const admin: Actor = {
  sub: 'u-admin',
  name: 'admin',
  kind: 'person',
  permissions: new Set(['read', 'write', 'loans', 'admin']),
  lenders: '*',
};

/** A provider that refunds (or refuses, or never answers) and remembers every call. */
class RefundingGateway extends FakeGateway {
  calls: RefundRequest[] = [];
  made = new Map<string, GatewayRefund>();
  mode: 'ok' | 'refuse' | 'lost' | 'unknown-payment' = 'ok';
  async refundPayment(req: RefundRequest): Promise<GatewayRefund> {
    this.calls.push(req);
    if (this.mode === 'refuse') throw new GatewayRejectedError('Refund could not be initiated');
    if (this.mode === 'unknown-payment')
      throw new GatewayNotFoundError('Razorpay: The id provided does not exist');
    const refund: GatewayRefund = {
      id: `rfnd_${String(this.made.size).padStart(14, '0')}`,
      paymentId: req.paymentId,
      amount: req.amount,
      currency: 'INR',
      status: 'pending',
      receipt: req.refundId,
      notes: req.notes,
    };
    // Razorpay's idempotency: the same key answers the same refund
    const known = [...this.made.values()].find((r) => r.receipt === req.refundId);
    if (!known) this.made.set(refund.id, refund);
    if (this.mode === 'lost') throw new GatewayTimeoutError('no answer');
    return known ?? refund;
  }
  async findRefund(paymentId: string, refundId: string): Promise<GatewayRefund | null> {
    return [...this.made.values()].find((r) => r.paymentId === paymentId && r.receipt === refundId) ?? null;
  }
}

/** A link of a ₹1,500 EMI paid twice: A (credited, needed) and B on this link (₹1,500 surplus). */
function flaggedWorld(surplus = 150_000) {
  const stores = new FakeStores();
  const link = aLink({
    status: 'paid',
    amountPaid: 150_000,
    attention: 'overpaid',
    payments: [
      {
        paymentId: PAY_B,
        amount: 150_000,
        method: 'upi',
        status: 'captured',
        capturedAt: '2026-06-09T10:00:00.000Z',
      },
    ],
  });
  stores.links.set(link.id, link);
  const emi = withRef(anEmi({ amountCredited: 300_000 }), link, '2026-06-09T10:00:00.000Z');
  stores.emis.set(FakeStores.emiKey(emi.loanId, emi.emiNumber), emi);
  const credit = (paymentId: string, extra: Partial<CreditEntry> = {}): CreditEntry => ({
    paymentId,
    linkId: link.id,
    loanId: link.loanId,
    emiNumber: 1,
    amount: 150_000,
    creditedAt: '2026-06-09T10:00:00.000Z',
    ...extra,
  });
  stores.ledger.set(PAY_B, credit(PAY_B, { surplusReason: 'overpaid', surplusAmount: surplus }));
  stores.ledger.set(PAY_A, credit(PAY_A, { linkId: 'lnk_bbbbbbbbbbbbbbbbbbbb' }));
  const gateway = new RefundingGateway();
  return { stores, link, gateway, deps: fakeLinkDeps(stores, gateway) };
}

const r = (over: Partial<LinkRefund>): LinkRefund => ({
  refundId: 'rfd_aaaaaaaaaaaaaaaaaaaa',
  paymentId: PAY_B,
  amount: 10_000,
  status: 'pending',
  requestedAt: '2026-06-10T00:00:00.000Z',
  updatedAt: '2026-06-10T00:00:00.000Z',
  ...over,
});

describe('refundable arithmetic', () => {
  it('holds pending and processed refunds against the surplus, and gives failed ones back', () => {
    const link = {
      refunds: [
        r({ refundId: 'rfd_1', amount: 40_000, status: 'processed' }),
        r({ refundId: 'rfd_2', amount: 30_000, status: 'pending' }),
        r({ refundId: 'rfd_3', amount: 50_000, status: 'failed' }),
        r({ refundId: 'rfd_4', amount: 99_000, status: 'processed', paymentId: PAY_A }),
      ],
    };
    expect(refundedOrHeld(link, PAY_B)).toBe(70_000);
    expect(refundable(link, PAY_B, 150_000)).toBe(80_000);
    // never below zero, even when a refund made elsewhere took more than the surplus
    expect(refundable(link, PAY_A, 50_000)).toBe(0);
    expect(refundable({}, PAY_B, 150_000)).toBe(150_000);
  });

  it('settles the flag only when no surplus is left and nothing is pending', () => {
    const surplus = new Map([[PAY_B, 100_000]]);
    const done = { attention: 'overpaid' as const, refunds: [r({ amount: 100_000, status: 'processed' })] };
    expect(surplusSettled(done, surplus)).toBe(true);
    expect(surplusSettled({ ...done, refunds: [r({ amount: 100_000, status: 'pending' })] }, surplus)).toBe(
      false,
    );
    expect(surplusSettled({ ...done, refunds: [r({ amount: 60_000, status: 'processed' })] }, surplus)).toBe(
      false,
    );
    // a flag that is not about surplus money never clears by a refund
    expect(surplusSettled({ ...done, attention: 'invalid_event' }, surplus)).toBe(false);
  });

  it('moves refund states forward only and derives the same id from the same seed', () => {
    expect(canMoveRefund('pending', 'processed')).toBe(true);
    expect(canMoveRefund('pending', 'failed')).toBe(true);
    expect(canMoveRefund('processed', 'failed')).toBe(false);
    expect(canMoveRefund('failed', 'processed')).toBe(false);
    expect(canMoveRefund('processed', 'pending')).toBe(false);
    expect(refundIdFor('lnk#key#k1')).toBe(refundIdFor('lnk#key#k1'));
    expect(refundIdFor('lnk#key#k1')).not.toBe(refundIdFor('lnk#key#k2'));
    expect(refundIdFor('x')).toMatch(/^rfd_[a-z0-9]{20}$/);
  });
});

describe('requestRefund', () => {
  it('defaults to the whole surplus, reserves it before calling the provider, and binds the call to its id', async () => {
    const { deps, link, gateway, stores } = flaggedWorld(120_000);
    const out = await requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'overpaid' }, admin, 'k1');
    expect(out.refund).toMatchObject({
      amount: 120_000,
      status: 'pending',
      providerRefundId: 'rfnd_00000000000000',
    });
    expect(gateway.calls).toEqual([
      expect.objectContaining({ paymentId: PAY_B, amount: 120_000, refundId: out.refund.refundId }),
    ]);
    expect(gateway.calls[0]?.notes.link_id).toBe(link.id);
    // the EMI's credit moves only when the refund is processed
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(300_000);
  });

  it('refuses what is not refundable without calling the provider', async () => {
    const { deps, link, gateway, stores } = flaggedWorld(100_000);
    const refused = async (body: Parameters<typeof requestRefund>[2]) => {
      try {
        await requestRefund(deps, link.id, body, admin);
      } catch (err) {
        return err;
      }
      throw new Error('expected a refusal');
    };
    const above = await refused({ paymentId: PAY_B, amount: 100_001, reason: 'r' });
    expect(above).toBeInstanceOf(ValidationError);
    expect((above as ValidationError).details[0]?.field).toBe('amount');
    const notHere = await refused({ paymentId: PAY_A, reason: 'r' });
    expect((notHere as ValidationError).details[0]?.field).toBe('paymentId');
    stores.links.set(link.id, { ...stores.links.get(link.id)!, attention: undefined });
    expect(await refused({ paymentId: PAY_B, reason: 'r' })).toBeInstanceOf(ConflictError);
    stores.links.set(link.id, { ...stores.links.get(link.id)!, attention: 'sibling_partially_paid' });
    expect(await refused({ paymentId: PAY_B, reason: 'r' })).toBeInstanceOf(ConflictError);
    expect(gateway.calls).toEqual([]);
    expect(stores.links.get(link.id)?.refunds).toBeUndefined();
  });

  it('lets two concurrent refunds of the same surplus reserve it once', async () => {
    const { deps, link, gateway } = flaggedWorld(150_000);
    const results = await Promise.allSettled([
      requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'a' }, admin, 'ka'),
      requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'b' }, admin, 'kb'),
      requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'c' }, admin),
    ]);
    expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect(
      results
        .filter((x) => x.status === 'rejected')
        .every((x) => (x as PromiseRejectedResult).reason instanceof ConflictError),
    ).toBe(true);
    expect(gateway.calls).toHaveLength(1);
  });

  it('keeps a refund whose answer was lost pending (503), and the same key looks it up instead of refunding again', async () => {
    const { deps, link, gateway } = flaggedWorld();
    gateway.mode = 'lost';
    await expect(
      requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin, 'k'),
    ).rejects.toBeInstanceOf(RefundOutcomeUnknownError);
    // another refund of the same money meanwhile: the reservation holds
    await expect(
      requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin, 'other'),
    ).rejects.toBeInstanceOf(ConflictError);
    gateway.mode = 'ok';
    const out = await requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin, 'k');
    expect(out.refund.providerRefundId).toBe('rfnd_00000000000000');
    expect(gateway.calls).toHaveLength(1); // the retry looked it up; nothing was sent again
    expect(gateway.made.size).toBe(1);
  });

  it.each(['refuse', 'unknown-payment'] as const)(
    'releases the reservation when the provider answers %s (502), so a later refund works',
    async (mode) => {
      const { deps, link, gateway, stores } = flaggedWorld();
      gateway.mode = mode;
      await expect(
        requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin),
      ).rejects.toBeInstanceOf(RefundRefusedError);
      expect(stores.links.get(link.id)?.refunds?.[0]).toMatchObject({ status: 'failed' });
      gateway.mode = 'ok';
      const out = await requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin);
      expect(out.refund.amount).toBe(150_000);
    },
  );
});

describe('refund webhooks', () => {
  const report = (over: Partial<RefundReport>): RefundReport => ({
    id: 'rfnd_ZZZZZZZZZZZZZZ',
    paymentId: PAY_B,
    amount: 150_000,
    currency: 'INR',
    ourRefundId: null,
    status: 'processed',
    ...over,
  });

  it('processes our refund once: ledger line, EMI credit down by it, flag cleared', async () => {
    const { deps, link, stores } = flaggedWorld();
    const out = await requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin);
    const processed = report({ id: out.refund.providerRefundId!, ourRefundId: out.refund.refundId });
    expect(await applyRefundEvent(deps, processed)).toMatchObject({ applied: true, status: 'processed' });
    expect(await applyRefundEvent(deps, processed)).toMatchObject({ applied: false, reason: 'duplicate' });
    // an older status arriving late changes nothing
    expect(await applyRefundEvent(deps, { ...processed, status: 'pending' })).toMatchObject({
      applied: false,
    });
    const after = stores.links.get(link.id)!;
    expect(after.attention).toBeUndefined();
    expect(after.events?.filter((e) => e.type === 'refund_processed')).toHaveLength(1);
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    expect([...stores.refundLedger.values()]).toEqual([
      expect.objectContaining({ amount: 150_000, paymentId: PAY_B }),
    ]);
  });

  it('gives a failed refund back to the surplus and keeps the flag', async () => {
    const { deps, link, stores } = flaggedWorld();
    const out = await requestRefund(deps, link.id, { paymentId: PAY_B, reason: 'r' }, admin);
    await applyRefundEvent(deps, report({ id: out.refund.providerRefundId!, status: 'failed' }));
    const after = stores.links.get(link.id)!;
    expect(after.attention).toBe('overpaid');
    expect(refundable(after, PAY_B, 150_000)).toBe(150_000);
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(300_000);
  });

  it('refuses reports that make no sense: flagged, never applied', async () => {
    const { deps, link, stores } = flaggedWorld();
    const out = await requestRefund(deps, link.id, { paymentId: PAY_B, amount: 50_000, reason: 'r' }, admin);
    const ours = { id: out.refund.providerRefundId!, ourRefundId: out.refund.refundId };
    for (const bad of [
      report({ ...ours, amount: 50_001 }),
      report({ ...ours, currency: 'USD' }),
      report({ ...ours, amount: 0 }),
    ]) {
      expect(await applyRefundEvent(deps, bad)).toMatchObject({ applied: false, reason: 'invalid-event' });
    }
    expect(stores.links.get(link.id)?.refunds?.[0]?.status).toBe('pending');
    // the link already needs a person (overpaid): the flag is kept as it was
    expect(stores.links.get(link.id)?.attention).toBe('overpaid');
  });

  it('records a refund made in the Dashboard, and flags one beyond the surplus for a person', async () => {
    const { deps, link, stores } = flaggedWorld(100_000);
    // within the surplus: recorded, the flag clears once all of it is gone
    expect(
      await applyRefundEvent(deps, report({ id: 'rfnd_DASH0000000001', amount: 100_000 })),
    ).toMatchObject({
      applied: true,
    });
    let after = stores.links.get(link.id)!;
    expect(after.refunds).toEqual([
      expect.objectContaining({ external: true, status: 'processed', amount: 100_000 }),
    ]);
    expect(after.attention).toBeUndefined();
    // beyond it: money the EMI needed went back — recorded, the EMI owes it again, a person must look
    await applyRefundEvent(deps, report({ id: 'rfnd_DASH0000000002', amount: 50_000 }));
    after = stores.links.get(link.id)!;
    expect(after.refunds).toHaveLength(2);
    expect(after.attention).toBe('refund_beyond_surplus');
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
    // a refund of a payment we never credited is not ours: nothing changes
    expect(await applyRefundEvent(deps, report({ paymentId: 'pay_CCCCCCCCCCCCCC' }))).toEqual({
      applied: false,
      reason: 'not-ours',
    });
  });
});
