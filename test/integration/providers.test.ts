/**
 * The core flow, parametrised over both payment providers (issue 19): through the local gateway
 * to DynamoDB Local, s3rver and the two sandboxes — Kaveri Finance on the `default` Razorpay
 * account, Deccan Credit on the EximPe account `deccan`. For each: generate, pay at the sandbox,
 * the signed webhook crediting the EMI once (duplicates too) and deactivating the sibling,
 * refresh, reconcile, and a bulk CSV. Then EximPe's own refusals: forged or replayed webhooks,
 * an amount the API does not confirm, options EximPe lacks, credentials EximPe rejects.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as bulkWorker } from '../../functions/bulk-worker/handler';
import { main as reconcile } from '../../functions/reconcile/handler';
import { main as webhookWorker } from '../../functions/webhook-worker/handler';
import {
  EXIMPE_DECCAN_CLIENT_ID,
  EXIMPE_DECCAN_CLIENT_SECRET,
  EXIMPE_DECCAN_WEBHOOK_SECRET,
  sortedJson,
} from '../../local/eximpe-sandbox/server';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { s3Client } from '../../shared/adapters/s3/client';
import { stores } from '../../shared/wiring';
import { api as apiAt } from '../support/api';
import { startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';

const emiStore = () => stores().emis;

const KAVERI = 'Kaveri Finance';
const DECCAN = 'Deccan Credit';
const DEFAULT_SECRET = 'whsec-providers-default-1';

let app: TestApp;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let base: string;
let webhookQueue: LocalQueue;
let bulkQueue: LocalQueue;
const tokens: Record<string, string> = {};
const api = (method: string, path: string, who: string, body?: unknown, headers?: Record<string, string>) =>
  apiAt(gateway.url, method, path, tokens[who]!, body, headers);

/** every webhook of both sandboxes delivered and applied */
async function settle(): Promise<void> {
  for (;;) {
    const published = app.sandbox.deliveries.length + app.eximpe!.deliveries.length;
    await Promise.all([app.sandbox.webhooksIdle(), app.eximpe!.webhooksIdle()]);
    await webhookQueue.idle();
    if (
      app.sandbox.deliveries.length + app.eximpe!.deliveries.length === published &&
      webhookQueue.depth === 0
    )
      return;
  }
}

interface Case {
  provider: 'razorpay' | 'eximpe';
  lender: string;
  prefix: string;
  accountId: string;
  /** the sandbox's control API */
  control: (path: string, body?: unknown) => Promise<Response>;
  /** turns the provider's webhooks for this account off or on */
  webhooks: (on: boolean) => void;
  shortUrlBase: () => string;
}

const CASES: Case[] = [
  {
    provider: 'razorpay',
    lender: KAVERI,
    prefix: 'PR-K',
    accountId: 'default',
    control: (path, body) =>
      fetch(`${app.sandbox.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      }),
    webhooks: (on) => {
      app.sandbox.config = { webhookUrl: on ? `${base}/webhooks/razorpay` : '' };
    },
    shortUrlBase: () => app.sandbox.publicBaseUrl,
  },
  {
    provider: 'eximpe',
    lender: DECCAN,
    prefix: 'PR-D',
    accountId: 'deccan',
    control: (path, body) =>
      fetch(`${app.eximpe!.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      }),
    webhooks: (on) => {
      app.eximpe!.addAccount({
        clientId: EXIMPE_DECCAN_CLIENT_ID,
        clientSecret: EXIMPE_DECCAN_CLIENT_SECRET,
        webhookSecret: EXIMPE_DECCAN_WEBHOOK_SECRET,
        webhookUrl: on ? `${base}/webhooks/eximpe/deccan` : '',
      });
    },
    shortUrlBase: () => app.eximpe!.publicBaseUrl,
  },
];

