/**
 * The webhook path end to end: the sandbox pays links and delivers signed webhooks over HTTP to
 * the real route (served by the local gateway), the receiver archives to the S3 emulator and
 * enqueues on an in-process queue with a DLQ, and the real worker applies the events against
 * DynamoDB Local and the sandbox. Each test settles by waiting for the sandbox's deliveries and
 * the queue to go idle (no sleeps).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as cancel } from '../../functions/cancel-link/handler';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { main as reconcile } from '../../functions/reconcile/handler';
import { handler as webhook } from '../../functions/webhook/handler';
import { main as worker } from '../../functions/webhook-worker/handler';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { rebuildAggregates } from '../../shared/adapters/dynamo/aggregate-rebuild';
import { documentClient } from '../../shared/adapters/dynamo/client';
import { keys } from '../../shared/adapters/dynamo/schema';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { s3Client } from '../../shared/adapters/s3/client';
import { generateLink } from '../../shared/usecases/generate-link';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { call } from '../support/http';

const emiStore = () => stores().emis;
const linkStore = () => stores().links;

const SECRET = 'whsec-test-current-0001';
const PREVIOUS = 'whsec-test-previous-0001';

// biome-ignore lint/suspicious/noExplicitAny: Razorpay bodies are edited loosely by design
type Json = any;
const SAMPLES: Record<string, { payload: Json }> = JSON.parse(
  readFileSync(new URL('../unit/razorpay/fixtures/razorpay-samples.json', import.meta.url), 'utf8'),
);

let app: TestApp;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let webhookUrl: string;
let queue: LocalQueue;

/** What the worker saw: every event id it finished, and failed records. */
const processed = new Map<string, number>();
let failures = 0;
/** called (once) when a batch reports a failure, before the queue schedules the retry */
let onFailure: (() => void) | undefined;

async function countingWorker(event: SQSEvent): Promise<SQSBatchResponse> {
  const res = await worker(event);
  const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
  for (const r of event.Records) {
    if (failed.has(r.messageId)) continue;
    const id = (JSON.parse(r.body) as { eventId: string }).eventId;
    processed.set(id, (processed.get(id) ?? 0) + 1);
  }
  if (failed.size > 0) {
    failures += failed.size;
    onFailure?.();
    onFailure = undefined;
  }
  return res;
}

/** Waits until the sandbox has nothing left to deliver and the queue nothing left to apply. */
async function settle(): Promise<void> {
  for (;;) {
    const published = app.sandbox.deliveries.length;
    await app.sandbox.webhooksIdle();
    await queue.idle();
    if (app.sandbox.deliveries.length === published && queue.depth === 0) return;
  }
}

const gen = async (body: Record<string, unknown>) => {
  const res = await call(generate, { method: 'POST', path: '/api/payment-links/generate', body });
  expect(res.status, JSON.stringify(res.json)).toBeLessThan(300);
  return res.json as { id: string; razorpayLinkId: string; amount: number; shortUrl: string };
};
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const stored = async (id: string) => (await linkStore().getLink(id))!;
const atRazorpay = async (plink: string) => (await sandboxLinks(app)).find((l) => l.id === plink)?.status;

const base62 = (n: number) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => abc[b % 62]).join('');
};
const newEventId = () => base62(14);
const newPaymentId = () => `pay_${base62(14)}`;

function signedHeaders(body: string | Buffer, opts: { secret?: string; eventId?: string } = {}) {
  const eventId = opts.eventId ?? newEventId();
  return {
    'content-type': 'application/json',
    'user-agent': 'Razorpay-Webhook/v1',
    'request-id': eventId,
    'x-razorpay-event-id': eventId,
    'x-razorpay-signature': signWebhookBody(body, opts.secret ?? SECRET),
  };
}

/** Delivers like Razorpay: over HTTP to the route the gateway serves. */
async function deliver(body: string, headers: Record<string, string> = signedHeaders(body)) {
  const res = await fetch(webhookUrl, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Json };
}

async function eventRecord(eventId: string) {
  const out = await documentClient().send(
    new GetCommand({ TableName: app.names.OPS_TABLE, Key: keys.webhookEvent(eventId), ConsistentRead: true }),
  );
  return out.Item;
}

