/**
 * Rebuild the dashboard's kept totals from the records and report any difference
 * (`npm run rebuild-aggregates`, and the `rebuild-aggregates` function on AWS).
 *
 * Steps: read every record (a parallel Scan of the emis and links tables: this is the one job
 * allowed to scan, and it runs off the request path); sum each record's contribution with the
 * very functions the writes use (shared/domain/aggregates.ts); sum the kept aggregate items over
 * their shards; compare counter by counter, loan summary by loan summary, and the search entries
 * with the loans'. With `fix`, add each counter's difference to shard 0 (an ADD: writes landing
 * meanwhile are not lost), rewrite differing summaries (guarded by their rev) and put or delete
 * search entries. Kept totals never go negative: a negative one is reported like any difference.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Counters,
  counterKey,
  creditContribution,
  emiContribution,
  type LoanSummary,
  linkContribution,
  loanContribution,
  pendingEntry,
  splitKey,
  summaryWith,
} from '../../domain/aggregates';
import type { Loan } from '../../domain/model';
import { fromSummaryAttr, loanSummaryItem } from './aggregate-store';
import { documentClient, isConditionFailed } from './client';
import { fromEmiItem, searchItems, toEmiItem } from './emi-store';
import { fromItem as fromLinkItem } from './link-store';
import { EMIS_INDEX, keys } from './schema';

export interface CounterDifference {
  lender: string;
  group: string;
  attr: string;
  kept: number;
  expected: number;
}

export interface RebuildReport {
  scanned: { emis: number; loans: number; links: number; credits: number; aggregateItems: number };
  counters: { checked: number; differing: number; negative: number; differences: CounterDifference[] };
  summaries: { checked: number; differing: number; loans: string[] };
  search: { entries: number; missing: number; stale: number };
  /** pending EMIs whose amount-order index key (gsi3sk) is missing or stale (written before it existed) */
  amountIndex: { stale: number };
  /** true when everything kept equals what the records say */
  exact: boolean;
  fixed: boolean;
}

/** Differences listed in the report (all are counted, and all are fixed). */
const LISTED = 100;
const SEGMENTS = 4;

async function scanAll(
  db: DynamoDBDocumentClient,
  table: string,
  each: (item: Record<string, unknown>) => void,
): Promise<void> {
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const out = await db.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        );
        for (const item of out.Items ?? []) each(item);
        startKey = out.LastEvaluatedKey;
      } while (startKey);
    }),
  );
}

const canonical = (s: LoanSummary) =>
  JSON.stringify(
    Object.entries(s)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([n, e]) => [n, e.lender, e.dueDate, e.outstanding]),
  );

