/**
 * One link for a loan's whole overdue amount (`scope: "loan"`, architecture §4c), through the
 * local gateway (routing, the JWT check, each function) against DynamoDB Local and the Razorpay
 * sandbox. Webhooks the sandbox sends are applied by the real apply path (a small receiver hands
 * each body to applyWebhookEvent, and keeps it so a test can deliver it again); bulk jobs run on
 * an in-process queue with the real worker.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main as bulkWorker } from '../../functions/bulk-worker/handler';
import { startGateway } from '../../local/gateway';
import { LocalQueue } from '../../local/queue';
import { rebuildAggregates } from '../../shared/adapters/dynamo/aggregate-rebuild';
import { parseWebhookEvent } from '../../shared/domain/razorpay/events';
import { applyWebhookEvent } from '../../shared/usecases/webhook-apply';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { api as apiAt } from '../support/api';
import { sandboxLinks, startTestApp, type TestApp } from '../support/app';
import { loan } from '../support/fixtures';

const EMI = 250_000;
const emiStore = () => stores().emis;
const linkStore = () => stores().links;

let app: TestApp;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let receiver: Server;
let bulkQueue: LocalQueue;
let ops: string;
let collector: string;
let viewer: string;
let otherLender: string;
/** every webhook delivered, with its event id, to deliver again */
const delivered: { body: Buffer; eventId: string }[] = [];
const applyErrors: unknown[] = [];

const api = (
  method: string,
  path: string,
  auth: string | null = ops,
  body?: unknown,
  headers?: Record<string, string>,
) => apiAt(gateway.url, method, path, auth, body, headers);
const gen = (body: Record<string, unknown>, auth: string = ops, headers?: Record<string, string>) =>
  api('POST', '/api/payment-links/generate', auth, body, headers);
const genLoan = async (loanId: string, extra: Record<string, unknown> = {}) => {
  const res = await gen({ loanId, scope: 'loan', ...extra });
  expect([200, 201], JSON.stringify(res.json)).toContain(res.status);
  return res.json as {
    id: string;
    razorpayLinkId: string;
    amount: number;
    status: string;
    scope: string;
    emiNumber: number | null;
    covers: { emiNumber: number; amount: number }[];
  };
};
const genEmi = async (loanId: string, emiNumber: number) => {
  const res = await gen({ loanId, emiNumber });
  expect([200, 201], JSON.stringify(res.json)).toContain(res.status);
  return res.json as { id: string; razorpayLinkId: string; amount: number };
};
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);
const settle = () => app.sandbox.webhooksIdle();
const stored = async (id: string) => (await linkStore().getLink(id))!;
const emi = async (loanId: string, n: number) => (await emiStore().getEmi(loanId, n, true))!;
/**
 * A few loans a request; a 503 TIMEOUT (the route ran out of time on a loaded machine) is
 * repeated, as the API invites: what was done stays done, and the upsert is idempotent.
 */
