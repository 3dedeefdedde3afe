/**
 * Lists people sort (issue 17.4) against DynamoDB Local and the sandbox: pending EMIs by due
 * date, amount and days past due, either way, paged through the same sealed cursors, with the
 * whole filter's count and outstanding from the kept totals; links by creation date (IST days)
 * and by a loan id typed in any case — for one lender, several (merged) and all.
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as generate } from '../../functions/generate-link/handler';
import { handler as list } from '../../functions/list-links/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { handler as pending } from '../../functions/pending-emis/handler';
import { rebuildAggregates } from '../../shared/adapters/dynamo/aggregate-rebuild';
import { documentClient } from '../../shared/adapters/dynamo/client';
import { addDays } from '../../shared/domain/dates';
import { startTestApp, type TestApp } from '../support/app';
import { loan, today } from '../support/fixtures';
import { call } from '../support/http';

let app: TestApp;
let collector: string;

interface Item {
  loanId: string;
  emiNumber: number;
  dueDate: string;
  amountOutstanding: number;
  daysPastDue: number;
  lender: string;
}

const pendingPage = (query: Record<string, string>, token?: string) =>
  call(pending, { path: '/api/payment-links/pending-emis', query, ...(token ? { token } : {}) });

/** Every page of a query, following nextCursor; also the first page's total. */
async function all(query: Record<string, string>, token?: string) {
  const items: Item[] = [];
  let cursor: string | undefined;
  let total: { count: number; outstanding: number } | null = null;
  let pages = 0;
  do {
    const res = await pendingPage({ ...query, ...(cursor ? { cursor } : {}) }, token);
    expect(res.status).toBe(200);
    if (pages === 0) total = res.json.total;
    else expect(res.json.total).toBeNull();
    items.push(...res.json.items);
    cursor = res.json.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < 50);
  return { items, total, pages };
}

const ids = (items: Item[]) => items.map((i) => `${i.loanId}/${i.emiNumber}`);

beforeAll(async () => {
  app = await startTestApp('lists-sort');
  collector = await app.names.issuer.person('collector', ['Acme', 'Beta']);
  const amounts = (l: ReturnType<typeof loan>, paise: number[]) => ({
    ...l,
    emis: l.emis.map((e, i) => ({ ...e, amount: paise[i] ?? e.amount })),
  });
  const loans = [
    amounts(loan('Kav-A1', 'Acme', [-40, -5, 3, 40]), [120_000, 990_000, 50_000, 75_000]),
    amounts(loan('KAV-A2', 'Acme', [-100, 1]), [300_000, 10_000]),
    amounts(loan('B-1', 'Beta', [-20, 2]), [500_000, 700_000]),
    amounts(loan('G-1', 'Gamma', [-3]), [1_000_000]),
  ];
  // a part-paid EMI: sorted by what it still owes
  loans[0]!.emis[1]!.amountPaid = 900_000;
  const res = await call(upsert, { method: 'POST', body: { loans } });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await app.close();
});