async function archivedKeys(eventId: string): Promise<string[]> {
  const out = await s3Client().send(
    new ListObjectsV2Command({ Bucket: app.names.RAW_WEBHOOKS_BUCKET, Prefix: 'raw/razorpay/webhooks/' }),
  );
  return (out.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith(`/${eventId}.json`));
}

async function archivedKey(eventId: string): Promise<string | undefined> {
  return (await archivedKeys(eventId))[0];
}

async function archived(eventId: string): Promise<Json> {
  const key = await archivedKey(eventId);
  if (!key) return undefined;
  const out = await s3Client().send(
    new GetObjectCommand({ Bucket: app.names.RAW_WEBHOOKS_BUCKET, Key: key }),
  );
  return { key, ...JSON.parse(await out.Body!.transformToString()) };
}

interface OurLink {
  id: string;
  razorpayLinkId: string;
  amount: number;
}

/** A real-shaped `payment_link.paid`/`partially_paid` body (Razorpay's captured one) for our link. */
/** The payment's credit-ledger entry (what the curated feed reads). */
async function ledger(paymentId: string) {
  const out = await documentClient().send(
    new GetCommand({ TableName: app.names.EMIS_TABLE, Key: keys.credit(paymentId), ConsistentRead: true }),
  );
  return out.Item;
}

function linkPaymentBody(link: OurLink, paymentId: string, amount: number, amountPaid = amount): string {
  const body = structuredClone(SAMPLES['webhook:payment_link.paid:standard:real_capture']!.payload);
  const status = amountPaid >= link.amount ? 'paid' : 'partially_paid';
  const notes = { link_id: link.id, loan_id: 'x', emi_number: '1', lender: 'Acme' };
  body.event = `payment_link.${status}`;
  Object.assign(body.payload.payment_link.entity, {
    id: link.razorpayLinkId,
    amount: link.amount,
    amount_paid: amountPaid,
    reference_id: link.id,
    notes,
    status,
  });
  Object.assign(body.payload.payment.entity, {
    id: paymentId,
    amount,
    base_amount: amount,
    description: `#${link.razorpayLinkId.slice('plink_'.length)}`,
    notes,
  });
  Object.assign(body.payload.order.entity, {
    amount: link.amount,
    amount_paid: amountPaid,
    receipt: link.id,
    notes,
  });
  return JSON.stringify(body);
}

/** A real-shaped `payment.captured` body whose notes name `linkId`, for a Razorpay link id we may not know. */
function paymentCapturedBody(linkId: string, paymentId: string, amount: number): string {
  const body = structuredClone(
    SAMPLES['webhook:payment.captured:payment_link_payment:real_capture']!.payload,
  );
  Object.assign(body.payload.payment.entity, {
    id: paymentId,
    amount,
    base_amount: amount,
    description: `#${base62(14)}`,
    notes: { link_id: linkId, loan_id: 'x', emi_number: '1', lender: 'Acme' },
  });
  return JSON.stringify(body);
}

beforeAll(async () => {
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  webhookUrl = `${gateway.url.replace('localhost', '127.0.0.1')}/webhooks/razorpay`;
  process.env.RAZORPAY_WEBHOOK_SECRET = SECRET;
  delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  app = await startTestApp('webhooks', { webhookUrl, sandbox: { webhookSecret: SECRET } });
  queue = new LocalQueue({
    name: `webhooks-${randomBytes(3).toString('hex')}`,
    handler: countingWorker,
    batchSize: 10,
    concurrency: 2,
    maxReceiveCount: 3,
    visibilityTimeoutMs: 100,
  });
  process.env.WEBHOOK_QUEUE_URL = queue.url;
  const loans = [
    loan('W-SIB', 'Acme', [-2]),
    loan('W-SUR', 'Acme', [-2]),
    loan('W-DUP', 'Acme', [-2]),
    loan('W-ROT', 'Acme', [-1]),
    loan('W-PART', 'Acme', [-1]),
    loan('W-CXL', 'Acme', [-1]),
    loan('W-ERR', 'Acme', [-1]),
    loan('W-POI', 'Acme', [-1]),
    loan('W-MISS', 'Acme', [-1]),
    loan('W-BAD', 'Acme', [-1]),
    loan('W-ARC', 'Acme', [-1]),
  ];
  expect((await call(upsert, { method: 'POST', body: { loans } })).status).toBe(200);
});

