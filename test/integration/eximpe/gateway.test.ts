/**
 * The EximPe adapter against the local EximPe sandbox (real HTTP): create, fetch, look-up by
 * reference id, deactivate, extend, payments; and the safe readings — a create that timed out is
 * only ever looked up, never sent twice; a used reference id converges on the existing link.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  EXIMPE_SANDBOX_CLIENT_ID,
  EXIMPE_SANDBOX_CLIENT_SECRET,
  type EximpeSandbox,
  startEximpeSandbox,
} from '../../../local/eximpe-sandbox/server';
import { EximpeGateway, type EximpeGatewayOptions } from '../../../shared/adapters/eximpe/gateway';
import {
  GatewayAuthError,
  GatewayNotCancellableError,
  GatewayNotFoundError,
  GatewayRejectedError,
  GatewayTimeoutError,
} from '../../../shared/domain/errors';
import type { CreateLinkRequest } from '../../../shared/domain/gateway';

let sandbox: EximpeSandbox;
let run = 0;

function ref(label: string): string {
  run += 1;
  return `lnk_${label}${run}`.slice(0, 40);
}

function request(referenceId: string, overrides: Partial<CreateLinkRequest> = {}): CreateLinkRequest {
  return {
    amount: 123_450,
    currency: 'INR',
    description: 'EMI 2 of loan L-42',
    referenceId,
    customer: { name: 'Meera Iyer', contact: '9000000001', email: 'meera@example.com' },
    expireBy: Math.floor(Date.now() / 1000) + 7 * 24 * 3600,
    acceptPartial: false,
    notify: { sms: false, email: false },
    reminderEnable: false,
    notes: {},
    ...overrides,
  };
}

function gateway(options: Partial<EximpeGatewayOptions> = {}): EximpeGateway {
  return new EximpeGateway({
    clientId: EXIMPE_SANDBOX_CLIENT_ID,
    clientSecret: EXIMPE_SANDBOX_CLIENT_SECRET,
    baseUrl: sandbox.url,
    timeoutMs: 2000,
    baseDelayMs: 5,
    maxDelayMs: 20,
    ...options,
  });
}

beforeAll(async () => {
  sandbox = await startEximpeSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.configure({
    latencyMs: 0,
    rateLimitPerSecond: 0,
    errorRate: 0,
    hangRate: 0,
    statusCase: 'upper',
  });
});

describe('EximPe adapter against the sandbox', () => {
  it('creates a link in rupees and reads it back in paise', async () => {
    const g = gateway();
    const created = await g.createLink(request(ref('a')));
    expect(created).toMatchObject({ status: 'created', amount: 123_450, amountPaid: 0, currency: 'INR' });
    expect(created.id).toMatch(/^PR\d{10}$/);
    expect(created.shortUrl).toBe(`${sandbox.url}/pay/${created.id}/`);
    const fetched = await g.fetchLink(created.id);
    expect(fetched).toMatchObject({ id: created.id, status: 'created', amount: 123_450, payments: [] });
  });

  it('finds a link by its reference id (the list has no filter: it reads pages)', async () => {
    const g = gateway();
    const wanted = ref('b');
    const created = await g.createLink(request(wanted));
    for (let i = 0; i < 3; i++) await g.createLink(request(ref('filler')));
    const found = await g.findLinkByReferenceId(wanted);
    expect(found?.id).toBe(created.id);
    expect(await g.findLinkByReferenceId('lnk_nobodyhasthisone0')).toBeNull();
  });

  it('a used reference id converges on the existing link: no second link', async () => {
    const g = gateway();
    const r = ref('c');
    const first = await g.createLink(request(r));
    const before = sandbox.links;
    const again = await g.createLink(request(r));
    expect(again.id).toBe(first.id);
    expect(sandbox.links).toBe(before);
  });

  it('a create that timed out is looked up, never sent a second time', async () => {
    const r = ref('d');
    const created = sandbox.stats.created;
    sandbox.configure({ hangRate: 1, hangMs: 400 });
    const g = gateway({ timeoutMs: 100, maxAttempts: 3 });
    await expect(g.createLink(request(r))).rejects.toBeInstanceOf(GatewayTimeoutError);
    // the sandbox did the work; only look-ups followed
    expect(sandbox.stats.created).toBe(created + 1);
    sandbox.configure({ hangRate: 0 });
    const resumed = await gateway().createLink(request(r));
    expect(sandbox.stats.created).toBe(created + 1);
    expect((await gateway().findLinkByReferenceId(r))?.id).toBe(resumed.id);
  });

  it('a 5xx on create (it may have done the work) is followed by look-ups only', async () => {
    const created = sandbox.stats.created;
    sandbox.configure({ errorRate: 1 });
    await expect(gateway({ maxAttempts: 3 }).createLink(request(ref('e')))).rejects.toMatchObject({
      code: 'EXIMPE_UNAVAILABLE',
      provider: 'EximPe',
    });
    expect(sandbox.stats.created).toBe(created);
  });

  it('429s are retried with backoff and the create goes through once', async () => {
    sandbox.configure({ rateLimitPerSecond: 1 });
    const g = gateway({ maxAttempts: 8, baseDelayMs: 300, maxDelayMs: 1200, random: () => 1 });
    const created = sandbox.stats.created;
    const [a, b] = await Promise.all([g.createLink(request(ref('f'))), g.createLink(request(ref('g')))]);
    expect(a.id).not.toBe(b.id);
    expect(sandbox.stats.created).toBe(created + 2);
  });

  it('refuses bad credentials as an auth error, and names EximPe', async () => {
    const g = gateway({ clientSecret: 'wrong-secret-000' });
    const err = await g.findLinkByReferenceId('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect((err as GatewayAuthError).provider).toBe('EximPe');
    await expect(g.checkCredentials()).rejects.toBeInstanceOf(GatewayAuthError);
    await expect(gateway().checkCredentials()).resolves.toBeUndefined();
  });

  it('a validation refusal names the field', async () => {
    const err = await gateway()
      .createLink(request(ref('h'), { customer: { name: '', contact: '9000000001' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect((err as GatewayRejectedError).field).toBe('buyer.name');
    expect((err as GatewayRejectedError).message).toMatch(/^EximPe rejected the request/);
  });

  it('a paid link reports its payment in paise, and the payment names our reference id', async () => {
    const g = gateway();
    const r = ref('i');
    const link = await g.createLink(request(r));
    const { payment_id } = sandbox.pay(link.id);
    const paid = await g.fetchLink(link.id);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: 123_450 });
    expect(paid.payments).toEqual([
      expect.objectContaining({
        paymentId: payment_id,
        amount: 123_450,
        currency: 'INR',
        status: 'captured',
        method: 'upi',
      }),
    ]);
    const payment = await g.fetchPayment(payment_id);
    expect(payment).toMatchObject({
      paymentId: payment_id,
      referenceId: r,
      amount: 123_450,
      status: 'captured',
    });
    await expect(g.fetchPayment('PR0000000000')).rejects.toBeInstanceOf(GatewayNotFoundError);
  });

  it('deactivates an open link; a paid one is not cancellable (paid); twice is fine', async () => {
    const g = gateway();
    const open = await g.createLink(request(ref('j')));
    expect((await g.cancelLink(open.id)).status).toBe('cancelled');
    expect((await g.cancelLink(open.id)).status).toBe('cancelled');
    const paid = await g.createLink(request(ref('k')));
    sandbox.pay(paid.id);
    const err = await g.cancelLink(paid.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayNotCancellableError);
    expect((err as GatewayNotCancellableError).because).toBe('paid');
  });

  it('extends an open link; lower-case statuses and the v2 list shape read the same', async () => {
    sandbox.configure({ statusCase: 'lower' });
    const g = gateway({ apiVersion: '2.0.0' });
    const r = ref('l');
    const link = await g.createLink(request(r));
    const later = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
    const extended = await g.extendLink(link.id, later);
    expect(extended).toMatchObject({ status: 'created', expireBy: later });
    expect((await g.findLinkByReferenceId(r))?.amount).toBe(123_450);
  });
});
