/**
 * Loans, EMIs and lenders in the emis table. Named access patterns:
 * - getEmi(loanId, emiNumber, consistent)      GetItem
 * - getLoanItems(loanId)                        Query pk = LOAN#id (consistent)
 * - getLoanLender(loanId)                       GetItem LOAN#id / #LOAN (consistent)
 * - queryPending(lender?, range, page)          Query on the sparse pendingByLender / pendingAll GSI
 * - queryPendingOfLenders(lenders, range, page) one Query per lender on pendingByLender, merged
 * - queryPendingSorted(lenders?, order, …)      due date descending or by amount: pending-sorted.ts
 * - contactsOf(refs)                            BatchGetItem of EMI items for a page of links: contacts.ts
 * - listLenders()                               Query pk = LENDERS
 * - writeEmis(loanId, writes)                   TransactWriteItems, up to 45 EMIs a transaction:
 *                                               each EMI guarded by its version, with the loan's
 *                                               pending summary (guarded by its rev) and the
 *                                               dashboard's counters moved in the same transaction
 * - putLoan(loan, now, by, previous)            TransactWriteItems: the loan and its search entries
 *                                               (stale ones deleted)
 * - batchPutIntoEmptyTable(…)                   BatchWriteItem (seeding an empty table only), with
 *                                               the counters, summaries and search entries the
 *                                               same records would have got one by one
 */
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Counters,
  delta,
  emiContribution,
  type LoanSummary,
  loanContribution,
  merge,
  pendingEntry,
  sameEntry,
  splitKey,
  summaryWith,
} from '../../domain/aggregates';
import type { ActorRef, Emi, EmiLinkRef, Loan } from '../../domain/model';
import { emiIsPending, emiOutstanding } from '../../domain/model';
import type * as port from '../../domain/ports';
import type { Contact, PageKey, PendingPage, PendingSortArgs, StoredLoan } from '../../domain/ports';
import { searchTerms } from '../../domain/search-terms';
import { AggregateStore, loanSummaryItem, type TransactItem } from './aggregate-store';
import { documentClient, queryAll, transactionReasons, transactRetryingConflicts } from './client';
import { contactsOf } from './contacts';
import { queryPendingSorted } from './pending-sorted';
import {
  EMIS_INDEX,
  fromPageKey,
  indexKeys,
  keys,
  pendingAmountSortKey,
  pendingSortKey,
  toPageKey,
} from './schema';

export type { PendingPage };

/**
 * EMIs per upsert transaction, within DynamoDB's 100 items: each EMI may bring its own due
 * month's counter item (`E#<month>`, a 5-year loan has 60 months), plus the summary, the totals
 * and two DPD months: 45 + 45 + 4 = 94.
 */
const EMIS_PER_TRANSACTION = 45;
/** Retries of a chunk that met another transaction on a shared counter (jittered backoff). */
const TRANSACTION_RETRIES = 5;

/** The search entries of a loan (each carries what a search answer shows). */
export function searchItems(loan: Loan): Record<string, unknown>[] {
  return searchTerms(loan).map(({ kind, term }) => ({
    ...keys.search(loan.lender, kind, term, loan.loanId),
    type: 'SEARCH',
    kind,
    loanId: loan.loanId,
    lender: loan.lender,
    clientName: loan.clientName,
    phone: loan.phone,
  }));
}

export interface EmiItem extends Emi {
  pk: string;
  sk: string;
  type: 'EMI';
  gsi1pk?: string;
  gsi1sk?: string;
  gsi2pk?: string;
  gsi2sk?: string;
  gsi3sk?: string;
}

export interface LoanItem extends StoredLoan {
  pk: string;
  sk: string;
  type: 'LOAN';
}

/** The full stored item for an EMI, with the sparse pending-index keys set only while pending. */
export function toEmiItem(emi: Emi): EmiItem {
  const item: EmiItem = { ...keys.emi(emi.loanId, emi.emiNumber), type: 'EMI', ...emi };
  if (emiIsPending(emi)) {
    const sk = pendingSortKey(emi.dueDate, emi.loanId, emi.emiNumber);
    item.gsi1pk = indexKeys.pending(emi.lender);
    item.gsi1sk = sk;
    item.gsi2pk = indexKeys.pending();
    item.gsi2sk = sk;
    item.gsi3sk = pendingAmountSortKey(emiOutstanding(emi), emi.dueDate, emi.loanId, emi.emiNumber);
  }
  return item;
}