const upsertLoans = async (loans: unknown[]) => {
  for (let i = 0; i < loans.length; i += 4) {
    let res = await api('POST', '/api/loans', ops, { loans: loans.slice(i, i + 4) });
    for (let retry = 0; retry < 5 && res.status === 503; retry++)
      res = await api('POST', '/api/loans', ops, { loans: loans.slice(i, i + 4) });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  }
};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const eventId = String(req.headers['x-razorpay-event-id']);
      const parsed = parseWebhookEvent(body);
      try {
        if (parsed.ok) await applyWebhookEvent(linkDeps(), parsed.event, eventId);
        delivered.push({ body, eventId });
      } catch (err) {
        applyErrors.push(err);
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  app = await startTestApp('loanscope', { webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay` });
  bulkQueue = new LocalQueue({
    name: `loanscope-bulk-${randomBytes(3).toString('hex')}`,
    handler: (event: SQSEvent) => bulkWorker(event),
    batchSize: 1,
    concurrency: 2,
    maxReceiveCount: 5,
    visibilityTimeoutMs: 200,
  });
  Object.assign(process.env, { BULK_QUEUE_URL: bulkQueue.url, BULK_RATE_PER_SECOND: '50' });
  gateway = await startGateway({ port: 0, host: '127.0.0.1' });
  ops = await app.names.issuer.machine('emi-links/read emi-links/write emi-links/loans.write');
  collector = await app.names.issuer.person('collector', ['Acme']);
  viewer = await app.names.issuer.person('viewer', ['Acme']);
  otherLender = await app.names.issuer.person('collector', ['Beta']);
  await upsertLoans([
    loan('LL-FULL', 'Acme', [-40, -10, 20]),
    loan('LL-HALF', 'Acme', [-40, -10]),
    loan('LL-OVER', 'Acme', [-40, -10]),
    loan('LL-EMIPAY', 'Acme', [-40, -10]),
    loan('LL-EMIPART', 'Acme', [-40, -10]),
    loan('LL-IDEM', 'Acme', [-40, -10]),
    loan('LL-TIMEOUT', 'Acme', [-40, -10]),
    loan('LL-NONE', 'Acme', [0, 30]),
    loan('LL-BAD', 'Acme', [-5]),
    loan('LL-BULK1', 'Bulk', [-20, -5, 10]),
    loan('LL-BULK2', 'Bulk', [-3]),
    loan('LL-RACE', 'Acme', [-40, -10]),
    loan('LL-CANCEL', 'Acme', [-40, -10]),
    loan(
      'LL-CAP',
      'Acme',
      Array.from({ length: 26 }, (_, i) => -800 + i * 30),
      10_000,
    ),
  ]);
});

afterAll(async () => {
  await gateway?.close();
  bulkQueue?.close();
  await app?.close();
  await new Promise<void>((r) => receiver?.close(() => r()));
});

beforeEach(() => {
  app.sandbox.config = { errorRate: 0, hangRate: 0, rateLimitPerSecond: 0, latencyMs: 0 };
  expect(applyErrors).toEqual([]);
});

describe('generate with scope "loan"', () => {
  it('makes one link for the sum of the overdue EMIs, registered on each; paid in full, both are credited once and their own links cancelled', async () => {
    const own1 = await genEmi('LL-FULL', 1);
    const own2 = await genEmi('LL-FULL', 2);
    const link = await genLoan('LL-FULL');
    expect(link).toMatchObject({
      scope: 'loan',
      emiNumber: null,
      amount: 2 * EMI,
      status: 'created',
      covers: [
        { emiNumber: 1, amount: EMI },
        { emiNumber: 2, amount: EMI },
      ],
    });
    // the anchor of each covered EMI holds it (and the upcoming EMI 3 does not)
    expect(Object.keys((await emi('LL-FULL', 1)).links)).toContain(link.id);
    expect(Object.keys((await emi('LL-FULL', 2)).links)).toContain(link.id);
    expect(Object.keys((await emi('LL-FULL', 3)).links)).not.toContain(link.id);
    // asking again answers the same link
    const again = await gen({ loanId: 'LL-FULL', scope: 'loan' });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: link.id, reused: true });

    const { payment_id } = await pay(link.razorpayLinkId);
    await settle();
    const paid = await stored(link.id);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: 2 * EMI });
    expect(paid.attention).toBeUndefined();
    expect(paid.payments[0]).toMatchObject({
      paymentId: payment_id,
      allocations: [
        { emiNumber: 1, amount: EMI },
        { emiNumber: 2, amount: EMI },
      ],
    });
    for (const n of [1, 2]) {
      const e = await emi('LL-FULL', n);
      expect(e.amountCredited).toBe(EMI);
      expect(e.links).toEqual({});
    }
    expect((await emi('LL-FULL', 3)).amountCredited).toBe(0);
    for (const own of [own1, own2]) {
      expect(await stored(own.id)).toMatchObject({ status: 'cancelled', cancelReason: 'sibling_paid' });
    }
    // every webhook once more: nothing changes
    const before = await Promise.all([emi('LL-FULL', 1), emi('LL-FULL', 2), stored(link.id)]);
    for (const d of [...delivered]) {
      const parsed = parseWebhookEvent(d.body);
      if (parsed.ok) await applyWebhookEvent(linkDeps(), parsed.event, d.eventId);
    }
    const after = await Promise.all([emi('LL-FULL', 1), emi('LL-FULL', 2), stored(link.id)]);
    expect(after[0].amountCredited).toBe(before[0].amountCredited);
    expect(after[1].amountCredited).toBe(before[1].amountCredited);
    expect(after[2].payments).toEqual(before[2].payments);

    // the detail shows what it covers and how the payment was split
    const detail = await api('GET', `/api/payment-links/${link.id}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      scope: 'loan',
      covers: link.covers,
      allocations: [{ paymentId: payment_id, emis: link.covers }],
    });
    expect(detail.json.siblings.map((s: { id: string }) => s.id).sort()).toEqual([own1.id, own2.id].sort());
    // the list shows it with its scope and covers
    const list = await api('GET', '/api/payment-links/list?loanId=LL-FULL');
    const row = list.json.items.find((i: { id: string }) => i.id === link.id);
    expect(row).toMatchObject({ scope: 'loan', emiNumber: null, covers: link.covers });
  });

  it('fills the oldest EMI first on a partial payment and stays open', async () => {
    const link = await genLoan('LL-HALF', { acceptPartial: true });
    await pay(link.razorpayLinkId, { amount: 1.5 * EMI });
    await settle();
    expect(await stored(link.id)).toMatchObject({ status: 'partially_paid', amountPaid: 1.5 * EMI });
    expect((await emi('LL-HALF', 1)).amountCredited).toBe(EMI);
    expect((await emi('LL-HALF', 2)).amountCredited).toBe(EMI / 2);
    // still registered where something is owed; the rest can still be paid on it
    expect(Object.keys((await emi('LL-HALF', 2)).links)).toContain(link.id);
    await pay(link.razorpayLinkId, { amount: EMI / 2 });
    await settle();
    expect(await stored(link.id)).toMatchObject({ status: 'paid', amountPaid: 2 * EMI });
    expect((await emi('LL-HALF', 2)).amountCredited).toBe(EMI);
  });

  it('credits money no covered EMI owes to the newest one and flags it overpaid', async () => {
    const link = await genLoan('LL-OVER');
    // EMI 1 is paid through another channel meanwhile: the link now asks for more than owed
    const paidElsewhere = loan('LL-OVER', 'Acme', [-40, -10]);
    paidElsewhere.emis[0]!.amountPaid = EMI;
    await upsertLoans([paidElsewhere]);
    await pay(link.razorpayLinkId);
    await settle();
    const after = await stored(link.id);
    expect(after).toMatchObject({ status: 'paid', amountPaid: 2 * EMI, attention: 'overpaid' });
    expect(after.payments[0]!.allocations).toEqual([{ emiNumber: 2, amount: 2 * EMI }]);
    expect((await emi('LL-OVER', 1)).amountCredited).toBe(0);
    // nothing dropped: every paisa is on an EMI record
    expect((await emi('LL-OVER', 2)).amountCredited).toBe(2 * EMI);
  });

  it('is cancelled (covered_emi_paid) when a covered EMI is paid through its own link; a new loan link covers what is left', async () => {
    const own = await genEmi('LL-EMIPAY', 1);
    const link = await genLoan('LL-EMIPAY');
    await pay(own.razorpayLinkId);
    await settle();
    expect(await stored(link.id)).toMatchObject({ status: 'cancelled', cancelReason: 'covered_emi_paid' });
    expect((await sandboxLinks(app)).find((l) => l.id === link.razorpayLinkId)?.status).toBe('cancelled');
    expect((await emi('LL-EMIPAY', 1)).links).toEqual({});
    expect(Object.keys((await emi('LL-EMIPAY', 2)).links)).not.toContain(link.id);
    const next = await genLoan('LL-EMIPAY');
    expect(next.id).not.toBe(link.id);
    expect(next).toMatchObject({ amount: EMI, covers: [{ emiNumber: 2, amount: EMI }] });
  });

  it('is flagged when a covered EMI is paid through its own link after it took a partial payment', async () => {
    const own = await genEmi('LL-EMIPART', 2);
    const link = await genLoan('LL-EMIPART', { acceptPartial: true });
    await pay(link.razorpayLinkId, { amount: EMI / 2 });
    await settle();
    // the partial reached EMI 1 only: EMI 2's own link stays payable
    expect((await stored(own.id)).status).toBe('created');
    await pay(own.razorpayLinkId);
    await settle();
    expect(await stored(link.id)).toMatchObject({
      status: 'partially_paid',
      attention: 'sibling_partially_paid',
    });
    expect((await emi('LL-EMIPART', 1)).amountCredited).toBe(EMI / 2);
    expect((await emi('LL-EMIPART', 2)).amountCredited).toBe(EMI);
  });

  it('answers a repeated Idempotency-Key with the first answer: one link at Razorpay', async () => {
    const headers = { 'idempotency-key': `loan-${randomBytes(4).toString('hex')}` };
    const first = await gen({ loanId: 'LL-IDEM', scope: 'loan' }, ops, headers);
    const second = await gen({ loanId: 'LL-IDEM', scope: 'loan' }, ops, headers);
    expect(first.status).toBe(201);
    expect(second.json.id).toBe(first.json.id);
    const atRazorpay = (await sandboxLinks(app)).filter((l) => l.notes?.loan_id === 'LL-IDEM');
    expect(atRazorpay).toHaveLength(1);
  });

  it('finds its link by reference id after a sandbox timeout: a retry makes no second link', async () => {
    app.sandbox.config = { hangRate: 1, hangMs: 2500 };
    const first = await gen({ loanId: 'LL-TIMEOUT', scope: 'loan' });
    app.sandbox.config = { hangRate: 0 };
    expect([201, 503]).toContain(first.status);
    const retry = await gen({ loanId: 'LL-TIMEOUT', scope: 'loan' });
    expect([200, 201]).toContain(retry.status);
    expect(retry.json).toMatchObject({ status: 'created', scope: 'loan', amount: 2 * EMI });
    await new Promise((r) => setTimeout(r, 2600));
    const atRazorpay = (await sandboxLinks(app)).filter((l) => l.notes?.loan_id === 'LL-TIMEOUT');
    expect(atRazorpay).toHaveLength(1);
  });

  it('makes one link when several ask at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => gen({ loanId: 'LL-RACE', scope: 'loan' })),
    );
    for (const r of replies) expect([200, 201], JSON.stringify(r.json)).toContain(r.status);
    expect(new Set(replies.map((r) => r.json.id)).size).toBe(1);
    expect((await sandboxLinks(app)).filter((l) => l.notes?.loan_id === 'LL-RACE')).toHaveLength(1);
  });

  it("is cancelled by hand like any link, leaving every covered EMI; the list shows the loan's contact", async () => {
    const link = await genLoan('LL-CANCEL');
    const list = await api('GET', '/api/payment-links/list?loanId=LL-CANCEL');
    expect(list.json.items[0]).toMatchObject({ id: link.id, phone: '+919876543210', dueDate: null });
    const res = await api('POST', `/api/payment-links/${link.id}/cancel`, collector);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'cancelled', cancelReason: 'manual' });
    for (const n of [1, 2]) expect((await emi('LL-CANCEL', n)).links).toEqual({});
    // a new one can be made for the same EMIs: the derivation moves on to a new reference id
    const next = await genLoan('LL-CANCEL');
    expect(next.id).not.toBe(link.id);
    expect(next.covers).toEqual(link.covers);
  });

  it('covers at most 24 EMIs, the oldest', async () => {
    const link = await genLoan('LL-CAP');
    expect(link.covers.map((c) => c.emiNumber)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(link.amount).toBe(24 * 10_000);
  });

  it('keeps the dashboard totals equal to a rebuild from the records', async () => {
    const report = await rebuildAggregates({
      emisTable: app.names.EMIS_TABLE,
      linksTable: app.names.LINKS_TABLE,
    });
    expect(report.counters.differences).toEqual([]);
    expect(report.summaries.loans).toEqual([]);
    expect(report.exact).toBe(true);
  });
});

