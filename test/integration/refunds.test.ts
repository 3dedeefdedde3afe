/**
 * Refunds of surplus money (architecture §4c) through the local gateway (route table, JWT check,
 * the function) against DynamoDB Local and the Razorpay sandbox driven by the official SDK. The
 * sandbox's webhooks reach a small receiver that hands each body to the worker's own use case
 * (applyWebhookEvent) — or, while `hold` is on, keeps them to be applied later in arrival order
 * (two payments on sibling links land before either is applied, as when a borrower pays twice).
 */
import { createServer, type Server } from 'node:http';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main as webhookWorker } from '../../functions/webhook-worker/handler';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { documentClient } from '../../shared/adapters/dynamo/client';
import { keys } from '../../shared/adapters/dynamo/schema';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { parseWebhookEvent } from '../../shared/domain/razorpay/events';
import { applyWebhookEvent } from '../../shared/usecases/webhook-apply';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { api as apiAt, type Reply } from '../support/api';
import { startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';

let app: TestApp;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let receiver: Server;
/** the real receive → queue → worker path, for refund webhooks posted to the gateway's own route */
let queue: LocalQueue;
const SECRET = 'whsec-refunds-test-0001';
let ops: string;
let admin: string;
let collector: string;
let otherAdmin: string;
const applyErrors: unknown[] = [];
/** while true, deliveries are kept (answered 200) and applied only by `release` */
let hold = false;
const held: { body: Buffer; eventId: string }[] = [];

const api = (
  method: string,
  path: string,
  auth: string | null = admin,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, auth, body, headers);
const refund = (id: string, body: unknown, auth: string | null = admin, headers?: Record<string, string>) =>
  api('POST', `/api/payment-links/${id}/refunds`, auth, body, headers);
const detail = (id: string) => api('GET', `/api/payment-links/${id}`, admin);
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const settle = () => app.sandbox.webhooksIdle();
const types = (res: Reply) => (res.json.events as { type: string }[]).map((e) => e.type);

interface SandboxRefund {
  id: string;
  payment_id: string;
  amount: number;
  receipt: string | null;
  status: string;
  idempotency_key: string | null;
}
const sandboxRefunds = async (paymentId?: string) =>
  (await app.control<{ refunds: SandboxRefund[] }>('GET', '/_sandbox/refunds')).refunds.filter(
    (r) => paymentId === undefined || r.payment_id === paymentId,
  );

async function apply(body: Buffer, eventId: string) {
  const parsed = parseWebhookEvent(body);
  try {
    if (parsed.ok) await applyWebhookEvent(linkDeps(), parsed.event, eventId);
  } catch (err) {
    applyErrors.push(err);
  }
}

/** Applies the kept deliveries, one after another, in the order they arrived. */
async function release() {
  await settle();
  hold = false;
  while (held.length > 0) {
    const next = held.shift()!;
    await apply(next.body, next.eventId);
  }
  await settle();
}

const gen = async (loanId: string, extra: Record<string, unknown> = {}) => {
  const res = await api('POST', '/api/payment-links/generate', ops, { loanId, emiNumber: 1, ...extra });
  expect([200, 201]).toContain(res.status);
  return res.json as { id: string; razorpayLinkId: string; amount: number };
};

/**
 * A borrower pays both links of one EMI before either payment is applied: the first is credited,
 * the second is money the EMI did not need (overpaid, flagged). Returns the flagged link.
 */
async function paidTwice(loanId: string) {
  const a = await gen(loanId);
  const b = await gen(loanId, { forceNew: true });
  hold = true;
  const payA = (await pay(a.razorpayLinkId)).payment_id;
  const payB = (await pay(b.razorpayLinkId)).payment_id;
  await release();
  const [da, db] = [await detail(a.id), await detail(b.id)];
  const flagged = da.json.attention ? { link: a, paymentId: payA, other: b, otherPayment: payB } : null;
  const result = flagged ?? { link: b, paymentId: payB, other: a, otherPayment: payA };
  expect((flagged ? da : db).json.attention).toBe('overpaid');
  expect((flagged ? db : da).json.attention).toBeNull();
  return result;
}

const emiOf = (loanId: string) => stores().emis.getEmi(loanId, 1, true);
const linkStore = () => stores().links;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const eventId = String(req.headers['x-razorpay-event-id']);
      if (hold) held.push({ body, eventId });
      else await apply(body, eventId);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  // the gateway's own webhook route checks signatures with this secret (the forged-webhook test)
  process.env.RAZORPAY_WEBHOOK_SECRET = SECRET;
  delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  queue = new LocalQueue({
    name: 'refund-webhooks',
    handler: webhookWorker,
    batchSize: 10,
    concurrency: 1,
    maxReceiveCount: 3,
    visibilityTimeoutMs: 100,
  });
  process.env.WEBHOOK_QUEUE_URL = queue.url;
  app = await startTestApp('refunds', { webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay` });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  ops = await app.names.issuer.machine('emi-links/read emi-links/write emi-links/loans.write');
  admin = await app.names.issuer.person('admin', ['*']);
  collector = await app.names.issuer.person('collector', ['Acme']);
  otherAdmin = await app.names.issuer.person('admin', ['Beta']);
  const loans = Array.from({ length: 12 }, (_, i) => loan(`RF-${i + 1}`, 'Acme', [-2]));
  const res = await api('POST', '/api/loans', ops, { loans });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  queue?.close();
  delete process.env.RAZORPAY_WEBHOOK_SECRET;
  await gateway?.close();
  await app?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

beforeEach(() => {
  app.sandbox.config = {
    errorRate: 0,
    hangRate: 0,
    latencyMs: 0,
    refundMode: 'processed',
    duplicateWebhooks: 1,
  };
  expect(applyErrors).toEqual([]);
});

describe('POST /api/payment-links/{id}/refunds', () => {
  it('refunds a second paid sibling in full: refund.processed clears the flag and the ledger is right', async () => {
    const { link, paymentId, otherPayment } = await paidTwice('RF-1');
    // both payments were credited once; the EMI needed only one of them
    expect((await emiOf('RF-1'))?.amountCredited).toBe(500_000);

    const res = await refund(link.id, { paymentId, reason: 'paid twice on two links' });
    expect(res.status).toBe(201);
    expect(res.json.refund).toMatchObject({
      paymentId,
      amount: 250_000,
      reason: 'paid twice on two links',
      requestedBy: { sub: expect.any(String), name: expect.any(String) },
      external: false,
    });
    const refundId = res.json.refund.refundId as string;
    expect(refundId).toMatch(/^rfd_[a-z0-9]{20}$/);
    await settle();

    const after = await detail(link.id);
    expect(after.json.attention).toBeNull();
    expect(after.json.refunds).toEqual([
      expect.objectContaining({
        refundId,
        status: 'processed',
        amount: 250_000,
        providerRefundId: expect.stringMatching(/^rfnd_/),
      }),
    ]);
    expect(types(after)).toEqual(
      expect.arrayContaining(['refund_requested', 'refund_processed', 'attention_cleared']),
    );
    const requested = after.json.events.find((e: { type: string }) => e.type === 'refund_requested');
    expect(requested.actor).toEqual(res.json.refund.requestedBy);
    expect(types(after).filter((t) => t === 'refund_processed')).toHaveLength(1);

    // the EMI keeps exactly its amount, credited once; the other payment is untouched
    const emi = await emiOf('RF-1');
    expect(emi?.amountCredited).toBe(250_000);
    expect(emi && emi.amount - emi.amountCredited - emi.amountPaidExternal).toBe(0);
    expect((await linkStore().getCredit(paymentId))?.amount).toBe(250_000);
    expect((await linkStore().getCredit(otherPayment))?.surplusAmount ?? 0).toBe(0);
    // the ledger's refund line, once
    const line = await documentClient().send(
      new GetCommand({ TableName: app.names.EMIS_TABLE, Key: keys.refund(paymentId, refundId) }),
    );
    expect(line.Item).toMatchObject({ type: 'REFUND', amount: 250_000, linkId: link.id, refundId });
    // one refund at Razorpay, bound to our refund id
    expect(await sandboxRefunds(paymentId)).toEqual([
      expect.objectContaining({
        amount: 250_000,
        receipt: refundId,
        idempotency_key: refundId,
        status: 'processed',
      }),
    ]);
    // all of the surplus is gone: a repeat is refused and nothing is sent
    const again = await refund(link.id, { paymentId, reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('NOTHING_TO_REFUND');
    expect(await sandboxRefunds(paymentId)).toHaveLength(1);
  });

  it('refunds only the surplus of a link paid beyond what the EMI still owed', async () => {
    const link = await gen('RF-2', { acceptPartial: true });
    // meanwhile ₹1,000 of the EMI came in through another channel: it owes ₹1,500
    const up = await api('POST', '/api/loans', ops, {
      loans: [
        {
          ...loan('RF-2', 'Acme', [-2]),
          emis: [{ ...loan('RF-2', 'Acme', [-2]).emis[0]!, amountPaid: 100_000 }],
        },
      ],
    });
    expect(up.status).toBe(200);
    await pay(link.razorpayLinkId, { amount: 50_000 });
    // applied before the next payment: which payment carries the surplus depends on the order
    await settle();
    const paymentId = (await pay(link.razorpayLinkId)).payment_id; // the remaining 200,000
    await settle();
    const d = await detail(link.id);
    expect(d.json.attention).toBe('overpaid');
    expect((await linkStore().getCredit(paymentId))?.surplusAmount).toBe(100_000);

    const tooMuch = await refund(link.id, { paymentId, amount: 150_000, reason: 'overpaid' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.error.details).toEqual([
      { field: 'amount', message: expect.stringContaining('100000') },
    ]);
    const partOfThePartial = d.json.payments.find((p: { paymentId: string }) => p.paymentId !== paymentId);
    const noSurplus = await refund(link.id, { paymentId: partOfThePartial.paymentId, reason: 'x' });
    expect(noSurplus.status).toBe(422);
    expect(noSurplus.json.error.details[0].field).toBe('paymentId');
    expect(await sandboxRefunds(paymentId)).toHaveLength(0);

    const res = await refund(link.id, { paymentId, reason: 'overpaid' });
    expect(res.status).toBe(201);
    expect(res.json.refund.amount).toBe(100_000);
    await settle();
    const after = await detail(link.id);
    expect(after.json.attention).toBeNull();
    const emi = await emiOf('RF-2');
    // ₹1,000 elsewhere + ₹1,500 kept of ₹2,500 paid here: exactly the EMI
    expect(emi?.amountCredited).toBe(150_000);
    expect(emi && emi.amountPaidExternal + emi.amountCredited).toBe(emi?.amount);
  });

  it('refunds the surplus of a loan link from the newest EMI it reached, where that surplus sits', async () => {
    // a loan link for two overdue EMIs (₹5,000); EMI 1 is then paid elsewhere, so paying the link
    // in full leaves ₹2,500 no EMI owed, credited to EMI 2 and flagged
    const up = await api('POST', '/api/loans', ops, { loans: [loan('RF-LOAN', 'Acme', [-40, -10])] });
    expect(up.status).toBe(200);
    const made = await api('POST', '/api/payment-links/generate', ops, { loanId: 'RF-LOAN', scope: 'loan' });
    expect(made.status).toBe(201);
    const link = made.json as { id: string; razorpayLinkId: string; amount: number };
    expect(link.amount).toBe(500_000);
    const elsewhere = loan('RF-LOAN', 'Acme', [-40, -10]);
    elsewhere.emis[0]!.amountPaid = 250_000;
    expect((await api('POST', '/api/loans', ops, { loans: [elsewhere] })).status).toBe(200);
    const paymentId = (await pay(link.razorpayLinkId)).payment_id;
    await settle();
    expect((await detail(link.id)).json.attention).toBe('overpaid');
    expect((await stores().emis.getEmi('RF-LOAN', 2, true))?.amountCredited).toBe(500_000);

    const res = await refund(link.id, { paymentId, reason: 'EMI 1 was paid at the branch' });
    expect(res.status).toBe(201);
    expect(res.json.refund.amount).toBe(250_000);
    await settle();
    expect((await detail(link.id)).json.attention).toBeNull();
    // EMI 2 keeps exactly its amount; EMI 1 is untouched (paid elsewhere, nothing credited here)
    expect((await stores().emis.getEmi('RF-LOAN', 2, true))?.amountCredited).toBe(250_000);
    expect((await stores().emis.getEmi('RF-LOAN', 1, true))?.amountCredited).toBe(0);
    const line = await documentClient().send(
      new GetCommand({
        TableName: app.names.EMIS_TABLE,
        Key: keys.refund(paymentId, res.json.refund.refundId),
      }),
    );
    expect(line.Item).toMatchObject({ type: 'REFUND', amount: 250_000, loanId: 'RF-LOAN', emiNumber: 2 });
    expect(await sandboxRefunds(paymentId)).toEqual([
      expect.objectContaining({ amount: 250_000, status: 'processed' }),
    ]);
  });

  it('refuses bad requests with nothing sent to Razorpay and nothing changed', async () => {
    const { link, paymentId, other, otherPayment } = await paidTwice('RF-3');
    const before = await detail(link.id);
    const cases: [string, unknown, string | null, number][] = [
      ['above the surplus', { paymentId, amount: 250_001, reason: 'r' }, admin, 422],
      ['a payment not on this link', { paymentId: otherPayment, reason: 'r' }, admin, 422],
      ['an unknown field', { paymentId, reason: 'r', speed: 'instant' }, admin, 400],
      ['a non-integer amount', { paymentId, amount: 100.5, reason: 'r' }, admin, 400],
      ['a zero amount', { paymentId, amount: 0, reason: 'r' }, admin, 400],
      ['no reason', { paymentId }, admin, 400],
      ['a reason too long', { paymentId, reason: 'x'.repeat(201) }, admin, 400],
      ['a malformed payment id', { paymentId: 'pay_1', reason: 'r' }, admin, 400],
      ['a collector', { paymentId, reason: 'r' }, collector, 403],
      ['a machine client', { paymentId, reason: 'r' }, ops, 403],
      ["another lender's admin", { paymentId, reason: 'r' }, otherAdmin, 404],
      ['no token', { paymentId, reason: 'r' }, null, 401],
    ];
    for (const [why, body, auth, status] of cases) {
      const res = await refund(link.id, body, auth);
      expect({ why, status: res.status }).toEqual({ why, status });
      expect(Object.keys(res.json)).toEqual(['error']);
      if (status === 400 || status === 422) expect(res.json.error.details.length).toBeGreaterThan(0);
    }
    // a link with no flag: the first payment, which the EMI needed
    const unflagged = await refund(other.id, { paymentId: otherPayment, reason: 'r' });
    expect(unflagged.status).toBe(409);
    expect(unflagged.json.error.code).toBe('NOTHING_TO_REFUND');
    // an unknown link
    expect((await refund('lnk_aaaaaaaaaaaaaaaaaaaa', { paymentId, reason: 'r' })).status).toBe(404);

    expect(await sandboxRefunds(paymentId)).toHaveLength(0);
    expect(await sandboxRefunds(otherPayment)).toHaveLength(0);
    const after = await detail(link.id);
    expect(after.json.refunds).toEqual([]);
    expect(after.json.events).toEqual(before.json.events);
    expect(after.json.attention).toBe('overpaid');
  });

  it('answers a repeated Idempotency-Key with the first answer and makes one refund', async () => {
    const { link, paymentId } = await paidTwice('RF-4');
    const body = { paymentId, amount: 100_000, reason: 'part of it' };
    const first = await refund(link.id, body, admin, { 'idempotency-key': 'refund-rf4-1' });
    expect(first.status).toBe(201);
    const second = await refund(link.id, body, admin, { 'idempotency-key': 'refund-rf4-1' });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.json).toEqual(first.json);
    // the same key with another body is refused
    const other = await refund(link.id, { ...body, amount: 50_000 }, admin, {
      'idempotency-key': 'refund-rf4-1',
    });
    expect(other.status).toBe(422);
    await settle();
    expect(await sandboxRefunds(paymentId)).toHaveLength(1);
    const d = await detail(link.id);
    expect(d.json.refunds).toHaveLength(1);
    // ₹1,500 of the surplus is left: still flagged
    expect(d.json.attention).toBe('overpaid');
  });

  it('lets exactly one of two concurrent refunds of the same surplus through', async () => {
    const { link, paymentId } = await paidTwice('RF-5');
    const [a, b] = await Promise.all([
      refund(link.id, { paymentId, reason: 'first' }, admin, { 'idempotency-key': 'rf5-a' }),
      refund(link.id, { paymentId, reason: 'second' }, admin, { 'idempotency-key': 'rf5-b' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    await settle();
    expect(await sandboxRefunds(paymentId)).toEqual([expect.objectContaining({ amount: 250_000 })]);
    const d = await detail(link.id);
    expect(d.json.refunds).toHaveLength(1);
    expect(d.json.attention).toBeNull();
  });

  it('answers 503 when the refund call times out, and a retry looks it up instead of refunding again', async () => {
    const { link, paymentId } = await paidTwice('RF-6');
    // the refund is made at once; its answer (and any look-up) only comes after the client gave up
    app.sandbox.config = { refundMode: 'hang', hangMs: 5_000 };
    hold = true; // the refund webhooks wait too: the retry must find it by itself
    const headers = { 'idempotency-key': 'rf6-timeout' };
    const body = { paymentId, reason: 'paid twice' };
    const lost = await refund(link.id, body, admin, headers);
    expect(lost.status).toBe(503);
    expect(lost.json.error.code).toBe('REFUND_PENDING');
    expect(lost.headers.get('retry-after')).toBeTruthy();
    let d = await detail(link.id);
    expect(d.json.refunds).toEqual([expect.objectContaining({ status: 'pending', providerRefundId: null })]);
    // the reservation holds: another refund of the same money is refused, nothing sent
    const meanwhile = await refund(link.id, body, admin, { 'idempotency-key': 'rf6-other' });
    expect(meanwhile.status).toBe(409);
    expect(await sandboxRefunds(paymentId)).toHaveLength(1);

    app.sandbox.config = { refundMode: 'processed' };
    const retry = await refund(link.id, body, admin, headers);
    expect(retry.status).toBe(201);
    expect(retry.json.refund.providerRefundId).toBe((await sandboxRefunds(paymentId))[0]!.id);
    expect(await sandboxRefunds(paymentId)).toHaveLength(1);
    await release();
    d = await detail(link.id);
    expect(d.json.refunds).toEqual([expect.objectContaining({ status: 'processed' })]);
    expect(d.json.attention).toBeNull();
    expect(await sandboxRefunds(paymentId)).toHaveLength(1);
  });

  it('answers 502 with the reason when Razorpay refuses, and releases the reservation', async () => {
    const { link, paymentId } = await paidTwice('RF-7');
    app.sandbox.config = { refundMode: 'refused' };
    const res = await refund(link.id, { paymentId, reason: 'paid twice' });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('REFUND_REFUSED');
    expect(res.json.error.message).toContain('Refund could not be initiated');
    let d = await detail(link.id);
    expect(d.json.refunds).toEqual([
      expect.objectContaining({
        status: 'failed',
        failureReason: expect.stringContaining('could not be initiated'),
      }),
    ]);
    expect(d.json.attention).toBe('overpaid');
    expect(types(d)).toContain('refund_failed');
    expect(await sandboxRefunds(paymentId)).toHaveLength(0);

    app.sandbox.config = { refundMode: 'processed' };
    const ok = await refund(link.id, { paymentId, reason: 'paid twice' });
    expect(ok.status).toBe(201);
    expect(ok.json.refund.amount).toBe(250_000);
    await settle();
    d = await detail(link.id);
    expect(d.json.attention).toBeNull();
  });

  it('releases the reservation on refund.failed (the flag stays) and applies duplicate refund webhooks once', async () => {
    const { link, paymentId } = await paidTwice('RF-8');
    app.sandbox.config = { refundMode: 'failed', duplicateWebhooks: 2 };
    const res = await refund(link.id, { paymentId, reason: 'paid twice' });
    expect(res.status).toBe(201);
    // Razorpay answers `pending`; its refund.failed may be applied before the answer is written
    expect(['pending', 'failed']).toContain(res.json.refund.status);
    await settle();
    let d = await detail(link.id);
    expect(d.json.refunds).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(d.json.attention).toBe('overpaid');
    expect(types(d).filter((t) => t === 'refund_failed')).toHaveLength(1);
    expect((await emiOf('RF-8'))?.amountCredited).toBe(500_000);

    // the money is refundable again; duplicated processed webhooks settle it once
    app.sandbox.config = { refundMode: 'processed', duplicateWebhooks: 2 };
    const again = await refund(link.id, { paymentId, reason: 'paid twice' });
    expect(again.status).toBe(201);
    await settle();
    d = await detail(link.id);
    expect(types(d).filter((t) => t === 'refund_processed')).toHaveLength(1);
    expect(d.json.attention).toBeNull();
    expect((await emiOf('RF-8'))?.amountCredited).toBe(250_000);
  });

  it('takes a signed refund webhook through receive → queue → worker, once, and refuses a forged one with 401', async () => {
    const { link, paymentId } = await paidTwice('RF-9');
    // a refund made in Razorpay's Dashboard (no receipt of ours), within the surplus
    const refundBody = (id: string, amount: number) =>
      JSON.stringify({
        entity: 'event',
        account_id: 'acc_TestAccount01',
        event: 'refund.processed',
        contains: ['refund', 'payment'],
        payload: {
          refund: {
            entity: {
              id,
              entity: 'refund',
              amount,
              currency: 'INR',
              payment_id: paymentId,
              notes: [],
              receipt: null,
              status: 'processed',
            },
          },
          payment: {
            entity: {
              id: paymentId,
              entity: 'payment',
              amount: 250_000,
              currency: 'INR',
              status: 'captured',
              notes: [],
              created_at: 1_700_000_000,
            },
          },
        },
        created_at: 1_700_000_000,
      });
    const post = (body: string, signature: string, eventId: string) =>
      fetch(`${gateway.url.replace('localhost', '127.0.0.1')}/webhooks/razorpay`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-razorpay-signature': signature,
          'x-razorpay-event-id': eventId,
        },
        body,
      });

    const forged = refundBody('rfnd_ForgedRefund01', 250_000);
    expect((await post(forged, 'f'.repeat(64), 'ForgedRefund01')).status).toBe(401);
    expect((await post(forged, signWebhookBody(forged, 'whsec-someone-else'), 'ForgedRefund02')).status).toBe(
      401,
    );
    await queue.idle();
    let d = await detail(link.id);
    expect(d.json.refunds).toEqual([]);
    expect(d.json.attention).toBe('overpaid');

    // genuine, and delivered twice under two event ids (Razorpay retries): recorded once
    const genuine = refundBody('rfnd_DashboardRef01', 100_000);
    for (const eventId of ['DashRefundEvt01', 'DashRefundEvt02']) {
      expect((await post(genuine, signWebhookBody(genuine, SECRET), eventId)).status).toBe(200);
    }
    await queue.idle();
    d = await detail(link.id);
    expect(d.json.refunds).toEqual([
      expect.objectContaining({
        providerRefundId: 'rfnd_DashboardRef01',
        amount: 100_000,
        status: 'processed',
        external: true,
        reason: null,
        requestedBy: null,
      }),
    ]);
    // ₹1,500 of the surplus is left: the flag stays, and only that much can still be refunded
    expect(d.json.attention).toBe('overpaid');
    const tooMuch = await refund(link.id, { paymentId, amount: 150_001, reason: 'rest' });
    expect(tooMuch.status).toBe(422);
    expect((await emiOf('RF-9'))?.amountCredited).toBe(400_000);
  });
});
