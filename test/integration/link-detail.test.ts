/**
 * One link, in full (architecture §4c), through the local gateway (the route table's routing, the
 * JWT check, each function) against DynamoDB Local and the Razorpay sandbox: the detail and its
 * timeline, resend, update, the QR code and the borrower's return page. Webhooks the sandbox sends
 * are applied by the real apply path (a small receiver hands each body to applyWebhookEvent).
 */
import { createServer, type Server } from 'node:http';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway } from '../../local/gateway';
import { parseWebhookEvent } from '../../shared/domain/razorpay/events';
import { checkBulkRequest } from '../../shared/usecases/bulk-start';
import { applyWebhookEvent } from '../../shared/usecases/webhook-apply';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { api as apiAt, type Reply } from '../support/api';
import { startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';

const linkStore = () => stores().links;

let app: TestApp;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let receiver: Server;
let ops: string;
let viewer: string;
let otherLender: string;
/** the sandbox's clock runs this far ahead of ours (Razorpay's time, moved to test expiry) */
let sandboxAhead = 0;
/** webhook bodies the receiver could not apply (a test failure if any) */
const applyErrors: unknown[] = [];

const api = (
  method: string,
  path: string,
  auth: string | null = ops,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, auth, body, headers);
const gen = async (loanId: string, emiNumber: number, extra: Record<string, unknown> = {}) => {
  const res = await api('POST', '/api/payment-links/generate', ops, { loanId, emiNumber, ...extra });
  expect([200, 201]).toContain(res.status);
  return res.json as { id: string; razorpayLinkId: string; shortUrl: string; amount: number };
};
const detail = (id: string, auth: string | null = ops) => api('GET', `/api/payment-links/${id}`, auth);
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const types = (res: Reply) => (res.json.events as { type: string }[]).map((e) => e.type);

/** Waits until the sandbox has delivered everything (each delivery applied before it is acknowledged). */
const settle = () => app.sandbox.webhooksIdle();

beforeAll(async () => {
  // the receiver: each signed delivery is applied by the worker's own use case before the 200
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const parsed = parseWebhookEvent(Buffer.concat(chunks));
      try {
        if (parsed.ok)
          await applyWebhookEvent(linkDeps(), parsed.event, String(req.headers['x-razorpay-event-id']));
      } catch (err) {
        applyErrors.push(err);
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  app = await startTestApp('detail', {
    webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay`,
    sandbox: { clock: () => Date.now() + sandboxAhead },
  });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  // links are created with the return page as callback_url (the local gateway's, as npm start does)
  process.env.PAY_RETURN_URL = `${gateway.url}/pay/return`;
  ops = await app.names.issuer.machine('emi-links/read emi-links/write emi-links/loans.write');
  viewer = await app.names.issuer.person('viewer', ['Acme']);
  otherLender = await app.names.issuer.person('collector', ['Beta']);
  const loans = [
    loan('D-1', 'Acme', [-3, 5]),
    loan('D-2', 'Acme', [-2]),
    loan('D-3', 'Acme', [-1]),
    loan('D-4', 'Acme', [-1]),
    loan('D-5', 'Acme', [-1]),
    loan('D-6', 'Acme', [-1]),
    loan('D-7', 'Acme', [-1]),
    loan('U-1', 'UpiCo', [-1, 10]),
  ];
  const res = await api('POST', '/api/loans', ops, { loans });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  delete process.env.PAY_RETURN_URL;
  await gateway?.close();
  await app?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

beforeEach(() => {
  app.sandbox.config = { errorRate: 0, hangRate: 0, rateLimitPerSecond: 0, latencyMs: 0, notifyPerMinute: 3 };
  expect(applyErrors).toEqual([]);
});

describe('GET /api/payment-links/{id}', () => {
  it('answers the link with its timeline, failed attempts and siblings, written as things happened', async () => {
    const first = await gen('D-1', 1);
    const second = await gen('D-1', 1, { forceNew: true });
    let res = await detail(first.id);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: first.id,
      status: 'created',
      reminders: true,
      attempts: [],
      refunds: [],
      siblings: [{ id: second.id, status: 'created', amount: 250_000 }],
    });
    expect(res.json.events).toEqual([
      {
        at: expect.any(String),
        type: 'created',
        actor: { sub: expect.any(String), name: expect.any(String) },
        detail: expect.objectContaining({ amount: 250_000 }),
      },
    ]);

    // a failed attempt (payment.failed) and then a payment in full: the sibling is cancelled
    const failed = await pay(first.razorpayLinkId, { outcome: 'failed', method: 'card' });
    const paid = await pay(first.razorpayLinkId, { method: 'upi' });
    await settle();
    res = await detail(first.id);
    expect(res.json.status).toBe('paid');
    expect(res.json.attempts).toEqual([
      {
        paymentId: failed.payment_id,
        amount: 250_000,
        method: 'card',
        errorReason: 'Payment failed',
        at: expect.any(String),
      },
    ]);
    expect(types(res)).toEqual(['created', 'payment_failed', 'paid']);
    expect(res.json.events[2]).toMatchObject({
      actor: null,
      detail: { paymentId: paid.payment_id, amount: 250_000 },
    });
    expect(res.json.siblings).toEqual([{ id: second.id, status: 'cancelled', amount: 250_000 }]);
    const sibling = await detail(second.id);
    expect(types(sibling)).toEqual(['created', 'cancelled']);
    expect(sibling.json.events[1].detail).toEqual({ reason: 'sibling_paid' });
  });

  it('stays consistent with the link when the same payment is reported many times at once', async () => {
    const link = await gen('D-2', 1);
    await pay(link.razorpayLinkId);
    await settle();
    // ten refreshes racing each other and the webhooks already applied: one `paid`, not eleven
    const refreshes = await Promise.all(
      Array.from({ length: 10 }, () => api('POST', `/api/payment-links/${link.id}/refresh-status`)),
    );
    expect(refreshes.every((r) => r.status === 200)).toBe(true);
    const res = await detail(link.id);
    expect(types(res)).toEqual(['created', 'paid']);
    const stored = await linkStore().getLink(link.id);
    expect(stored?.events).toHaveLength(2);
  });

  it("answers another lender's link exactly like an unknown one, and a malformed id with 400", async () => {
    const link = await gen('D-3', 1);
    const theirs = await detail(link.id, otherLender);
    const unknown = await detail('lnk_aaaaaaaaaaaaaaaaaaaa', otherLender);
    expect(theirs.status).toBe(404);
    expect(theirs.json.error.code).toBe('NOT_FOUND');
    expect(unknown.status).toBe(404);
    expect(theirs.json.error.message.replace(link.id, 'X')).toBe(
      unknown.json.error.message.replace('lnk_aaaaaaaaaaaaaaaaaaaa', 'X'),
    );
    expect((await detail(link.id, viewer)).status).toBe(200);
    expect((await detail(link.id, null)).status).toBe(401);
    const bad = await detail('plink_123');
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].field).toBe('path.id');
  });
});

describe('POST /api/payment-links/{id}/notify', () => {
  it('has Razorpay send the link again, records who asked on the timeline, and passes its 429 on', async () => {
    const link = await gen('D-4', 1);
    const res = await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'sms' });
    expect(res.status).toBe(200);
    expect(res.json.events.at(-1)).toMatchObject({
      type: 'notified',
      actor: { sub: expect.any(String) },
      detail: { via: 'sms' },
    });
    expect((await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'email' })).status).toBe(
      200,
    );
    const sent = await app.control<{ notifications: { linkId: string; medium: string }[] }>(
      'GET',
      '/_sandbox/notifications',
    );
    expect(sent.notifications.filter((n) => n.linkId === link.razorpayLinkId).map((n) => n.medium)).toEqual([
      'sms',
      'email',
    ]);

    // Razorpay's own throttle (per link and medium): 429 with the contract's error body, nothing recorded
    app.sandbox.config = { notifyPerMinute: 1 };
    const throttled = await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'sms' });
    expect(throttled.status).toBe(429);
    expect(throttled.json.error.code).toBe('TOO_MANY_REQUESTS');
    expect(types(await detail(link.id))).toEqual(['created', 'notified', 'notified']);
  });

  it('refuses an unknown via (400), a viewer (403), and a paid, cancelled or expired link (409)', async () => {
    const link = await gen('D-5', 1);
    const bad = await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'whatsapp' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details).toEqual([{ field: 'via', message: 'must be "sms" or "email"' }]);
    const extra = await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'sms', to: 'x' });
    expect(extra.status).toBe(400);
    expect(extra.json.error.details[0].message).toContain('to');
    expect((await api('POST', `/api/payment-links/${link.id}/notify`, viewer, { via: 'sms' })).status).toBe(
      403,
    );

    const cancelled = await api('POST', `/api/payment-links/${link.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const onCancelled = await api('POST', `/api/payment-links/${link.id}/notify`, ops, { via: 'sms' });
    expect(onCancelled.status).toBe(409);
    expect(onCancelled.json.error.code).toBe('LINK_CLOSED');

    const expiring = await gen('D-5', 1);
    await app.control('POST', `/_sandbox/payment_links/${expiring.razorpayLinkId}/expire`);
    await settle();
    expect(
      (await api('POST', `/api/payment-links/${expiring.id}/notify`, ops, { via: 'email' })).status,
    ).toBe(409);

    const paid = await gen('D-5', 1);
    await pay(paid.razorpayLinkId);
    await settle();
    expect((await api('POST', `/api/payment-links/${paid.id}/notify`, ops, { via: 'sms' })).status).toBe(409);
    const sent = await app.control<{ notifications: { linkId: string }[] }>('GET', '/_sandbox/notifications');
    const ours = new Set([link.razorpayLinkId, expiring.razorpayLinkId, paid.razorpayLinkId]);
    expect(sent.notifications.filter((n) => ours.has(n.linkId))).toEqual([]);
  });
});

describe('PATCH /api/payment-links/{id}', () => {
  const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

  it('extends a link, which can then still be paid after its old expiry; turns reminders off; switches partial payments', async () => {
    const link = await gen('D-6', 1, { expireBy: inMinutes(20) });
    const later = inMinutes(3 * 24 * 60);
    const res = await api('PATCH', `/api/payment-links/${link.id}`, ops, {
      expireBy: later,
      reminders: false,
      acceptPartial: true,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ reminders: false, acceptPartial: true });
    expect(Date.parse(res.json.expireBy)).toBe(Math.floor(Date.parse(later) / 1000) * 1000);
    expect(res.json.events.at(-1)).toMatchObject({
      type: 'updated',
      actor: { sub: expect.any(String) },
      detail: { reminders: false, acceptPartial: true, expireBy: res.json.expireBy },
    });
    const [atRazorpay] = (
      await app.control<{
        payment_links: { id: string; expire_by: number; reminder_enable: boolean; accept_partial: boolean }[];
      }>('GET', '/_sandbox/payment_links')
    ).payment_links.filter((l) => l.id === link.razorpayLinkId);
    expect(atRazorpay).toMatchObject({
      reminder_enable: false,
      accept_partial: true,
      expire_by: Math.floor(Date.parse(later) / 1000),
    });

    // 25 minutes on, past the old expiry: the sandbox still takes a (part) payment
    sandboxAhead = 25 * 60_000;
    try {
      await pay(link.razorpayLinkId, { amount: 100_000 });
      await settle();
    } finally {
      sandboxAhead = 0;
    }
    const after = await detail(link.id);
    expect(after.json.status).toBe('partially_paid');

    // partly paid: Razorpay allows none of these any more
    const refused = await api('PATCH', `/api/payment-links/${link.id}`, ops, { reminders: true });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('LINK_NOT_UPDATABLE');
  });

  it('refuses a past or too-near expiry, an unknown field, an empty change and a closed link, naming the field', async () => {
    const link = await gen('D-7', 1);
    const past = await api('PATCH', `/api/payment-links/${link.id}`, ops, { expireBy: inMinutes(-5) });
    expect(past.status).toBe(422);
    expect(past.json.error.details[0].field).toBe('expireBy');
    const near = await api('PATCH', `/api/payment-links/${link.id}`, ops, { expireBy: inMinutes(10) });
    expect(near.status).toBe(422);
    expect(near.json.error.details[0]).toMatchObject({
      field: 'expireBy',
      message: expect.stringContaining('16 minutes'),
    });
    const far = await api('PATCH', `/api/payment-links/${link.id}`, ops, {
      expireBy: inMinutes(200 * 24 * 60),
    });
    expect(far.status).toBe(422);
    const unknown = await api('PATCH', `/api/payment-links/${link.id}`, ops, { amount: 100 });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details[0].message).toContain('amount');
    const notDate = await api('PATCH', `/api/payment-links/${link.id}`, ops, { expireBy: 1_900_000_000 });
    expect(notDate.status).toBe(400);
    expect(notDate.json.error.details[0].field).toBe('expireBy');
    expect((await api('PATCH', `/api/payment-links/${link.id}`, ops, {})).status).toBe(400);
    expect((await api('PATCH', `/api/payment-links/${link.id}`, viewer, { reminders: false })).status).toBe(
      403,
    );
    // nothing of that changed the link
    expect(types(await detail(link.id))).toEqual(['created']);

    expect((await api('POST', `/api/payment-links/${link.id}/cancel`)).status).toBe(200);
    const closed = await api('PATCH', `/api/payment-links/${link.id}`, ops, { reminders: false });
    expect(closed.status).toBe(409);
  });
});

describe('QR codes', () => {
  it('draws the link URL as SVG and PNG, cacheable, and a decoder reads the URL back', async () => {
    const link = await gen('D-3', 1);
    const png = await fetch(`${gateway.url}/api/payment-links/${link.id}/qr.png`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('private, max-age=86400');
    const etag = png.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()));
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(link.shortUrl);

    const again = await fetch(`${gateway.url}/api/payment-links/${link.id}/qr.png`, {
      headers: { authorization: `Bearer ${viewer}`, 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);

    const svg = await fetch(`${gateway.url}/api/payment-links/${link.id}/qr.svg`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    const text = await svg.text();
    expect(text).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect(text).toContain('<path');

    const theirs = await fetch(`${gateway.url}/api/payment-links/${link.id}/qr.svg`, {
      headers: { authorization: `Bearer ${otherLender}` },
    });
    expect(theirs.status).toBe(404);
    const anonymous = await fetch(`${gateway.url}/api/payment-links/${link.id}/qr.svg`);
    expect(anonymous.status).toBe(401);
  });
});

describe('the borrower’s return page', () => {
  /** Pays on the sandbox's hosted page as a browser would; answers where it redirects. */
  async function payOnHostedPage(shortUrl: string): Promise<URL> {
    const res = await fetch(`${shortUrl}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'action=full&method=upi',
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    return new URL(res.headers.get('location')!);
  }

  it('confirms a real sandbox redirect with amount, loan and status only, and refuses a tampered one', async () => {
    const link = await gen('D-4', 1);
    const redirect = await payOnHostedPage(link.shortUrl);
    expect(redirect.pathname).toBe('/pay/return');
    expect(redirect.searchParams.get('razorpay_signature')).toMatch(/^[0-9a-f]{64}$/);
    const page = await fetch(`${gateway.url}/pay/return${redirect.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('Payment received');
    expect(html).toContain('₹2500.00');
    expect(html).toContain('D-4');
    expect(html).toContain('Paid in full');
    expect(html).not.toContain('Client D-4'); // no name, phone or e-mail
    expect(html).not.toContain('9876543210');
    expect(html).not.toContain('@example.com');

    const tampered = new URL(redirect);
    tampered.searchParams.set('razorpay_payment_link_status', 'partially_paid');
    const forged = await (await fetch(`${gateway.url}/pay/return${tampered.search}`)).text();
    expect(forged).toContain('We could not confirm this payment');
    expect(forged).not.toContain('D-4');
    const unsigned = new URL(redirect);
    unsigned.searchParams.delete('razorpay_signature');
    expect(await (await fetch(`${gateway.url}/pay/return${unsigned.search}`)).text()).toContain(
      'could not confirm',
    );
    expect(await (await fetch(`${gateway.url}/pay/return`)).text()).toContain('could not confirm');
  });
});

describe('UPI links', () => {
  it('creates a UPI link on a live account, and refuses partial payments on it everywhere', async () => {
    // UPI links are live-mode only (reference §1.4): a live merchant in the sandbox, UpiCo's account
    const keys = { keyId: 'rzp_live_UpiCoLive0001', keySecret: 'upico-live-secret-0001' };
    app.sandbox.addAccount({ ...keys, webhookSecret: 'upico-webhook-secret', webhookUrl: '' });
    const admin = await app.names.issuer.person('admin', ['*']);
    const account = await api('PUT', '/api/payment-accounts/upico', admin, {
      name: 'UpiCo live',
      ...keys,
      webhookSecret: 'upico-webhook-secret',
      lenders: ['UpiCo'],
    });
    expect(account.status).toBe(201);

    const refused = await api('POST', '/api/payment-links/generate', ops, {
      loanId: 'U-1',
      emiNumber: 1,
      upiLink: true,
      acceptPartial: true,
    });
    expect(refused.status).toBe(422);
    expect(refused.json.error.details).toEqual([
      { field: 'acceptPartial', message: expect.stringContaining('UPI') },
    ]);

    const upi = await gen('U-1', 1, { upiLink: true });
    expect(upi).toMatchObject({ upiLink: true, acceptPartial: false, accountId: 'upico' });
    const atRazorpay = (
      await app.control<{ payment_links: { id: string; upi_link: boolean; accept_partial: boolean }[] }>(
        'GET',
        '/_sandbox/payment_links',
      )
    ).payment_links.find((l) => l.id === upi.razorpayLinkId);
    expect(atRazorpay).toMatchObject({ upi_link: true, accept_partial: false });
    // a standard request does not reuse the UPI link, nor a UPI request a standard one
    const standard = await gen('U-1', 1);
    expect(standard.id).not.toBe(upi.id);
    expect((await gen('U-1', 1, { upiLink: true })).id).toBe(upi.id);

    const patch = await api('PATCH', `/api/payment-links/${upi.id}`, ops, { acceptPartial: true });
    expect(patch.status).toBe(422);
    expect(patch.json.error.details[0].field).toBe('acceptPartial');
    await expect(pay(upi.razorpayLinkId, { amount: 100_000 })).rejects.toThrow(
      /does not accept partial payments/,
    );

    // bulk refuses the same request as a whole, before any job is made
    let bulkError: unknown;
    try {
      checkBulkRequest(
        { emis: [{ loanId: 'U-1', emiNumber: 2 }], upiLink: true, acceptPartial: true },
        Math.floor(Date.now() / 1000),
      );
    } catch (err) {
      bulkError = err;
    }
    expect(bulkError).toMatchObject({
      details: [{ field: 'acceptPartial', message: expect.stringContaining('UPI') }],
    });
  });
});
