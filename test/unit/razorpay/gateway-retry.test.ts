import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RazorpayGateway, type RazorpayGatewayOptions } from '../../../shared/adapters/razorpay/gateway';
import {
  GatewayError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../../shared/domain/errors';
import type { CreateLinkRequest } from '../../../shared/domain/gateway';
import { razorpayError, type StubRazorpay, startStubRazorpay } from './stub-server';

function linkRequest(referenceId: string): CreateLinkRequest {
  return {
    amount: 250_000,
    currency: 'INR',
    description: 'EMI 1 of loan L-9',
    referenceId,
    customer: { name: 'Ravi' },
    expireBy: 1_900_000_000,
    acceptPartial: false,
    notify: { sms: false, email: false },
    reminderEnable: true,
    notes: { link_id: referenceId },
  };
}

async function failureOf(op: Promise<unknown>): Promise<GatewayError> {
  const outcome = await op.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(GatewayError);
  return outcome as GatewayError;
}

const serverError = { status: 500, body: { error: { code: 'SERVER_ERROR', description: 'trouble' } } };
const tooMany = { status: 429, body: razorpayError('Too many requests') };

describe('RazorpayGateway retries', () => {
  let stub: StubRazorpay;
  let sleeps: number[];

  const gatewayWith = (options: Partial<RazorpayGatewayOptions> = {}) =>
    new RazorpayGateway({
      keyId: 'rzp_test_RetryKey00001',
      keySecret: 'retry-secret',
      baseUrl: stub.url,
      // generous: a loaded machine must not turn a slow answer into a timeout (only hangs should time out)
      timeoutMs: 1000,
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 250,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });

  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.reset();
    sleeps = [];
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs, and stops at maxAttempts', async () => {
    stub.faults.fetch.push(serverError, serverError, serverError, serverError, serverError);
    const err = await failureOf(gatewayWith().fetchLink('plink_Retry000000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(stub.count('fetch')).toBe(4);
    // random()=0.5 × min(250, 100·2^(n-1)) for n = 1, 2, 3
    expect(sleeps).toEqual([50, 100, 125]);
  });

  it('uses the whole jitter range: random()=0 retries at once, random()→1 waits the full ceiling', async () => {
    stub.faults.fetch.push(tooMany, tooMany);
    await gatewayWith({ random: () => 0 })
      .fetchLink('plink_Missing0000000')
      .catch(() => undefined);
    expect(sleeps).toEqual([0, 0]);
    sleeps = [];
    stub.faults.fetch.push(tooMany, tooMany);
    await gatewayWith({ random: () => 0.999_999 })
      .fetchLink('plink_Missing0000000')
      .catch(() => undefined);
    expect(sleeps).toEqual([99, 199]);
  });

  it('recovers a fetch after transient 503s', async () => {
    const gateway = gatewayWith();
    const created = await gateway.createLink(linkRequest('ref-fetch-recovers'));
    stub.faults.fetch.push({ status: 503, body: '' }, { status: 503, body: '' });
    const link = await gateway.fetchLink(created.id);
    expect(link.id).toBe(created.id);
    expect(stub.count('fetch')).toBe(3);
  });

  it('retries a create answered 429 or 5xx (nothing was created) without looking it up', async () => {
    stub.faults.create.push(tooMany, serverError);
    const link = await gatewayWith().createLink(linkRequest('ref-answered-errors'));
    expect(link.referenceId).toBe('ref-answered-errors');
    expect(stub.count('create')).toBe(3);
    expect(stub.count('list')).toBe(0);
    expect(stub.links.size).toBe(1);
  });

  it('gives up a create after maxAttempts 429s with GatewayRateLimitedError', async () => {
    stub.faults.create.push(tooMany, tooMany, tooMany, tooMany);
    const err = await failureOf(gatewayWith().createLink(linkRequest('ref-throttled')));
    expect(err).toBeInstanceOf(GatewayRateLimitedError);
    expect(stub.count('create')).toBe(4);
    expect(stub.links.size).toBe(0);
  });

  it('never retries a create Razorpay rejected', async () => {
    stub.faults.create.push({
      status: 400,
      body: razorpayError('timestamp must be atleast 15 minutes in future'),
    });
    const err = await failureOf(gatewayWith().createLink(linkRequest('ref-rejected')));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(stub.count('create')).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('resolves a create that timed out after Razorpay made the link by reference id: exactly one link', async () => {
    stub.faults.create.push('hang-after-apply');
    const link = await gatewayWith().createLink(linkRequest('ref-timeout-created'));
    expect(link.referenceId).toBe('ref-timeout-created');
    expect(stub.count('create')).toBe(1);
    expect(stub.count('list')).toBe(1);
    expect(stub.links.size).toBe(1);
    expect([...stub.links.values()][0]?.id).toBe(link.id);
    const lookup = stub.requests.find((r) => r.method === 'GET');
    expect(lookup?.query.get('reference_id')).toBe('ref-timeout-created');
  });

  it('creates again after a timeout only when the lookup shows nothing was created', async () => {
    stub.faults.create.push('hang-before-apply');
    const link = await gatewayWith().createLink(linkRequest('ref-timeout-lost'));
    expect(link.referenceId).toBe('ref-timeout-lost');
    expect(stub.count('create')).toBe(2);
    expect(stub.count('list')).toBe(1);
    expect(stub.links.size).toBe(1);
  });

  it('resolves a create whose connection was reset mid-request by reference id', async () => {
    stub.faults.create.push('reset-after-apply');
    const link = await gatewayWith().createLink(linkRequest('ref-reset'));
    expect(link.referenceId).toBe('ref-reset');
    expect(stub.count('create')).toBe(1);
    expect(stub.links.size).toBe(1);
  });

  it('never creates blindly while the lookup after a timeout keeps failing', async () => {
    stub.faults.create.push('hang-after-apply');
    stub.faults.list.push(serverError, serverError, serverError);
    const err = await failureOf(gatewayWith().createLink(linkRequest('ref-lookup-down')));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(stub.count('create')).toBe(1);
    expect(stub.count('list')).toBe(3);
    expect(stub.links.size).toBe(1);
  });

  it('throws GatewayTimeoutError when every call times out, having created at most one link', async () => {
    stub.faults.create.push('hang-after-apply');
    stub.faults.list.push('hang-before-apply', 'hang-before-apply', 'hang-before-apply');
    const err = await failureOf(gatewayWith().createLink(linkRequest('ref-all-hang')));
    expect(err).toBeInstanceOf(GatewayTimeoutError);
    expect(stub.count('create')).toBe(1);
    expect(stub.links.size).toBe(1);
  });

  it('returns the existing link when Razorpay says the reference id was already attempted', async () => {
    const gateway = gatewayWith();
    const first = await gateway.createLink(linkRequest('ref-duplicate'));
    const again = await gateway.createLink(linkRequest('ref-duplicate'));
    expect(again.id).toBe(first.id);
    expect(stub.links.size).toBe(1);
    // the lookup follows the 400 at once
    expect(sleeps).toEqual([]);
  });

  it('converges concurrent creators of one reference id on a single link', async () => {
    const links = await Promise.all(
      Array.from({ length: 5 }, () => gatewayWith().createLink(linkRequest('ref-concurrent'))),
    );
    expect(new Set(links.map((l) => l.id)).size).toBe(1);
    expect(stub.links.size).toBe(1);
  });

  it('findLinkByReferenceId returns null on an empty list and the link when there is one', async () => {
    const gateway = gatewayWith();
    expect(await gateway.findLinkByReferenceId('ref-nobody')).toBeNull();
    const created = await gateway.createLink(linkRequest('ref-somebody'));
    expect((await gateway.findLinkByReferenceId('ref-somebody'))?.id).toBe(created.id);
  });

  it('findLinkByReferenceId retries transient failures', async () => {
    stub.faults.list.push(tooMany, 'hang-before-apply');
    expect(await gatewayWith().findLinkByReferenceId('ref-nobody')).toBeNull();
    expect(stub.count('list')).toBe(3);
  });
});

describe('RazorpayGateway.cancelLink', () => {
  let stub: StubRazorpay;
  const gatewayFor = () =>
    new RazorpayGateway({
      keyId: 'rzp_test_CancelKey0001',
      keySecret: 'cancel-secret',
      baseUrl: stub.url,
      // generous: a loaded machine must not turn a slow answer into a timeout (only hangs should time out)
      timeoutMs: 1000,
      maxAttempts: 4,
      sleep: async () => {},
    });

  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.reset();
  });

  it('cancels a created link', async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel'));
    const cancelled = await gateway.cancelLink(link.id);
    expect(cancelled.status).toBe('cancelled');
  });

  it('returns the cancelled link when a retry after a timeout finds it already cancelled', async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel-timeout'));
    stub.faults.cancel.push('hang-after-apply');
    const cancelled = await gateway.cancelLink(link.id);
    expect(cancelled.status).toBe('cancelled');
    expect(stub.count('cancel')).toBe(2);
    expect(stub.count('fetch')).toBe(1);
  });

  it('does not hide "cannot cancel an expired link" when nothing of ours could have cancelled it', async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel-expired'));
    const stored = stub.links.get(link.id)!;
    expect(stored).toBeDefined();
    stored.status = 'expired';
    const err = await failureOf(gateway.cancelLink(link.id));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect((err as GatewayRejectedError).reason).toBe('cannot cancel or expire an expired link');
    expect(stub.count('cancel')).toBe(1);
  });

  it('rethrows "cannot cancel an expired link" after a timeout when the link expired rather than cancelled', async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel-expired-2'));
    stub.faults.cancel.push('hang-before-apply');
    const stored = stub.links.get(link.id)!;
    expect(stored).toBeDefined();
    stored.status = 'expired';
    const err = await failureOf(gateway.cancelLink(link.id));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect(stub.count('fetch')).toBe(1);
  });

  it('surfaces "already paid" as GatewayRejectedError without retrying', async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel-paid'));
    const stored = stub.links.get(link.id)!;
    expect(stored).toBeDefined();
    stored.status = 'partially_paid';
    const err = await failureOf(gateway.cancelLink(link.id));
    expect((err as GatewayRejectedError).reason).toBe(
      'cannot cancel or expire an already paid/partially paid link',
    );
    expect(stub.count('cancel')).toBe(1);
  });

  it("waits out Razorpay's per-link lock (an update is already in progress)", async () => {
    const gateway = gatewayFor();
    const link = await gateway.createLink(linkRequest('ref-cancel-locked'));
    stub.faults.cancel.push({ status: 400, body: razorpayError('an update is already in progress.') });
    expect((await gateway.cancelLink(link.id)).status).toBe('cancelled');
    expect(stub.count('cancel')).toBe(2);
  });
});