export async function rebuildAggregates(
  deps: { emisTable: string; linksTable: string; db?: DynamoDBDocumentClient },
  opts: { fix?: boolean } = {},
): Promise<RebuildReport> {
  const db = deps.db ?? documentClient();
  const expected: Counters = new Map();
  const kept: Counters = new Map();
  const summaries = new Map<string, LoanSummary>();
  const storedSummaries = new Map<string, { summary: LoanSummary; rev: number }>();
  const loans: Loan[] = [];
  const searchKeys = new Map<string, { pk: string; sk: string }>();
  const credits: Record<string, unknown>[] = [];
  const scanned = { emis: 0, loans: 0, links: 0, credits: 0, aggregateItems: 0 };
  const staleAmountKeys: { key: { pk: string; sk: string }; version: unknown; want: string | undefined }[] =
    [];

  await Promise.all([
    scanAll(db, deps.emisTable, (item) => {
      const pk = String(item.pk);
      switch (item.type) {
        case 'EMI': {
          scanned.emis++;
          const emi = fromEmiItem(item);
          emiContribution(emi, expected);
          const want = toEmiItem(emi).gsi3sk;
          if (item[EMIS_INDEX.pendingByAmount.sk] !== want) {
            staleAmountKeys.push({ key: { pk, sk: String(item.sk) }, version: item.version, want });
          }
          const entry = pendingEntry(emi);
          if (entry)
            summaries.set(emi.loanId, summaryWith(summaries.get(emi.loanId) ?? {}, emi.emiNumber, entry));
          break;
        }
        case 'LOAN':
          scanned.loans++;
          loans.push(item as unknown as Loan);
          break;
        case 'LOANAGG':
          storedSummaries.set(pk.slice('LOAN#'.length), {
            summary: fromSummaryAttr(item.p),
            rev: Number(item.rev),
          });
          break;
        case 'AGG': {
          scanned.aggregateItems++;
          const lender = pk.slice('AGG#'.length);
          const sk = String(item.sk);
          const group = sk.slice(0, sk.lastIndexOf('#'));
          for (const [attr, v] of Object.entries(item)) {
            if (typeof v !== 'number') continue;
            const key = counterKey(lender, group, attr);
            kept.set(key, (kept.get(key) ?? 0) + v);
          }
          break;
        }
        case 'CREDIT':
          scanned.credits++;
          credits.push(item);
          break;
        case 'SEARCH':
          searchKeys.set(`${pk}\u0000${String(item.sk)}`, { pk, sk: String(item.sk) });
          break;
      }
    }),
    scanAll(db, deps.linksTable, (item) => {
      if (item.type !== 'LINK') return;
      scanned.links++;
      linkContribution(fromLinkItem(item), expected);
    }),
  ]);
  // a credit from before the dashboard carries no lender: its loan's
  const lenderOf = new Map(loans.map((l) => [l.loanId, l.lender]));
  for (const c of credits) {
    const lender = typeof c.lender === 'string' ? c.lender : lenderOf.get(String(c.loanId));
    if (lender) {
      creditContribution({ lender, amount: Number(c.amount), creditedAt: String(c.creditedAt) }, expected);
    }
  }
  for (const s of summaries.values()) loanContribution(s, expected);

  const differences: CounterDifference[] = [];
  let negative = 0;
  const all = new Set([...expected.keys(), ...kept.keys()]);
  for (const key of all) {
    const e = expected.get(key) ?? 0;
    const k = kept.get(key) ?? 0;
    if (k < 0) negative++;
    if (e !== k) differences.push({ ...splitKey(key), kept: k, expected: e });
  }

  const differingLoans: string[] = [];
  for (const loanId of new Set([...summaries.keys(), ...storedSummaries.keys()])) {
    const want = summaries.get(loanId) ?? {};
    const have = storedSummaries.get(loanId)?.summary ?? {};
    if (canonical(want) !== canonical(have)) differingLoans.push(loanId);
  }

  const wantedSearch = new Map<string, Record<string, unknown>>();
  for (const loan of loans) {
    for (const item of searchItems(loan)) wantedSearch.set(`${item.pk}\u0000${item.sk}`, item);
  }
  const missing = [...wantedSearch.entries()].filter(([k]) => !searchKeys.has(k)).map(([, v]) => v);
  const stale = [...searchKeys.entries()].filter(([k]) => !wantedSearch.has(k)).map(([, v]) => v);

  if (opts.fix) {
    for (const d of differences) {
      await db.send(
        new UpdateCommand({
          TableName: deps.emisTable,
          Key: keys.aggregate(d.lender, `${d.group}#0`),
          UpdateExpression: 'SET #type = :type ADD #a :d',
          ExpressionAttributeNames: { '#type': 'type', '#a': d.attr },
          ExpressionAttributeValues: { ':type': 'AGG', ':d': d.expected - d.kept },
        }),
      );
    }
    for (const loanId of differingLoans) {
      const rev = storedSummaries.get(loanId)?.rev ?? 0;
      try {
        await db.send(
          new PutCommand({
            TableName: deps.emisTable,
            Item: loanSummaryItem(loanId, summaries.get(loanId) ?? {}, rev + 1),
            ConditionExpression: rev === 0 ? 'attribute_not_exists(pk)' : 'rev = :rev',
            ...(rev === 0 ? {} : { ExpressionAttributeValues: { ':rev': rev } }),
          }),
        );
      } catch (err) {
        // a write moved the loan meanwhile: the next check looks again
        if (!isConditionFailed(err)) throw err;
      }
    }
    for (const Item of missing) await db.send(new PutCommand({ TableName: deps.emisTable, Item }));
    for (const { key, version, want } of staleAmountKeys) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: deps.emisTable,
            Key: key,
            UpdateExpression: want === undefined ? 'REMOVE #k' : 'SET #k = :k',
            ConditionExpression: 'version = :v',
            ExpressionAttributeNames: { '#k': EMIS_INDEX.pendingByAmount.sk },
            ExpressionAttributeValues: { ':v': version, ...(want === undefined ? {} : { ':k': want }) },
          }),
        );
      } catch (err) {
        // the EMI was written meanwhile, and that write set its key
        if (!isConditionFailed(err)) throw err;
      }
    }
    for (const k of stale) await db.send(new DeleteCommand({ TableName: deps.emisTable, Key: k }));
  }

  return {
    scanned,
    counters: {
      checked: all.size,
      differing: differences.length,
      negative,
      differences: differences.slice(0, LISTED),
    },
    summaries: {
      checked: summaries.size,
      differing: differingLoans.length,
      loans: differingLoans.slice(0, LISTED),
    },
    search: { entries: searchKeys.size, missing: missing.length, stale: stale.length },
    amountIndex: { stale: staleAmountKeys.length },
    exact:
      differences.length === 0 &&
      differingLoans.length === 0 &&
      missing.length === 0 &&
      stale.length === 0 &&
      staleAmountKeys.length === 0,
    fixed: opts.fix === true,
  };
}