describe('pending EMIs sorted', () => {
  it('sorts by amount outstanding both ways, for one lender, several and all, across pages', async () => {
    for (const [query, token] of [
      [{ lender: 'Acme' }, undefined],
      [{}, collector],
      [{}, undefined],
    ] as const) {
      const asc = await all({ ...query, sort: 'amount', limit: '2' }, token);
      const amounts = asc.items.map((i) => i.amountOutstanding);
      expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
      const desc = await all({ ...query, sort: '-amount', limit: '2' }, token);
      expect(ids(desc.items)).toEqual(ids(asc.items).reverse());
      // the same EMIs as the default order, none twice
      const byDue = await all({ ...query, limit: '200' }, token);
      expect(new Set(ids(asc.items))).toEqual(new Set(ids(byDue.items)));
      expect(asc.items).toHaveLength(byDue.items.length);
    }
    const acme = await all({ lender: 'Acme', sort: '-amount' });
    // 9,900 − 9,000 paid = ₹900 owed: it sorts by what is owed, not by what was due
    expect(acme.items.find((i) => i.loanId === 'Kav-A1' && i.emiNumber === 2)?.amountOutstanding).toBe(
      90_000,
    );
    expect(ids(acme.items)[0]).toBe('KAV-A2/1');
  });

  it('sorts by due date descending and by days past due, within the bucket', async () => {
    const dueDesc = await all({ lender: 'Acme', sort: '-dueDate', limit: '2' });
    const dates = dueDesc.items.map((i) => i.dueDate);
    expect(dates).toEqual([...dates].sort().reverse());
    const mostOverdue = await all({ sort: '-daysPastDue', bucket: 'overdue' }, collector);
    expect(mostOverdue.items.map((i) => i.daysPastDue)).toEqual([100, 40, 20, 5]);
    const leastOverdue = await all({ sort: 'daysPastDue', bucket: 'overdue', limit: '3' }, collector);
    expect(leastOverdue.items.map((i) => i.daysPastDue)).toEqual([5, 20, 40, 100]);
    const overdueByAmount = await all({ sort: '-amount', bucket: 'overdue' }, collector);
    expect(overdueByAmount.items.map((i) => i.amountOutstanding)).toEqual([
      500_000, 300_000, 120_000, 90_000,
    ]);
    const upcoming = await all({ sort: 'amount', bucket: 'upcoming', withinDays: '7' });
    expect(upcoming.items.map((i) => i.dueDate).every((d) => d >= today() && d <= addDays(today(), 7))).toBe(
      true,
    );
    expect(upcoming.items.map((i) => i.amountOutstanding)).toEqual([10_000, 50_000, 700_000]);
  });

  it("gives the whole filter's count and outstanding on the first page, from the kept totals", async () => {
    const overdue = await all({ bucket: 'overdue', limit: '1' }, collector);
    expect(overdue.pages).toBe(4);
    expect(overdue.total).toEqual({ count: 4, outstanding: 120_000 + 90_000 + 300_000 + 500_000 });
    const acmeAll = await all({ lender: 'Acme', withinDays: '30' });
    expect(acmeAll.total).toEqual({ count: 5, outstanding: 120_000 + 90_000 + 50_000 + 300_000 + 10_000 });
    const everyone = await all({ bucket: 'all', withinDays: '365' });
    expect(everyone.total?.count).toBe(everyone.items.length);
    expect(everyone.total?.outstanding).toBe(everyone.items.reduce((s, i) => s + i.amountOutstanding, 0));
    // the per-due-date totals are kept exact, like every other counter
    const report = await rebuildAggregates({
      emisTable: app.names.EMIS_TABLE,
      linksTable: app.names.LINKS_TABLE,
    });
    expect(report.counters.differences).toEqual([]);
    expect(report.counters.negative).toBe(0);
  });

  it('rebuild-aggregates finds an EMI missing from the amount order (written before it existed) and, with fix, puts it back', async () => {
    const db = documentClient();
    await db.send(
      new UpdateCommand({
        TableName: app.names.EMIS_TABLE,
        Key: { pk: 'LOAN#B-1', sk: 'EMI#0001' },
        UpdateExpression: 'REMOVE gsi3sk',
      }),
    );
    const without = await all({ sort: '-amount' });
    expect(ids(without.items)).not.toContain('B-1/1');
    const tables = { emisTable: app.names.EMIS_TABLE, linksTable: app.names.LINKS_TABLE };
    const report = await rebuildAggregates(tables, { fix: true });
    expect(report.amountIndex.stale).toBe(1);
    expect(report.exact).toBe(false);
    const back = await all({ sort: '-amount' });
    expect(ids(back.items)).toContain('B-1/1');
    expect((await rebuildAggregates(tables)).exact).toBe(true);
  });

  it('takes a five-year loan (60 EMIs in 60 months, each its own totals item) in one upsert, and counts it', async () => {
    const long = loan(
      'LONG-60',
      'Gamma',
      Array.from({ length: 60 }, (_, i) => 30 * i - 10),
    );
    const res = await call(upsert, { method: 'POST', body: { loans: [long] } });
    expect(res.status).toBe(200);
    expect(res.json.emis.created).toBe(60);
    const everyone = await all({ lender: 'Gamma', withinDays: '365' });
    expect(everyone.total?.count).toBe(everyone.items.length);
    expect(ids(everyone.items)).toContain('LONG-60/1');
    const report = await rebuildAggregates({
      emisTable: app.names.EMIS_TABLE,
      linksTable: app.names.LINKS_TABLE,
    });
    expect(report.exact).toBe(true);
  });

  it.each([[{ sort: 'amount desc' }], [{ sort: 'outstanding' }], [{ sort: '' }]])(
    'answers 400 naming query.sort for %o',
    async (query) => {
      const res = await pendingPage(query);
      expect(res.status).toBe(400);
      expect(res.json.error.details[0].field).toBe('query.sort');
    },
  );

  it('refuses a cursor from another order', async () => {
    const first = await pendingPage({ sort: 'amount', limit: '1' });
    const res = await pendingPage({ sort: '-amount', limit: '1', cursor: first.json.nextCursor });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].field).toBe('query.cursor');
  });
});

