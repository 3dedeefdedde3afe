/**
 * EximPe webhook events through the crediting path, with in-memory stores and a fake EximPe
 * API: the body is only a pointer to a payment; the API's answer decides what is credited.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { GatewayLink, ProviderPayment } from '../../../shared/domain/gateway';
import { UnmappedPaymentError } from '../../../shared/usecases/webhook-apply';
import {
  applyEximpeEvent,
  parseEximpeEvent,
  WebhookNotConfirmedError,
} from '../../../shared/usecases/webhook-eximpe';
import { aLink, anEmi, FakeGateway, FakeStores, fakeLinkDeps } from '../../support/fakes';

const LINK = 'lnk_eximpeeximpe00000001';
const PR_LINK = 'PR1111111111';
const PAY = 'PR2222222222';

class FakeEximpe extends FakeGateway {
  readonly payments = new Map<string, ProviderPayment>();
  async fetchPayment(id: string): Promise<ProviderPayment> {
    const p = this.payments.get(id);
    if (!p) throw new Error(`fake: no payment ${id}`);
    return structuredClone(p);
  }
}

let stores: FakeStores;
let gateway: FakeEximpe;

const body = (event: string, data: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ event_type: event, sequence_number: 'seq-1', version: '1.0', data }));

function payment(over: Partial<ProviderPayment> = {}): ProviderPayment {
  return {
    paymentId: PAY,
    amount: 150_000,
    currency: 'INR',
    method: 'upi',
    status: 'captured',
    createdAt: 1_780_000_000,
    referenceId: LINK,
    orderId: 'OD1',
    ...over,
  };
}

beforeEach(() => {
  stores = new FakeStores();
  gateway = new FakeEximpe();
  const link = aLink({ id: LINK, razorpayLinkId: PR_LINK, provider: 'eximpe', accountId: 'deccan' });
  stores.links.set(LINK, link);
  stores.emis.set(FakeStores.emiKey('LN-1', 1), anEmi({ links: {} }));
  const paid: GatewayLink = {
    id: PR_LINK,
    referenceId: LINK,
    status: 'paid',
    amount: 150_000,
    amountPaid: 150_000,
    currency: 'INR',
    shortUrl: 'http://sandbox/pay/PR1111111111/',
    expireBy: 0,
    createdAt: 0,
    notes: {},
    payments: [],
  };
  gateway.links.set(PR_LINK, paid);
  gateway.payments.set(PAY, payment());
});

describe('EximPe webhook events', () => {
  it('credits a confirmed PAYMENT_SUCCESSFUL once, however often it comes', async () => {
    const deps = fakeLinkDeps(stores, gateway);
    const event = body('PAYMENT_SUCCESSFUL', { payment_id: PAY, order_id: 'OD1', status: 'CAPTURED' });
    const first = await applyEximpeEvent(deps, event, 'eximpe-seq-1', 'deccan');
    expect(first).toMatchObject({ applied: true, linkId: LINK, status: 'paid' });
    await applyEximpeEvent(deps, event, 'eximpe-seq-2', 'deccan');
    expect(stores.ledger.size).toBe(1);
    expect(stores.emiOf('LN-1', 1).amountCredited).toBe(150_000);
  });

  it('never credits when the webhook amount disagrees with the API (flagged)', async () => {
    const deps = fakeLinkDeps(stores, gateway);
    const out = await applyEximpeEvent(
      deps,
      body('PAYMENT_SUCCESSFUL', { payment_id: PAY, amount: '1.00' }),
      'e',
      'deccan',
    );
    expect(out).toMatchObject({ applied: false, reason: 'invalid-event', problem: 'amount_mismatch' });
    expect(stores.ledger.size).toBe(0);
    expect(stores.links.get(LINK)?.attention).toBe('invalid_event');
  });

  it('an unreadable webhook amount (3 decimals) is a disagreement too', async () => {
    const out = await applyEximpeEvent(
      fakeLinkDeps(stores, gateway),
      body('PAYMENT_SUCCESSFUL', { payment_id: PAY, amount: '1500.001' }),
      'e',
      'deccan',
    );
    expect(out).toMatchObject({ applied: false, problem: 'amount_mismatch' });
    expect(stores.ledger.size).toBe(0);
  });

  it('waits (throws, to be retried) while the API does not say captured', async () => {
    gateway.payments.set(PAY, payment({ status: 'pending' }));
    await expect(
      applyEximpeEvent(
        fakeLinkDeps(stores, gateway),
        body('PAYMENT_SUCCESSFUL', { payment_id: PAY }),
        'e',
        'deccan',
      ),
    ).rejects.toBeInstanceOf(WebhookNotConfirmedError);
    expect(stores.ledger.size).toBe(0);
  });

  it('money whose order reference is not one of our links is an operator’s (dead-lettered), never guessed', async () => {
    gateway.payments.set(PAY, payment({ referenceId: 'someone-elses-order' }));
    await expect(
      applyEximpeEvent(
        fakeLinkDeps(stores, gateway),
        body('PAYMENT_SUCCESSFUL', { payment_id: PAY }),
        'e',
        'deccan',
      ),
    ).rejects.toBeInstanceOf(UnmappedPaymentError);
  });

  it('a link of another account than the URL’s is flagged, not applied', async () => {
    const out = await applyEximpeEvent(
      fakeLinkDeps(stores, gateway),
      body('PAYMENT_SUCCESSFUL', { payment_id: PAY }),
      'e',
      'other-account',
    );
    expect(out).toMatchObject({ applied: false, problem: 'account_mismatch' });
    expect(stores.ledger.size).toBe(0);
  });

  it('records a failed attempt (the link stays open) and acknowledges other events', async () => {
    gateway.payments.set(PAY, payment({ status: 'failed' }));
    const deps = fakeLinkDeps(stores, gateway);
    const out = await applyEximpeEvent(deps, body('payment_failed', { payment_id: PAY }), 'e', 'deccan');
    expect(out).toMatchObject({ applied: true, status: 'created' });
    expect(stores.links.get(LINK)?.payments).toEqual([
      expect.objectContaining({ paymentId: PAY, status: 'failed' }),
    ]);
    expect(await applyEximpeEvent(deps, body('PAYMENT_REFUNDED', { refunds: [] }), 'e', 'deccan')).toEqual({
      applied: false,
      reason: 'ignored-event',
    });
  });

  it('reads only what it needs from a body', () => {
    expect(parseEximpeEvent(Buffer.from('not json'))).toBeNull();
    expect(parseEximpeEvent(body('PAYMENT_SUCCESSFUL', { payment_id: ' PR1 ', amount: 12.5 }))).toEqual({
      eventType: 'PAYMENT_SUCCESSFUL',
      paymentId: 'PR1',
      amount: 1250,
    });
  });
});