describe('bad input and access', () => {
  it.each([
    [{ loanId: 'LL-BAD', scope: 'loan', emiNumber: 1 }, 400, 'emiNumber'],
    [{ loanId: 'LL-BAD', scope: 'loan', amount: 1000 }, 400, 'amount'],
    [{ loanId: 'LL-BAD', scope: 'loans' }, 400, 'scope'],
    [{ loanId: 'LL-BAD', scope: 'emi' }, 400, 'emiNumber'],
    [{ loanId: 'LL-BAD' }, 400, 'emiNumber'],
  ])('refuses %j with %i naming %s, and makes no link', async (body, status, field) => {
    const res = await gen(body);
    expect(res.status).toBe(status);
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await emi('LL-BAD', 1)).links).toEqual({});
  });

  it('answers 409 naming the loan when nothing is overdue', async () => {
    const res = await gen({ loanId: 'LL-NONE', scope: 'loan' });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('NOTHING_OVERDUE');
    expect(res.json.error.message).toContain('LL-NONE');
  });

  it("answers another lender's loan, and an unknown one, with 404", async () => {
    const other = await gen({ loanId: 'LL-BAD', scope: 'loan' }, otherLender);
    const unknown = await gen({ loanId: 'LL-NOPE', scope: 'loan' });
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(other.json.error).toEqual({ ...unknown.json.error, message: expect.any(String) });
    expect((await emi('LL-BAD', 1)).links).toEqual({});
  });

  it('lets a collector generate one and refuses a viewer (403)', async () => {
    expect((await gen({ loanId: 'LL-BAD', scope: 'loan' }, viewer)).status).toBe(403);
    const made = await gen({ loanId: 'LL-BAD', scope: 'loan' }, collector);
    expect(made.status).toBe(201);
    expect(made.json.createdBy.sub).toBeTruthy();
    // one EMI overdue: the loan link asks what the EMI owes, yet the EMI's own generate makes its
    // own link (a loan link answers only a loan-link request)
    const own = await gen({ loanId: 'LL-BAD', emiNumber: 1 }, collector);
    expect(own.status).toBe(201);
    expect(own.json).toMatchObject({ scope: 'emi', amount: made.json.amount });
    expect(own.json.id).not.toBe(made.json.id);
  });
});

