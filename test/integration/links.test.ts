import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as cancel } from '../../functions/cancel-link/handler';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as list } from '../../functions/list-links/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { handler as pending } from '../../functions/pending-emis/handler';
import { handler as refresh } from '../../functions/refresh-link/handler';
import { stores } from '../../shared/wiring';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';
import { call } from '../support/http';

const emiStore = () => stores().emis;
const linkStore = () => stores().links;

let app: TestApp;

const gen = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call(generate, { method: 'POST', path: '/api/payment-links/generate', body, headers });
const doRefresh = (id: string) => call(refresh, { method: 'POST', pathParameters: { id } });
const doCancel = (id: string) => call(cancel, { method: 'POST', pathParameters: { id } });
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const linksAtRazorpayFor = async (loanId: string, emiNumber: number) =>
  (await sandboxLinks(app)).filter(
    (l) => l.notes.loan_id === loanId && l.notes.emi_number === String(emiNumber),
  );

beforeAll(async () => {
  app = await startTestApp('links');
  const loans = [
    loan('L-1', 'Acme', [-3, 5, 10, 12]),
    loan('L-2', 'Acme', [-2, 1]),
    loan('L-3', 'Beta', [-1, 2]),
    loan('L-CONC', 'Acme', [-1, 4]),
    loan('L-BIG', 'Acme', [-1], 600_000_000), // ₹60 lakh: above the sandbox merchant's maximum
    loan('L-FAULT', 'Acme', [-1, 1, 2, 3]),
    loan('L-TWICE', 'Gamma', [-4]),
  ];
  const res = await call(upsert, { method: 'POST', body: { loans } });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  app.sandbox.config = { errorRate: 0, hangRate: 0, rateLimitPerSecond: 0, latencyMs: 0 };
});

describe('generate', () => {
  it('creates a Razorpay link for the outstanding amount, with notes that map back, and registers it on the EMI', async () => {
    const res = await gen({ loanId: 'L-1', emiNumber: 1 });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      loanId: 'L-1',
      emiNumber: 1,
      lender: 'Acme',
      amount: 250_000,
      amountPaid: 0,
      currency: 'INR',
      status: 'created',
      reused: false,
      payments: [],
      attention: null,
    });
    expect(res.json.razorpayLinkId).toMatch(/^plink_[A-Za-z0-9]{14}$/);
    expect(res.json.referenceId).toBe(res.json.id);
    expect(res.json.shortUrl).toContain('/rzp/');
    const atRazorpay = await linksAtRazorpayFor('L-1', 1);
    expect(atRazorpay).toHaveLength(1);
    expect(atRazorpay[0]).toMatchObject({
      reference_id: res.json.id,
      notes: { link_id: res.json.id, loan_id: 'L-1', emi_number: '1', lender: 'Acme' },
    });
    const emi = await emiStore().getEmi('L-1', 1, true);
    expect(Object.keys(emi!.links)).toEqual([res.json.id]);
    const page = await call(pending, { query: { lender: 'Acme', bucket: 'overdue' } });
    const row = page.json.items.find((i: { loanId: string }) => i.loanId === 'L-1');
    expect(row.activeLink).toEqual({
      id: res.json.id,
      shortUrl: res.json.shortUrl,
      status: 'created',
      amount: 250_000,
    });
  });

  it('reuses the open link of the same amount, and creates a sibling with forceNew', async () => {
    const first = await gen({ loanId: 'L-1', emiNumber: 1 });
    expect(first.status).toBe(200);
    expect(first.json.reused).toBe(true);
    const forced = await gen({ loanId: 'L-1', emiNumber: 1, forceNew: true });
    expect(forced.status).toBe(201);
    expect(forced.json.id).not.toBe(first.json.id);
    const otherAmount = await gen({ loanId: 'L-1', emiNumber: 1, amount: 100_000 });
    expect(otherAmount.status).toBe(201);
    expect((await linksAtRazorpayFor('L-1', 1)).length).toBe(3);
    const emi = await emiStore().getEmi('L-1', 1, true);
    expect(Object.keys(emi!.links).sort()).toEqual(
      [first.json.id, forced.json.id, otherAmount.json.id].sort(),
    );
  });

  it('creates exactly one Razorpay link when 20 requests for one EMI arrive at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => gen({ loanId: 'L-CONC', emiNumber: 1 })),
    );
    expect(replies.map((r) => r.status).sort((a, b) => a - b)).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(replies.map((r) => r.json.id)).size).toBe(1);
    expect(await linksAtRazorpayFor('L-CONC', 1)).toHaveLength(1);
  });

  it('registers every link on the EMI when 10 forceNew requests arrive at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => gen({ loanId: 'L-CONC', emiNumber: 2, forceNew: true })),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    const emi = await emiStore().getEmi('L-CONC', 2, true);
    expect(Object.keys(emi!.links).sort()).toEqual(replies.map((r) => r.json.id).sort());
    expect(await linksAtRazorpayFor('L-CONC', 2)).toHaveLength(10);
  });

  it('answers a repeated Idempotency-Key with the first answer, and refuses the key with another body', async () => {
    const headers = { 'idempotency-key': 'req-0001' };
    const a = await gen({ loanId: 'L-2', emiNumber: 2, forceNew: true }, headers);
    const b = await gen({ forceNew: true, emiNumber: 2, loanId: 'L-2' }, headers);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.json.id).toBe(a.json.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(await linksAtRazorpayFor('L-2', 2)).toHaveLength(1);
    const other = await gen({ loanId: 'L-2', emiNumber: 1 }, headers);
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const long = await gen({ loanId: 'L-2', emiNumber: 1 }, { 'idempotency-key': 'k'.repeat(129) });
    expect(long.status).toBe(400);
    expect(long.json.error.details[0].field).toBe('header.Idempotency-Key');
  });
});