afterAll(async () => {
  queue?.close();
  await app?.close();
  await gateway?.close();
});

beforeEach(() => {
  app.sandbox.config = {
    webhookUrl,
    webhookSecret: SECRET,
    errorRate: 0,
    duplicateWebhooks: 1,
    shuffleWebhooks: false,
  };
});

/** Three open links for one EMI; the borrower pays the second (b) by card. */
async function threeLinksPayOne(loanId: string) {
  const a = await gen({ loanId, emiNumber: 1 });
  const b = await gen({ loanId, emiNumber: 1, forceNew: true });
  const c = await gen({ loanId, emiNumber: 1, forceNew: true });
  await settle();
  await pay(b.razorpayLinkId, { method: 'card' });
  await settle();
  return { a, b, c };
}

describe('a payment on one of several links for an EMI', () => {
  async function expectSettledOnB(loanId: string, { a, b, c }: Awaited<ReturnType<typeof threeLinksPayOne>>) {
    expect(await stored(b.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect((await stored(b.id)).payments).toEqual([
      expect.objectContaining({ amount: 250_000, method: 'card', status: 'captured' }),
    ]);
    for (const sibling of [a, c]) {
      expect(await stored(sibling.id)).toMatchObject({
        status: 'cancelled',
        cancelReason: 'sibling_paid',
        amountPaid: 0,
      });
      expect(await atRazorpay(sibling.razorpayLinkId)).toBe('cancelled');
    }
    const emi = await emiStore().getEmi(loanId, 1, true);
    expect(emi).toMatchObject({ amountCredited: 250_000, links: {} });
  }

  it('cancels the two open siblings at Razorpay and locally and credits the EMI once', async () => {
    const links = await threeLinksPayOne('W-SIB');
    await expectSettledOnB('W-SIB', links);
    const deliveries = app.sandbox.deliveries;
    expect(deliveries.every((d) => d.status_code === 200)).toBe(true);
    // the three events of the payment, and Razorpay's word on each cancellation
    const events = deliveries.map((d) => d.event);
    expect(events.filter((e) => e === 'payment_link.cancelled').length).toBeGreaterThanOrEqual(2);
    for (const e of ['payment.captured', 'order.paid', 'payment_link.paid']) expect(events).toContain(e);
  });

  it('reaches the same state when every webhook arrives five times and out of order', async () => {
    app.sandbox.config = { duplicateWebhooks: 5, shuffleWebhooks: true };
    const before = new Set(app.sandbox.deliveries.map((d) => d.event_id));
    const links = await threeLinksPayOne('W-DUP');
    await expectSettledOnB('W-DUP', links);
    const fresh = app.sandbox.deliveries.filter((d) => !before.has(d.event_id));
    const ids = new Set(fresh.map((d) => d.event_id));
    expect(fresh.length).toBe(ids.size * 5);
    expect(fresh.every((d) => d.status_code === 200)).toBe(true);
    // deduplicated at the door: the worker applied each event once
    for (const id of ids) expect(processed.get(id)).toBe(1);
  });
});

describe('signatures', () => {
  it.each([
    [
      'a tampered body',
      (body: string) => ({
        body: body.replace('"amount":250000', '"amount":25000000'),
        headers: signedHeaders(body),
      }),
    ],
    [
      'a wrong secret',
      (body: string) => ({ body, headers: signedHeaders(body, { secret: 'not-the-secret' }) }),
    ],
    [
      'no signature header',
      (body: string) => {
        const { 'x-razorpay-signature': _, ...headers } = signedHeaders(body);
        return { body, headers };
      },
    ],
    [
      'a malformed signature',
      (body: string) => ({ body, headers: { ...signedHeaders(body), 'x-razorpay-signature': 'zz' } }),
    ],
  ])('answers 401 to %s and stores, archives and applies nothing', async (_name, forge) => {
    const link = await gen({ loanId: 'W-BAD', emiNumber: 1 });
    const forged = forge(linkPaymentBody(link, newPaymentId(), 250_000));
    const eventId = forged.headers['x-razorpay-event-id'];
    const res = await deliver(forged.body, forged.headers);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    await settle();
    expect(await eventRecord(eventId)).toBeUndefined();
    expect(await archivedKey(eventId)).toBeUndefined();
    expect(await stored(link.id)).toMatchObject({ status: 'created', amountPaid: 0, payments: [] });
  });

  it('accepts events signed with the previous secret during a rotation, and not after it', async () => {
    const link = await gen({ loanId: 'W-ROT', emiNumber: 1 });
    process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS = PREVIOUS;
    try {
      // events Razorpay created before the rotation (and their retries) carry the old signature
      app.sandbox.config = { webhookSecret: PREVIOUS };
      await pay(link.razorpayLinkId);
      await settle();
      expect(
        app.sandbox.deliveries.filter((d) => d.url === webhookUrl).every((d) => d.status_code === 200),
      ).toBe(true);
      expect(await stored(link.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    } finally {
      delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
    }
    const late = linkPaymentBody(link, newPaymentId(), 100);
    expect((await deliver(late, signedHeaders(late, { secret: PREVIOUS }))).status).toBe(401);
  });
});

describe('money that needs a person', () => {
  it('flags a partially paid sibling when another link of the EMI is paid', async () => {
    const partial = await gen({
      loanId: 'W-PART',
      emiNumber: 1,
      acceptPartial: true,
      minPartialAmount: 10_000,
    });
    await pay(partial.razorpayLinkId, { amount: 100_000 });
    await settle();
    expect(await stored(partial.id)).toMatchObject({ status: 'partially_paid', amountPaid: 100_000 });
    // the borrower is sent a fresh link for the rest, and pays it
    const rest = await gen({ loanId: 'W-PART', emiNumber: 1, forceNew: true });
    expect(rest.amount).toBe(150_000);
    await pay(rest.razorpayLinkId);
    await settle();
    expect(await stored(rest.id)).toMatchObject({ status: 'paid', amountPaid: 150_000 });
    expect(await stored(partial.id)).toMatchObject({
      status: 'partially_paid',
      attention: 'sibling_partially_paid',
    });
    expect(await emiStore().getEmi('W-PART', 1, true)).toMatchObject({ amountCredited: 250_000 });
  });

  it('credits a payment Razorpay captured on a link we had cancelled, flagged paid_after_cancel', async () => {
    const link = await gen({ loanId: 'W-CXL', emiNumber: 1 });
    const cancelled = await call(cancel, { method: 'POST', pathParameters: { id: link.id } });
    expect(cancelled.json).toMatchObject({ status: 'cancelled', cancelReason: 'manual' });
    await settle();
    // the borrower's payment raced the cancel at Razorpay: its webhooks still arrive
    const paymentId = newPaymentId();
    expect((await deliver(linkPaymentBody(link, paymentId, 250_000))).status).toBe(200);
    await settle();
    expect(await stored(link.id)).toMatchObject({
      status: 'paid',
      amountPaid: 250_000,
      attention: 'paid_after_cancel',
      payments: [expect.objectContaining({ paymentId, status: 'captured' })],
    });
    expect(await emiStore().getEmi('W-CXL', 1, true)).toMatchObject({ amountCredited: 250_000 });
    // flagged, but the EMI needed the money: the ledger entry says so, with no surplus money
    expect(await ledger(paymentId)).toMatchObject({
      amount: 250_000,
      surplusReason: 'paid_after_cancel',
      surplusAmount: 0,
    });
  });

  it('records the whole payment as surplus on the ledger when a sibling cancelled because the EMI was paid takes money', async () => {
    const { a, b } = await threeLinksPayOne('W-SUR');
    const paid = (await stored(b.id)).payments[0]!.paymentId;
    expect(await ledger(paid)).not.toHaveProperty('surplusReason');
    const late = newPaymentId();
    expect((await deliver(linkPaymentBody(a, late, 250_000))).status).toBe(200);
    await settle();
    expect(await stored(a.id)).toMatchObject({ attention: 'paid_after_cancel' });
    expect(await ledger(late)).toMatchObject({
      amount: 250_000,
      surplusReason: 'paid_after_cancel',
      surplusAmount: 250_000,
    });
  });
});

describe('failures', () => {
  it('retries an event while Razorpay fails during sibling cancellation, until done', async () => {
    const paid = await gen({ loanId: 'W-ERR', emiNumber: 1 });
    const sibling = await gen({ loanId: 'W-ERR', emiNumber: 1, forceNew: true });
    await settle();
    const deadBefore = queue.deadLetterCount;
    const failuresBefore = failures;
    app.sandbox.config = { errorRate: 1 };
    // Razorpay recovers as soon as the worker has failed once
    onFailure = () => {
      app.sandbox.config = { errorRate: 0 };
    };
    await pay(paid.razorpayLinkId);
    await settle();
    expect(failures).toBeGreaterThan(failuresBefore);
    expect(queue.deadLetterCount).toBe(deadBefore);
    expect(await stored(paid.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect(await stored(sibling.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
    expect(await atRazorpay(sibling.razorpayLinkId)).toBe('cancelled');
    expect(await emiStore().getEmi('W-ERR', 1, true)).toMatchObject({ amountCredited: 250_000 });
  });

  it('dead-letters a payment that maps to no link of ours, and applies it when replayed after the fix', async () => {
    const linkId = `lnk_${randomBytes(10).toString('hex')}`;
    const paymentId = newPaymentId();
    const deadBefore = queue.deadLetterCount;
    const res = await deliver(paymentCapturedBody(linkId, paymentId, 250_000));
    expect(res.status).toBe(200);
    await settle();
    expect(queue.deadLetterCount).toBe(deadBefore + 1);
    // the cause: our record of that link was missing; it is put right
    await generateLink(linkDeps(), { loanId: 'W-POI', emiNumber: 1 }, { linkId, lenders: '*' });
    expect(queue.replayDeadLetters()).toBe(deadBefore + 1);
    await settle();
    expect(queue.deadLetterCount).toBe(0);
    expect(await stored(linkId)).toMatchObject({
      status: 'paid',
      amountPaid: 250_000,
      payments: [expect.objectContaining({ paymentId })],
    });
    expect(await emiStore().getEmi('W-POI', 1, true)).toMatchObject({ amountCredited: 250_000 });
  });

  it('answers 5xx when it cannot queue; Razorpay’s retry queues it and does not archive it again', async () => {
    const body = JSON.stringify({ entity: 'event', event: 'payment.authorized', payload: {}, contains: [] });
    const headers = signedHeaders(body);
    const eventId = headers['x-razorpay-event-id'];
    process.env.WEBHOOK_QUEUE_URL = 'local://nowhere';
    try {
      const res = await deliver(body, headers);
      expect(res.status).toBe(500);
      expect(res.json.error.code).toBe('INTERNAL_ERROR');
      expect(await eventRecord(eventId)).toMatchObject({ state: 'received', leaseUntil: 0, archived: true });
      expect(await archivedKeys(eventId)).toHaveLength(1);
    } finally {
      process.env.WEBHOOK_QUEUE_URL = queue.url;
    }
    const retry = await deliver(body, headers);
    expect(retry).toMatchObject({ status: 200, json: { received: true, outcome: 'queued' } });
    await settle();
    expect(processed.get(eventId)).toBe(1);
    expect(await archivedKeys(eventId)).toHaveLength(1);
    const record = await eventRecord(eventId);
    expect(record).toMatchObject({ state: 'queued' });
    expect(record).not.toHaveProperty('archived');
    expect(await deliver(body, headers)).toMatchObject({ status: 200, json: { outcome: 'duplicate' } });
  });

  it('answers 5xx when it cannot archive; Razorpay’s retry archives it and does not queue it again', async () => {
    const body = JSON.stringify({ entity: 'event', event: 'payment.authorized', payload: {}, contains: [] });
    const headers = signedHeaders(body);
    const eventId = headers['x-razorpay-event-id'];
    process.env.RAW_WEBHOOKS_BUCKET = `${app.names.RAW_WEBHOOKS_BUCKET}-missing`;
    try {
      const res = await deliver(body, headers);
      expect(res.status).toBe(500);
      // it was queued beside the failed archive: the worker takes it before Razorpay retries
      await settle();
      expect(processed.get(eventId)).toBe(1);
      expect(await eventRecord(eventId)).toMatchObject({ state: 'queued', leaseUntil: 0, enqueued: true });
      expect(await archivedKeys(eventId)).toHaveLength(0);
    } finally {
      process.env.RAW_WEBHOOKS_BUCKET = app.names.RAW_WEBHOOKS_BUCKET;
    }
    const retry = await deliver(body, headers);
    expect(retry).toMatchObject({ status: 200, json: { received: true, outcome: 'queued' } });
    await settle();
    expect(processed.get(eventId)).toBe(1);
    expect(await archived(eventId)).toMatchObject({ eventId, event: 'payment.authorized', body });
    const record = await eventRecord(eventId);
    expect(record).toMatchObject({ state: 'queued' });
    expect(record).not.toHaveProperty('enqueued');
    expect(await deliver(body, headers)).toMatchObject({ status: 200, json: { outcome: 'duplicate' } });
  });

  it('fixes a missed webhook by reconciliation', async () => {
    const paid = await gen({ loanId: 'W-MISS', emiNumber: 1 });
    const sibling = await gen({ loanId: 'W-MISS', emiNumber: 1, forceNew: true });
    app.sandbox.config = { webhookUrl: 'http://127.0.0.1:9/webhooks/razorpay' };
    await pay(paid.razorpayLinkId);
    await app.sandbox.webhooksIdle();
    app.sandbox.config = { webhookUrl };
    expect(await stored(paid.id)).toMatchObject({ status: 'created', amountPaid: 0 });
    const counts = await reconcile({ staleAfterMs: 0 });
    expect(counts.errors).toBe(0);
    await settle();
    expect(await stored(paid.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect(await stored(sibling.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
    expect(await emiStore().getEmi('W-MISS', 1, true)).toMatchObject({ amountCredited: 250_000 });
  });
});

describe('the receiver', () => {
  it('archives the exact bytes with Razorpay’s headers only, and acknowledges a duplicate without doing more', async () => {
    const link = await gen({ loanId: 'W-ARC', emiNumber: 1 });
    // not compact, escaped slash, non-ASCII: anything re-serialised would differ
    const parsed = JSON.parse(linkPaymentBody(link, newPaymentId(), 250_000));
    parsed.payload.payment_link.entity.description = 'EMI ₹2,500 — loan W-ARC <\\/>';
    const body = JSON.stringify(parsed, null, 1).replace('"entity": "event"', '"entity":   "event"');
    const headers = {
      ...signedHeaders(body),
      'x-forwarded-for': '52.66.75.174',
      'x-amzn-trace-id': 'Root=1-abc',
    };
    const eventId = headers['x-razorpay-event-id'];
    const first = await deliver(body, headers);
    const again = await deliver(body, headers);
    expect(first).toMatchObject({ status: 200, json: { outcome: 'queued' } });
    expect(again).toMatchObject({ status: 200, json: { outcome: 'duplicate' } });
    await settle();
    expect(processed.get(eventId)).toBe(1);
    const envelope = await archived(eventId);
    expect(envelope.key).toMatch(
      new RegExp(`^raw/razorpay/webhooks/account=default/dt=\\d{4}-\\d{2}-\\d{2}/${eventId}\\.json$`),
    );
    expect(Buffer.from(envelope.body, 'utf8').equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(envelope.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(envelope).toMatchObject({
      source: 'razorpay',
      eventId,
      accountId: 'default',
      event: 'payment_link.paid',
    });
    expect(Object.keys(envelope.headers).sort()).toEqual(
      ['content-type', 'request-id', 'user-agent', 'x-razorpay-event-id', 'x-razorpay-signature'].sort(),
    );
    expect(await stored(link.id)).toMatchObject({ status: 'paid' });
  });

  it('verifies base64-encoded bodies over the decoded bytes', async () => {
    const body = JSON.stringify({ entity: 'event', event: 'refund.processed', contains: [], payload: {} });
    const res = await call(webhook, {
      method: 'POST',
      rawBody: body,
      base64: true,
      headers: signedHeaders(body),
    });
    expect(res).toMatchObject({ status: 200, json: { outcome: 'queued' } });
    await settle();
  });

  it('archives and acknowledges unknown events and unparseable bodies, applying nothing', async () => {
    const unknown = JSON.stringify({
      entity: 'event',
      event: 'subscription.charged',
      contains: [],
      payload: {},
    });
    const u = signedHeaders(unknown);
    expect(await deliver(unknown, u)).toMatchObject({ status: 200, json: { outcome: 'queued' } });
    const garbage = '{"entity":"event","event":"payment.captured",';
    const g = signedHeaders(garbage);
    expect(await deliver(garbage, g)).toMatchObject({ status: 200, json: { outcome: 'archived' } });
    await settle();
    expect(processed.get(u['x-razorpay-event-id'])).toBe(1);
    expect(processed.has(g['x-razorpay-event-id'])).toBe(false);
    expect((await archived(g['x-razorpay-event-id'])).body).toBe(garbage);
    expect(await archived(u['x-razorpay-event-id'])).toMatchObject({ event: 'subscription.charged' });
  });

  it('answers 413 to an oversized body and 400 without an event id', async () => {
    const huge = JSON.stringify({ event: 'payment.captured', pad: 'x'.repeat(300 * 1024) });
    const big = await deliver(huge);
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    const body = JSON.stringify({ entity: 'event', event: 'payment.authorized', contains: [], payload: {} });
    const { 'x-razorpay-event-id': _, ...headers } = signedHeaders(body);
    const res = await deliver(body, headers);
    expect(res.status).toBe(400);
    expect(res.json.error.details).toEqual([{ field: 'header.x-razorpay-event-id', message: 'is required' }]);
  });
});

describe('Razorpay’s own sample bodies', () => {
  const webhookSamples = Object.entries(SAMPLES).filter(([k]) => k.startsWith('webhook:'));

  it('answers 200 to each and maps every payment, failed attempt and link change to our links', async () => {
    type Group = {
      link?: OurLink;
      loanId: string;
      amount: number;
      partial: boolean;
      samples: [string, Json][];
    };
    const groups = new Map<string, Group>();
    const linkEvents: [string, Json][] = [];
    const acknowledged: string[] = [];
    for (const [key, sample] of webhookSamples) {
      const body = structuredClone(sample.payload);
      const event: string = body.event;
      const payment = body.payload.payment?.entity;
      if (event.startsWith('refund.') || event === 'payment.authorized') acknowledged.push(key);
      if (event === 'payment_link.cancelled' || event === 'payment_link.expired') {
        linkEvents.push([key, body]);
      } else if (payment && !event.startsWith('refund.')) {
        const plink = body.payload.payment_link?.entity;
        const g: Group = groups.get(payment.id) ?? {
          loanId: `S-${groups.size + 1}`,
          amount: plink?.amount ?? payment.amount,
          partial: false,
          samples: [],
        };
        g.partial ||= event === 'payment_link.partially_paid';
        g.samples.push([key, body]);
        groups.set(payment.id, g);
      }
    }
    // the samples file as it is: a changed file must change these on purpose, never silently
    // shrink what the loop below proves (30 samples: 10 payments, 4 link changes, 8 without money)
    expect(webhookSamples).toHaveLength(30);
    expect(groups.size).toBe(10);
    const withMoney = [...groups.values()].filter((g) =>
      g.samples.some(([, body]) => body.event !== 'payment.failed' && body.event !== 'payment.authorized'),
    );
    expect(withMoney).toHaveLength(8);
    expect(linkEvents).toHaveLength(4);
    expect(acknowledged).toHaveLength(8);
    const linkEventLoans = linkEvents.map(([, body], i) =>
      loan(`S-L${i + 1}`, 'Samples', [-1], body.payload.payment_link.entity.amount),
    );
    const groupLoans = [...groups.values()].map((g) => loan(g.loanId, 'Samples', [-1], g.amount));
    expect(
      (await call(upsert, { method: 'POST', body: { loans: [...groupLoans, ...linkEventLoans] } })).status,
    ).toBe(200);

    const deliveries: [string, string][] = [];
    for (const g of groups.values()) {
      const link = await gen({
        loanId: g.loanId,
        emiNumber: 1,
        ...(g.partial ? { acceptPartial: true } : {}),
      });
      g.link = link;
      for (const [key, body] of g.samples) {
        const e = body.payload;
        // by the evidence each event carries: notes, the Razorpay link id, or the reference id
        if (body.event === 'payment_link.paid' || body.event === 'payment_link.partially_paid') {
          e.payment_link.entity.id = link.razorpayLinkId;
        } else if (body.event === 'order.paid') {
          e.order.entity.receipt = link.id;
        } else if (key.includes('real_capture')) {
          e.payment.entity.description = `#${link.razorpayLinkId.slice('plink_'.length)}`;
        } else {
          e.payment.entity.notes = { link_id: link.id };
        }
        deliveries.push([key, JSON.stringify(body)]);
      }
    }
    const stateLinks: [string, OurLink][] = [];
    for (const [i, [key, body]] of linkEvents.entries()) {
      const link = await gen({ loanId: `S-L${i + 1}`, emiNumber: 1 });
      body.payload.payment_link.entity.id = link.razorpayLinkId;
      stateLinks.push([body.event, link]);
      deliveries.push([key, JSON.stringify(body)]);
    }
    await settle();
    const deadBefore = queue.deadLetterCount;
    for (const [key, body] of deliveries) {
      expect((await deliver(body)).status, key).toBe(200);
    }
    await settle();
    expect(queue.deadLetterCount).toBe(deadBefore);

    for (const [paymentId, g] of groups) {
      const link = await stored(g.link!.id);
      const events = g.samples.map(([k]) => k.split(':')[1]);
      const captured = events.some((e) => e !== 'payment.failed' && e !== 'payment.authorized');
      const mine = link.payments.filter((p) => p.paymentId === paymentId);
      expect(mine, `${paymentId} ${events}`).toHaveLength(1);
      if (captured) {
        expect(mine[0]!.status).toBe('captured');
        expect(link.status).toBe(g.partial ? 'partially_paid' : 'paid');
        const paid = g.samples[0]![1].payload.payment.entity.amount;
        expect(link.amountPaid).toBe(paid);
        expect((await emiStore().getEmi(g.loanId, 1, true))!.amountCredited).toBe(paid);
      } else {
        expect(mine[0]!.status).toBe('failed');
        expect(link).toMatchObject({ status: 'created', amountPaid: 0, failedAttempts: 1 });
      }
    }
    for (const [event, link] of stateLinks) {
      const after = await stored(link.id);
      if (event === 'payment_link.cancelled')
        expect(after).toMatchObject({ status: 'cancelled', cancelReason: 'razorpay' });
      else expect(after.status).toBe('expired');
    }
    expect(acknowledged.length).toBeGreaterThan(0);
  });
});

describe("the dashboard's kept totals (§4d)", () => {
  it('equal the rebuild after duplicate and out-of-order webhooks and concurrent generates, and never go negative', async () => {
    expect(
      (await call(upsert, { method: 'POST', body: { loans: [loan('W-AGG', 'Acme', [-40, -5, 10])] } }))
        .status,
    ).toBe(200);
    app.sandbox.config = { duplicateWebhooks: 3, shuffleWebhooks: true };
    const first = await Promise.all([
      gen({ loanId: 'W-AGG', emiNumber: 1, forceNew: true }),
      gen({ loanId: 'W-AGG', emiNumber: 1, forceNew: true }),
      gen({ loanId: 'W-AGG', emiNumber: 2, acceptPartial: true, forceNew: true }),
      gen({ loanId: 'W-AGG', emiNumber: 2, acceptPartial: true, forceNew: true }),
    ]);
    await settle();
    await pay(first[0]!.razorpayLinkId);
    await pay(first[2]!.razorpayLinkId, { amount: 100_000 });
    await settle();
    // the whole file's webhooks (good, duplicated, shuffled, refused, flagged) went through the
    // same writes: every kept total equals what the records say
    const report = await rebuildAggregates({
      emisTable: app.names.EMIS_TABLE,
      linksTable: app.names.LINKS_TABLE,
    });
    expect(report.counters.differences).toEqual([]);
    expect(report.summaries.loans).toEqual([]);
    expect(report.counters.negative).toBe(0);
    expect(report.exact).toBe(true);
    expect(report.scanned.credits).toBeGreaterThan(2);
    expect(await stored(first[1]!.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
  });
});
