/**
 * Payment links in the links table, and the writes that must move links, their EMI anchor
 * and the credit ledger together. Named access patterns:
 * - getLink(id)                                GetItem (consistent)
 * - getCredit(paymentId)                       GetItem of the ledger entry (consistent)
 * - findByRazorpayId(plinkId)                  Query byRazorpayId GSI
 * - listForEmi(loanId, emiNumber)              Query byLoanEmi GSI (the loan+EMI index)
 * - listLinks(filters, page)                   Query on all / byStatus / byLender / byLenderStatus /
 *                                              attention / byLoanEmi, never Scan; `lenders`
 *                                              (a caller's scope) narrows a loan's or the attention
 *                                              list with a filter
 * - listLinksOfLenders(filters, lenders, page) one Query per lender on byLender / byLenderStatus, merged
 * - listWatched(syncedBefore, limit)           Query the sparse open GSI, least recently synced first
 * - listWatchedPastExpiry(now, syncedSince, n) Query the open GSI's recently synced part for links past expire_by
 * - markSynced(id, at)                         UpdateItem: Razorpay was asked and nothing changed (reconciliation)
 * - commit({link, emi, credit, refund})        TransactWriteItems: link + EMI (+ ledger entry),
 *                                              each guarded by its optimistic version, with the
 *                                              dashboard's counters (and the loan's pending
 *                                              summary) moved by the same transaction
 */
import {
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  creditContribution,
  delta,
  emiContribution,
  type LoanSummary,
  linkContribution,
  loanContribution,
  pendingEntry,
  sameEntry,
  summaryWith,
} from '../../domain/aggregates';
import type { Emi, Link } from '../../domain/model';
import { isUnsettled } from '../../domain/model';
import type * as port from '../../domain/ports';
import type {
  CommitArgs,
  CommitOutcome,
  CreditEntry,
  LinkFilters,
  PageKey,
  StoredLink,
} from '../../domain/ports';
import { AggregateStore } from './aggregate-store';
import { documentClient, isConditionFailed, queryAll, transactionReasons } from './client';
import { fromEmiItem, toEmiItem } from './emi-store';
import { fromPageKey, indexKeys, keys, LINKS_INDEX, toPageKey } from './schema';

export type { CommitOutcome, CreditEntry, LinkFilters, StoredLink };

/**
 * The key condition for a creation range on a `<createdAt>#<id>` sort key (`#isk`): a key at or
 * after `:cfrom` (an instant sorts before its own keys) and before `:cbefore`.
 */
function createdRange(filters: Pick<LinkFilters, 'createdFrom' | 'createdBefore'>): string {
  if (filters.createdFrom !== undefined && filters.createdBefore !== undefined) {
    return '#isk BETWEEN :cfrom AND :cbefore';
  }
  return filters.createdFrom !== undefined ? '#isk >= :cfrom' : '#isk < :cbefore';
}

export function createdKey(link: Pick<Link, 'createdAt' | 'id'>): string {
  return `${link.createdAt}#${link.id}`;
}

function toItem(link: StoredLink): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...keys.link(link.id),
    type: 'LINK',
    ...link,
    emiKey: indexKeys.emiKey(link.emiNumber, link.createdAt, link.id),
    listAll: indexKeys.linksAll,
    createdKey: createdKey(link),
    lenderStatus: indexKeys.lenderStatus(link.lender, link.status),
  };
  if (link.attention) item.attentionPk = indexKeys.attention;
  // reconciliation watches the links that are not settled (the sparse open index)
  if (isUnsettled(link)) {
    item.openPk = indexKeys.open;
    item.syncKey = `${link.lastSyncedAt ?? link.createdAt}#${link.id}`;
  }
  return item;
}

const INDEX_ATTRS = [
  'pk',
  'sk',
  'type',
  'emiKey',
  'listAll',
  'createdKey',
  'lenderStatus',
  'attentionPk',
  'openPk',
  'syncKey',
];

export function fromItem(item: Record<string, unknown>): StoredLink {
  const copy: Record<string, unknown> = { ...item };
  for (const k of INDEX_ATTRS) delete copy[k];
  const link = copy as unknown as StoredLink;
  link.payments ??= [];
  return link;
}

