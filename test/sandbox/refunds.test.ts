/**
 * Refunds in the sandbox, through the official SDK (`payments.refund`, `fetchMultipleRefund`):
 * at most captured − refunded, `X-Refund-Idempotency` honoured, `refund.created` then
 * `refund.processed` (or `refund.failed`) webhooks signed like every other, and the knobs that
 * make a refund fail, be refused or have its answer lost.
 */
import type Razorpay from 'razorpay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { hmacSha256Hex } from '../../local/sandbox/signature';
import { control, linkBody, linkError, rejectionOf, sdkFor, WebhookReceiver } from './helpers';

type CreateBody = Parameters<Razorpay['paymentLink']['create']>[0];
type RefundBody = Parameters<Razorpay['payments']['refund']>[1];

const SECRET = 'test-refund-webhook-secret';
let sandbox: Sandbox;
let receiver: WebhookReceiver;
let rzp: Razorpay;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  sandbox = await startSandbox({
    port: 0,
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    seed: 7,
    webhookRetryDelaysMs: [20],
  });
  rzp = sdkFor(sandbox);
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

beforeEach(() => {
  sandbox.config = { refundMode: 'processed', hangMs: 30_000 };
});

/** A captured payment of `amount` paise on a new link. */
async function captured(amount = 150_000): Promise<string> {
  const link = (await rzp.paymentLink.create(linkBody({ amount }) as CreateBody)) as { id: string };
  const paid = await control<{ payment_id: string }>(
    sandbox,
    'POST',
    `/_sandbox/payment_links/${link.id}/pay`,
    {},
  );
  return paid.body.payment_id;
}

