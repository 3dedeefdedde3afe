/**
 * Webhooks from the sandbox as Razorpay sends them (reference §3): events per payment and link
 * change, bodies, headers, signatures (checked with the SDK's own validator), retries,
 * duplicates, secret rotation and shuffled order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Razorpay from 'razorpay';
import { validatePaymentVerification } from 'razorpay/dist/utils/razorpay-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { callbackSignature, hmacSha256Hex } from '../../local/sandbox/signature';
import { control, linkBody, type ReceivedWebhook, sdkFor, WebhookReceiver } from './helpers';

type CreateBody = Parameters<Razorpay['paymentLink']['create']>[0];

/** samples.json `signature_test_vectors` (from razorpay/razorpay-go, verified). */
const VECTOR = {
  secret: '123456',
  rawBody:
    '{"entity":"event","account_id":"acc_HVFD0PFnHPAzKj","event":"payment.authorized","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_JUEM4c0pSLpFEW","entity":"payment","amount":12300,"currency":"INR","status":"authorized","order_id":"order_JUELuT6cFaHkvd","invoice_id":null,"international":false,"method":"netbanking","amount_refunded":0,"refund_status":null,"captured":false,"description":"#JUELZ1z1EC0pwi","card_id":null,"bank":"SBIN","wallet":null,"vpa":null,"email":"gaurav.kumar@example.com","contact":"+919999999999","notes":[],"fee":null,"tax":null,"error_code":null,"error_description":null,"error_source":null,"error_step":null,"error_reason":null,"acquirer_data":{"bank_transaction_id":"6416615"},"created_at":1652339804}}},"created_at":1652339806}',
  signature: '56df260ab4647b07b729b0b48d2a95b71de42f109884949e5ec387a2bb8b6919',
};
const CALLBACK_VECTOR = {
  keySecret: 'EnLs21M47BllR3X8PSFtjtbd',
  fields: {
    linkId: 'plink_IH3cNucfVEgV68',
    referenceId: 'TSsd1989',
    status: 'paid',
    paymentId: 'pay_IH3d0ara9bSsjQ',
  },
  signature: '07ae18789e35093e51d0a491eb9922646f3f82773547e5b0f67ee3f2d3bf7d5b',
};

const SECRET = 'test-webhook-secret';
let sandbox: Sandbox;
let receiver: WebhookReceiver;
let rzp: Razorpay;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  sandbox = await startSandbox({
    port: 0,
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    seed: 42,
    webhookRetryDelaysMs: [20, 40, 80],
    webhookTimeoutMs: 300,
  });
  rzp = sdkFor(sandbox);
});

