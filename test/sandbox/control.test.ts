/**
 * The control API (architecture §7), the expiry timer and the hosted pay page.
 */
import type Razorpay from 'razorpay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox/server';
import { control, linkBody, sdkFor, unixNow, WebhookReceiver } from './helpers';

type CreateBody = Parameters<Razorpay['paymentLink']['create']>[0];
type LinkJson = Record<string, unknown> & { id: string; short_url: string };

let sandbox: Sandbox;
let rzp: Razorpay;
let receiver: WebhookReceiver;
/** the sandbox's clock, moved forward by tests */
let offsetMs = 0;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  sandbox = await startSandbox({
    port: 0,
    webhookUrl: receiver.url,
    clock: () => Date.now() + offsetMs,
    expiryIntervalMs: 10,
  });
  rzp = sdkFor(sandbox);
});

beforeEach(() => {
  offsetMs = 0;
  receiver.clear();
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function createLink(overrides: Record<string, unknown> = {}): Promise<LinkJson> {
  return (await rzp.paymentLink.create(linkBody(overrides) as CreateBody)) as unknown as LinkJson;
}

const payPath = (id: string) => `/_sandbox/payment_links/${id}/pay`;

describe('POST /_sandbox/payment_links/{id}/pay', () => {
  it('pays all that is due by UPI by default and answers {payment_id, payment_link}', async () => {
    const link = await createLink();
    const res = await control<{ payment_id: string; payment_link: Record<string, unknown> }>(
      sandbox,
      'POST',
      payPath(link.id),
      {},
    );
    expect(res.status).toBe(200);
    expect(res.body.payment_id).toMatch(/^pay_[0-9A-Za-z]{14}$/);
    expect(res.body.payment_link).toMatchObject({
      id: link.id,
      status: 'paid',
      amount_paid: 150000,
      payments: [{ payment_id: res.body.payment_id, amount: 150000, method: 'upi', status: 'captured' }],
    });
  });

  it('takes part payments on a link that accepts them', async () => {
    const link = await createLink({ accept_partial: true, first_min_partial_amount: 40000 });
    const first = await control(sandbox, 'POST', payPath(link.id), { amount: 40000, method: 'card' });
    expect(first.body['payment_link']).toMatchObject({ status: 'partially_paid', amount_paid: 40000 });
    const second = await control(sandbox, 'POST', payPath(link.id), { amount: 10000, method: 'wallet' });
    expect(second.body['payment_link']).toMatchObject({ status: 'partially_paid', amount_paid: 50000 });
    const rest = await control(sandbox, 'POST', payPath(link.id), {});
    expect(rest.body['payment_link']).toMatchObject({ status: 'paid', amount_paid: 150000 });
  });

  it('records a failed attempt without changing the link', async () => {
    const link = await createLink();
    const res = await control(sandbox, 'POST', payPath(link.id), { outcome: 'failed' });
    expect(res.status).toBe(200);
    expect(res.body['payment']).toMatchObject({ status: 'failed' });
    expect(res.body['payment_link']).toMatchObject({ status: 'created', amount_paid: 0, payments: [] });
  });

  it.each([
    ['more than is due', { amount: 150001 }, 'amount 150001 exceeds the amount due (150000)'],
    ['a part payment on a link without accept_partial', { amount: 1000 }, 'does not accept partial payments'],
    ['an unknown method', { method: 'cash' }, 'method'],
    ['an unknown outcome', { outcome: 'pending' }, 'outcome'],
    ['a decimal amount', { amount: 10.5 }, 'amount'],
    ['an unknown key', { amount: 100, tip: 5 }, 'unknown key(s): tip'],
  ])('refuses %s with 400', async (_name, body, message) => {
    const link = await createLink();
    const res = await control<{ error: { code: string; description: string } }>(
      sandbox,
      'POST',
      payPath(link.id),
      body,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('BAD_REQUEST_ERROR');
    expect(res.body.error.description).toContain(message);
  });

  it('refuses a first part payment below first_min_partial_amount', async () => {
    const link = await createLink({ accept_partial: true, first_min_partial_amount: 50000 });
    const res = await control<{ error: { description: string } }>(sandbox, 'POST', payPath(link.id), {
      amount: 20000,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.description).toBe(
      'a partial payment must be at least 50000 (or the full 150000 due)',
    );
  });

  it('refuses to pay a paid, cancelled or expired link, saying why', async () => {
    const paid = await createLink();
    await control(sandbox, 'POST', payPath(paid.id), {});
    const cancelled = await createLink();
    await rzp.paymentLink.cancel(cancelled.id);
    const expired = await createLink();
    await control(sandbox, 'POST', `/_sandbox/payment_links/${expired.id}/expire`);
    for (const [link, status] of [
      [paid, 'paid'],
      [cancelled, 'cancelled'],
      [expired, 'expired'],
    ] as const) {
      const res = await control<{ error: { description: string } }>(sandbox, 'POST', payPath(link.id), {});
      expect(res.status).toBe(400);
      expect(res.body.error.description).toBe(`payment link ${link.id} is ${status} and cannot be paid`);
    }
  });

  it('answers 404 for an unknown link', async () => {
    const res = await control(sandbox, 'POST', payPath('plink_AAAAAAAAAAAAAA'), {});
    expect(res.status).toBe(404);
  });
});

describe('expiry', () => {
  it('POST …/expire expires a created link: expired_at set, updated_at kept', async () => {
    const link = await createLink();
    const res = await control(sandbox, 'POST', `/_sandbox/payment_links/${link.id}/expire`);
    expect(res.status).toBe(200);
    expect(res.body['payment_link']).toMatchObject({
      status: 'expired',
      expired_at: expect.any(Number),
      updated_at: link['updated_at'],
    });
    await receiver.waitFor((r) => r.some((w) => w.event === 'payment_link.expired'));
  });

  it('POST …/expire refuses paid links with Razorpay’s text', async () => {
    const link = await createLink();
    await control(sandbox, 'POST', payPath(link.id), {});
    const res = await control<{ error: { description: string } }>(
      sandbox,
      'POST',
      `/_sandbox/payment_links/${link.id}/expire`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.description).toBe('cannot cancel or expire an already paid/partially paid link');
  });

  it('the timer expires a link once its expire_by has passed and sends payment_link.expired', async () => {
    const link = await createLink({ expire_by: unixNow() + 16 * 60 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(((await rzp.paymentLink.fetch(link.id)) as unknown as LinkJson)['status']).toBe('created');

    offsetMs = 17 * 60 * 1000;
    const received = await receiver.waitFor((r) => r.some((w) => w.event === 'payment_link.expired'));
    const expired = received.find((w) => w.event === 'payment_link.expired');
    expect(expired?.body.payload['payment_link']?.entity).toMatchObject({ id: link.id, status: 'expired' });
    const fetched = (await rzp.paymentLink.fetch(link.id)) as unknown as LinkJson;
    expect(fetched['status']).toBe('expired');
    expect(fetched['expired_at']).toBeGreaterThanOrEqual(link['expire_by'] as number);
  });
});

describe('config, log, listing, stats and reset', () => {
  it('GET /_sandbox/config shows every knob and PUT changes only the keys it names', async () => {
    const before = await control(sandbox, 'GET', '/_sandbox/config');
    expect(Object.keys(before.body).sort()).toEqual(
      [
        'webhookUrl',
        'webhookSecret',
        'latencyMs',
        'rateLimitPerSecond',
        'errorRate',
        'hangRate',
        'hangMs',
        'duplicateWebhooks',
        'shuffleWebhooks',
        'notifyPerMinute',
        'refundMode',
      ].sort(),
    );
    const put = await control(sandbox, 'PUT', '/_sandbox/config', { latencyMs: 5, duplicateWebhooks: 2 });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...before.body, latencyMs: 5, duplicateWebhooks: 2 });
    expect(sandbox.config).toEqual(put.body);
    await control(sandbox, 'PUT', '/_sandbox/config', { latencyMs: 0, duplicateWebhooks: 1 });
  });

  it.each([
    [{ errorRate: 1.5 }, 'errorRate'],
    [{ latencyMs: -1 }, 'latencyMs'],
    [{ hangMs: 'long' }, 'hangMs'],
    [{ webhookUrl: 'ftp://example.com' }, 'webhookUrl'],
    [{ shuffleWebhooks: 'yes' }, 'shuffleWebhooks'],
    [{ retries: 3 }, 'unknown key(s): retries'],
  ])('PUT /_sandbox/config refuses %j with 400 and changes nothing', async (patch, named) => {
    const before = sandbox.config;
    const res = await control<{ error: { description: string; details: string[] } }>(
      sandbox,
      'PUT',
      '/_sandbox/config',
      patch,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.description).toContain(named);
    expect(sandbox.config).toEqual(before);
  });

  it('refuses a body that is not JSON', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/config`, { method: 'PUT', body: '{nope' });
    expect(res.status).toBe(400);
  });

  it('GET /_sandbox/webhooks lists deliveries with the documented fields', async () => {
    sandbox.reset();
    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    await sandbox.webhooksIdle();
    const res = await control<{ deliveries: Record<string, unknown>[] }>(
      sandbox,
      'GET',
      '/_sandbox/webhooks',
    );
    expect(res.body.deliveries).toEqual([
      expect.objectContaining({
        event_id: expect.stringMatching(/^[0-9A-Za-z]{14}$/),
        event: 'payment_link.cancelled',
        url: receiver.url,
        status_code: 200,
        attempts: 1,
        delivered_at: expect.any(String),
      }),
    ]);
  });

  it('GET /_sandbox/payment_links and /_sandbox/stats count links, creates and API requests', async () => {
    sandbox.reset();
    await createLink();
    await createLink();
    await rzp.paymentLink.all();
    const links = await control<{ count: number; payment_links: unknown[] }>(
      sandbox,
      'GET',
      '/_sandbox/payment_links',
    );
    expect(links.body.count).toBe(2);
    expect(links.body.payment_links).toHaveLength(2);
    const stats = await control(sandbox, 'GET', '/_sandbox/stats');
    expect(stats.body).toEqual({ links: 2, creates: 2, requests: 3 });
  });

  it('POST /_sandbox/reset forgets links, payments and deliveries but keeps the config', async () => {
    await control(sandbox, 'PUT', '/_sandbox/config', { latencyMs: 1 });
    const link = await createLink();
    await control(sandbox, 'POST', payPath(link.id), {});
    const res = await control(sandbox, 'POST', '/_sandbox/reset');
    expect(res.status).toBe(200);
    expect(sandbox.links).toBe(0);
    expect(sandbox.deliveries).toEqual([]);
    expect(sandbox.config.latencyMs).toBe(1);
    // the reference id is free again
    await createLink({ reference_id: link['reference_id'] });
    await control(sandbox, 'PUT', '/_sandbox/config', { latencyMs: 0 });
  });

  it('answers 404 for an unknown control route', async () => {
    expect((await control(sandbox, 'GET', '/_sandbox/nothing')).status).toBe(404);
  });
});

describe('pay page', () => {
  const page = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get('content-type'), html: await res.text() };
  };
  const submit = (link: LinkJson, form: Record<string, string>) =>
    fetch(`${link.short_url}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    });

  it('shows the amount due with labelled pay buttons and methods', async () => {
    const link = await createLink();
    const { status, type, html } = await page(link.short_url);
    expect(status).toBe(200);
    expect(type).toContain('text/html');
    expect(html).toContain('₹1,500.00');
    expect(html).toContain('<legend>Payment method</legend>');
    for (const method of ['upi', 'card', 'netbanking', 'wallet']) expect(html).toContain(`value="${method}"`);
    expect(html).toContain('value="full"');
    expect(html).toContain('value="fail"');
    expect(html).not.toContain('name="amount"');
    expect(html).not.toMatch(/<(script|link)\b/);
  });

  it('offers a labelled amount input only when the link accepts part payments', async () => {
    const link = await createLink({ accept_partial: true });
    const { html } = await page(link.short_url);
    expect(html).toContain('<label for="amount">');
    expect(html).toContain('id="amount" name="amount"');
  });

  it('pays part, then shows the result and what is still due', async () => {
    const link = await createLink({ accept_partial: true });
    const res = await submit(link, { action: 'partial', amount: '500.50', method: 'netbanking' });
    expect(res.status).toBe(303);
    const result = await page(new URL(res.headers.get('location') ?? '', sandbox.url).toString());
    expect(result.html).toContain('Payment successful');
    expect(result.html).toContain('₹500.50');
    expect(result.html).toContain('₹999.50');
    const fetched = (await rzp.paymentLink.fetch(link.id)) as unknown as LinkJson;
    expect(fetched).toMatchObject({ status: 'partially_paid', amount_paid: 50050 });
  });

  it('shows a failed attempt and keeps the link payable', async () => {
    const link = await createLink();
    const res = await submit(link, { action: 'fail', method: 'card' });
    const result = await page(new URL(res.headers.get('location') ?? '', sandbox.url).toString());
    expect(result.html).toContain('Payment failed');
    expect(result.html).toContain('value="full"');
  });

  it('explains a refused payment (more than is due) with 400', async () => {
    const link = await createLink({ accept_partial: true });
    const res = await submit(link, { action: 'partial', amount: '2000' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('exceeds the amount due');
  });

  it('shows a terminal link’s status and offers no way to pay', async () => {
    const link = await createLink();
    await rzp.paymentLink.cancel(link.id);
    const { status, html } = await page(link.short_url);
    expect(status).toBe(200);
    expect(html).toContain('Cancelled');
    expect(html).not.toContain('<form');
    expect((await submit(link, { action: 'full' })).status).toBe(400);
  });

  it('answers 404 for an unknown short code', async () => {
    expect((await page(`${sandbox.url}/rzp/nosuchcode`)).status).toBe(404);
  });
});