export function fromEmiItem(item: Record<string, unknown>): Emi {
  const {
    pk: _pk,
    sk: _sk,
    type: _t,
    gsi1pk: _a,
    gsi1sk: _b,
    gsi2pk: _c,
    gsi2sk: _d,
    gsi3sk: _e,
    ...rest
  } = item;
  const emi = rest as unknown as Emi;
  emi.links = (emi.links ?? {}) as Record<string, EmiLinkRef>;
  return emi;
}

/** Batch requests in flight while seeding (measured with `npm run bench -- startup`). */
const BATCH_WRITERS = 8;

export class EmiStore implements port.EmiStore {
  private readonly aggregates: AggregateStore;

  constructor(
    private readonly table: string,
    private readonly db = documentClient(),
  ) {
    this.aggregates = new AggregateStore(table, db);
  }

  async getEmi(loanId: string, emiNumber: number, consistent = true): Promise<Emi | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.emi(loanId, emiNumber), ConsistentRead: consistent }),
    );
    return out.Item ? fromEmiItem(out.Item) : null;
  }

  /** The loan item and all its EMIs, strongly consistent. */
  async getLoanItems(loanId: string): Promise<{ loan: LoanItem | null; emis: Emi[] }> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.loan(loanId).pk },
      ConsistentRead: true,
    });
    const loan = (items.find((item) => item.type === 'LOAN') as LoanItem | undefined) ?? null;
    const emis = items.filter((item) => item.type === 'EMI').map(fromEmiItem);
    return { loan, emis };
  }

  /** The lender a loan is filed under, or null for a new loan. */
  async getLoanLender(loanId: string): Promise<string | null> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.loan(loanId),
        ConsistentRead: true,
        ProjectionExpression: 'lender',
      }),
    );
    return out.Item ? String(out.Item.lender) : null;
  }

  /**
   * Writes EMIs of one loan, each only if its version is still the one its `before` was read at
   * (`before` null = must not exist), with the loan's pending summary and the dashboard's counters
   * in the same transactions. False when another writer got there first (re-read and retry);
   * chunks already written stay written and consistent.
   */
  async writeEmis(loanId: string, writes: { emi: Emi; before: Emi | null }[]): Promise<boolean> {
    for (let from = 0, attempt = 0; from < writes.length; ) {
      const chunk = writes.slice(from, from + EMIS_PER_TRANSACTION);
      const { summary, rev } = await this.aggregates.getSummary(loanId);
      let next: LoanSummary = summary;
      const before: Counters = new Map();
      const after: Counters = new Map();
      const items: TransactItem[] = [];
      for (const { emi, before: prev } of chunk) {
        emiContribution(prev, before);
        emiContribution(emi, after);
        const entry = pendingEntry(emi);
        if (!sameEntry(pendingEntry(prev), entry)) next = summaryWith(next, emi.emiNumber, entry);
        items.push({
          Put: {
            TableName: this.table,
            Item: toEmiItem(emi),
            ConditionExpression: prev === null ? 'attribute_not_exists(pk)' : '#v = :v',
            ...(prev === null
              ? {}
              : {
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': prev.version },
                }),
          },
        });
      }
      if (next !== summary) {
        loanContribution(summary, before);
        loanContribution(next, after);
        items.push(this.aggregates.summaryPut(loanId, next, rev));
      }
      items.push(...this.aggregates.counterUpdates(delta(before, after)));
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        from += EMIS_PER_TRANSACTION;
        attempt = 0;
      } catch (err) {
        const reasons = transactionReasons(err);
        if (reasons?.some((r) => r === 'ConditionalCheckFailed')) return false;
        // another transaction on a shared counter: the same chunk again, other shards, shortly
        if (reasons?.some((r) => r === 'TransactionConflict') && attempt < TRANSACTION_RETRIES) {
          await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt++));
          continue;
        }
        if (reasons?.some((r) => r === 'TransactionConflict')) return false;
        throw err;
      }
    }
    return true;
  }

  /** The loan and its search entries, replacing `previous`'s entries that no longer apply. */
  async putLoan(loan: Loan, now: string, by?: ActorRef, previous?: Loan | null): Promise<void> {
    const item: LoanItem = {
      ...keys.loan(loan.loanId),
      type: 'LOAN',
      ...loan,
      updatedAt: now,
      ...(by ? { updatedBy: by } : {}),
    };
    const fresh = searchItems(loan);
    const keep = new Set(fresh.map((i) => `${i.pk}\u0000${i.sk}`));
    const stale = previous ? searchItems(previous).filter((i) => !keep.has(`${i.pk}\u0000${i.sk}`)) : [];
    const items: TransactItem[] = [
      { Put: { TableName: this.table, Item: item } },
      ...fresh.map((Item) => ({ Put: { TableName: this.table, Item } })),
      ...stale.map((i) => ({ Delete: { TableName: this.table, Key: { pk: i.pk, sk: i.sk } } })),
    ];
    // a name of very many words: the loan and its first entries together, the rest after
    const what = `Loan ${loan.loanId}`;
    await transactRetryingConflicts(this.db, { TransactItems: items.slice(0, 100) }, what);
    for (let from = 100; from < items.length; from += 100) {
      await transactRetryingConflicts(this.db, { TransactItems: items.slice(from, from + 100) }, what);
    }
  }

  async putLender(lender: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.table, Item: { ...keys.lender(lender), type: 'LENDER', lender } }),
    );
  }

  /**
   * Writes lenders, loans and EMIs unconditionally, 25 items a request, several requests in
   * flight, retrying what DynamoDB leaves unprocessed. Only for a table known to be empty.
   */
  async batchPutIntoEmptyTable(args: { lenders: string[]; loans: Loan[]; emis: Emi[]; now: string }) {
    const items: Record<string, unknown>[] = [
      ...args.lenders.map((lender) => ({ ...keys.lender(lender), type: 'LENDER', lender })),
      ...args.loans.map((loan) => ({
        ...keys.loan(loan.loanId),
        type: 'LOAN',
        ...loan,
        updatedAt: args.now,
      })),
      ...args.emis.map(toEmiItem),
      ...args.loans.flatMap(searchItems),
      ...seedAggregateItems(args.emis),
    ];
    let next = 0;
    const writer = async () => {
      for (let from = next; from < items.length; from = next) {
        next += 25;
        let requests: Record<string, unknown>[] | undefined = items
          .slice(from, from + 25)
          .map((Item) => ({ PutRequest: { Item } }));
        for (let attempt = 0; requests && requests.length > 0; attempt++) {
          if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
          const out = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
          requests = out.UnprocessedItems?.[this.table] as Record<string, unknown>[] | undefined;
        }
      }
    };
    await Promise.all(Array.from({ length: BATCH_WRITERS }, writer));
  }

  async listLenders(): Promise<string[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.lendersPk() },
    });
    return items.map((item) => String(item.lender));
  }

  /**
   * One page of pending EMIs ordered by due date, loan, EMI number: a Query on the sparse
   * pending index between two sort keys (inclusive). Cost depends on the page, not the table.
   */
  async queryPending(args: {
    lender?: string;
    fromDate?: string;
    toDate: string;
    limit: number;
    startKey?: PageKey;
  }): Promise<PendingPage> {
    const index = args.lender ? EMIS_INDEX.pendingByLender : EMIS_INDEX.pendingAll;
    const pkValue = indexKeys.pending(args.lender);
    const names = ['pk', 'sk', index.pk, index.sk];
    const { fromSk, toSk } = indexKeys.pendingRange(args.fromDate, args.toDate);
    const input: QueryCommandInput = {
      TableName: this.table,
      IndexName: index.name,
      // one extra item tells whether another page exists, so the last page has no cursor
      Limit: args.limit + 1,
      ExclusiveStartKey: fromPageKey(names, args.startKey),
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':pk': pkValue, ':to': toSk },
      KeyConditionExpression: '#pk = :pk AND #sk <= :to',
    };
    if (fromSk !== undefined) {
      input.KeyConditionExpression = '#pk = :pk AND #sk BETWEEN :from AND :to';
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':from': fromSk };
    }
    const out = await this.db.send(new QueryCommand(input));
    const raw = out.Items ?? [];
    if (raw.length <= args.limit) return { items: raw.map(fromEmiItem) };
    const page = raw.slice(0, args.limit);
    const last = page[page.length - 1]!;
    return { items: page.map(fromEmiItem), lastKey: toPageKey(names, last) };
  }

  /** Phone, e-mail and due date for a page of links: contacts.ts. */
  contactsOf(refs: readonly { loanId: string; emiNumber: number | null }[]): Promise<Map<string, Contact>> {
    return contactsOf(this.db, this.table, refs);
  }

  /** One page in another order (due date descending, amount): pending-sorted.ts. */
  queryPendingSorted(args: PendingSortArgs): Promise<PendingPage> {
    return queryPendingSorted(this.db, this.table, args, fromEmiItem);
  }

  /**
   * One page of pending EMIs of several lenders (a person's scope), in the same order as
   * queryPending: one Query per lender on pendingByLender, each asking for a page, merged by sort
   * key. Never reads another lender's partition. The page key is the last item's own keys plus
   * its index sort key, from which each lender's query resumes (its own partition, same position).
   */
  async queryPendingOfLenders(args: {
    lenders: readonly string[];
    fromDate?: string;
    toDate: string;
    limit: number;
    startKey?: PageKey;
  }): Promise<PendingPage> {
    const index = EMIS_INDEX.pendingByLender;
    const names = ['pk', 'sk', index.sk];
    const startKey = fromPageKey(names, args.startKey);
    const { fromSk, toSk } = indexKeys.pendingRange(args.fromDate, args.toDate);
    const pages = await Promise.all(
      args.lenders.map(async (lender) => {
        const input: QueryCommandInput = {
          TableName: this.table,
          IndexName: index.name,
          Limit: args.limit + 1,
          ExclusiveStartKey: startKey && { ...startKey, [index.pk]: indexKeys.pending(lender) },
          ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
          ExpressionAttributeValues: { ':pk': indexKeys.pending(lender), ':to': toSk },
          KeyConditionExpression: '#pk = :pk AND #sk <= :to',
        };
        if (fromSk !== undefined) {
          input.KeyConditionExpression = '#pk = :pk AND #sk BETWEEN :from AND :to';
          input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':from': fromSk };
        }
        const out = await this.db.send(new QueryCommand(input));
        return { items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
      }),
    );
    // a lender whose page was cut short (Limit or 1 MB) knows nothing past its last item: the
    // merged page may not go beyond the earliest such point
    let cutoff: string | undefined;
    for (const p of pages) {
      const last = p.items[p.items.length - 1];
      if (p.more && last && (cutoff === undefined || String(last[index.sk]) < cutoff)) {
        cutoff = String(last[index.sk]);
      }
    }
    const merged = pages
      .flatMap((p) => p.items)
      .filter((item) => cutoff === undefined || String(item[index.sk]) <= cutoff)
      .sort((a, b) => (String(a[index.sk]) < String(b[index.sk]) ? -1 : 1));
    const more = merged.length > args.limit || pages.some((p) => p.more);
    const page = merged.slice(0, args.limit);
    const last = page[page.length - 1];
    if (!more || !last) return { items: page.map(fromEmiItem) };
    return { items: page.map(fromEmiItem), lastKey: toPageKey(names, last) };
  }
}

