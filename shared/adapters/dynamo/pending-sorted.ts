/**
 * Pending EMIs in an order other than the list's default (due date ascending): due date
 * descending, or amount still owed (either way). Named access pattern:
 * - queryPendingSorted(lenders?, order, range, page)
 *     by due date: the pendingByLender / pendingAll index read backwards (key condition only);
 *     by amount: the sparse pendingByAmount index (SK `<outstanding>#<due>#<loan>#<emi>`), one
 *     Query per lender, the bucket's due-date range as a FilterExpression. A filter reads items it
 *     then drops, so each lender's Query stops after READ_BUDGET index items; a page may then
 *     come back short (even empty) with a cursor that carries on from where the reading stopped.
 * Several lenders' pages are merged by index sort key: a lender cut short knows nothing past
 * the last item it read, so the merged page never goes beyond the earliest such point.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Emi } from '../../domain/model';
import type { PageKey, PendingPage, PendingSortArgs } from '../../domain/ports';
import { EMIS_INDEX, fromPageKey, indexKeys, toPageKey } from './schema';

/** Index items one lender's Query may read (and filter out) for one page of the amount order. */
export const READ_BUDGET = 1000;

type Item = Record<string, unknown>;

interface PartitionPage {
  items: Item[];
  /** where this partition's reading stopped with more to read (sort-key value and table keys) */
  stoppedAt?: Item;
}

export async function queryPendingSorted(
  db: DynamoDBDocumentClient,
  table: string,
  args: PendingSortArgs,
  fromItem: (item: Item) => Emi,
): Promise<PendingPage> {
  const byAmount = args.order === 'amount';
  const index = byAmount
    ? EMIS_INDEX.pendingByAmount
    : args.lenders === undefined
      ? EMIS_INDEX.pendingAll
      : EMIS_INDEX.pendingByLender;
  if (byAmount && args.lenders === undefined) throw new Error('the amount order reads lender by lender');
  const partitions = args.lenders === undefined ? [indexKeys.pending()] : args.lenders.map(indexKeys.pending);
  const names = ['pk', 'sk', index.sk];
  const start = fromPageKey(names, args.startKey);
  const { fromSk, toSk } = indexKeys.pendingRange(args.fromDate, args.toDate);
  const forward = !args.descending;

  const readPartition = async (pkValue: string): Promise<PartitionPage> => {
    const input: QueryCommandInput = {
      TableName: table,
      IndexName: index.name,
      ScanIndexForward: forward,
      ExpressionAttributeNames: { '#pk': index.pk },
      ExpressionAttributeValues: { ':pk': pkValue },
      KeyConditionExpression: '#pk = :pk',
    };
    const values = input.ExpressionAttributeValues!;
    const attrNames = input.ExpressionAttributeNames!;
    if (byAmount) {
      // the bucket's due dates: a filter on the EMI's own dueDate (the index is ordered by amount)
      attrNames['#due'] = 'dueDate';
      values[':toDate'] = args.toDate;
      input.FilterExpression = '#due <= :toDate';
      if (args.fromDate !== undefined) {
        values[':fromDate'] = args.fromDate;
        input.FilterExpression = '#due BETWEEN :fromDate AND :toDate';
      }
    } else {
      attrNames['#sk'] = index.sk;
      values[':to'] = toSk;
      input.KeyConditionExpression = '#pk = :pk AND #sk <= :to';
      if (fromSk !== undefined) {
        values[':from'] = fromSk;
        input.KeyConditionExpression = '#pk = :pk AND #sk BETWEEN :from AND :to';
      }
    }
    const items: Item[] = [];
    let next: Item | undefined = start && { ...start, [index.pk]: pkValue };
    let read = 0;
    // one extra item tells whether another page exists; a filter that drops many asks for more
    let chunk = args.limit + 1;
    while (true) {
      const out = await db.send(
        new QueryCommand({
          ...input,
          ExclusiveStartKey: next,
          Limit: byAmount ? Math.min(READ_BUDGET - read, chunk) : args.limit + 1,
        }),
      );
      chunk = Math.min(chunk * 4, 500);
      read += out.ScannedCount ?? 0;
      items.push(...(out.Items ?? []));
      next = out.LastEvaluatedKey;
      if (items.length > args.limit) {
        // everything up to the last item returned is known
        return { items, stoppedAt: items[items.length - 1] };
      }
      if (!next) return { items };
      if (!byAmount || read >= READ_BUDGET) return { items, stoppedAt: next };
    }
  };

  const pages = await Promise.all(partitions.map(readPartition));
  const key = (item: Item) => String(item[index.sk]);
  const before = (a: string, b: string) => (forward ? a < b : a > b);
  let cutoff: Item | undefined;
  for (const p of pages) {
    if (p.stoppedAt && (cutoff === undefined || before(key(p.stoppedAt), key(cutoff)))) cutoff = p.stoppedAt;
  }
  const merged = pages
    .flatMap((p) => p.items)
    .filter((item) => cutoff === undefined || !before(key(cutoff), key(item)))
    .sort((a, b) => (before(key(a), key(b)) ? -1 : 1));
  const page = merged.slice(0, args.limit);
  const items = page.map(fromItem);
  if (merged.length > args.limit) return { items, lastKey: toPageKey(names, page[page.length - 1]!) };
  // a full read of every partition: the last page
  if (cutoff === undefined) return { items };
  // cut short by a partition that stopped reading: carry on from there
  const position: PageKey = toPageKey(names, cutoff);
  return { items, lastKey: position };
}