describe('links by creation date and loan id in any case', () => {
  beforeAll(async () => {
    for (const [loanId, emiNumber] of [
      ['Kav-A1', 1],
      ['KAV-A2', 1],
      ['B-1', 1],
    ] as const) {
      const res = await call(generate, {
        method: 'POST',
        path: '/api/payment-links/generate',
        body: { loanId, emiNumber },
      });
      expect(res.status).toBe(201);
    }
  });

  const links = (query: Record<string, string>, token?: string) =>
    call(list, { path: '/api/payment-links/list', query, ...(token ? { token } : {}) });

  it('filters by IST creation date, on every index, for one lender, several and all', async () => {
    const t = today();
    for (const [query, token] of [
      [{}, undefined],
      [{ lender: 'Acme' }, undefined],
      [{}, collector],
      [{ status: 'created' }, collector],
      [{ attention: 'false', loanId: 'KAV-A2' }, undefined],
    ] as const) {
      const inRange = await links({ ...query, from: t, to: t }, token);
      expect(inRange.status).toBe(200);
      const everything = await links({ ...query }, token);
      expect(inRange.json.items.length).toBe(everything.json.items.length);
      expect(inRange.json.items.length).toBeGreaterThan(0);
      const before = await links({ ...query, to: addDays(t, -1) }, token);
      expect(before.json.items).toEqual([]);
      const after = await links({ ...query, from: addDays(t, 1) }, token);
      expect(after.json.items).toEqual([]);
    }
  });

  it("finds a loan id typed in another case, within the caller's lenders only", async () => {
    const lower = await links({ loanId: 'kav-a1' });
    expect(lower.status).toBe(200);
    expect(lower.json.items.map((l: { loanId: string }) => l.loanId)).toEqual(['Kav-A1']);
    // the borrower's contact and the EMI's due date ride along (the list's phone column and CSV)
    expect(lower.json.items[0]).toMatchObject({
      phone: '+919876543210',
      email: 'kav-a1@example.com',
      dueDate: addDays(today(), -40),
    });
    const upper = await links({ loanId: 'KAV-A1' });
    expect(upper.json.items.map((l: { loanId: string }) => l.loanId)).toEqual(['Kav-A1']);
    const viewer = await app.names.issuer.person('viewer', ['Gamma']);
    const other = await links({ loanId: 'kav-a1' }, viewer);
    expect(other.status).toBe(200);
    expect(other.json.items).toEqual([]);
  });

  it.each([
    [{ from: '2026-02-30' }, 'query.from'],
    [{ to: 'yesterday' }, 'query.to'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'query.from'],
  ])('answers 400 for %o', async (query, field) => {
    const res = await links(query);
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].field).toBe(field);
  });
});