/** Retries of a transaction that met another one on a shared item (with jittered backoff). */
const TRANSACTION_RETRIES = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class LinkStore implements port.LinkStore {
  private readonly aggregates: AggregateStore;

  constructor(
    private readonly linksTable: string,
    private readonly emisTable: string,
    private readonly db = documentClient(),
  ) {
    this.aggregates = new AggregateStore(emisTable, db);
  }

  private async getEmiRecord(loanId: string, emiNumber: number): Promise<Emi | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.emisTable, Key: keys.emi(loanId, emiNumber), ConsistentRead: true }),
    );
    return out.Item ? fromEmiItem(out.Item) : null;
  }

  async getLink(id: string): Promise<StoredLink | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.linksTable, Key: keys.link(id), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async getCredit(paymentId: string): Promise<CreditEntry | null> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.emisTable, Key: keys.credit(paymentId), ConsistentRead: true }),
    );
    if (!out.Item) return null;
    const { pk: _pk, sk: _sk, type: _type, ...entry } = out.Item;
    return entry as CreditEntry;
  }

  async findByRazorpayId(razorpayLinkId: string): Promise<StoredLink | null> {
    const idx = LINKS_INDEX.byRazorpayId;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.linksTable,
        IndexName: idx.name,
        KeyConditionExpression: '#pk = :v',
        ExpressionAttributeNames: { '#pk': idx.pk },
        ExpressionAttributeValues: { ':v': razorpayLinkId },
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    // the index is eventually consistent: re-read the item itself
    return item ? this.getLink(String(item.id)) : null;
  }

  /** Every link of one EMI, from the loan+EMI index (eventually consistent; see the EMI anchor). */
  async listForEmi(loanId: string, emiNumber: number): Promise<StoredLink[]> {
    const idx = LINKS_INDEX.byLoanEmi;
    const items = await queryAll(this.db, {
      TableName: this.linksTable,
      IndexName: idx.name,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :emi)',
      ExpressionAttributeNames: { '#pk': idx.pk, '#sk': idx.sk },
      ExpressionAttributeValues: { ':pk': loanId, ':emi': indexKeys.emiKeyPrefix(emiNumber) },
    });
    return items.map(fromItem);
  }

  /** Chooses the index that serves the filters; remaining filters become a FilterExpression. */
  private plan(filters: LinkFilters): { input: Omit<QueryCommandInput, 'Limit'>; keyNames: string[] } {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filterParts: string[] = [];
    let index: { name: string; pk: string; sk: string };
    let keyCond: string;
    let forward = false;
    if (filters.loanId !== undefined) {
      index = LINKS_INDEX.byLoanEmi;
      values[':pk'] = filters.loanId;
      if (filters.emiNumber !== undefined) {
        keyCond = '#ipk = :pk AND begins_with(#isk, :emi)';
        values[':emi'] = indexKeys.emiKeyPrefix(filters.emiNumber);
      } else {
        keyCond = '#ipk = :pk';
      }
      if (filters.status) filterParts.push('#status = :status');
      if (filters.lender) filterParts.push('#lender = :lender');
      if (filters.attention) filterParts.push('attribute_exists(attentionPk)');
      forward = false;
    } else if (filters.attention) {
      index = LINKS_INDEX.attention;
      keyCond = '#ipk = :pk';
      values[':pk'] = indexKeys.attention;
      if (filters.status) filterParts.push('#status = :status');
      if (filters.lender) filterParts.push('#lender = :lender');
    } else if (filters.lender && filters.status) {
      index = LINKS_INDEX.byLenderStatus;
      keyCond = '#ipk = :pk';
      values[':pk'] = indexKeys.lenderStatus(filters.lender, filters.status);
    } else if (filters.lender) {
      index = LINKS_INDEX.byLender;
      keyCond = '#ipk = :pk';
      values[':pk'] = filters.lender;
    } else if (filters.status) {
      index = LINKS_INDEX.byStatus;
      keyCond = '#ipk = :pk';
      values[':pk'] = filters.status;
    } else {
      index = LINKS_INDEX.all;
      keyCond = '#ipk = :pk';
      values[':pk'] = indexKeys.linksAll;
    }
    names['#ipk'] = index.pk;
    if (keyCond.includes('#isk')) names['#isk'] = index.sk;
    if (filterParts.some((p) => p.includes('#status'))) {
      names['#status'] = 'status';
      values[':status'] = filters.status;
    }
    if (filters.lenders !== undefined) {
      if (index !== LINKS_INDEX.byLoanEmi && index !== LINKS_INDEX.attention) {
        throw new Error('a lender set narrows only a loan or the attention list; use listLinksOfLenders');
      }
      const placeholders = filters.lenders.map((l, i) => {
        values[`:lender${i}`] = l;
        return `:lender${i}`;
      });
      filterParts.push(`#lender IN (${placeholders.join(', ')})`);
    }
    if (filterParts.some((p) => p.includes('#lender'))) {
      names['#lender'] = 'lender';
      if (filters.lender !== undefined) values[':lender'] = filters.lender;
    }
    // a creation-date range: on the creation key where the index is ordered by it, else a filter
    if (filters.createdFrom !== undefined || filters.createdBefore !== undefined) {
      if (index === LINKS_INDEX.byLoanEmi) {
        names['#created'] = 'createdAt';
        if (filters.createdFrom !== undefined) filterParts.push('#created >= :cfrom');
        if (filters.createdBefore !== undefined) filterParts.push('#created < :cbefore');
      } else {
        names['#isk'] = index.sk;
        keyCond += ` AND ${createdRange(filters)}`;
      }
      if (filters.createdFrom !== undefined) values[':cfrom'] = filters.createdFrom;
      if (filters.createdBefore !== undefined) values[':cbefore'] = filters.createdBefore;
    }
    return {
      input: {
        TableName: this.linksTable,
        IndexName: index.name,
        KeyConditionExpression: keyCond,
        FilterExpression: filterParts.length > 0 ? filterParts.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: forward,
      },
      keyNames: [...new Set(['pk', 'sk', index.pk, index.sk])],
    };
  }

  /**
   * One page, newest first. With a FilterExpression a Query may return fewer items than asked,
   * so it queries on (bounded) until the page is full; the cursor is the last returned item's key.
   */
  async listLinks(
    filters: LinkFilters,
    limit: number,
    startKey?: PageKey,
  ): Promise<{ items: StoredLink[]; lastKey?: PageKey }> {
    const { input, keyNames } = this.plan(filters);
    const raw: Record<string, unknown>[] = [];
    let next = fromPageKey(keyNames, startKey);
    for (let round = 0; round < 20; round++) {
      const out = await this.db.send(
        new QueryCommand({ ...input, ExclusiveStartKey: next, Limit: Math.max(limit + 1 - raw.length, 25) }),
      );
      raw.push(...(out.Items ?? []));
      next = out.LastEvaluatedKey;
      if (!next || raw.length > limit) break;
    }
    if (raw.length > limit) {
      const page = raw.slice(0, limit);
      const last = page[page.length - 1]!;
      return { items: page.map(fromItem), lastKey: toPageKey(keyNames, last) };
    }
    // stopped by the round bound with more to read: continue from DynamoDB's own key
    return { items: raw.map(fromItem), lastKey: next && toPageKey(keyNames, next) };
  }

  /**
   * One page of several lenders' links (a person's scope, no loan or attention filter), newest
   * first: one Query per lender on its own index partition (byLender, or byLenderStatus with a
   * status), merged by creation key. Never reads another lender's partition. The page key is the
   * last link's keys plus its creation key; each lender's query resumes from that position.
   */
  async listLinksOfLenders(
    filters: Pick<LinkFilters, 'status' | 'createdFrom' | 'createdBefore'>,
    lenders: readonly string[],
    limit: number,
    startKey?: PageKey,
  ): Promise<{ items: StoredLink[]; lastKey?: PageKey }> {
    const index = filters.status ? LINKS_INDEX.byLenderStatus : LINKS_INDEX.byLender;
    const names = ['pk', 'sk', 'createdKey'];
    const start = fromPageKey(names, startKey);
    const ranged = filters.createdFrom !== undefined || filters.createdBefore !== undefined;
    const pages = await Promise.all(
      lenders.map(async (lender) => {
        const pkValue = filters.status ? indexKeys.lenderStatus(lender, filters.status) : lender;
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.linksTable,
            IndexName: index.name,
            KeyConditionExpression: ranged ? `#ipk = :pk AND ${createdRange(filters)}` : '#ipk = :pk',
            ExpressionAttributeNames: ranged ? { '#ipk': index.pk, '#isk': index.sk } : { '#ipk': index.pk },
            ExpressionAttributeValues: {
              ':pk': pkValue,
              ...(filters.createdFrom !== undefined ? { ':cfrom': filters.createdFrom } : {}),
              ...(filters.createdBefore !== undefined ? { ':cbefore': filters.createdBefore } : {}),
            },
            ScanIndexForward: false,
            Limit: limit + 1,
            ExclusiveStartKey: start && { ...start, [index.pk]: pkValue },
          }),
        );
        return { items: out.Items ?? [], more: out.LastEvaluatedKey !== undefined };
      }),
    );
    const key = (item: Record<string, unknown>) => String(item.createdKey);
    // newest first: a lender cut short knows nothing older than its last item
    let cutoff: string | undefined;
    for (const p of pages) {
      const last = p.items[p.items.length - 1];
      if (p.more && last && (cutoff === undefined || key(last) > cutoff)) cutoff = key(last);
    }
    const merged = pages
      .flatMap((p) => p.items)
      .filter((item) => cutoff === undefined || key(item) >= cutoff)
      .sort((a, b) => (key(a) > key(b) ? -1 : 1));
    const more = merged.length > limit || pages.some((p) => p.more);
    const page = merged.slice(0, limit);
    const last = page[page.length - 1];
    if (!more || !last) return { items: page.map(fromItem) };
    return { items: page.map(fromItem), lastKey: toPageKey(names, last) };
  }

  /**
   * Links reconciliation should look at, least recently synced first. A link that reconciliation
   * found unchanged must be `markSynced`, or it keeps its old sort key and heads every page.
   */
  async listWatched(syncedBefore: string, limit: number): Promise<StoredLink[]> {
    const idx = LINKS_INDEX.open;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.linksTable,
        IndexName: idx.name,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': idx.pk, '#sk': idx.sk },
        ExpressionAttributeValues: { ':pk': indexKeys.open, ':before': syncedBefore },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }

  /**
   * Open links synced at or after `syncedSince` (so not in `listWatched(syncedSince)`) whose
   * `expire_by` has passed: Razorpay has expired them, or is about to. Reads the recently synced
   * part of the open index with a filter, a bounded number of pages.
   */
  async listWatchedPastExpiry(nowSeconds: number, syncedSince: string, limit: number): Promise<StoredLink[]> {
    const idx = LINKS_INDEX.open;
    const found: StoredLink[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < 10 && found.length < limit; page++) {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.linksTable,
          IndexName: idx.name,
          KeyConditionExpression: '#pk = :pk AND #sk >= :since',
          FilterExpression: 'expireBy > :zero AND expireBy <= :now AND #status IN (:created, :partial)',
          ExpressionAttributeNames: { '#pk': idx.pk, '#sk': idx.sk, '#status': 'status' },
          ExpressionAttributeValues: {
            ':pk': indexKeys.open,
            ':since': syncedSince,
            ':zero': 0,
            ':now': nowSeconds,
            ':created': 'created',
            ':partial': 'partially_paid',
          },
          ExclusiveStartKey: startKey,
          Limit: 200,
        }),
      );
      for (const item of out.Items ?? []) found.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    return found.slice(0, limit);
  }

  /**
   * Records that Razorpay was asked about a watched link and reported nothing new: moves it to
   * the back of the open index. Not a state change, so the revision stays; a concurrent writer
   * may put back an older sync time, which only means the link is looked at again sooner.
   */
  async markSynced(linkId: string, syncedAt: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.linksTable,
          Key: keys.link(linkId),
          UpdateExpression: 'SET lastSyncedAt = :at, syncKey = :sk',
          // only while it is watched, and never backwards
          ConditionExpression:
            'attribute_exists(openPk) AND (attribute_not_exists(lastSyncedAt) OR lastSyncedAt < :at)',
          ExpressionAttributeValues: { ':at': syncedAt, ':sk': `${syncedAt}#${linkId}` },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  /**
   * Writes a link, its EMI anchor (every covered EMI, for a loan link) and (optionally) one
   * credit-ledger entry in one transaction. Each write is guarded: the link by its revision
   * (`expectedRev` 0 = must be new), each EMI by its version, the credit by "this payment id was
   * never credited".
   */
  async commit(args: CommitArgs): Promise<CommitOutcome> {
    // another transaction on one of the same items (a shared counter, on another shard next
    // time): wait a little and try again, rather than making the caller re-read everything
    for (let attempt = 0; ; attempt++) {
      // a retry reads the records again: the caller's copies may be what the other writer changed
      const outcome = await this.commitOnce(args, attempt === 0);
      if (outcome !== 'busy') return outcome;
      if (attempt >= TRANSACTION_RETRIES) return 'conflict';
      await sleep(Math.random() * 10 * 2 ** attempt);
    }
  }

  private async commitOnce(args: CommitArgs, fresh: boolean): Promise<CommitOutcome | 'busy'> {
    // the records as they are now: exactly what the guarded writes below replace, so the
    // counters move by after − before (a stale read fails its guard and is retried by the caller)
    // the caller's own copy, when it is the one the guard names (first attempt only)
    const linkKnown =
      fresh && args.link?.before?.rev === args.link?.expectedRev ? args.link?.before : undefined;
    // one EMI (a link of one EMI) or several of one loan (a loan link's covered EMIs)
    const emiArgs = [...(args.emi ? [args.emi] : []), ...(args.emis ?? [])];
    const emisKnown = emiArgs.map((e) =>
      fresh && e.before?.version === e.expectedVersion ? e.before : undefined,
    );
    // the loan's summary is read beside them when an EMI's pending facts may move (always, for
    // a credit): its own rev guards the write, so reading it alongside is as safe as after
    const mayMoveDpd = emiArgs.some(
      (e, i) =>
        emisKnown[i] === undefined || !sameEntry(pendingEntry(emisKnown[i] ?? null), pendingEntry(e.emi)),
    );
    const loanId = emiArgs[0]?.emi.loanId;
    const [linkBefore, emisBefore, storedSummary] = await Promise.all([
      args.link && args.link.expectedRev > 0 ? (linkKnown ?? this.getLink(args.link.link.id)) : null,
      Promise.all(emiArgs.map((e, i) => emisKnown[i] ?? this.getEmiRecord(e.emi.loanId, e.emi.emiNumber))),
      mayMoveDpd && loanId !== undefined ? this.aggregates.getSummary(loanId) : null,
    ]);
    if (args.link && args.link.expectedRev > 0 && linkBefore?.rev !== args.link.expectedRev)
      return 'conflict';
    if (emiArgs.some((e, i) => emisBefore[i]?.version !== e.expectedVersion)) return 'conflict';
    const credit = args.credit && { ...args.credit, lender: args.credit.lender ?? args.link?.link.lender };
    const before = linkContribution(linkBefore);
    const after = linkContribution(args.link?.link ?? linkBefore);
    emiArgs.forEach((e, i) => {
      emiContribution(emisBefore[i] ?? null, before);
      emiContribution(e.emi, after);
    });
    if (credit?.lender) creditContribution({ ...credit, lender: credit.lender }, after);

    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    if (credit) {
      items.push({
        Put: {
          TableName: this.emisTable,
          Item: { ...keys.credit(credit.paymentId), type: 'CREDIT', ...credit },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (args.refund) {
      const refund = { ...args.refund, lender: args.refund.lender ?? args.link?.link.lender };
      items.push({
        Put: {
          TableName: this.emisTable,
          Item: { ...keys.refund(refund.paymentId, refund.refundId), type: 'REFUND', ...refund },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (args.link) {
      const { link, expectedRev } = args.link;
      items.push({
        Put: {
          TableName: this.linksTable,
          Item: toItem(link),
          ConditionExpression: expectedRev === 0 ? 'attribute_not_exists(pk)' : '#rev = :rev',
          ...(expectedRev === 0
            ? {}
            : {
                ExpressionAttributeNames: { '#rev': 'rev' },
                ExpressionAttributeValues: { ':rev': expectedRev },
              }),
        },
      });
    }
    let summaryChange: { summary: LoanSummary; next: LoanSummary; rev: number } | undefined;
    for (const [i, e] of emiArgs.entries()) {
      items.push({
        Put: {
          TableName: this.emisTable,
          Item: toEmiItem(e.emi),
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#v': 'version' },
          ExpressionAttributeValues: { ':v': e.expectedVersion },
        },
      });
      // the loan's DPD moves only when an EMI's pending facts do (money, due date, lender)
      const entryBefore = pendingEntry(emisBefore[i] ?? null);
      const entryAfter = pendingEntry(e.emi);
      if (!sameEntry(entryBefore, entryAfter)) {
        if (!summaryChange) {
          const { summary, rev } = storedSummary ?? (await this.aggregates.getSummary(e.emi.loanId));
          summaryChange = { summary, next: summary, rev };
        }
        summaryChange.next = summaryWith(summaryChange.next, e.emi.emiNumber, entryAfter);
      }
    }
    if (summaryChange && loanId !== undefined) {
      loanContribution(summaryChange.summary, before);
      loanContribution(summaryChange.next, after);
      items.push(this.aggregates.summaryPut(loanId, summaryChange.next, summaryChange.rev));
    }
    items.push(...this.aggregates.counterUpdates(delta(before, after)));
    if (items.length === 0) return 'ok';
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return 'ok';
    } catch (err) {
      const reasons = transactionReasons(err);
      if (!reasons) throw err;
      // the ledger line comes first: its guard failing means this money was recorded already
      if ((args.credit || args.refund) && reasons[0] === 'ConditionalCheckFailed') return 'already-credited';
      if (reasons.some((r) => r === 'ConditionalCheckFailed')) return 'conflict';
      if (reasons.some((r) => r === 'TransactionConflict')) return 'busy';
      throw err;
    }
  }
}