beforeAll(async () => {
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  base = gateway.url.replace('localhost', '127.0.0.1');
  process.env.RAZORPAY_WEBHOOK_SECRET = DEFAULT_SECRET;
  delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  app = await startTestApp('providers', {
    webhookUrl: `${base}/webhooks/razorpay`,
    sandbox: { webhookSecret: DEFAULT_SECRET, webhookRetryDelaysMs: [50, 100] },
    eximpe: { webhookRetryDelaysMs: [50, 100] },
  });
  CASES[1]!.webhooks(true);
  const suffix = randomBytes(3).toString('hex');
  webhookQueue = new LocalQueue({
    name: `providers-wh-${suffix}`,
    handler: (event: SQSEvent): Promise<SQSBatchResponse> => webhookWorker(event),
    batchSize: 10,
    concurrency: 2,
    maxReceiveCount: 3,
    visibilityTimeoutMs: 100,
  });
  bulkQueue = new LocalQueue({
    name: `providers-bulk-${suffix}`,
    handler: (event) => bulkWorker(event),
    batchSize: 1,
    concurrency: 2,
    maxReceiveCount: 5,
    visibilityTimeoutMs: 200,
  });
  Object.assign(process.env, {
    WEBHOOK_QUEUE_URL: webhookQueue.url,
    BULK_QUEUE_URL: bulkQueue.url,
    BULK_RATE_PER_SECOND: '50',
  });
  const issuer = app.names.issuer;
  Object.assign(tokens, {
    admin: await issuer.person('admin', ['*']),
    ops: await issuer.machine('emi-links/read emi-links/write emi-links/loans.write'),
  });
  const put = await api('PUT', '/api/payment-accounts/deccan', 'admin', {
    name: 'Deccan Credit (EximPe)',
    provider: 'eximpe',
    clientId: EXIMPE_DECCAN_CLIENT_ID,
    clientSecret: EXIMPE_DECCAN_CLIENT_SECRET,
    webhookSecret: EXIMPE_DECCAN_WEBHOOK_SECRET,
    lenders: [DECCAN],
  });
  expect(put.status, JSON.stringify(put.json)).toBe(201);
  expect(put.json).toMatchObject({
    provider: 'eximpe',
    keyId: EXIMPE_DECCAN_CLIENT_ID,
    webhookUrl: `${base}/webhooks/eximpe/deccan`,
  });
  expect(JSON.stringify(put.json)).not.toContain(EXIMPE_DECCAN_CLIENT_SECRET);
  const loans = CASES.flatMap((c) => [
    loan(`${c.prefix}-1`, c.lender, [-3, 2]),
    loan(`${c.prefix}-2`, c.lender, [-2]),
    loan(`${c.prefix}-3`, c.lender, [-2]),
    loan(`${c.prefix}-4`, c.lender, [-1]),
    loan(`${c.prefix}-B1`, c.lender, [-5]),
    loan(`${c.prefix}-B2`, c.lender, [-4]),
    loan(`${c.prefix}-L`, c.lender, [-30, -3]),
  ]);
  // a 503 TIMEOUT (the route ran out of time on a loaded machine) is repeated: the upsert is idempotent
  let res = await api('POST', '/api/loans', 'ops', { loans: [...loans, loan('PR-X-1', DECCAN, [-1])] });
  for (let retry = 0; retry < 5 && res.status === 503; retry++)
    res = await api('POST', '/api/loans', 'ops', { loans: [...loans, loan('PR-X-1', DECCAN, [-1])] });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  webhookQueue?.close();
  bulkQueue?.close();
  await app?.close();
  await gateway?.close();
});

