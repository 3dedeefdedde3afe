import { beforeAll, describe, expect, it } from 'vitest';
import { handler as lenders } from '../../functions/lenders/handler';
import { handler as upsert } from '../../functions/loans-upsert/handler';
import { handler as pending } from '../../functions/pending-emis/handler';
import { addDays } from '../../shared/domain/dates';
import { loan, today } from '../support/fixtures';
import { call } from '../support/http';
import { useLocalAws } from '../support/local-aws';

beforeAll(async () => {
  await useLocalAws('loans');
});

const post = (body: unknown) => call(upsert, { method: 'POST', path: '/api/loans', body });
const list = (query: Record<string, string>) =>
  call(pending, { path: '/api/payment-links/pending-emis', query });

describe('POST /api/loans and GET pending-emis', () => {
  it('lists overdue and upcoming EMIs of one lender in due-date order with India-time buckets', async () => {
    const res = await post({
      loans: [
        loan('L-100', 'Acme', [-10, -1, 0, 3, 30]),
        loan('L-101', 'Acme', [-5, 7, 8]),
        loan('L-200', 'Other', [-2]),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.emis.created).toBe(9);

    const all = await list({ lender: 'Acme' });
    expect(all.status).toBe(200);
    expect(
      all.json.items.map((i: { loanId: string; emiNumber: number }) => `${i.loanId}/${i.emiNumber}`),
    ).toEqual(['L-100/1', 'L-101/1', 'L-100/2', 'L-100/3', 'L-100/4', 'L-101/2']);
    const first = all.json.items[0];
    expect(first).toMatchObject({
      lender: 'Acme',
      clientName: 'Client L-100',
      dueDate: addDays(today(), -10),
      amountDue: 250_000,
      amountPaid: 0,
      amountOutstanding: 250_000,
      currency: 'INR',
      daysPastDue: 10,
      bucket: 'overdue',
      activeLink: null,
    });
    expect(all.json.nextCursor).toBeNull();

    const overdue = await list({ lender: 'Acme', bucket: 'overdue' });
    expect(overdue.json.items.map((i: { bucket: string }) => i.bucket)).toEqual([
      'overdue',
      'overdue',
      'overdue',
    ]);
    const upcoming = await list({ lender: 'Acme', bucket: 'upcoming', withinDays: '8' });
    expect(upcoming.json.items).toHaveLength(4);
    expect(upcoming.json.items[0]).toMatchObject({ dueDate: today(), daysPastDue: 0, bucket: 'upcoming' });
  });

  it('pages with an opaque cursor and ends with nextCursor null', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await list({ lender: 'Acme', limit: '2', ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      seen.push(
        ...res.json.items.map((i: { loanId: string; emiNumber: number }) => `${i.loanId}/${i.emiNumber}`),
      );
      cursor = res.json.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
  });

  it('shows every lender when no lender filter is given', async () => {
    const res = await list({ bucket: 'overdue' });
    expect(res.json.items.map((i: { lender: string }) => i.lender)).toContain('Other');
    const names = await call(lenders, { path: '/api/lenders' });
    expect(names.json.lenders).toEqual(['Acme', 'Other']);
  });

  it('treats a re-sent loan as an update, and drops covered or removed EMIs from the list at once', async () => {
    const again = await post({ loans: [loan('L-200', 'Other', [-2])] });
    expect(again.json.emis).toEqual({ created: 0, updated: 0, unchanged: 1, removed: 0 });

    const l = loan('L-100', 'Acme', [-10, -1, 0]);
    l.emis[0]!.amountPaid = 250_000; // fully paid elsewhere
    l.emis[1]!.amountPaid = 50_000; // partly paid
    const res = await post({ loans: [l] });
    expect(res.json.emis).toMatchObject({ updated: 2, unchanged: 1, removed: 2 });

    const after = await list({ lender: 'Acme' });
    const keys = after.json.items.map(
      (i: { loanId: string; emiNumber: number }) => `${i.loanId}/${i.emiNumber}`,
    );
    expect(keys).not.toContain('L-100/1');
    expect(keys).not.toContain('L-100/4');
    const partly = after.json.items.find(
      (i: { loanId: string; emiNumber: number }) => i.loanId === 'L-100' && i.emiNumber === 2,
    );
    expect(partly).toMatchObject({ amountPaid: 50_000, amountOutstanding: 200_000 });
  });
});

describe('bad input on POST /api/loans writes nothing', () => {
  const good = () => loan('L-BAD', 'BadCo', [-1]);

  async function expectNothingWritten() {
    const res = await list({ lender: 'BadCo' });
    expect(res.json.items).toEqual([]);
  }

  it.each([
    [
      'a negative amount',
      (l: ReturnType<typeof good>) => {
        l.emis[0]!.amount = -5;
      },
      'loans.0.emis.0.amount',
    ],
    [
      'fractional paise',
      (l: ReturnType<typeof good>) => {
        l.emis[0]!.amount = 100.5;
      },
      'loans.0.emis.0.amount',
    ],
    [
      'an impossible date',
      (l: ReturnType<typeof good>) => {
        l.emis[0]!.dueDate = '2026-02-30';
      },
      'loans.0.emis.0.dueDate',
    ],
    [
      'a missing phone',
      (l: ReturnType<typeof good>) => {
        (l as { phone?: string }).phone = undefined;
      },
      'loans.0.phone',
    ],
    [
      'an amount as a string',
      (l: ReturnType<typeof good>) => {
        (l.emis[0] as { amount: unknown }).amount = '100';
      },
      'loans.0.emis.0.amount',
    ],
    [
      'an unknown field',
      (l: ReturnType<typeof good>) => {
        (l as unknown as Record<string, unknown>).colour = 'red';
      },
      'loans.0',
    ],
  ])('rejects %s naming the field', async (_name, mutate, field) => {
    const l = good();
    mutate(l);
    // a valid loan in the same request must not be written either
    const res = await post({ loans: [loan('L-OK', 'BadCo', [-1]), l] });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('VALIDATION_FAILED');
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toContain(
      field.replace('loans.0', 'loans.1'),
    );
    await expectNothingWritten();
  });

  it('rejects duplicate EMI numbers in one loan with 422', async () => {
    const l = good();
    l.emis.push({ ...l.emis[0]! });
    const res = await post({ loans: [l] });
    expect(res.status).toBe(422);
    expect(res.json.error.details[0].field).toBe('loans.0.emis.1.emiNumber');
    await expectNothingWritten();
  });

  it('rejects more than 500 loans', async () => {
    const loans = Array.from({ length: 501 }, (_, i) => loan(`L-${i}`, 'BadCo', [-1]));
    const res = await post({ loans });
    expect(res.status).toBe(400);
    expect(res.json.error.details[0]).toMatchObject({
      field: 'loans',
      message: 'must have at most 500 items',
    });
    await expectNothingWritten();
  });

  it('rejects malformed JSON, a wrong content type, an empty body and a body over 1 MB', async () => {
    const malformed = await call(upsert, {
      method: 'POST',
      rawBody: '{"loans": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('MALFORMED_BODY');
    const wrongType = await call(upsert, {
      method: 'POST',
      rawBody: 'loans=1',
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
    const empty = await call(upsert, {
      method: 'POST',
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    const huge = await call(upsert, {
      method: 'POST',
      rawBody: JSON.stringify({ loans: [{ ...good(), clientName: 'x'.repeat(1_100_000) }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    const notObject = await post([1, 2, 3]);
    expect(notObject.status).toBe(400);
    await expectNothingWritten();
  });
});

describe('bad query parameters on pending-emis', () => {
  it.each([
    [{ bucket: 'late' }, 'query.bucket'],
    [{ limit: '0' }, 'query.limit'],
    [{ limit: '10000' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ withinDays: '-1' }, 'query.withinDays'],
    [{ cursor: 'not-a-real-cursor' }, 'query.cursor'],
    [{ cursor: Buffer.from('{"v":1,"q":"x","k":{}}').toString('base64url') }, 'query.cursor'],
    [{ colour: 'red' }, 'query'],
  ])('answers 400 for %o', async (query, field) => {
    const res = await list(query as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.json.error.details[0].field).toBe(field);
  });

  it('refuses a cursor from another query', async () => {
    const first = await list({ lender: 'Acme', limit: '1' });
    expect(first.json.nextCursor).toBeTruthy();
    const other = await list({ lender: 'Other', limit: '1', cursor: first.json.nextCursor });
    expect(other.status).toBe(400);
  });
});