describe('refresh and the crediting path', () => {
  it('credits a payment once however often it is refreshed, and the EMI leaves the pending list', async () => {
    const link = (await gen({ loanId: 'L-3', emiNumber: 1 })).json;
    await pay(link.razorpayLinkId);
    const replies = [await doRefresh(link.id), await doRefresh(link.id), await doRefresh(link.id)];
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ status: 'paid', amountPaid: 250_000 });
      expect(r.json.payments).toHaveLength(1);
      expect(r.json.payments[0]).toMatchObject({ amount: 250_000, status: 'captured' });
    }
    const emi = await emiStore().getEmi('L-3', 1, true);
    expect(emi!.amountCredited).toBe(250_000);
    expect(emi!.links).toEqual({});
    const page = await call(pending, { query: { lender: 'Beta' } });
    expect(page.json.items.map((i: { emiNumber: number }) => i.emiNumber)).toEqual([2]);
  });

  it('credits several partial payments once each and cancels the open sibling', async () => {
    const partial = (
      await gen({ loanId: 'L-3', emiNumber: 2, acceptPartial: true, minPartialAmount: 10_000 })
    ).json;
    const sibling = (await gen({ loanId: 'L-3', emiNumber: 2, forceNew: true })).json;
    await pay(partial.razorpayLinkId, { amount: 50_000 });
    const one = await doRefresh(partial.id);
    expect(one.json).toMatchObject({ status: 'partially_paid', amountPaid: 50_000 });
    await pay(partial.razorpayLinkId, { amount: 200_000 });
    const two = await doRefresh(partial.id);
    await doRefresh(partial.id);
    expect(two.json).toMatchObject({ status: 'paid', amountPaid: 250_000 });
    expect(two.json.payments).toHaveLength(2);
    const emi = await emiStore().getEmi('L-3', 2, true);
    expect(emi!.amountCredited).toBe(250_000);
    const sib = await linkStore().getLink(sibling.id);
    expect(sib).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
    const atRazorpay = (await sandboxLinks(app)).find((l) => l.id === sibling.razorpayLinkId);
    expect(atRazorpay?.status).toBe('cancelled');
  });

  it('credits both payments when a borrower pays two sibling links before either is reported, flagging the second as overpaid', async () => {
    const first = (await gen({ loanId: 'L-TWICE', emiNumber: 1 })).json;
    const second = (await gen({ loanId: 'L-TWICE', emiNumber: 1, forceNew: true })).json;
    // both paid at Razorpay before we hear of either (no webhooks in this file)
    await pay(first.razorpayLinkId);
    await pay(second.razorpayLinkId);
    const a = await doRefresh(first.id);
    const b = await doRefresh(second.id);
    expect(a.json).toMatchObject({ status: 'paid', amountPaid: 250_000, attention: null });
    expect(b.json).toMatchObject({ status: 'paid', amountPaid: 250_000, attention: 'overpaid' });
    // the second cancel attempt met a paid link: it was credited instead, never dropped
    const emi = await emiStore().getEmi('L-TWICE', 1, true);
    expect(emi!.amountCredited).toBe(500_000);
    const flagged = await call(list, { query: { attention: 'true', loanId: 'L-TWICE' } });
    expect(flagged.json.items.map((i: { id: string }) => i.id)).toEqual([second.id]);
  });

  it('answers 409 EMI already paid for a settled EMI', async () => {
    const res = await gen({ loanId: 'L-3', emiNumber: 1 });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('EMI_ALREADY_PAID');
    expect(res.json.error.message).toMatch(/EMI already paid/);
  });
});

