/**
 * The dashboard's kept totals (§4d) against DynamoDB Local and the Razorpay sandbox: the figures
 * for a known book, then a randomized run (fast-check) of upserts, generates (some at once),
 * partial and full payments, duplicate and concurrent refreshes, cancels and expiries, after
 * which the rebuild (computed from the records alone) must equal what was kept, exactly, with
 * nothing negative. Also search and the recent bulk jobs, each scoped to the caller's lenders.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as cancel } from '../../functions/cancel-link/handler';
import { handler as dashboardRoute } from '../../functions/dashboard/handler';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { handler as refresh } from '../../functions/refresh-link/handler';
import { handler as searchRoute } from '../../functions/search/handler';
import { rebuildAggregates } from '../../shared/adapters/dynamo/aggregate-rebuild';
import type { Actor } from '../../shared/auth/actor';
import { AppError } from '../../shared/domain/errors';
import { applyRefundEvent, requestRefund } from '../../shared/usecases/refunds';
import { stores } from '../../shared/wiring';
import { linkDeps } from '../../shared/wiring-links';
import { startTestApp, type TestApp } from '../support/app';
import { type LoanFixture, loan } from '../support/fixtures';
import { call } from '../support/http';

const SEED = Number(process.env.FC_SEED ?? 20261203);

let app: TestApp;
const tables = () => ({ emisTable: app.names.EMIS_TABLE, linksTable: app.names.LINKS_TABLE });
const board = (query: Record<string, string> = {}, token?: string) =>
  call(dashboardRoute, { path: '/api/dashboard', query, ...(token ? { token } : {}) });
const find = (query: Record<string, string>, token?: string) =>
  call(searchRoute, { path: '/api/search', query, ...(token ? { token } : {}) });
const gen = (body: Record<string, unknown>) =>
  call(generate, { method: 'POST', path: '/api/payment-links/generate', body });
const doRefresh = (id: string) => call(refresh, { method: 'POST', pathParameters: { id } });
const admin: Actor = {
  sub: 'u-admin',
  name: 'admin',
  kind: 'person',
  permissions: new Set(['read', 'write', 'loans', 'admin']),
  lenders: '*',
};
let refundSeq = 0;
const pay = (plink: string, body: Record<string, unknown> = {}) =>
  app.control<{ payment_id: string }>('POST', `/_sandbox/payment_links/${plink}/pay`, body);

function named(l: LoanFixture, clientName: string, phone: string): LoanFixture {
  return { ...l, clientName, phone };
}

async function expectExact() {
  const report = await rebuildAggregates(tables());
  expect(report.counters.differences).toEqual([]);
  expect(report.summaries.loans).toEqual([]);
  expect(report.search).toMatchObject({ missing: 0, stale: 0 });
  expect(report.counters.negative).toBe(0);
  expect(report.exact).toBe(true);
  return report;
}

beforeAll(async () => {
  app = await startTestApp('dashboard');
  const loans = [
    named(loan('D-NPA', 'Dash', [-120, -95, 20]), 'Ravi Kumar Sharma', '+91 98450 11111'.replace(/ /g, '')),
    named(loan('D-SMA1', 'Dash', [-45, 5]), 'Anita Desai', '+919845022222'),
    named(loan('D-SMA0', 'Dash', [-10]), 'Mohan Rao', '9845033333'),
    named(loan('D-SMA2', 'Dash', [-70, -40]), 'Kavya Iyer', '+919845044444'),
    named(loan('D-CUR', 'Dash', [0, 30]), 'Ravindra Patil', '+919845055555'),
    named(loan('O-1', 'Other', [-5, 10]), 'Ravi Other', '+919845066666'),
  ];
  const res = await call(upsert, { method: 'POST', body: { loans } });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await app?.close();
});

describe('GET /api/dashboard', () => {
  it("buckets loans by their oldest unpaid EMI, RBI's way, with what they have pending", async () => {
    const res = await board({ lender: 'Dash' });
    expect(res.status).toBe(200);
    const A = 250_000;
    expect(res.json.pending).toEqual({ count: 10, outstanding: 10 * A });
    expect(res.json.dpd).toEqual([
      { bucket: 'current', loans: 1, outstanding: 2 * A },
      { bucket: 'SMA-0', loans: 1, outstanding: A },
      { bucket: 'SMA-1', loans: 1, outstanding: 2 * A },
      { bucket: 'SMA-2', loans: 1, outstanding: 2 * A },
      { bucket: 'NPA', loans: 1, outstanding: 3 * A },
    ]);
    expect(res.json.daily).toHaveLength(30);
    expect(res.json.currency).toBe('INR');
    await expectExact();
  });

  it('counts links by status, collections by day, conversion and time to pay as money moves', async () => {
    const before = (await board({ lender: 'Dash' })).json;
    const link = await gen({ loanId: 'D-SMA0', emiNumber: 1 });
    expect(link.status).toBe(201);
    const partial = await gen({ loanId: 'D-CUR', emiNumber: 1, acceptPartial: true });
    expect(partial.status).toBe(201);
    await pay(link.json.razorpayLinkId);
    await pay(partial.json.razorpayLinkId, { amount: 100_000 });
    // duplicate and concurrent reports of the same payments: credited once
    await Promise.all([doRefresh(link.json.id), doRefresh(link.json.id), doRefresh(partial.json.id)]);
    await doRefresh(partial.json.id);
    const after = (await board({ lender: 'Dash' })).json;
    expect(after.links).toMatchObject({
      created: before.links.created,
      paid: before.links.paid + 1,
      partially_paid: before.links.partially_paid + 1,
    });
    expect(after.collected.today).toEqual({
      count: before.collected.today.count + 2,
      amount: before.collected.today.amount + 350_000,
    });
    expect(after.daily[29]).toEqual({ date: after.daily[29].date, ...after.collected.today });
    expect(after.conversion30d.linksCreated).toBe(before.conversion30d.linksCreated + 2);
    expect(after.conversion30d.linksPaid).toBe(before.conversion30d.linksPaid + 1);
    expect(after.medianHoursToPay30d).toBeGreaterThanOrEqual(0);
    expect(after.medianHoursToPay30d).toBeLessThan(0.25);
    // the SMA-0 loan is settled: it leaves the buckets; the current one owes less
    expect(after.dpd[1]).toEqual({ bucket: 'SMA-0', loans: 0, outstanding: 0 });
    expect(after.dpd[0]).toEqual({ bucket: 'current', loans: 1, outstanding: 400_000 });
    expect(after.pending.count).toBe(before.pending.count - 1);
    await expectExact();
  });

  it("answers all of the caller's lenders by default, and 403 for a lender outside them", async () => {
    const viewer = await app.names.issuer.person('viewer', ['Other']);
    const mine = await board({}, viewer);
    expect(mine.status).toBe(200);
    expect(mine.json.pending).toEqual({ count: 2, outstanding: 500_000 });
    expect(mine.json.dpd.map((b: { loans: number }) => b.loans)).toEqual([0, 1, 0, 0, 0]);
    const other = await board({ lender: 'Dash' }, viewer);
    expect(other.status).toBe(403);
    expect(other.json.error.details).toEqual([
      { field: 'query.lender', message: 'is not one of your lenders' },
    ]);
    const all = await board();
    expect(all.json.pending.count).toBe(
      mine.json.pending.count + (await board({ lender: 'Dash' })).json.pending.count,
    );
  });

  it('refuses bad input with 400 naming the field', async () => {
    const queries: Record<string, string>[] = [
      { lender: '' },
      { lender: '<script>' },
      { lender: 'x'.repeat(65) },
      { other: '1' },
    ];
    for (const query of queries) {
      const res = await board(query);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.json.error.details)).toMatch(/query/);
    }
  });
});

describe('kept totals = rebuild after a randomized run', () => {
  it('holds for random upserts, generates, payments, duplicate refreshes, cancels, expiries and refunds', async () => {
    const lenders = ['Rand A', 'Rand B'];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert' as const),
        loan: fc.nat({ max: 3 }),
        lender: fc.constantFrom(...lenders),
        offsets: fc.array(fc.integer({ min: -130, max: 40 }), { minLength: 1, maxLength: 4 }),
        paid: fc.nat({ max: 2 }),
      }),
      fc.record({
        kind: fc.constant('generate' as const),
        loan: fc.nat({ max: 3 }),
        emi: fc.integer({ min: 1, max: 4 }),
        times: fc.integer({ min: 1, max: 3 }),
        partial: fc.boolean(),
      }),
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('pay' as const),
          link: fc.nat({ max: 20 }),
          part: fc.boolean(),
          refreshes: fc.integer({ min: 1, max: 3 }),
        }),
      },
      fc.record({ kind: fc.constant('cancel' as const), link: fc.nat({ max: 20 }) }),
      fc.record({ kind: fc.constant('expire' as const), link: fc.nat({ max: 20 }) }),
      // a link for the loan's overdue EMIs (scope loan): counted once, its credits per EMI
      fc.record({
        kind: fc.constant('generateLoan' as const),
        loan: fc.nat({ max: 3 }),
        times: fc.integer({ min: 1, max: 2 }),
        partial: fc.boolean(),
      }),
      // a refund of a flagged link's surplus, processed; or one made in Razorpay's Dashboard,
      // which may take money the EMI needed (the EMI owes it again)
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('refund' as const),
          link: fc.nat({ max: 20 }),
          external: fc.boolean(),
        }),
      },
    );
    let run = 0;
    const done = { links: 0, loanLinks: 0, payments: 0, cancels: 0, refunds: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 8, maxLength: 16 }), async (ops) => {
        run++;
        const links: { id: string; plink: string }[] = [];
        // links a payment was made on: a refund op picks among these (most links are never paid)
        const paid: { id: string; plink: string }[] = [];
        const loanId = (n: number) => `R${run}-${n}`;
        const start = [0, 1, 2, 3].map((n) =>
          loan(loanId(n), lenders[n % 2]!, [-100 + 30 * n, -20, 10, 40], 200_000),
        );
        expect((await call(upsert, { method: 'POST', body: { loans: start } })).status).toBe(200);
        for (const o of ops) {
          if (o.kind === 'upsert') {
            const l = loan(loanId(o.loan), o.lender, o.offsets, 200_000);
            l.emis = l.emis.map((e, i) => (i < o.paid ? { ...e, amountPaid: 50_000 * (i + 1) } : e));
            expect((await call(upsert, { method: 'POST', body: { loans: [l] } })).status).toBe(200);
          } else if (o.kind === 'generate') {
            const body = {
              loanId: loanId(o.loan),
              emiNumber: o.emi,
              acceptPartial: o.partial,
              forceNew: o.times > 1,
            };
            const answers = await Promise.all(Array.from({ length: o.times }, () => gen(body)));
            for (const a of answers) {
              expect(a.status).toBeLessThan(500);
              if (a.status === 201 && a.json.razorpayLinkId) {
                links.push({ id: a.json.id, plink: a.json.razorpayLinkId });
                done.links++;
              }
            }
          } else if (o.kind === 'generateLoan') {
            const body = {
              loanId: loanId(o.loan),
              scope: 'loan',
              acceptPartial: o.partial,
              forceNew: o.times > 1,
            };
            const answers = await Promise.all(Array.from({ length: o.times }, () => gen(body)));
            for (const a of answers) {
              expect(a.status).toBeLessThan(500);
              if (a.status === 201 && a.json.razorpayLinkId) {
                links.push({ id: a.json.id, plink: a.json.razorpayLinkId });
                done.links++;
                done.loanLinks++;
              }
            }
          } else if (links.length > 0) {
            const l = links[o.link % links.length]!;
            if (o.kind === 'pay') {
              await app
                .control('POST', `/_sandbox/payment_links/${l.plink}/pay`, o.part ? { amount: 100_000 } : {})
                .then(() => {
                  done.payments++;
                  paid.push(l);
                })
                .catch(() => undefined); // paid, cancelled or expired already: the sandbox refuses
              await Promise.all(Array.from({ length: o.refreshes }, () => doRefresh(l.id)));
            } else if (o.kind === 'refund') {
              if (paid.length === 0) continue;
              const target = paid[o.link % paid.length]!;
              const stored = await stores().links.getLink(target.id);
              const p = stored?.payments.find((x) => x.status === 'captured');
              // a link with nothing flagged can still be refunded in Razorpay's Dashboard
              if (p && (o.external || !stored?.attention)) {
                const id = `rfnd_Rand${String(++refundSeq).padStart(10, '0')}`;
                const report = {
                  id,
                  paymentId: p.paymentId,
                  amount: Math.min(p.amount, 60_000),
                  currency: 'INR',
                };
                await applyRefundEvent(linkDeps(), { ...report, ourRefundId: null, status: 'processed' });
                done.refunds++;
              } else if (p && stored?.attention) {
                try {
                  const made = await requestRefund(
                    linkDeps(),
                    target.id,
                    { paymentId: p.paymentId, reason: 'r' },
                    admin,
                  );
                  await applyRefundEvent(linkDeps(), {
                    id: made.refund.providerRefundId!,
                    paymentId: p.paymentId,
                    amount: made.refund.amount,
                    currency: 'INR',
                    ourRefundId: made.refund.refundId,
                    status: 'processed',
                  });
                  done.refunds++;
                } catch (err) {
                  // nothing refundable on that payment (no surplus, already refunded): a 4xx
                  if (!(err instanceof AppError)) throw err;
                }
              }
            } else if (o.kind === 'cancel') {
              const res = await call(cancel, { method: 'POST', pathParameters: { id: l.id } });
              expect(res.status).toBeLessThan(500);
              if (res.status === 200) done.cancels++;
            } else {
              await app.control('POST', `/_sandbox/payment_links/${l.plink}/expire`).catch(() => undefined);
              await doRefresh(l.id);
            }
          }
        }
        await expectExact();
      }),
      { seed: SEED, numRuns: 8, endOnFailure: true },
    );
    console.log(`randomized run: ${JSON.stringify(done)}`);
    // the run did move money and links (not only loans)
    expect(done.links).toBeGreaterThan(5);
    expect(done.payments).toBeGreaterThan(2);
    expect(done.loanLinks).toBeGreaterThan(0);
    expect(done.refunds).toBeGreaterThan(0);
    const res = await board();
    expect(res.status).toBe(200);
    for (const b of res.json.dpd) expect(b.loans).toBeGreaterThanOrEqual(0);
  }, 300_000); // a randomized run through the real stack (15 s alone, over 180 s with other work on the machine): a guard, never a wall-clock check

  it('finds and repairs a total that drifted', async () => {
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { documentClient } = await import('../../shared/adapters/dynamo/client');
    await documentClient().send(
      new UpdateCommand({
        TableName: app.names.EMIS_TABLE,
        Key: { pk: 'AGG#Dash', sk: 'T#3' },
        // shards are picked at random: this one may not exist yet, and a counter item is one by its type
        UpdateExpression: 'SET #type = :agg ADD pc :one',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':one': 1, ':agg': 'AGG' },
      }),
    );
    const drifted = await rebuildAggregates(tables());
    expect(drifted.exact).toBe(false);
    const d = drifted.counters.differences.find(
      (x) => x.lender === 'Dash' && x.group === 'T' && x.attr === 'pc',
    )!;
    expect(d.kept - d.expected).toBe(1);
    const fixed = await rebuildAggregates(tables(), { fix: true });
    expect(fixed.fixed).toBe(true);
    await expectExact();
  });
});

describe('GET /api/search', () => {
  it('finds a borrower by the last 10 digits of the phone, however it is written', async () => {
    for (const q of ['9845022222', '+91 98450 22222', '09845022222', '98450']) {
      const res = await find({ q });
      expect(res.status).toBe(200);
      expect(res.json.items.map((i: { loanId: string }) => i.loanId)).toContain('D-SMA1');
    }
  });

  it('finds by name word prefix in any case, and by loan id prefix in any case', async () => {
    const byName = await find({ q: 'RAVI' });
    expect(byName.json.items.map((i: { loanId: string }) => i.loanId).sort()).toEqual([
      'D-CUR',
      'D-NPA',
      'O-1',
    ]);
    expect(byName.json.items.find((i: { loanId: string }) => i.loanId === 'D-NPA')).toEqual({
      kind: 'loan',
      loanId: 'D-NPA',
      lender: 'Dash',
      clientName: 'Ravi Kumar Sharma',
      phone: '+919845011111',
    });
    const twoWords = await find({ q: 'ravi sha' });
    expect(twoWords.json.items.map((i: { loanId: string }) => i.loanId)).toEqual(['D-NPA']);
    const byLoan = await find({ q: 'd-sm' });
    expect(byLoan.json.items.map((i: { loanId: string }) => i.loanId).sort()).toEqual([
      'D-SMA0',
      'D-SMA1',
      'D-SMA2',
    ]);
  });

  it('finds a link by our id and by Razorpay’s', async () => {
    const link = await gen({ loanId: 'D-SMA2', emiNumber: 1 });
    for (const q of [link.json.id, link.json.razorpayLinkId]) {
      const res = await find({ q });
      expect(res.json.items).toEqual([
        {
          kind: 'link',
          loanId: 'D-SMA2',
          lender: 'Dash',
          clientName: 'Kavya Iyer',
          phone: '+919845044444',
          emiNumber: 1,
          linkId: link.json.id,
          razorpayLinkId: link.json.razorpayLinkId,
          status: 'created',
        },
      ]);
    }
  });

  it("never shows another lender's loan or link", async () => {
    const viewer = await app.names.issuer.person('viewer', ['Other']);
    const res = await find({ q: 'ravi' }, viewer);
    expect(res.json.items.map((i: { loanId: string }) => i.loanId)).toEqual(['O-1']);
    const link = await gen({ loanId: 'D-SMA1', emiNumber: 1 });
    expect((await find({ q: link.json.id }, viewer)).json.items).toEqual([]);
    expect((await find({ q: link.json.razorpayLinkId }, viewer)).json.items).toEqual([]);
    expect((await find({ q: '9845022222' }, viewer)).json.items).toEqual([]);
  });

  it('matches regex and wildcard characters literally', async () => {
    for (const q of ['.*.*', 'ra%', 'ravi*', '[a-z]+', 'd-s?']) {
      const res = await find({ q });
      expect(res.status).toBe(200);
      expect(res.json.items).toEqual([]);
    }
  });

  it('follows a renamed borrower: the old name finds nothing, the new one finds the loan', async () => {
    const l = named(loan('D-REN', 'Dash', [5]), 'Zubin Old', '+919845077777');
    await call(upsert, { method: 'POST', body: { loans: [l] } });
    expect((await find({ q: 'zubin' })).json.items).toHaveLength(1);
    await call(upsert, { method: 'POST', body: { loans: [{ ...l, clientName: 'Yasmin New' }] } });
    expect((await find({ q: 'zubin' })).json.items).toEqual([]);
    expect((await find({ q: 'yasmin' })).json.items.map((i: { loanId: string }) => i.loanId)).toEqual([
      'D-REN',
    ]);
    await expectExact();
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'query.q'],
      [{ q: 'ab' }, 'query.q'],
      [{ q: '   ab   ' }, 'query.q'],
      [{ q: 'x'.repeat(65) }, 'query.q'],
      [{ q: '123' }, 'query.q'],
      [{ q: 'ravi', limit: '0' }, 'query.limit'],
      [{ q: 'ravi', limit: '21' }, 'query.limit'],
      [{ q: 'ravi', limit: 'ten' }, 'query.limit'],
      [{ q: 'ravi', extra: '1' }, 'query'],
    ];
    for (const [query, field] of cases) {
      const res = await find(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.json.error.code).toBe('VALIDATION_FAILED');
      expect(res.json.error.details.map((d: { field: string }) => d.field).join(' ')).toContain(field);
    }
    const three = await find({ q: '123' });
    expect(three.json.error.message).toMatch(/4 digits/);
  });

  it('answers at most limit items', async () => {
    const res = await find({ q: 'ravi', limit: '1' });
    expect(res.json.items).toHaveLength(1);
  });
});