afterEach(async () => {
  sandbox.reset();
  sandbox.config = {
    webhookUrl: receiver.url,
    webhookSecret: SECRET,
    duplicateWebhooks: 1,
    shuffleWebhooks: false,
  };
  receiver.clear();
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function createLink(overrides: Record<string, unknown> = {}) {
  return (await rzp.paymentLink.create(linkBody(overrides) as CreateBody)) as unknown as Record<
    string,
    unknown
  > & {
    id: string;
    created_at: number;
    reference_id: string;
  };
}

async function pay(id: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await control<{ payment_id: string }>(
    sandbox,
    'POST',
    `/_sandbox/payment_links/${id}/pay`,
    body,
  );
  expect(res.status).toBe(200);
  return res.body.payment_id;
}

/** true when every object in the JSON text lists its keys in sorted order */
function keysSortedDeep(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysSortedDeep);
  if (typeof value !== 'object' || value === null) return true;
  const keys = Object.keys(value);
  return keys.join() === [...keys].sort().join() && Object.values(value).every(keysSortedDeep);
}

const events = (received: ReceivedWebhook[]) => received.map((w) => w.event);
const entityOf = (w: ReceivedWebhook, name: string) =>
  w.body.payload[name]?.entity as Record<string, unknown>;

describe('signatures', () => {
  it('the HMAC helper reproduces Razorpay’s webhook test vector, as does the SDK', () => {
    expect(hmacSha256Hex(VECTOR.secret, VECTOR.rawBody)).toBe(VECTOR.signature);
    expect(Razorpay.validateWebhookSignature(VECTOR.rawBody, VECTOR.signature, VECTOR.secret)).toBe(true);
  });

  it('the callback signature helper reproduces Razorpay’s payment-link callback vector', () => {
    expect(callbackSignature(CALLBACK_VECTOR.keySecret, CALLBACK_VECTOR.fields)).toBe(
      CALLBACK_VECTOR.signature,
    );
  });
});

describe('a full payment', () => {
  it('sends payment.captured, order.paid, payment_link.paid in order, signed, with Razorpay’s headers', async () => {
    const link = await createLink();
    const paymentId = await pay(link.id, { method: 'upi' });
    const received = await receiver.waitFor((r) => r.length >= 3);
    expect(events(received)).toEqual(['payment.captured', 'order.paid', 'payment_link.paid']);

    const ids = new Set<string>();
    for (const w of received) {
      expect(w.headers['content-type']).toBe('application/json');
      expect(w.headers['user-agent']).toBe('Razorpay-Webhook/v1');
      expect(w.eventId).toMatch(/^[0-9A-Za-z]{14}$/);
      expect(w.headers['request-id']).toBe(w.eventId);
      expect(
        Razorpay.validateWebhookSignature(w.raw, String(w.headers['x-razorpay-signature']), SECRET),
      ).toBe(true);
      expect(
        Razorpay.validateWebhookSignature(w.raw, String(w.headers['x-razorpay-signature']), 'other'),
      ).toBe(false);
      // compact JSON, exactly what was signed
      expect(w.raw).toBe(JSON.stringify(JSON.parse(w.raw)));
      ids.add(w.eventId);
    }
    expect(ids.size).toBe(3);

    const [captured, orderPaid, linkPaid] = received as [ReceivedWebhook, ReceivedWebhook, ReceivedWebhook];
    // payment.* and order.* in Razorpay's natural key order
    expect(captured.raw.startsWith('{"entity":"event","account_id":"acc_')).toBe(true);
    expect(captured.body['contains']).toEqual(['payment']);
    const payment = entityOf(captured, 'payment');
    expect(Object.keys(payment).slice(0, 5)).toEqual(['id', 'entity', 'amount', 'currency', 'status']);
    expect(payment).toMatchObject({
      id: paymentId,
      entity: 'payment',
      amount: 150000,
      status: 'captured',
      captured: true,
      method: 'upi',
      description: `#${link.id.slice('plink_'.length)}`,
      notes: { loan_id: 'L-1001', emi_number: '3' },
      fee: 3540,
      tax: 540,
      contact: '+919000090000',
      email: 'asha@example.com',
      base_amount: 150000,
      upi: { vpa: 'success@razorpay', flow: 'collect' },
    });
    expect(captured.body['created_at']).toBeGreaterThanOrEqual(link.created_at);

    expect(orderPaid.body['contains']).toEqual(['payment', 'order']);
    const order = entityOf(orderPaid, 'order');
    expect(order).toEqual({
      id: payment['order_id'],
      entity: 'order',
      amount: 150000,
      amount_paid: 150000,
      amount_due: 0,
      currency: 'INR',
      receipt: link.reference_id,
      offer_id: null,
      status: 'paid',
      attempts: 1,
      notes: { loan_id: 'L-1001', emi_number: '3' },
      created_at: expect.any(Number),
      description: null,
      checkout: null,
    });

    // payment_link.*: every key sorted, envelope stamped with the link's created_at
    expect(keysSortedDeep(JSON.parse(linkPaid.raw))).toBe(true);
    expect(linkPaid.raw.startsWith('{"account_id":"acc_')).toBe(true);
    expect(linkPaid.body['created_at']).toBe(link.created_at);
    expect(linkPaid.body['contains']).toEqual(['payment_link', 'order', 'payment']);
    const webhookLink = entityOf(linkPaid, 'payment_link');
    expect(webhookLink).toMatchObject({
      id: link.id,
      status: 'paid',
      amount_paid: 150000,
      order_id: payment['order_id'],
      notes: { emi_number: '3', loan_id: 'L-1001' },
      reference_id: link.reference_id,
    });
    expect(webhookLink).not.toHaveProperty('payments');
    expect(entityOf(linkPaid, 'payment')).toMatchObject({
      id: paymentId,
      fee_bearer: 'platform',
      card: null,
    });
    expect(entityOf(linkPaid, 'order')).toMatchObject({ receipt: link.reference_id, status: 'paid' });

    await sandbox.webhooksIdle();
    const log = (
      await control<{ deliveries: Record<string, unknown>[] }>(sandbox, 'GET', '/_sandbox/webhooks')
    ).body;
    expect(log.deliveries.map((d) => d['event'])).toEqual([
      'payment.captured',
      'order.paid',
      'payment_link.paid',
    ]);
    expect(log.deliveries[0]).toMatchObject({
      event_id: captured.eventId,
      url: receiver.url,
      status_code: 200,
      attempts: 1,
      delivered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('answers the pay call before delivering (delivery is asynchronous)', async () => {
    const link = await createLink();
    let paid = false;
    receiver.answer = () => {
      expect(paid).toBe(true);
      return 200;
    };
    await pay(link.id);
    paid = true;
    await receiver.waitFor((r) => r.length >= 3);
  });
});

describe('partial and failed payments, cancel and expiry', () => {
  it('sends payment_link.partially_paid without order.paid, then order.paid and payment_link.paid for the balance', async () => {
    const link = await createLink({ accept_partial: true, first_min_partial_amount: 50000 });
    await pay(link.id, { amount: 50000, method: 'netbanking' });
    const first = await receiver.waitFor((r) => r.length >= 2);
    expect(events(first)).toEqual(['payment.captured', 'payment_link.partially_paid']);
    expect(entityOf(first[1] as ReceivedWebhook, 'order')).toMatchObject({
      status: 'attempted',
      amount_due: 100000,
    });
    expect(entityOf(first[1] as ReceivedWebhook, 'payment_link')).toMatchObject({
      status: 'partially_paid',
      amount_paid: 50000,
    });

    await pay(link.id, { method: 'card' });
    const all = await receiver.waitFor((r) => r.length >= 5);
    expect(events(all).slice(2)).toEqual(['payment.captured', 'order.paid', 'payment_link.paid']);
    const order = entityOf(all[3] as ReceivedWebhook, 'order');
    expect(order).toMatchObject({ amount_paid: 150000, status: 'paid', attempts: 2 });
    expect(entityOf(all[4] as ReceivedWebhook, 'payment')['card']).toMatchObject({
      entity: 'card',
      network: 'Visa',
    });
  });

  it('sends only payment.failed for a failed attempt, and the link stays open', async () => {
    const link = await createLink();
    const paymentId = await pay(link.id, { outcome: 'failed', method: 'wallet' });
    const [failed] = await receiver.waitFor((r) => r.length >= 1);
    expect(failed?.event).toBe('payment.failed');
    expect(entityOf(failed as ReceivedWebhook, 'payment')).toMatchObject({
      id: paymentId,
      status: 'failed',
      captured: false,
      error_code: 'BAD_REQUEST_ERROR',
      error_reason: 'payment_failed',
      wallet: 'payzapp',
      notes: { loan_id: 'L-1001', emi_number: '3' },
    });
    await sandbox.webhooksIdle();
    expect(receiver.received).toHaveLength(1);
    const fetched = (await rzp.paymentLink.fetch(link.id)) as unknown as Record<string, unknown>;
    expect(fetched).toMatchObject({ status: 'created', amount_paid: 0, payments: [] });
  });

  it('sends payment_link.cancelled and payment_link.expired with the link alone', async () => {
    const a = await createLink();
    const b = await createLink();
    await rzp.paymentLink.cancel(a.id);
    await control(sandbox, 'POST', `/_sandbox/payment_links/${b.id}/expire`);
    const received = await receiver.waitFor((r) => r.length >= 2);
    expect(events(received).sort()).toEqual(['payment_link.cancelled', 'payment_link.expired']);
    for (const w of received) {
      expect(w.body['contains']).toEqual(['payment_link']);
      expect(keysSortedDeep(JSON.parse(w.raw))).toBe(true);
      expect(
        Razorpay.validateWebhookSignature(w.raw, String(w.headers['x-razorpay-signature']), SECRET),
      ).toBe(true);
    }
    const cancelled = received.find((w) => w.event === 'payment_link.cancelled') as ReceivedWebhook;
    expect(cancelled.body['created_at']).toBe(a.created_at);
    expect(entityOf(cancelled, 'payment_link')).toMatchObject({ id: a.id, status: 'cancelled' });
    const expired = received.find((w) => w.event === 'payment_link.expired') as ReceivedWebhook;
    expect(entityOf(expired, 'payment_link')).toMatchObject({ id: b.id, status: 'expired' });
  });
});

describe('delivery', () => {
  it('retries a delivery the receiver refuses, with the same event id and signature', async () => {
    receiver.answer = (_raw, index) => (index === 0 ? 500 : 200);
    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    const received = await receiver.waitFor((r) => r.length >= 2);
    const [refused, retried] = received as [ReceivedWebhook, ReceivedWebhook];
    expect([refused.status, retried.status]).toEqual([500, 200]);
    expect(retried.eventId).toBe(refused.eventId);
    expect(retried.headers['x-razorpay-signature']).toBe(refused.headers['x-razorpay-signature']);
    expect(retried.raw).toBe(refused.raw);
    await sandbox.webhooksIdle();
    expect(sandbox.deliveries).toEqual([
      expect.objectContaining({
        event_id: refused.eventId,
        status_code: 200,
        attempts: 2,
        state: 'delivered',
      }),
    ]);
  });

  it('keeps retrying while the receiver is down and delivers once it is back', async () => {
    // a port that nobody listens on yet
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    sandbox.config = { webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay` };

    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    // once the first attempt has failed (connection refused), the receiver comes up
    await expect.poll(() => sandbox.deliveries[0]?.last_error, { interval: 2 }).toBe('ECONNREFUSED');
    const late = await new WebhookReceiver().start(port);
    try {
      await sandbox.webhooksIdle();
      expect(late.received.map((w) => w.event)).toEqual(['payment_link.cancelled']);
      const [delivery] = sandbox.deliveries;
      expect(delivery).toMatchObject({ state: 'delivered', status_code: 200 });
      expect(delivery?.attempts).toBeGreaterThan(1);
    } finally {
      await late.close();
    }
  });

  it('gives up after the last retry and logs the failure', async () => {
    receiver.answer = () => 503;
    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    await sandbox.webhooksIdle();
    expect(receiver.received).toHaveLength(4);
    expect(sandbox.deliveries).toEqual([
      expect.objectContaining({
        status_code: 503,
        attempts: 4,
        state: 'failed',
        delivered_at: null,
        last_error: 'HTTP 503',
      }),
    ]);
  });

  it('counts a receiver that does not answer in time as a failure and retries', async () => {
    let calls = 0;
    const slow = http.createServer((req, res) => {
      calls++;
      req.resume();
      // the first delivery is answered too late (after the 300 ms budget of this sandbox)
      setTimeout(() => res.writeHead(200).end(), calls === 1 ? 600 : 0);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    sandbox.config = { webhookUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook` };
    try {
      const link = await createLink();
      await rzp.paymentLink.cancel(link.id);
      await sandbox.webhooksIdle();
      expect(sandbox.deliveries).toEqual([expect.objectContaining({ state: 'delivered', attempts: 2 })]);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it('delivers each event N times with the same event id when duplicateWebhooks is N', async () => {
    sandbox.config = { duplicateWebhooks: 2 };
    const link = await createLink();
    await pay(link.id);
    const received = await receiver.waitFor((r) => r.length >= 6);
    expect(events(received)).toEqual([
      'payment.captured',
      'payment.captured',
      'order.paid',
      'order.paid',
      'payment_link.paid',
      'payment_link.paid',
    ]);
    for (let i = 0; i < 6; i += 2) {
      expect(received[i]?.eventId).toBe(received[i + 1]?.eventId);
      expect(received[i]?.raw).toBe(received[i + 1]?.raw);
    }
    expect(new Set(received.map((w) => w.eventId)).size).toBe(3);
  });

  it('keeps signing earlier events with the old secret after a rotation', async () => {
    receiver.answer = (_raw, index) => (index === 0 ? 500 : 200);
    const first = await createLink();
    await rzp.paymentLink.cancel(first.id);
    await receiver.waitFor((r) => r.length >= 1);
    sandbox.config = { webhookSecret: 'rotated-secret' };
    const second = await createLink();
    await rzp.paymentLink.cancel(second.id);
    const received = await receiver.waitFor((r) => r.filter((w) => w.status === 200).length >= 2);

    const signedWith = (w: ReceivedWebhook, secret: string) =>
      Razorpay.validateWebhookSignature(w.raw, String(w.headers['x-razorpay-signature']), secret);
    const linkIdOf = (w: ReceivedWebhook) => entityOf(w, 'payment_link')['id'];
    const ofFirst = received.filter((w) => linkIdOf(w) === first.id);
    const ofSecond = received.filter((w) => linkIdOf(w) === second.id);
    expect(ofFirst.map((w) => w.status)).toEqual([500, 200]);
    for (const w of ofFirst) expect(signedWith(w, SECRET)).toBe(true);
    expect(ofSecond).toHaveLength(1);
    expect(signedWith(ofSecond[0] as ReceivedWebhook, 'rotated-secret')).toBe(true);
    expect(signedWith(ofSecond[0] as ReceivedWebhook, SECRET)).toBe(false);
  });

  it('delivers a payment’s events in a random order when shuffleWebhooks is on', async () => {
    sandbox.config = { shuffleWebhooks: true };
    const orders: string[][] = [];
    for (let i = 0; i < 4; i++) {
      const link = await createLink();
      await pay(link.id);
      await sandbox.webhooksIdle();
      orders.push(events(receiver.received.filter((w) => JSON.stringify(w.body).includes(link.id.slice(6)))));
    }
    const canonical = ['payment.captured', 'order.paid', 'payment_link.paid'];
    for (const order of orders) expect([...order].sort()).toEqual([...canonical].sort());
    expect(orders.some((order) => order.join() !== canonical.join())).toBe(true);
  });

  it('sends nothing when webhookUrl is empty', async () => {
    sandbox.config = { webhookUrl: '' };
    const link = await createLink();
    await pay(link.id);
    await sandbox.webhooksIdle();
    expect(sandbox.deliveries).toEqual([]);
    expect(receiver.received).toEqual([]);
  });
});

describe('callback redirect', () => {
  it('signs the redirect parameters as the SDK’s validatePaymentVerification expects', async () => {
    const link = await createLink({
      callback_url: 'https://merchant.example/cb?x=1',
      callback_method: 'get',
    });
    const code = String(link['short_url']).split('/').pop();
    const res = await fetch(`${sandbox.url}/rzp/${code}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=full&method=card',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    const target = new URL(res.headers.get('location') ?? '');
    expect(target.origin + target.pathname).toBe('https://merchant.example/cb');
    const q = Object.fromEntries(target.searchParams);
    expect(q).toMatchObject({
      x: '1',
      razorpay_payment_link_id: link.id,
      razorpay_payment_link_status: 'paid',
    });
    expect(
      validatePaymentVerification(
        {
          payment_link_id: q['razorpay_payment_link_id'] ?? '',
          payment_id: q['razorpay_payment_id'] ?? '',
          payment_link_reference_id: q['razorpay_payment_link_reference_id'] ?? '',
          payment_link_status: q['razorpay_payment_link_status'] ?? '',
        },
        q['razorpay_signature'] ?? '',
        sandbox.keySecret,
      ),
    ).toBe(true);
  });
});