describe('cancel', () => {
  it('cancels an open link at Razorpay and locally, then refuses to cancel it again', async () => {
    const link = (await gen({ loanId: 'L-1', emiNumber: 2 })).json;
    const res = await doCancel(link.id);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'cancelled', cancelReason: 'manual' });
    expect((await sandboxLinks(app)).find((l) => l.id === link.razorpayLinkId)?.status).toBe('cancelled');
    const again = await doCancel(link.id);
    expect(again.status).toBe(409);
    expect(again.json.error.message).toMatch(/already cancelled/);
    const emi = await emiStore().getEmi('L-1', 2, true);
    expect(emi!.links).toEqual({});
  });

  it('refuses to cancel a partially paid link and says why', async () => {
    const link = (await gen({ loanId: 'L-1', emiNumber: 3, acceptPartial: true })).json;
    await pay(link.razorpayLinkId, { amount: 1_000 });
    await doRefresh(link.id);
    const res = await doCancel(link.id);
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/partly paid/);
  });

  it('credits instead of cancelling when the borrower paid before the cancel reached us', async () => {
    const link = (await gen({ loanId: 'L-1', emiNumber: 4 })).json;
    await pay(link.razorpayLinkId);
    const res = await doCancel(link.id);
    expect(res.status).toBe(409);
    expect(res.json.error.message).toMatch(/already been paid/);
    expect(await linkStore().getLink(link.id)).toMatchObject({ status: 'paid', amountPaid: 250_000 });
  });
});

describe('list', () => {
  it('filters by loan and EMI, status and lender, newest first, with a cursor', async () => {
    const byEmi = await call(list, { query: { loanId: 'L-1', emiNumber: '1' } });
    expect(byEmi.status).toBe(200);
    expect(byEmi.json.items).toHaveLength(3);
    const times = byEmi.json.items.map((i: { createdAt: string }) => i.createdAt);
    expect([...times].sort().reverse()).toEqual(times);

    const paid = await call(list, { query: { status: 'paid' } });
    expect(paid.json.items.length).toBeGreaterThanOrEqual(3);
    expect(paid.json.items.every((i: { status: string }) => i.status === 'paid')).toBe(true);

    const beta = await call(list, { query: { lender: 'Beta', status: 'cancelled' } });
    expect(beta.json.items.map((i: { loanId: string }) => i.loanId)).toEqual(['L-3']);

    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await call(list, { query: { lender: 'Acme', limit: '4', ...(cursor ? { cursor } : {}) } });
      expect(page.status).toBe(200);
      for (const i of page.json.items) seen.add(i.id);
      cursor = page.json.nextCursor ?? undefined;
    } while (cursor);
    const all = await call(list, { query: { lender: 'Acme', limit: '200' } });
    expect(seen.size).toBe(all.json.items.length);
  });

  it.each([
    [{ status: 'gone' }, 'query.status'],
    [{ emiNumber: '1' }, 'query.emiNumber'],
    [{ loanId: 'L-1', emiNumber: 'x' }, 'query.emiNumber'],
    [{ limit: '500' }, 'query.limit'],
    [{ attention: 'yes' }, 'query.attention'],
    [{ cursor: 'abc' }, 'query.cursor'],
  ])('answers 400 for %o', async (query, field) => {
    const res = await call(list, { query: query as Record<string, string> });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].field).toBe(field);
  });
});