/**
 * The summaries and counter items a set of EMIs (of an empty table) would have got from
 * writeEmis one by one, as whole items on shard 0: the same functions, summed.
 */
export function seedAggregateItems(emis: Emi[]): Record<string, unknown>[] {
  const summaries = new Map<string, LoanSummary>();
  const counters: Counters = new Map();
  for (const emi of emis) {
    emiContribution(emi, counters);
    const entry = pendingEntry(emi);
    if (entry) summaries.set(emi.loanId, summaryWith(summaries.get(emi.loanId) ?? {}, emi.emiNumber, entry));
  }
  const items: Record<string, unknown>[] = [];
  for (const [loanId, summary] of summaries) {
    merge(counters, loanContribution(summary));
    items.push(loanSummaryItem(loanId, summary, 1));
  }
  const byItem = new Map<string, Record<string, unknown>>();
  for (const [key, value] of counters) {
    if (value === 0) continue;
    const { lender, group, attr } = splitKey(key);
    const k = keys.aggregate(lender, `${group}#0`);
    const id = `${k.pk}\u0000${k.sk}`;
    let item = byItem.get(id);
    if (!item) {
      item = { ...k, type: 'AGG' };
      byItem.set(id, item);
    }
    item[attr] = value;
  }
  return [...items, ...byItem.values()];
}