/** POST /v1/payments/:id/refund with the idempotency header (the SDK sends no headers of its own). */
async function refundWithKey(paymentId: string, body: Record<string, unknown>, key: string) {
  const res = await fetch(`${sandbox.url}/v1/payments/${paymentId}/refund`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${sandbox.keyId}:${sandbox.keySecret}`).toString('base64')}`,
      'content-type': 'application/json',
      'X-Refund-Idempotency': key,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /v1/payments/:id/refund', () => {
  it('refunds part of a captured payment, lists it and fetches it, and sends refund.created then refund.processed', async () => {
    const paymentId = await captured();
    const refund = (await rzp.payments.refund(paymentId, {
      amount: 50_000,
      receipt: 'rfd_sandbox_test_0001',
      notes: { link_id: 'lnk_x' },
    } as RefundBody)) as unknown as Record<string, unknown>;
    expect(refund).toMatchObject({
      id: expect.stringMatching(/^rfnd_[0-9A-Za-z]{14}$/),
      entity: 'refund',
      amount: 50_000,
      currency: 'INR',
      payment_id: paymentId,
      receipt: 'rfd_sandbox_test_0001',
      notes: { link_id: 'lnk_x' },
      status: 'pending',
    });
    const list = (await rzp.payments.fetchMultipleRefund(paymentId)) as unknown as {
      entity: string;
      count: number;
      items: Record<string, unknown>[];
    };
    expect(list).toMatchObject({ entity: 'collection', count: 1 });
    expect(list.items[0]).toMatchObject({ id: refund.id, status: 'processed' });
    const one = await fetch(`${sandbox.url}/v1/refunds/${refund.id}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${sandbox.keyId}:${sandbox.keySecret}`).toString('base64')}`,
      },
    });
    expect(await one.json()).toMatchObject({ id: refund.id, amount: 50_000 });

    const got = await receiver.waitFor(
      (r) => r.filter((w) => w.body.payload.refund?.entity.id === refund.id).length >= 2,
    );
    const mine = got.filter((w) => w.body.payload.refund?.entity.id === refund.id);
    expect(mine.map((w) => w.event)).toEqual(['refund.created', 'refund.processed']);
    for (const w of mine) {
      expect(w.body.contains).toEqual(['refund', 'payment']);
      expect(w.headers['x-razorpay-signature']).toBe(hmacSha256Hex(SECRET, w.raw));
      expect(w.body.payload.payment?.entity).toMatchObject({
        id: paymentId,
        amount_refunded: 50_000,
        refund_status: 'partial',
      });
    }
    expect(mine[1]?.body.payload.refund?.entity.status).toBe('processed');
  });

  it('refuses more than captured − refunded, and a payment refunded in full', async () => {
    const paymentId = await captured(150_000);
    await rzp.payments.refund(paymentId, { amount: 100_000 } as RefundBody);
    const tooMuch = await rejectionOf(rzp.payments.refund(paymentId, { amount: 50_001 } as RefundBody));
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.error).toEqual(linkError('The refund amount provided is greater than amount captured'));
    // no amount: all that is left
    expect(await rzp.payments.refund(paymentId, {} as RefundBody)).toMatchObject({ amount: 50_000 });
    const again = await rejectionOf(rzp.payments.refund(paymentId, { amount: 100 } as RefundBody));
    expect(again.error.description).toBe('The payment has been fully refunded already');
    const unknown = await rejectionOf(
      rzp.payments.refund('pay_00000000000000', { amount: 100 } as RefundBody),
    );
    expect(unknown.error.description).toBe('The id provided does not exist');
  });

  it('answers a repeated X-Refund-Idempotency with the first refund and makes no second one', async () => {
    const paymentId = await captured();
    const first = await refundWithKey(paymentId, { amount: 70_000 }, 'idem-key-1');
    const second = await refundWithKey(paymentId, { amount: 70_000 }, 'idem-key-1');
    expect(first.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const list = (await rzp.payments.fetchMultipleRefund(paymentId)) as unknown as { count: number };
    expect(list.count).toBe(1);
    const all = await control<{ refunds: { id: string; idempotency_key: string | null }[] }>(
      sandbox,
      'GET',
      '/_sandbox/refunds',
    );
    expect(all.body.refunds.filter((r) => r.id === first.body.id)).toEqual([
      expect.objectContaining({ idempotency_key: 'idem-key-1' }),
    ]);
  });

  it('fails the refund in refundMode "failed" (refund.failed), which gives the amount back', async () => {
    const paymentId = await captured(150_000);
    sandbox.config = { refundMode: 'failed' };
    const refund = (await rzp.payments.refund(paymentId, { amount: 150_000 } as RefundBody)) as unknown as {
      id: string;
    };
    const got = await receiver.waitFor((r) =>
      r.some((w) => w.body.payload.refund?.entity.id === refund.id && w.event === 'refund.failed'),
    );
    expect(got.filter((w) => w.body.payload.refund?.entity.id === refund.id).map((w) => w.event)).toEqual([
      'refund.created',
      'refund.failed',
    ]);
    sandbox.config = { refundMode: 'processed' };
    // the failed refund took nothing: the whole payment is refundable again
    expect(await rzp.payments.refund(paymentId, { amount: 150_000 } as RefundBody)).toMatchObject({
      amount: 150_000,
    });
  });

  it('refuses in refundMode "refused" and makes none', async () => {
    const paymentId = await captured();
    sandbox.config = { refundMode: 'refused' };
    const refused = await rejectionOf(rzp.payments.refund(paymentId, { amount: 100 } as RefundBody));
    expect(refused.statusCode).toBe(400);
    expect(refused.error.description).toBe('Refund could not be initiated for this payment');
    sandbox.config = { refundMode: 'processed' };
    expect(((await rzp.payments.fetchMultipleRefund(paymentId)) as unknown as { count: number }).count).toBe(
      0,
    );
  });

  it('makes the refund at once but answers late in refundMode "hang" (a lost answer)', async () => {
    const paymentId = await captured();
    sandbox.config = { refundMode: 'hang', hangMs: 30_000 };
    const slow = sdkFor(sandbox, undefined, 300);
    const lost = await rejectionOf(slow.payments.refund(paymentId, { amount: 1_000 } as RefundBody));
    expect(lost).toBeTruthy();
    sandbox.config = { refundMode: 'processed' };
    const list = (await rzp.payments.fetchMultipleRefund(paymentId)) as unknown as {
      count: number;
      items: { amount: number }[];
    };
    expect(list.count).toBe(1);
    expect(list.items[0]?.amount).toBe(1_000);
  });
});