describe.each(CASES)('the core flow on $provider', (c) => {
  it('generates a link on the lender’s provider; paying it credits the EMI once and deactivates the sibling', async () => {
    const loanId = `${c.prefix}-1`;
    const first = await api('POST', '/api/payment-links/generate', 'ops', { loanId, emiNumber: 1 });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.json).toMatchObject({ provider: c.provider, accountId: c.accountId, status: 'created' });
    expect(first.json.providerLinkId).toBeTruthy();
    expect(first.json.razorpayLinkId).toBe(c.provider === 'razorpay' ? first.json.providerLinkId : null);
    expect(first.json.shortUrl.startsWith(c.shortUrlBase())).toBe(true);
    const sibling = await api('POST', '/api/payment-links/generate', 'ops', {
      loanId,
      emiNumber: 1,
      forceNew: true,
    });
    expect(sibling.status).toBe(201);

    if (c.provider === 'eximpe') app.eximpe!.configure({ duplicateWebhooks: 3 });
    else app.sandbox.config = { duplicateWebhooks: 3 };
    try {
      const paid = await c.control(`/_sandbox/payment_links/${first.json.providerLinkId}/pay`, {});
      expect(paid.status).toBe(200);
      await settle();
    } finally {
      if (c.provider === 'eximpe') app.eximpe!.configure({ duplicateWebhooks: 0 });
      else app.sandbox.config = { duplicateWebhooks: 0 };
    }
    const link = await api('GET', `/api/payment-links/list?loanId=${loanId}`, 'ops');
    const byId = new Map(link.json.items.map((l: { id: string }) => [l.id, l]));
    expect(byId.get(first.json.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect(byId.get(sibling.json.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
    const emi = await emiStore().getEmi(loanId, 1, true);
    expect(emi?.amountCredited).toBe(250_000);
    // the sibling is closed at the provider too: paying it is refused there
    const late = await c.control(`/_sandbox/payment_links/${sibling.json.providerLinkId}/pay`, {});
    expect(late.status).toBe(400);
  });

  it('a loan link (scope loan) on the lender’s provider: paid once, each covered EMI credited once', async () => {
    const loanId = `${c.prefix}-L`;
    const made = await api('POST', '/api/payment-links/generate', 'ops', { loanId, scope: 'loan' });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    expect(made.json).toMatchObject({
      provider: c.provider,
      scope: 'loan',
      amount: 500_000,
      status: 'created',
    });
    if (c.provider === 'eximpe') app.eximpe!.configure({ duplicateWebhooks: 3 });
    else app.sandbox.config = { duplicateWebhooks: 3 };
    try {
      const paid = await c.control(`/_sandbox/payment_links/${made.json.providerLinkId}/pay`, {});
      expect(paid.status).toBe(200);
      await settle();
    } finally {
      if (c.provider === 'eximpe') app.eximpe!.configure({ duplicateWebhooks: 0 });
      else app.sandbox.config = { duplicateWebhooks: 0 };
    }
    const detail = await api('GET', `/api/payment-links/${made.json.id}`, 'ops');
    expect(detail.json).toMatchObject({ status: 'paid', amountPaid: 500_000 });
    expect(detail.json.allocations).toHaveLength(1);
    for (const n of [1, 2]) expect((await emiStore().getEmi(loanId, n, true))?.amountCredited).toBe(250_000);
  });

  it('refresh reads a payment the webhook never brought', async () => {
    const loanId = `${c.prefix}-2`;
    const gen = await api('POST', '/api/payment-links/generate', 'ops', { loanId, emiNumber: 1 });
    expect(gen.status).toBe(201);
    c.webhooks(false);
    try {
      expect((await c.control(`/_sandbox/payment_links/${gen.json.providerLinkId}/pay`, {})).status).toBe(
        200,
      );
    } finally {
      c.webhooks(true);
    }
    const refreshed = await api('POST', `/api/payment-links/${gen.json.id}/refresh-status`, 'ops');
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    expect(refreshed.json).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect(refreshed.json.payments).toHaveLength(1);
    expect((await emiStore().getEmi(loanId, 1, true))?.amountCredited).toBe(250_000);
  });

  it('reconciliation credits a payment no webhook reported', async () => {
    const loanId = `${c.prefix}-3`;
    const gen = await api('POST', '/api/payment-links/generate', 'ops', { loanId, emiNumber: 1 });
    expect(gen.status).toBe(201);
    c.webhooks(false);
    try {
      expect((await c.control(`/_sandbox/payment_links/${gen.json.providerLinkId}/pay`, {})).status).toBe(
        200,
      );
    } finally {
      c.webhooks(true);
    }
    await reconcile({ staleAfterMs: 0, limit: 500 });
    expect((await emiStore().getEmi(loanId, 1, true))?.amountCredited).toBe(250_000);
  });

  it('bulk CSV: one row per EMI, each a link of the lender’s provider', async () => {
    const emis = [
      { loanId: `${c.prefix}-B1`, emiNumber: 1 },
      { loanId: `${c.prefix}-B2`, emiNumber: 1 },
    ];
    const started = await api('POST', '/api/payment-links/bulk-generate-export', 'ops', { emis });
    expect([200, 202], JSON.stringify(started.json)).toContain(started.status);
    let job = started.json;
    for (let i = 0; i < 600 && job.status !== 'completed' && job.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`, 'ops')).json;
    }
    expect(job).toMatchObject({ status: 'completed', created: 2, failed: 0 });
    const csv = await (await fetch(job.csvUrl)).text();
    const rows = csv.trim().split('\r\n').slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toContain(c.shortUrlBase());
  });
});

describe('EximPe webhooks and refusals', () => {
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${base}/webhooks/eximpe/deccan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('refuses a forged or unsigned delivery with 401 and stores nothing', async () => {
    const body = sortedJson({
      event_type: 'PAYMENT_SUCCESSFUL',
      sequence_number: 'forged-0001',
      data: { payment_id: 'PR0000000001', order_id: 'OD1' },
    });
    expect((await post(body, {})).status).toBe(401);
    expect(
      (await post(body, { 'x-webhook-signature': signWebhookBody(body, 'not-the-secret') })).status,
    ).toBe(401);
    expect((await post(body, { 'x-webhook-signature': signWebhookBody(body, DEFAULT_SECRET) })).status).toBe(
      401,
    );
    const listed = await s3Client().send(
      new ListObjectsV2Command({ Bucket: app.names.RAW_WEBHOOKS_BUCKET, Prefix: 'raw/eximpe/webhooks/' }),
    );
    expect((listed.Contents ?? []).some((o) => o.Key?.includes('forged-0001'))).toBe(false);
  });

  it('archives a signed delivery raw under raw/eximpe/webhooks/, and a replay is a duplicate', async () => {
    const gen = await api('POST', '/api/payment-links/generate', 'ops', { loanId: 'PR-X-1', emiNumber: 1 });
    expect(gen.status).toBe(201);
    {
      // a signed event whose amount disagrees with EximPe's API: flagged, never credited
      const payment = app.eximpe!.pay(gen.json.providerLinkId);
      await settle();
      // the genuine delivery credited it; now a second, signed, with a wrong amount
      const body = sortedJson({
        event_type: 'PAYMENT_SUCCESSFUL',
        event_time: '2026-12-03 05:00:00',
        version: '1.0',
        sequence_number: 'b3e91f47-20ad-4c85-9f31-6d0a87145e2b',
        data: { payment_id: payment.payment_id, order_id: 'OD1', status: 'CAPTURED', amount: '1.00' },
      });
      const headers = { 'x-webhook-signature': signWebhookBody(body, EXIMPE_DECCAN_WEBHOOK_SECRET) };
      const first = await post(body, headers);
      expect(first.status).toBe(200);
      expect((await first.json()).outcome).toBe('queued');
      const replay = await post(body, headers);
      expect((await replay.json()).outcome).toBe('duplicate');
      await settle();
      const link = await api('GET', `/api/payment-links/list?loanId=PR-X-1`, 'ops');
      expect(link.json.items[0]).toMatchObject({
        status: 'paid',
        amountPaid: 250_000,
        attention: 'invalid_event',
      });
      expect((await emiStore().getEmi('PR-X-1', 1, true))?.amountCredited).toBe(250_000);
      const listed = await s3Client().send(
        new ListObjectsV2Command({
          Bucket: app.names.RAW_WEBHOOKS_BUCKET,
          Prefix: 'raw/eximpe/webhooks/account=deccan/',
        }),
      );
      expect(
        (listed.Contents ?? []).some((o) =>
          o.Key?.endsWith('eximpe-b3e91f47-20ad-4c85-9f31-6d0a87145e2b.json'),
        ),
      ).toBe(true);
    }
  });

  it('answers 422 for options EximPe lacks, naming them', async () => {
    const res = await api('POST', '/api/payment-links/generate', 'ops', {
      loanId: `${CASES[1]!.prefix}-1`,
      emiNumber: 2,
      acceptPartial: true,
      notify: { sms: true },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(422);
    expect(res.json.error.message).toMatch(/not supported by this lender's provider \(EximPe\)/);
    expect(res.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'acceptPartial',
      'notify',
    ]);
  });

  it('answers 422 for a bulk job of an EximPe lender asking what EximPe lacks, before any work', async () => {
    const jobsBefore = (await api('GET', '/api/payment-links/bulk-jobs', 'ops')).json.items.length;
    const res = await api('POST', '/api/payment-links/bulk-generate-export', 'ops', {
      lender: CASES[1]!.lender,
      bucket: 'all',
      withinDays: 30,
      acceptPartial: true,
      reminders: true,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(422);
    expect(res.json.error.message).toMatch(/not supported by this lender's provider \(EximPe\)/);
    expect(res.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'acceptPartial',
      'reminders',
    ]);
    // no job was recorded
    expect((await api('GET', '/api/payment-links/bulk-jobs', 'ops')).json.items).toHaveLength(jobsBefore);
    // the same options for the Razorpay lender are fine
    const rzp = await api('POST', '/api/payment-links/bulk-generate-export', 'ops', {
      lender: CASES[0]!.lender,
      bucket: 'all',
      withinDays: 0,
      acceptPartial: true,
      reminders: true,
    });
    expect([200, 202], JSON.stringify(rzp.json)).toContain(rzp.status);
  });

  it('an EximPe link: a new expiry goes through EximPe’s extend; resend and other changes are 422 naming the field', async () => {
    const gen = await api('POST', '/api/payment-links/generate', 'ops', {
      loanId: `${CASES[1]!.prefix}-4`,
      emiNumber: 1,
    });
    expect(gen.status, JSON.stringify(gen.json)).toBe(201);
    const id = gen.json.id as string;

    const resend = await api('POST', `/api/payment-links/${id}/notify`, 'ops', { via: 'sms' });
    expect(resend.status, JSON.stringify(resend.json)).toBe(422);
    expect(resend.json.error.details).toEqual([
      { field: 'via', message: "is not supported by this link's provider (EximPe)" },
    ]);
    const reminders = await api('PATCH', `/api/payment-links/${id}`, 'ops', { reminders: false });
    expect(reminders.status, JSON.stringify(reminders.json)).toBe(422);
    expect(reminders.json.error.details[0].field).toBe('reminders');

    const expireBy = new Date(Date.now() + 3 * 86_400_000);
    expireBy.setUTCMilliseconds(0);
    const extended = await api('PATCH', `/api/payment-links/${id}`, 'ops', {
      expireBy: expireBy.toISOString(),
    });
    expect(extended.status, JSON.stringify(extended.json)).toBe(200);
    expect(Date.parse(extended.json.expireBy)).toBe(expireBy.getTime());
    expect(extended.json.events.map((e: { type: string }) => e.type)).toContain('updated');
    // EximPe itself holds the new expiry
    const refreshed = await api('POST', `/api/payment-links/${id}/refresh-status`, 'ops');
    expect(refreshed.status).toBe(200);
    expect(Date.parse(refreshed.json.expireBy)).toBe(expireBy.getTime());
  });

  it('refuses EximPe credentials EximPe rejects (422), and Razorpay fields on an EximPe account (400)', async () => {
    const bad = await api('PUT', '/api/payment-accounts/tunga', 'admin', {
      name: 'Tunga',
      provider: 'eximpe',
      clientId: 'eximpe-unknown-client',
      clientSecret: 'not-a-real-secret-000',
      webhookSecret: 'whsec-tunga-0000001',
      lenders: [],
    });
    expect(bad.status, JSON.stringify(bad.json)).toBe(422);
    expect(bad.json.error.details[0].field).toBe('clientSecret');
    const mixed = await api('PUT', '/api/payment-accounts/tunga', 'admin', {
      name: 'Tunga',
      provider: 'eximpe',
      keyId: 'rzp_test_Tunga000001',
      clientId: EXIMPE_DECCAN_CLIENT_ID,
      clientSecret: EXIMPE_DECCAN_CLIENT_SECRET,
      webhookSecret: 'whsec-tunga-0000001',
      lenders: [],
    });
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.details.map((d: { field: string }) => d.field)).toContain('keyId');
  });
});

describe('a lender that moves providers', () => {
  it('keeps its old links on the old provider; new links go to the new one', async () => {
    const rzp = {
      keyId: 'rzp_test_DeccanMoved01',
      keySecret: 'deccan-moved-secret-01',
      webhookSecret: 'whsec-deccan-moved-01',
    };
    app.sandbox.addAccount({ ...rzp, webhookUrl: `${base}/webhooks/razorpay/deccan-rzp` });
    const old = await api('POST', '/api/payment-links/generate', 'ops', {
      loanId: `${CASES[1]!.prefix}-1`,
      emiNumber: 2,
    });
    expect(old.status).toBe(201);
    expect(old.json.provider).toBe('eximpe');
    const release = await api('PUT', '/api/payment-accounts/deccan', 'admin', {
      name: 'Deccan Credit (EximPe)',
      provider: 'eximpe',
      clientId: EXIMPE_DECCAN_CLIENT_ID,
      clientSecret: EXIMPE_DECCAN_CLIENT_SECRET,
      webhookSecret: EXIMPE_DECCAN_WEBHOOK_SECRET,
      lenders: [],
    });
    expect(release.status).toBe(200);
    const moved = await api('PUT', '/api/payment-accounts/deccan-rzp', 'admin', {
      name: 'Deccan Credit (Razorpay)',
      ...rzp,
      lenders: [DECCAN],
    });
    expect(moved.status, JSON.stringify(moved.json)).toBe(201);

    // the old link: refreshed and paid through EximPe, as ever
    expect(
      (await CASES[1]!.control(`/_sandbox/payment_links/${old.json.providerLinkId}/pay`, {})).status,
    ).toBe(200);
    await settle();
    const refreshed = await api('POST', `/api/payment-links/${old.json.id}/refresh-status`, 'ops');
    expect(refreshed.json).toMatchObject({ provider: 'eximpe', accountId: 'deccan', status: 'paid' });
    // a new link of the same lender: Razorpay, on the new account
    const another = await api('POST', '/api/payment-links/generate', 'ops', {
      loanId: `${CASES[1]!.prefix}-B1`,
      emiNumber: 1,
      forceNew: true,
    });
    expect(another.status, JSON.stringify(another.json)).toBe(201);
    expect(another.json).toMatchObject({ provider: 'razorpay', accountId: 'deccan-rzp' });
  });
});