describe('bulk with scope "loan"', () => {
  it('makes one link and one CSV row per loan among the selected EMIs, emi_number empty', async () => {
    const started = await api('POST', '/api/payment-links/bulk-generate-export', ops, {
      lender: 'Bulk',
      bucket: 'all',
      withinDays: 30,
      scope: 'loan',
    });
    expect([200, 202], JSON.stringify(started.json)).toContain(started.status);
    let job = started.json;
    for (let i = 0; i < 600 && job.status !== 'completed' && job.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await api('GET', `/api/payment-links/bulk-jobs/${job.jobId}`)).json;
    }
    expect(job).toMatchObject({ status: 'completed', total: 2, created: 2, failed: 0 });
    const csv = await (await fetch(job.csvUrl)).text();
    const [header, ...rows] = csv.trim().split('\r\n');
    const cols = header!.split(',');
    const cells = rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
    expect(cells.map((c) => c.loan_id)).toEqual(['LL-BULK1', 'LL-BULK2']);
    expect(cells.map((c) => c.emi_number)).toEqual(['', '']);
    expect(cells.map((c) => c.amount_inr)).toEqual(['5000.00', '2500.00']);
    for (const c of cells) expect(c.payment_link).toMatch(/^http/);
    const made = await stored(cells[0]!.link_id!);
    expect(made).toMatchObject({ scope: 'loan', covers: [{ emiNumber: 1 }, { emiNumber: 2 }] });

    // the same loans listed EMI by EMI (a loan twice, its upcoming EMI too): still one row per
    // loan, in the order each loan first appears, and the open loan links are reused, not remade
    const listed = await api('POST', '/api/payment-links/bulk-generate-export', ops, {
      emis: [
        { loanId: 'LL-BULK2', emiNumber: 1 },
        { loanId: 'LL-BULK1', emiNumber: 3 },
        { loanId: 'LL-BULK1', emiNumber: 1 },
      ],
      scope: 'loan',
    });
    expect([200, 202], JSON.stringify(listed.json)).toContain(listed.status);
    let again = listed.json;
    for (let i = 0; i < 600 && again.status !== 'completed' && again.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = (await api('GET', `/api/payment-links/bulk-jobs/${again.jobId}`)).json;
    }
    expect(again).toMatchObject({ status: 'completed', total: 2, created: 0, reused: 2, failed: 0 });
    const csv2 = await (await fetch(again.csvUrl)).text();
    const [header2, ...rows2] = csv2.trim().split('\r\n');
    const cols2 = header2!.split(',');
    const cells2 = rows2.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols2[i], v])));
    expect(cells2.map((c) => c.loan_id)).toEqual(['LL-BULK2', 'LL-BULK1']);
    expect(cells2.map((c) => c.emi_number)).toEqual(['', '']);
    expect(cells2.map((c) => c.link_id)).toEqual([cells[1]!.link_id, cells[0]!.link_id]);
  });
});
