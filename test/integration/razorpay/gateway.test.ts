/**
 * The Razorpay adapter against the local Razorpay sandbox (real HTTP, the real SDK), driving
 * the sandbox's fault knobs through its control API the way an operator or a test tool would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SANDBOX_KEY_ID, SANDBOX_KEY_SECRET } from '../../../local/sandbox/defaults';
import { type Sandbox, startSandbox } from '../../../local/sandbox/server';
import { RazorpayGateway, type RazorpayGatewayOptions } from '../../../shared/adapters/razorpay/gateway';
import {
  GatewayAuthError,
  GatewayError,
  GatewayNotFoundError,
  GatewayRejectedError,
  GatewayTimeoutError,
  GatewayUnavailableError,
} from '../../../shared/domain/errors';
import type { CreateLinkRequest } from '../../../shared/domain/gateway';

let sandbox: Sandbox;
let run = 0;

/** reference ids are unique per sandbox; each test gets its own */
function referenceId(label: string): string {
  run += 1;
  return `it-${label}-${run}`.slice(0, 40);
}

function linkRequest(ref: string, overrides: Partial<CreateLinkRequest> = {}): CreateLinkRequest {
  return {
    amount: 123_400,
    currency: 'INR',
    description: 'EMI 2 of loan L-42',
    referenceId: ref,
    customer: { name: 'Meera Iyer', contact: '+919000000001', email: 'meera@example.com' },
    expireBy: Math.floor(Date.now() / 1000) + 7 * 24 * 3600,
    acceptPartial: true,
    minPartialAmount: 10_000,
    notify: { sms: false, email: false },
    reminderEnable: false,
    notes: { link_id: ref, loan_id: 'L-42', emi_number: '2', lender: 'acme' },
    ...overrides,
  };
}

function gateway(options: Partial<RazorpayGatewayOptions> = {}): RazorpayGateway {
  return new RazorpayGateway({
    keyId: SANDBOX_KEY_ID,
    keySecret: SANDBOX_KEY_SECRET,
    baseUrl: sandbox.url,
    timeoutMs: 2000,
    maxAttempts: 4,
    baseDelayMs: 20,
    maxDelayMs: 100,
    ...options,
  });
}

async function control(method: 'GET' | 'PUT' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${sandbox.url}/_sandbox/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json();
}

async function sandboxLinks(ref: string): Promise<Array<{ id: string; reference_id: string }>> {
  const all = (await control('GET', 'payment_links')) as {
    payment_links: Array<{ id: string; reference_id: string }>;
  };
  return all.payment_links.filter((link) => link.reference_id === ref);
}

async function stats(): Promise<{ links: number; creates: number; requests: number }> {
  return (await control('GET', 'stats')) as { links: number; creates: number; requests: number };
}

async function failureOf(op: Promise<unknown>): Promise<GatewayError> {
  const outcome = await op.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(GatewayError);
  return outcome as GatewayError;
}

const QUIET = { latencyMs: 0, rateLimitPerSecond: 0, errorRate: 0, hangRate: 0, hangMs: 10_000 };

