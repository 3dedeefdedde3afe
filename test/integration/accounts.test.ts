/**
 * Payment accounts end to end (architecture §4b), through the local gateway to DynamoDB Local,
 * s3rver and a sandbox holding two merchants: admin routes and their refusals, links created,
 * refreshed and cancelled through their lender's account, each merchant's webhooks on its own
 * URL crediting the right EMI, cross-account signatures refused, rotation keeping the old
 * secret working, and secrets never answered (never logged: redaction.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as worker } from '../../functions/webhook-worker/handler';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { signWebhookBody } from '../../shared/adapters/razorpay/signature';
import { s3Client } from '../../shared/adapters/s3/client';
import { stores } from '../../shared/wiring';
import { api as apiAt, expectForbidden, type Reply } from '../support/api';
import { startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import type { TestIssuer } from '../support/token-issuer';

const emiStore = () => stores().emis;
const linkStore = () => stores().links;

const KAVERI = 'Kaveri Finance';
const DECCAN = 'Deccan Credit';
const SAHYADRI = 'Sahyadri Microfin';
const TUNGA = 'Tunga Capital';

const DEFAULT_SECRET = 'whsec-accounts-default-01';
const SAHYADRI_KEYS = {
  keyId: 'rzp_test_SahyadriTest01',
  keySecret: 'sahyadri-key-secret-0001',
  webhookSecret: 'whsec-sahyadri-current-01',
};
const TUNGA_KEYS = {
  keyId: 'rzp_test_TungaTest0001',
  keySecret: 'tunga-key-secret-000001',
  webhookSecret: 'whsec-tunga-current-0001',
};

let app: TestApp;
let issuer: TestIssuer;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let base: string;
let queue: LocalQueue;
const tokens: Record<string, string> = {};
const api = (
  method: string,
  path: string,
  who: string | null,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, who === null ? null : tokens[who]!, body, headers);

async function settle(): Promise<void> {
  for (;;) {
    const published = app.sandbox.deliveries.length;
    await app.sandbox.webhooksIdle();
    await queue.idle();
    if (app.sandbox.deliveries.length === published && queue.depth === 0) return;
  }
}

const sahyadriAccount = (over: Record<string, unknown> = {}) => ({
  name: 'Sahyadri Microfin',
  ...SAHYADRI_KEYS,
  lenders: [SAHYADRI],
  ...over,
});

async function generate(loanId: string, emiNumber = 1): Promise<Reply> {
  return api('POST', '/api/payment-links/generate', 'ops', { loanId, emiNumber });
}

beforeAll(async () => {
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  base = gateway.url.replace('localhost', '127.0.0.1');
  process.env.RAZORPAY_WEBHOOK_SECRET = DEFAULT_SECRET;
  delete process.env.RAZORPAY_WEBHOOK_SECRET_PREVIOUS;
  app = await startTestApp('accounts', {
    webhookUrl: `${base}/webhooks/razorpay`,
    sandbox: { webhookSecret: DEFAULT_SECRET, webhookRetryDelaysMs: [50, 100] },
  });
  issuer = app.names.issuer;
  // the sandbox's second and third merchants, each posting to its own URL
  app.sandbox.addAccount({ ...SAHYADRI_KEYS, webhookUrl: `${base}/webhooks/razorpay/sahyadri` });
  app.sandbox.addAccount({ ...TUNGA_KEYS, webhookUrl: `${base}/webhooks/razorpay/tunga` });
  queue = new LocalQueue({
    name: `accounts-${randomBytes(3).toString('hex')}`,
    handler: (event: SQSEvent): Promise<SQSBatchResponse> => worker(event),
    batchSize: 10,
    concurrency: 2,
    maxReceiveCount: 3,
    visibilityTimeoutMs: 100,
  });
  process.env.WEBHOOK_QUEUE_URL = queue.url;
  Object.assign(tokens, {
    admin: await issuer.person('admin', ['*']),
    collector: await issuer.person('collector', ['*']),
    ops: await issuer.machine('emi-links/read emi-links/write emi-links/loans.write'),
  });
  const res = await api('POST', '/api/loans', 'ops', {
    loans: [
      loan('K-ACC-1', KAVERI, [-3, 2]),
      loan('D-ACC-1', DECCAN, [-2]),
      loan('S-ACC-1', SAHYADRI, [-4, -1]),
      loan('S-ACC-2', SAHYADRI, [-2]),
      loan('S-ACC-3', SAHYADRI, [-2]),
      loan('T-ACC-1', TUNGA, [-1]),
    ],
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  queue?.close();
  await app?.close();
  await gateway?.close();
});

describe('the admin routes', () => {
  it('creates an account (201), lists it with its webhook URL and never answers a secret', async () => {
    const put = await api('PUT', '/api/payment-accounts/sahyadri', 'admin', sahyadriAccount());
    expect(put.status, JSON.stringify(put.json)).toBe(201);
    expect(put.json).toMatchObject({
      accountId: 'sahyadri',
      provider: 'razorpay',
      keyId: SAHYADRI_KEYS.keyId,
      lenders: [SAHYADRI],
      webhookUrl: `${base}/webhooks/razorpay/sahyadri`,
    });
    const list = await api('GET', '/api/payment-accounts', 'admin');
    expect(list.status).toBe(200);
    expect(list.json.items.map((a: { accountId: string }) => a.accountId)).toContain('sahyadri');
    const text = JSON.stringify([put.json, list.json]);
    for (const secret of [SAHYADRI_KEYS.keySecret, SAHYADRI_KEYS.webhookSecret])
      expect(text).not.toContain(secret);
    expect(Object.keys(put.json).sort()).toEqual(
      [
        'accountId',
        'createdAt',
        'keyId',
        'lenders',
        'name',
        'provider',
        'updatedAt',
        'webhookSecretSetAt',
        'webhookUrl',
      ].sort(),
    );
  });

  it('replaces an account (200) with the same secrets, keeping its creation time', async () => {
    const before = (await api('GET', '/api/payment-accounts', 'admin')).json.items.find(
      (a: { accountId: string }) => a.accountId === 'sahyadri',
    );
    const put = await api(
      'PUT',
      '/api/payment-accounts/sahyadri',
      'admin',
      sahyadriAccount({ name: 'Sahyadri MF' }),
    );
    expect(put.status).toBe(200);
    expect(put.json.name).toBe('Sahyadri MF');
    expect(put.json.createdAt).toBe(before.createdAt);
    expect(put.json.webhookSecretSetAt).toBe(before.webhookSecretSetAt);
  });

  it('refuses non-admins with 403 on every account route, changing nothing', async () => {
    expectForbidden(await api('GET', '/api/payment-accounts', 'collector'));
    expectForbidden(
      await api('PUT', '/api/payment-accounts/evil', 'collector', sahyadriAccount({ lenders: [] })),
    );
    expectForbidden(await api('PUT', '/api/payment-accounts/evil', 'ops', sahyadriAccount({ lenders: [] })));
    expectForbidden(
      await api('POST', '/api/payment-accounts/sahyadri/webhook-secret', 'collector', {
        webhookSecret: 'whsec-hijack-0000001',
      }),
    );
    expect((await api('GET', '/api/payment-accounts', null)).status).toBe(401);
    const ids = (await api('GET', '/api/payment-accounts', 'admin')).json.items.map(
      (a: { accountId: string }) => a.accountId,
    );
    expect(ids).not.toContain('evil');
  });

  it('answers 400 naming the field for a malformed id, a bad key id, missing secrets or unknown fields', async () => {
    const bad = async (path: string, body: unknown, field: string) => {
      const res = await api('PUT', path, 'admin', body);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
      return res;
    };
    await bad('/api/payment-accounts/No_Caps', sahyadriAccount(), 'path.accountId');
    await bad('/api/payment-accounts/ab', sahyadriAccount(), 'path.accountId');
    await bad('/api/payment-accounts/newone', sahyadriAccount({ keyId: 'key_123456789' }), 'keyId');
    const { keySecret: _k, ...noKeySecret } = sahyadriAccount();
    await bad('/api/payment-accounts/newone', noKeySecret, 'keySecret');
    const { webhookSecret: _w, ...noWebhookSecret } = sahyadriAccount();
    await bad('/api/payment-accounts/newone', noWebhookSecret, 'webhookSecret');
    await bad('/api/payment-accounts/newone', sahyadriAccount({ provider: 'paypal' }), 'provider');
    await bad('/api/payment-accounts/newone', sahyadriAccount({ lenders: [SAHYADRI, SAHYADRI] }), 'lenders');
    // a short secret is refused without being echoed
    const short = await bad(
      '/api/payment-accounts/newone',
      sahyadriAccount({ keySecret: 'tiny' }),
      'keySecret',
    );
    expect(JSON.stringify(short.json)).not.toContain('tiny');
    const ids = (await api('GET', '/api/payment-accounts', 'admin')).json.items.map(
      (a: { accountId: string }) => a.accountId,
    );
    expect(ids).not.toContain('newone');
  });

  it('answers 409 for a lender already in another account, writing nothing', async () => {
    const res = await api(
      'PUT',
      '/api/payment-accounts/other',
      'admin',
      sahyadriAccount({ name: 'Other', lenders: [DECCAN, SAHYADRI] }),
    );
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('LENDER_IN_OTHER_ACCOUNT');
    expect(res.json.error.message).toContain(SAHYADRI);
    const ids = (await api('GET', '/api/payment-accounts', 'admin')).json.items.map(
      (a: { accountId: string }) => a.accountId,
    );
    expect(ids).not.toContain('other');
  });

  it('answers 422 "Razorpay rejected these keys" when the sandbox refuses the key pair, saving nothing', async () => {
    const res = await api(
      'PUT',
      '/api/payment-accounts/rejected',
      'admin',
      sahyadriAccount({ name: 'Rejected', keySecret: 'not-the-right-secret', lenders: [] }),
    );
    expect(res.status).toBe(422);
    expect(res.json.error.message).toBe('Razorpay rejected these keys');
    expect(JSON.stringify(res.json)).not.toContain('not-the-right-secret');
    const ids = (await api('GET', '/api/payment-accounts', 'admin')).json.items.map(
      (a: { accountId: string }) => a.accountId,
    );
    expect(ids).not.toContain('rejected');
  });
});

describe('links and money on each account', () => {
  it("creates Sahyadri's links in the sahyadri merchant and Kaveri's in default, and credits each through its own webhook URL", async () => {
    const s = await generate('S-ACC-1');
    const k = await generate('K-ACC-1');
    expect(s.status, JSON.stringify(s.json)).toBe(201);
    expect(k.status, JSON.stringify(k.json)).toBe(201);
    expect(s.json).toMatchObject({ accountId: 'sahyadri', provider: 'razorpay' });
    expect(k.json).toMatchObject({ accountId: 'default', provider: 'razorpay' });
    expect(app.sandbox.linksOf(SAHYADRI_KEYS.keyId)).toBeGreaterThanOrEqual(1);
    // each merchant sees only its own links: default's keys cannot fetch Sahyadri's link
    const foreign = await fetch(`${app.sandbox.url}/v1/payment_links/${s.json.razorpayLinkId}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${app.sandbox.keyId}:${app.sandbox.keySecret}`).toString('base64')}`,
      },
    });
    expect(foreign.status).toBe(400);
    expect(JSON.stringify(await foreign.json())).toContain('does not exist');

    await app.control('POST', `/_sandbox/payment_links/${s.json.razorpayLinkId}/pay`, {});
    await app.control('POST', `/_sandbox/payment_links/${k.json.razorpayLinkId}/pay`, {});
    await settle();
    const sahyadriUrls = app.sandbox.deliveries.filter((d) => d.url.endsWith('/webhooks/razorpay/sahyadri'));
    expect(sahyadriUrls.length).toBeGreaterThan(0);
    expect(sahyadriUrls.every((d) => d.state === 'delivered' && d.status_code === 200)).toBe(true);
    expect((await linkStore().getLink(s.json.id))?.status).toBe('paid');
    expect((await linkStore().getLink(k.json.id))?.status).toBe('paid');
    expect((await emiStore().getEmi('S-ACC-1', 1, true))?.amountCredited).toBe(s.json.amount);
    expect((await emiStore().getEmi('K-ACC-1', 1, true))?.amountCredited).toBe(k.json.amount);
    // the raw archive keeps each delivery under its account
    const listed = await s3Client().send(
      new ListObjectsV2Command({ Bucket: app.names.RAW_WEBHOOKS_BUCKET, Prefix: 'raw/razorpay/webhooks/' }),
    );
    const archiveKeys = (listed.Contents ?? []).map((o) => o.Key!);
    expect(archiveKeys.some((key) => key.startsWith('raw/razorpay/webhooks/account=sahyadri/dt='))).toBe(
      true,
    );
    expect(archiveKeys.some((key) => key.startsWith('raw/razorpay/webhooks/account=default/dt='))).toBe(true);
  });

  it("refreshes and cancels a link through its own account's keys", async () => {
    const s = await generate('S-ACC-1', 2);
    expect(s.status).toBe(201);
    const refreshed = await api('POST', `/api/payment-links/${s.json.id}/refresh-status`, 'ops');
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    const cancelled = await api('POST', `/api/payment-links/${s.json.id}/cancel`, 'ops');
    expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    const atSandbox = await app.control<{ payment_links: { id: string; status: string }[] }>(
      'GET',
      '/_sandbox/payment_links',
    );
    expect(atSandbox.payment_links.find((l) => l.id === s.json.razorpayLinkId)?.status).toBe('cancelled');
  });

  it('keeps a link on its account for life: after the lender moves, its old link is still served by the old one', async () => {
    const old = await generate('S-ACC-2');
    expect(old.json.accountId).toBe('sahyadri');
    // Sahyadri moves to default (dropped from sahyadri, added to default)
    expect(
      (await api('PUT', '/api/payment-accounts/sahyadri', 'admin', sahyadriAccount({ lenders: [] }))).status,
    ).toBe(200);
    const fresh = await generate('S-ACC-3');
    expect(fresh.json.accountId).toBe('default');
    const refreshed = await api('POST', `/api/payment-links/${old.json.id}/refresh-status`, 'ops');
    expect(refreshed.status, JSON.stringify(refreshed.json)).toBe(200);
    expect(refreshed.json.accountId).toBe('sahyadri');
    await app.control('POST', `/_sandbox/payment_links/${old.json.razorpayLinkId}/pay`, {});
    await settle();
    expect((await linkStore().getLink(old.json.id))?.status).toBe('paid');
    // and back, for the tests that follow
    expect((await api('PUT', '/api/payment-accounts/sahyadri', 'admin', sahyadriAccount())).status).toBe(200);
  });

  it('an admin adds a third account and a link is generated and paid through it', async () => {
    const put = await api('PUT', '/api/payment-accounts/tunga', 'admin', {
      name: 'Tunga Capital',
      ...TUNGA_KEYS,
      lenders: [TUNGA],
    });
    expect(put.status, JSON.stringify(put.json)).toBe(201);
    const t = await generate('T-ACC-1');
    expect(t.status, JSON.stringify(t.json)).toBe(201);
    expect(t.json.accountId).toBe('tunga');
    expect(app.sandbox.linksOf(TUNGA_KEYS.keyId)).toBe(1);
    await app.control('POST', `/_sandbox/payment_links/${t.json.razorpayLinkId}/pay`, {});
    await settle();
    expect((await linkStore().getLink(t.json.id))?.status).toBe('paid');
  });
});

describe('webhook URLs per account', () => {
  const body = JSON.stringify({ entity: 'event', event: 'payment.failed', payload: {}, created_at: 1 });
  const post = (path: string, secret: string, eventId = randomBytes(7).toString('hex')) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-razorpay-event-id': eventId,
        'x-razorpay-signature': signWebhookBody(body, secret),
      },
      body,
    });

  it('refuses a body signed with another account’s secret (401) and an unknown account (404)', async () => {
    expect((await post('/webhooks/razorpay/sahyadri', DEFAULT_SECRET)).status).toBe(401);
    expect((await post('/webhooks/razorpay', SAHYADRI_KEYS.webhookSecret)).status).toBe(401);
    expect((await post('/webhooks/razorpay/tunga', SAHYADRI_KEYS.webhookSecret)).status).toBe(401);
    const unknown = await post('/webhooks/razorpay/nobody-here', DEFAULT_SECRET);
    expect(unknown.status).toBe(404);
    expect((await post('/webhooks/razorpay/sahyadri', SAHYADRI_KEYS.webhookSecret)).status).toBe(200);
  });

  it('flags, and never applies, a signed event about another account’s link', async () => {
    const k = await generate('D-ACC-1');
    expect(k.json.accountId).toBe('default');
    const paymentId = `pay_${randomBytes(7).toString('hex')}`;
    const event = JSON.stringify({
      entity: 'event',
      event: 'payment.captured',
      contains: ['payment'],
      created_at: Math.floor(Date.now() / 1000),
      payload: {
        payment: {
          entity: {
            id: paymentId,
            entity: 'payment',
            amount: k.json.amount,
            currency: 'INR',
            status: 'captured',
            method: 'upi',
            order_id: null,
            description: `#${k.json.razorpayLinkId.slice('plink_'.length)}`,
            notes: { link_id: k.json.id },
            created_at: Math.floor(Date.now() / 1000),
          },
        },
      },
    });
    const res = await fetch(`${base}/webhooks/razorpay/sahyadri`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-razorpay-event-id': randomBytes(7).toString('hex'),
        'x-razorpay-signature': signWebhookBody(event, SAHYADRI_KEYS.webhookSecret),
      },
      body: event,
    });
    expect(res.status).toBe(200);
    await settle();
    const link = await linkStore().getLink(k.json.id);
    expect(link?.status).toBe('created');
    expect(link?.attention).toBe('invalid_event');
    expect((await emiStore().getEmi('D-ACC-1', 1, true))?.amountCredited).toBe(0);
  });

  it('rotation: the new secret works at once, the old one keeps working, the same secret again is 409', async () => {
    const NEW = 'whsec-sahyadri-rotated-01';
    const rotated = await api('POST', '/api/payment-accounts/sahyadri/webhook-secret', 'admin', {
      webhookSecret: NEW,
    });
    expect(rotated.status, JSON.stringify(rotated.json)).toBe(200);
    expect(JSON.stringify(rotated.json)).not.toContain(NEW);
    expect((await post('/webhooks/razorpay/sahyadri', NEW)).status).toBe(200);
    // a retry of an event signed before the rotation
    expect((await post('/webhooks/razorpay/sahyadri', SAHYADRI_KEYS.webhookSecret)).status).toBe(200);
    const again = await api('POST', '/api/payment-accounts/sahyadri/webhook-secret', 'admin', {
      webhookSecret: NEW,
    });
    expect(again.status).toBe(409);
    const unknown = await api('POST', '/api/payment-accounts/nobody-here/webhook-secret', 'admin', {
      webhookSecret: 'whsec-whatever-000001',
    });
    expect(unknown.status).toBe(404);
    const missing = await api('POST', '/api/payment-accounts/sahyadri/webhook-secret', 'admin', {});
    expect(missing.status).toBe(400);
    expect(missing.json.error.details[0].field).toBe('webhookSecret');
  });
});
