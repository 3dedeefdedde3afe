import { inspect } from 'node:util';
import Razorpay from 'razorpay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isOutcomeUnknown, toGatewayError } from '../../../shared/adapters/razorpay/errors';
import { RazorpayGateway } from '../../../shared/adapters/razorpay/gateway';
import {
  GatewayAuthError,
  GatewayError,
  GatewayNotCancellableError,
  GatewayNotFoundError,
  GatewayRateLimitedError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../../shared/domain/errors';
import type { CreateLinkRequest } from '../../../shared/domain/gateway';
import { closedPortUrl, razorpayError, type StubRazorpay, startStubRazorpay } from './stub-server';

const KEY_ID = 'rzp_test_UnitTestKey001';
const KEY_SECRET = 'unit-test-key-secret-do-not-leak';
const PHONE = '+919876543210';
const EMAIL = 'borrower@example.com';

function linkRequest(overrides: Partial<CreateLinkRequest> = {}): CreateLinkRequest {
  return {
    amount: 150_000,
    currency: 'INR',
    description: 'EMI 3 of loan L-1',
    referenceId: 'lnk_01HZZZZZZZZZZZZZZZZZZZZZZ',
    customer: { name: 'Asha Rao', contact: PHONE, email: EMAIL },
    expireBy: 1_900_000_000,
    acceptPartial: false,
    notify: { sms: false, email: false },
    reminderEnable: false,
    notes: { link_id: 'lnk_1', loan_id: 'L-1', emi_number: '3', lender: 'acme' },
    ...overrides,
  };
}

/** Runs `op` and returns what it rejected with (fails the test if it resolved). */
async function failureOf(op: Promise<unknown>): Promise<GatewayError> {
  const outcome = await op.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(GatewayError);
  return outcome as GatewayError;
}

/** Nothing that identifies us or the borrower may appear anywhere in the error, causes included. */
function expectNoSecrets(err: unknown): void {
  const text = `${String(err)}\n${inspect(err, { depth: 10 })}`;
  expect(text).not.toContain(KEY_SECRET);
  expect(text).not.toContain(Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64'));
  expect(text).not.toContain(PHONE);
  expect(text).not.toContain(EMAIL);
}

describe('RazorpayGateway error mapping', () => {
  let stub: StubRazorpay;
  let gateway: RazorpayGateway;
  const sleeps: number[] = [];

  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(async () => {
    await stub.close();
  });
  beforeEach(() => {
    stub.reset();
    sleeps.length = 0;
    gateway = new RazorpayGateway({
      keyId: KEY_ID,
      keySecret: KEY_SECRET,
      baseUrl: stub.url,
      // generous: a loaded machine must not turn a slow answer into a timeout (only hangs should time out)
      timeoutMs: 1000,
      maxAttempts: 3,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  });

  it('surfaces a 400 validation description as GatewayRejectedError.reason, without retrying', async () => {
    stub.faults.create.push({
      status: 400,
      body: razorpayError('amount: amount should be minimum 100 for INR.', { field: 'amount' }),
    });
    const err = await failureOf(gateway.createLink(linkRequest({ amount: 50 })));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect((err as GatewayRejectedError).reason).toBe('amount: amount should be minimum 100 for INR.');
    expect((err as GatewayRejectedError).field).toBe('amount');
    expect(err.retryable).toBe(false);
    expect(stub.count('create')).toBe(1);
    expectNoSecrets(err);
  });

  it('turns Razorpay\'s two "cannot cancel" texts into GatewayNotCancellableError paid / closed', async () => {
    stub.faults.cancel.push({
      status: 400,
      body: razorpayError('cannot cancel or expire an already paid/partially paid link'),
    });
    const paid = await failureOf(gateway.cancelLink('plink_Paid0000000001'));
    expect(paid).toBeInstanceOf(GatewayNotCancellableError);
    expect((paid as GatewayNotCancellableError).because).toBe('paid');
    stub.faults.cancel.push({ status: 400, body: razorpayError('cannot cancel or expire an expired link') });
    const closed = await failureOf(gateway.cancelLink('plink_Gone0000000001'));
    expect((closed as GatewayNotCancellableError).because).toBe('closed');
    stub.faults.cancel.push({ status: 400, body: razorpayError('some other reason') });
    const other = await failureOf(gateway.cancelLink('plink_Other000000001'));
    expect(other).toBeInstanceOf(GatewayRejectedError);
    expect(other).not.toBeInstanceOf(GatewayNotCancellableError);
    expect(stub.count('cancel')).toBe(3);
  });

  it('maps 400 "The id provided does not exist" to GatewayNotFoundError', async () => {
    const err = await failureOf(gateway.fetchLink('plink_DoesNotExist00'));
    expect(err).toBeInstanceOf(GatewayNotFoundError);
    expect(stub.count('fetch')).toBe(1);
  });

  it('maps 401 to GatewayAuthError without retrying or echoing the credentials', async () => {
    stub.faults.fetch.push({
      status: 401,
      body: {
        error: {
          code: 'BAD_REQUEST_ERROR',
          description: 'The api key provided is invalid',
          source: 'NA',
          step: 'NA',
          reason: 'NA',
          metadata: {},
        },
      },
    });
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect(stub.count('fetch')).toBe(1);
    expectNoSecrets(err);
  });

  it('maps 429 to GatewayRateLimitedError once the attempts are spent', async () => {
    for (let i = 0; i < 3; i++) {
      stub.faults.fetch.push({ status: 429, body: razorpayError('Too many requests') });
    }
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayRateLimitedError);
    expect(stub.count('fetch')).toBe(3);
    expect(sleeps).toHaveLength(2);
  });

  it('maps 500 to GatewayUnavailableError once the attempts are spent', async () => {
    for (let i = 0; i < 3; i++) {
      stub.faults.fetch.push({
        status: 500,
        body: { error: { code: 'SERVER_ERROR', description: 'trouble' } },
      });
    }
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(err.message).toBe('Razorpay answered 500');
    expect(stub.count('fetch')).toBe(3);
  });

  it('maps a non-JSON 502 (the SDK loses the body) to GatewayUnavailableError', async () => {
    for (let i = 0; i < 3; i++) stub.faults.fetch.push({ status: 502, body: '<html>Bad Gateway</html>' });
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(err.message).toBe('Razorpay answered 502');
    expect(err.message).not.toContain('html');
  });

  it('maps a server that never answers to GatewayTimeoutError, keeping a sanitised cause', async () => {
    for (let i = 0; i < 3; i++) stub.faults.fetch.push('hang-before-apply');
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayTimeoutError);
    expect(err.message).toBe('Razorpay did not answer within 1000 ms');
    expect((err.cause as { code?: string }).code).toMatch(/ECONNABORTED|ETIMEDOUT|ERR_CANCELED/);
    expect(stub.count('fetch')).toBe(3);
    expectNoSecrets(err);
  });

  it('maps a closed port to GatewayUnavailableError with the ECONNREFUSED cause', async () => {
    const refused = new RazorpayGateway({
      keyId: KEY_ID,
      keySecret: KEY_SECRET,
      baseUrl: await closedPortUrl(),
      maxAttempts: 2,
      sleep: async () => {},
    });
    const err = await failureOf(refused.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(err.message).toBe('Could not reach Razorpay (ECONNREFUSED)');
    expect((err.cause as { code?: string }).code).toBe('ECONNREFUSED');
    // refused before anything was sent: a create may simply be tried again
    expect(isOutcomeUnknown(err)).toBe(false);
    expectNoSecrets(err);
  });

  it('maps a connection dropped mid-request to GatewayUnavailableError whose outcome is unknown', async () => {
    stub.faults.fetch.push('reset-after-apply', 'reset-after-apply', 'reset-after-apply');
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect((err.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(isOutcomeUnknown(err)).toBe(true);
  });

  it("maps the SDK's own string rejection for a missing id to GatewayRejectedError", async () => {
    const err = await failureOf(gateway.fetchLink(''));
    expect(err).toBeInstanceOf(GatewayRejectedError);
    expect((err as GatewayRejectedError).reason).toBe('Payment Link ID is mandatory');
    expect(stub.requests).toHaveLength(0);
  });

  it('answers a 200 whose body is not a payment link with GatewayUnavailableError', async () => {
    stub.faults.fetch.push({ status: 200, body: '<html>captive portal</html>' });
    const err = await failureOf(gateway.fetchLink('plink_Anything000000'));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
  });
});

describe('toGatewayError (the fallback when no interceptor ran)', () => {
  it('shows why the interceptor exists: the bare SDK turns a refused connection into a TypeError', async () => {
    const rzp = new Razorpay({ key_id: KEY_ID, key_secret: KEY_SECRET });
    (rzp.api as unknown as { rq: { defaults: { baseURL?: string } } }).rq.defaults.baseURL =
      await closedPortUrl();
    const raw = await rzp.paymentLink.fetch('plink_Anything000000').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(raw).toBeInstanceOf(TypeError);
    expect((raw as TypeError).message).toContain("reading 'status'");

    const err = toGatewayError(raw);
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(isOutcomeUnknown(err)).toBe(true);
  });

  it('maps the plain objects the SDK rejects with', () => {
    expect(toGatewayError({ statusCode: 400, error: { description: 'extra fields sent.' } })).toBeInstanceOf(
      GatewayRejectedError,
    );
    expect(
      toGatewayError({
        statusCode: 400,
        error: { description: 'The id provided does not exist or access is unauthorised' },
      }),
    ).toBeInstanceOf(GatewayNotFoundError);
    expect(toGatewayError({ statusCode: 401, error: undefined })).toBeInstanceOf(GatewayAuthError);
    expect(toGatewayError({ statusCode: 429, error: undefined })).toBeInstanceOf(GatewayRateLimitedError);
    expect(toGatewayError({ statusCode: 503, error: undefined })).toBeInstanceOf(GatewayUnavailableError);
    expect(toGatewayError({ statusCode: 400, error: undefined })).toBeInstanceOf(GatewayRejectedError);
  });
});

describe('RazorpayGateway request and response mapping', () => {
  let stub: StubRazorpay;
  beforeAll(async () => {
    stub = await startStubRazorpay();
  });
  afterAll(async () => {
    await stub.close();
  });

  it('sends Razorpay snake_case JSON with Basic auth and maps the answer back', async () => {
    const gateway = new RazorpayGateway({ keyId: KEY_ID, keySecret: KEY_SECRET, baseUrl: `${stub.url}/` });
    const link = await gateway.createLink(linkRequest({ referenceId: 'ref-mapping-1' }));

    const sent = stub.requests.find((r) => r.method === 'POST');
    expect(sent?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${KEY_ID}:${KEY_SECRET}`).toString('base64')}`,
    );
    expect(JSON.parse(sent?.body ?? '{}')).toEqual({
      amount: 150_000,
      currency: 'INR',
      description: 'EMI 3 of loan L-1',
      reference_id: 'ref-mapping-1',
      customer: { name: 'Asha Rao', contact: PHONE, email: EMAIL },
      expire_by: 1_900_000_000,
      accept_partial: false,
      notify: { sms: false, email: false },
      reminder_enable: false,
      notes: { link_id: 'lnk_1', loan_id: 'L-1', emi_number: '3', lender: 'acme' },
    });
    expect(link).toEqual({
      id: expect.stringMatching(/^plink_/),
      referenceId: 'ref-mapping-1',
      status: 'created',
      amount: 150_000,
      amountPaid: 0,
      currency: 'INR',
      shortUrl: 'https://rzp.io/rzp/stubLink',
      expireBy: 1_900_000_000,
      createdAt: 1_765_195_796,
      notes: { link_id: 'lnk_1', loan_id: 'L-1', emi_number: '3', lender: 'acme' },
      payments: [],
    });
  });

  it('sends first_min_partial_amount only with accept_partial, and omits absent contact details', async () => {
    const gateway = new RazorpayGateway({ keyId: KEY_ID, keySecret: KEY_SECRET, baseUrl: stub.url });
    await gateway.createLink(
      linkRequest({
        referenceId: 'ref-partial',
        acceptPartial: true,
        minPartialAmount: 50_000,
        customer: { name: 'A' },
      }),
    );
    await gateway.createLink(
      linkRequest({ referenceId: 'ref-full', acceptPartial: false, minPartialAmount: 50_000 }),
    );
    const bodies = stub.requests
      .filter((r) => r.method === 'POST')
      .map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const partial = bodies.find((b) => b.reference_id === 'ref-partial');
    const full = bodies.find((b) => b.reference_id === 'ref-full');
    expect(partial).toMatchObject({
      accept_partial: true,
      first_min_partial_amount: 50_000,
      customer: { name: 'A' },
    });
    expect(partial?.customer).toEqual({ name: 'A' });
    expect(full).not.toHaveProperty('first_min_partial_amount');
  });

  it("normalises Razorpay's entity quirks: notes [] or null, payments null or a list", async () => {
    const gateway = new RazorpayGateway({ keyId: KEY_ID, keySecret: KEY_SECRET, baseUrl: stub.url });
    stub.links.set('plink_Quirks00000000', {
      id: 'plink_Quirks00000000',
      reference_id: '',
      status: 'partially_paid',
      amount: 1000,
      amount_paid: 400,
      notes: [],
      payments: [
        { amount: 400, created_at: 1_700_000_100, method: 'upi', payment_id: 'pay_A', status: 'captured' },
      ],
      expire_by: 0,
      created_at: 1_700_000_000,
      short_url: 'https://rzp.io/i/x',
      currency: 'INR',
    });
    const link = await gateway.fetchLink('plink_Quirks00000000');
    expect(link.notes).toEqual({});
    expect(link.expireBy).toBe(0);
    expect(link.payments).toEqual([
      {
        paymentId: 'pay_A',
        amount: 400,
        currency: 'INR',
        method: 'upi',
        status: 'captured',
        createdAt: 1_700_000_100,
      },
    ]);
  });
});
