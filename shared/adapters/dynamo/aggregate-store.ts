/**
 * The dashboard's kept totals in the emis table (see shared/domain/aggregates.ts for what they
 * count). Named access patterns:
 * - counterUpdates(deltas)            the TransactWriteItems entries that ADD a change to the
 *                                     counters: one Update per aggregate item touched, each on a
 *                                     shard chosen at random so concurrent writers rarely meet
 * - getSummary(loanId)                GetItem LOAN#id / #AGG (consistent): the loan's pending EMIs
 * - summaryPut(loanId, summary, rev)  the TransactWriteItems entry that writes it, guarded by rev
 * - readLender(lender, today)         three Queries on AGG#<lender>: totals, DPD months from
 *                                     today−90 on, and the last 30 days — never a Scan, and the
 *                                     same number of items at 1k EMIs as at 1M
 * - pendingTotals(lender, from?, to)  one Query on AGG#<lender> over the E# months of a due-date
 *                                     range: the pending list's count and outstanding for its
 *                                     filter (items read grow with months, not EMIs)
 *
 * Items: pk `AGG#<lender>`, sk `T#<shard>` | `D#<yyyy-mm>#<shard>` | `E#<yyyy-mm>#<shard>` | `C#<yyyy-mm-dd>#<shard>`,
 * number attributes only (plus `type`). Shards are summed at read time.
 */
import { randomInt } from 'node:crypto';
import { GetCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Counters, LoanSummary } from '../../domain/aggregates';
import { splitKey } from '../../domain/aggregates';
import { addDays } from '../../domain/dates';
import type { AggregateReader, LenderCounters } from '../../domain/ports';
import { documentClient, queryAll } from './client';
import { keys } from './schema';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Aggregate items per group: writes spread over them, reads sum them. */
export const AGG_SHARDS = 4;

export interface StoredSummary {
  summary: LoanSummary;
  rev: number;
}

export type { LenderCounters };

export function groupOfSk(sk: string): string {
  return sk.slice(0, sk.lastIndexOf('#'));
}

export class AggregateStore implements AggregateReader {
  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {}