describe('RazorpayGateway against the local Razorpay sandbox', () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, webhookUrl: '', seed: 7 });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(async () => {
    await control('PUT', 'config', QUIET);
    await control('POST', 'reset');
  });

  it('creates, fetches, finds by reference id and cancels a link', async () => {
    const rzp = gateway();
    const ref = referenceId('roundtrip');
    const created = await rzp.createLink(linkRequest(ref));
    expect(created).toMatchObject({
      id: expect.stringMatching(/^plink_[A-Za-z0-9]{14}$/),
      referenceId: ref,
      status: 'created',
      amount: 123_400,
      amountPaid: 0,
      currency: 'INR',
      notes: { link_id: ref, loan_id: 'L-42', emi_number: '2', lender: 'acme' },
      payments: [],
    });
    expect(created.shortUrl).toMatch(/\/rzp\//);

    expect(await rzp.fetchLink(created.id)).toEqual(created);
    expect((await rzp.findLinkByReferenceId(ref))?.id).toBe(created.id);
    expect(await rzp.findLinkByReferenceId(referenceId('nobody'))).toBeNull();

    const cancelled = await rzp.cancelLink(created.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await rzp.fetchLink(created.id)).status).toBe('cancelled');

    // Razorpay answers the same text for an already cancelled link; nothing of ours was in doubt
    const again = await failureOf(rzp.cancelLink(created.id));
    expect((again as GatewayRejectedError).reason).toBe('cannot cancel or expire an expired link');
  });

  it('reports captured payments, partial and full, as the sandbox records them', async () => {
    const rzp = gateway();
    const link = await rzp.createLink(linkRequest(referenceId('payments')));
    await control('POST', `payment_links/${link.id}/pay`, { amount: 23_400, method: 'upi' });
    const partial = await rzp.fetchLink(link.id);
    expect(partial).toMatchObject({ status: 'partially_paid', amountPaid: 23_400 });
    expect(partial.payments).toEqual([
      expect.objectContaining({ paymentId: expect.stringMatching(/^pay_/), amount: 23_400, method: 'upi' }),
    ]);
    await control('POST', `payment_links/${link.id}/pay`, {});
    expect(await rzp.fetchLink(link.id)).toMatchObject({ status: 'paid', amountPaid: 123_400 });

    const refused = await failureOf(rzp.cancelLink(link.id));
    expect((refused as GatewayRejectedError).reason).toBe(
      'cannot cancel or expire an already paid/partially paid link',
    );
  });

  it("surfaces the sandbox's validation text as GatewayRejectedError.reason", async () => {
    const rzp = gateway();
    const tooSmall = await failureOf(rzp.createLink(linkRequest(referenceId('small'), { amount: 50 })));
    expect(tooSmall).toBeInstanceOf(GatewayRejectedError);
    expect((tooSmall as GatewayRejectedError).reason).toBe('amount: amount should be minimum 100 for INR.');

    const soon = await failureOf(
      rzp.createLink(linkRequest(referenceId('soon'), { expireBy: Math.floor(Date.now() / 1000) + 60 })),
    );
    expect((soon as GatewayRejectedError).reason).toBe('timestamp must be atleast 15 minutes in future');
    expect((await stats()).links).toBe(0);
  });

  it('maps an unknown link id to GatewayNotFoundError and bad keys to GatewayAuthError', async () => {
    expect(await failureOf(gateway().fetchLink('plink_AAAAAAAAAAAAAA'))).toBeInstanceOf(GatewayNotFoundError);
    const wrongKey = gateway({ keySecret: 'not-the-sandbox-secret' });
    expect(await failureOf(wrongKey.findLinkByReferenceId('ref'))).toBeInstanceOf(GatewayAuthError);
  });

  it('gives up with GatewayUnavailableError after maxAttempts when every request fails (errorRate=1), creating nothing', async () => {
    await control('PUT', 'config', { errorRate: 1 });
    const ref = referenceId('errors');
    const err = await failureOf(gateway({ maxAttempts: 3 }).createLink(linkRequest(ref)));
    expect(err).toBeInstanceOf(GatewayUnavailableError);
    expect(err.message).toBe('Razorpay answered 500');
    expect(await stats()).toMatchObject({ requests: 3, creates: 0, links: 0 });
    expect(await sandboxLinks(ref)).toHaveLength(0);
  });

  it('never makes a second link when every answer comes too late (hangRate=1, hangMs > timeoutMs)', async () => {
    await control('PUT', 'config', { hangRate: 1, hangMs: 1500 });
    const ref = referenceId('hang');
    const err = await failureOf(gateway({ timeoutMs: 300, maxAttempts: 3 }).createLink(linkRequest(ref)));
    expect(err).toBeInstanceOf(GatewayTimeoutError);
    // one create, then lookups (which hang too): never a blind second create
    expect(await stats()).toMatchObject({ requests: 3, creates: 1 });
    expect(await sandboxLinks(ref)).toHaveLength(1);
  });

  it('resolves a timed-out create by reference id once the sandbox answers again: exactly one link', async () => {
    await control('PUT', 'config', { hangRate: 1, hangMs: 1500 });
    const ref = referenceId('hang-then-ok');
    const rzp = gateway({
      timeoutMs: 300,
      // the first backoff is where the weather clears: answers are prompt again
      sleep: async () => {
        await control('PUT', 'config', { hangRate: 0 });
      },
    });
    const link = await rzp.createLink(linkRequest(ref));
    expect(link.referenceId).toBe(ref);
    const atSandbox = await sandboxLinks(ref);
    expect(atSandbox.map((l) => l.id)).toEqual([link.id]);
    expect((await stats()).creates).toBe(1);
  });

  it('converges concurrent creators of one reference id on one link', async () => {
    const ref = referenceId('concurrent');
    const links = await Promise.all(Array.from({ length: 4 }, () => gateway().createLink(linkRequest(ref))));
    expect(new Set(links.map((l) => l.id)).size).toBe(1);
    expect(await sandboxLinks(ref)).toHaveLength(1);
  });

  it('retries through the rate limit (429) and succeeds', async () => {
    await control('PUT', 'config', { rateLimitPerSecond: 1 });
    const rzp = gateway({ baseDelayMs: 600, maxDelayMs: 2000, random: () => 0.99 });
    const ref = referenceId('throttled');
    const first = await rzp.createLink(linkRequest(ref));
    // the window still holds the create: this fetch is refused at least once, then let through
    const fetched = await rzp.fetchLink(first.id);
    expect(fetched.id).toBe(first.id);
    const { requests } = await stats();
    expect(requests).toBeGreaterThan(2);
  });
});