describe('when Razorpay refuses or fails', () => {
  it('keeps a refused link as failed with Razorpay’s reason and answers 422', async () => {
    const res = await gen({ loanId: 'L-BIG', emiNumber: 1 });
    expect(res.status).toBe(422);
    expect(res.json.error.message).toMatch(/amount exceeds maximum amount allowed/);
    const [failed] = (await call(list, { query: { loanId: 'L-BIG' } })).json.items;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'RAZORPAY_REJECTED' } });
    const emi = await emiStore().getEmi('L-BIG', 1, true);
    expect(emi!.links).toEqual({});
  });

  it('answers 502 when Razorpay keeps failing, leaves nothing open, and the next try succeeds with one link', async () => {
    app.sandbox.config = { errorRate: 1 };
    const res = await gen({ loanId: 'L-FAULT', emiNumber: 1 });
    expect(res.status).toBe(502);
    expect(res.json.error.message).toMatch(/Razorpay is unavailable/);
    const page = await call(pending, { query: { lender: 'Acme', bucket: 'overdue' } });
    expect(page.json.items.find((i: { loanId: string }) => i.loanId === 'L-FAULT').activeLink).toBeNull();
    app.sandbox.config = { errorRate: 0 };
    const retry = await gen({ loanId: 'L-FAULT', emiNumber: 1 });
    expect(retry.status).toBe(201);
    expect(await linksAtRazorpayFor('L-FAULT', 1)).toHaveLength(1);
  });

  it('finds the link by reference id when a create timed out after Razorpay made it', async () => {
    app.sandbox.config = { hangRate: 1, hangMs: 2500 };
    const res = await gen({ loanId: 'L-FAULT', emiNumber: 2 });
    app.sandbox.config = { hangRate: 0 };
    expect([201, 503]).toContain(res.status);
    // whatever the first answer, a retry converges on the one link Razorpay made
    const retry = await gen({ loanId: 'L-FAULT', emiNumber: 2 });
    expect([200, 201]).toContain(retry.status);
    expect(retry.json.status).toBe('created');
    await new Promise((r) => setTimeout(r, 2600));
    expect(await linksAtRazorpayFor('L-FAULT', 2)).toHaveLength(1);
  });

  it('retries through a rate limit and still creates one link', async () => {
    app.sandbox.config = { rateLimitPerSecond: 2 };
    const replies = await Promise.all([
      gen({ loanId: 'L-FAULT', emiNumber: 3, forceNew: true }),
      gen({ loanId: 'L-FAULT', emiNumber: 4, forceNew: true }),
      gen({ loanId: 'L-FAULT', emiNumber: 3, amount: 100_000 }),
    ]);
    for (const r of replies) expect([201, 503]).toContain(r.status);
    app.sandbox.config = { rateLimitPerSecond: 0 };
    const created = replies.filter((r) => r.status === 201).length;
    const atRazorpay =
      (await linksAtRazorpayFor('L-FAULT', 3)).length + (await linksAtRazorpayFor('L-FAULT', 4)).length;
    expect(atRazorpay).toBe(created);
  });
});

describe('bad input on generate, refresh and cancel writes nothing', () => {
  it.each([
    [{ loanId: 'L-2', emiNumber: 1, amount: '1000' }, 400, 'amount'],
    [{ loanId: 'L-2', emiNumber: 1, amount: 1000.5 }, 400, 'amount'],
    [{ loanId: 'L-2', emiNumber: 1, amount: -100 }, 400, 'amount'],
    [{ loanId: 'L-2', emiNumber: 1, amount: 99 }, 400, 'amount'],
    [{ loanId: 'L-2', emiNumber: 1, amount: 250_001 }, 422, 'amount'],
    [{ loanId: 'L-2', emiNumber: 1, expireBy: '2020-01-01T00:00:00Z' }, 422, 'expireBy'],
    [
      { loanId: 'L-2', emiNumber: 1, expireBy: new Date(Date.now() + 10 * 60_000).toISOString() },
      422,
      'expireBy',
    ],
    [{ loanId: 'L-2', emiNumber: 1, expireBy: '2031-01-01T00:00:00Z' }, 422, 'expireBy'],
    [{ loanId: 'L-2', emiNumber: 1, expireBy: 'tomorrow' }, 400, 'expireBy'],
    [{ loanId: 'L-2', emiNumber: 1, minPartialAmount: 1000 }, 422, 'minPartialAmount'],
    [
      { loanId: 'L-2', emiNumber: 1, acceptPartial: true, minPartialAmount: 300_000 },
      422,
      'minPartialAmount',
    ],
    [{ loanId: 'L-2', emiNumber: 1, colour: 'red' }, 400, ''],
    [{ loanId: 'L-2' }, 400, 'emiNumber'],
    [{ loanId: 'L-2', emiNumber: 1, notify: { sms: 'yes' } }, 400, 'notify.sms'],
  ])('rejects %o with %i naming the field', async (body, status, field) => {
    const before = (await sandboxLinks(app)).length;
    const res = await gen(body);
    expect(res.status).toBe(status);
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field || 'body');
    expect((await sandboxLinks(app)).length).toBe(before);
    const emi = await emiStore().getEmi('L-2', 1, true);
    expect(emi!.links).toEqual({});
  });

  it('answers 404 for an unknown EMI and unknown link ids, 400 for malformed ones', async () => {
    expect((await gen({ loanId: 'L-404', emiNumber: 1 })).status).toBe(404);
    expect((await gen({ loanId: 'L-2', emiNumber: 99 })).status).toBe(404);
    expect((await doRefresh('lnk_00000000000000000000')).status).toBe(404);
    expect((await doCancel('lnk_00000000000000000000')).status).toBe(404);
    const bad = await doRefresh('../../etc');
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].field).toBe('path.id');
  });
});