  /** Update entries adding `deltas` to the counters; one per (lender, group), on a random shard. */
  counterUpdates(deltas: Counters, shard: () => number = () => randomInt(AGG_SHARDS)): TransactItem[] {
    const byItem = new Map<string, { lender: string; group: string; attrs: [string, number][] }>();
    for (const [key, value] of deltas) {
      if (value === 0) continue;
      const { lender, group, attr } = splitKey(key);
      const id = `${lender}\u0000${group}`;
      let entry = byItem.get(id);
      if (!entry) {
        entry = { lender, group, attrs: [] };
        byItem.set(id, entry);
      }
      entry.attrs.push([attr, value]);
    }
    return [...byItem.values()].map(({ lender, group, attrs }) => {
      const names: Record<string, string> = { '#type': 'type' };
      const values: Record<string, unknown> = { ':type': 'AGG' };
      const adds = attrs.map(([attr, value], i) => {
        names[`#a${i}`] = attr;
        values[`:v${i}`] = value;
        return `#a${i} :v${i}`;
      });
      return {
        Update: {
          TableName: this.table,
          Key: keys.aggregate(lender, `${group}#${shard()}`),
          UpdateExpression: `SET #type = :type ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      };
    });
  }

  pendingTotals(lender: string, fromDate: string | undefined, toDate: string) {
    return pendingTotalsOf(this.db, this.table, lender, fromDate, toDate);
  }

  async getSummary(loanId: string): Promise<StoredSummary> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.loanAggregate(loanId), ConsistentRead: true }),
    );
    if (!out.Item) return { summary: {}, rev: 0 };
    return { summary: fromSummaryAttr(out.Item.p), rev: Number(out.Item.rev) };
  }

  /** Writes the loan's pending summary, only if nobody wrote it since `rev` was read (0 = none). */
  summaryPut(loanId: string, summary: LoanSummary, expectedRev: number): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: loanSummaryItem(loanId, summary, expectedRev + 1),
        ConditionExpression: expectedRev === 0 ? 'attribute_not_exists(pk)' : 'rev = :rev',
        ...(expectedRev === 0 ? {} : { ExpressionAttributeValues: { ':rev': expectedRev } }),
      },
    };
  }

  /**
   * One lender's counters the dashboard needs, summed over shards: totals, DPD from the month
   * of today−90 on (older loans are NPA: totals minus the rest), and days today−29 … today.
   */
  async readLender(lender: string, today: string): Promise<{ counters: LenderCounters; itemsRead: number }> {
    const pk = keys.aggregate(lender, '').pk;
    const ranges: [string, string][] = [
      ['T#', 'T#~'],
      [`D#${addDays(today, -90).slice(0, 7)}`, 'D#~'],
      [`C#${addDays(today, -29)}`, 'C#~'],
    ];
    const pages = await Promise.all(
      ranges.map(([from, to]) =>
        queryAll(this.db, {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': pk, ':from': from, ':to': to },
        }),
      ),
    );
    const counters: LenderCounters = new Map();
    let itemsRead = 0;
    for (const item of pages.flat()) {
      itemsRead++;
      addItem(counters, item);
    }
    return { counters, itemsRead };
  }
}

/** Pending EMIs due `fromDate`..`toDate` (inclusive; no `fromDate`: from the oldest) of one lender. */
export async function pendingTotalsOf(
  db: ReturnType<typeof documentClient>,
  table: string,
  lender: string,
  fromDate: string | undefined,
  toDate: string,
): Promise<{ count: number; outstanding: number }> {
  const items = await queryAll(db, {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': keys.aggregate(lender, '').pk,
      ':from': fromDate === undefined ? 'E#' : `E#${fromDate.slice(0, 7)}`,
      ':to': `E#${toDate.slice(0, 7)}~`,
    },
  });
  let count = 0;
  let outstanding = 0;
  for (const item of items) {
    const month = groupOfSk(String(item.sk)).slice(2);
    for (const [attr, v] of Object.entries(item)) {
      if (!/^c\d\d$/.test(attr) || typeof v !== 'number') continue;
      const date = `${month}-${attr.slice(1)}`;
      if (date > toDate || (fromDate !== undefined && date < fromDate)) continue;
      count += v;
      const o = item[`o${attr.slice(1)}`];
      outstanding += typeof o === 'number' ? o : 0;
    }
  }
  return { count, outstanding };
}

export function addItem(counters: LenderCounters, item: Record<string, unknown>): void {
  const group = groupOfSk(String(item.sk));
  let attrs = counters.get(group);
  if (!attrs) {
    attrs = new Map();
    counters.set(group, attrs);
  }
  for (const [k, v] of Object.entries(item)) {
    if (k === 'pk' || k === 'sk' || k === 'type' || typeof v !== 'number') continue;
    attrs.set(k, (attrs.get(k) ?? 0) + v);
  }
}

/** Stored as `p: { "<emiNumber>": [lender, dueDate, outstanding] }`: small, one item per loan. */
export function loanSummaryItem(loanId: string, summary: LoanSummary, rev: number): Record<string, unknown> {
  return {
    ...keys.loanAggregate(loanId),
    type: 'LOANAGG',
    rev,
    p: Object.fromEntries(Object.entries(summary).map(([n, e]) => [n, [e.lender, e.dueDate, e.outstanding]])),
  };
}

export function fromSummaryAttr(attr: unknown): LoanSummary {
  const out: LoanSummary = {};
  for (const [n, v] of Object.entries((attr ?? {}) as Record<string, unknown[]>)) {
    out[n] = { lender: String(v[0]), dueDate: String(v[1]), outstanding: Number(v[2]) };
  }
  return out;
}
