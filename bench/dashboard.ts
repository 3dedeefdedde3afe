/**
 * Issue 17 benchmark: GET /api/dashboard and GET /api/search with 1,000 and with 100,000 EMIs in
 * the tables, measured side by side (interleaved) against DynamoDB Local — the kept totals and
 * the search entries should cost the same whatever the size of the book (goal ratio ≤ 1.5) —
 * and what keeping the totals adds to each credited payment, in write capacity units
 * (goal ≤ 4 WCU).
 *
 * Both books are loaded the way `npm start` seeds demo data (the same items, counters and search
 * entries as one-by-one writes would make; rebuild-aggregates checks them exact first). The WCU
 * are computed from the transaction's items by DynamoDB's rules (a transactional write costs
 * 2 WCU per started KB of the larger of the item before and after): DynamoDB Local does not
 * report consumed capacity.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  createResources,
  dynamoClient,
  freePort,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import { rebuildAggregates } from '../shared/adapters/dynamo/aggregate-rebuild';
import { AggregateStore } from '../shared/adapters/dynamo/aggregate-store';
import { EmiStore, searchItems, seedAggregateItems, toEmiItem } from '../shared/adapters/dynamo/emi-store';
import { LinkStore, type StoredLink } from '../shared/adapters/dynamo/link-store';
import { SearchStore } from '../shared/adapters/dynamo/search-store';
import { addDays, istDate, systemClock } from '../shared/domain/dates';
import type { Emi, Loan } from '../shared/domain/model';
import { dashboard } from '../shared/usecases/dashboard';
import { search } from '../shared/usecases/search';
import { benchActor } from './actor';
import { batchPut } from './dynamo';
import { median, percentile, table } from './stats';

const LENDERS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];
const FIRST = ['Aarav', 'Diya', 'Ishaan', 'Meera', 'Kabir', 'Ananya', 'Vihaan', 'Saanvi', 'Arjun', 'Kavya'];
const EMIS_PER_LOAN = 12;

function book(emiCount: number, today: string): { loans: Loan[]; emis: Emi[] } {
  const loans: Loan[] = [];
  const emis: Emi[] = [];
  for (let l = 0; emis.length < emiCount; l++) {
    const loan: Loan = {
      loanId: `B-${l.toString().padStart(7, '0')}`,
      lender: LENDERS[l % LENDERS.length]!,
      // one borrower with a name nobody else has, in both books: a like-for-like name search
      clientName: l === 7 ? 'Zorawar Quraishi' : `${FIRST[l % FIRST.length]} Client${l}`,
      phone: `+9198${(10_000_000 + l).toString().slice(-8)}`,
    };
    loans.push(loan);
    // schedules start up to a year ago; how far behind varies by loan
    const start = -((l * 37) % 365);
    const behind = [0, 0, 0, 20, 45, 75, 150][l % 7]!;
    for (let n = 1; n <= EMIS_PER_LOAN && emis.length < emiCount; n++) {
      const dueDate = addDays(today, start + (n - 1) * 30);
      const age = -(start + (n - 1) * 30);
      emis.push({
        ...loan,
        emiNumber: n,
        dueDate,
        amount: 250_000,
        amountPaidExternal: age > behind ? 250_000 : 0,
        amountCredited: 0,
        currency: 'INR',
        links: {},
        removed: false,
        version: 1,
        updatedAt: new Date().toISOString(),
      });
    }
  }
  return { loans, emis };
}

async function load(doc: DynamoDBDocumentClient, table: string, count: number, today: string) {
  const { loans, emis } = book(count, today);
  const items = [
    ...loans.map((loan) => ({ pk: `LOAN#${loan.loanId}`, sk: '#LOAN', type: 'LOAN', ...loan })),
    ...loans.flatMap(searchItems),
    ...LENDERS.map((lender) => ({ pk: 'LENDERS', sk: lender, type: 'LENDER', lender })),
    ...emis.map(toEmiItem),
    ...seedAggregateItems(emis),
  ];
  await batchPut(doc, table, items as unknown as Record<string, unknown>[]);
  return { loans, emis };
}

/** An item's size by DynamoDB's rules: attribute names plus values (numbers ~ digits/2 + 1). */
function itemBytes(item: Record<string, unknown>): number {
  const size = (v: unknown): number => {
    if (v === null || v === undefined || typeof v === 'boolean') return 1;
    if (typeof v === 'number') return Math.ceil(String(Math.abs(v)).replace('.', '').length / 2) + 1;
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + size(x), 0);
    return (
      3 +
      Object.entries(v as Record<string, unknown>).reduce(
        (s, [k, x]) => s + Buffer.byteLength(k) + 1 + size(x),
        0,
      )
    );
  };
  return Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + size(v), 0);
}

export async function benchDashboard(): Promise<void> {
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const ddb = await startDynamoDb({ port: ddbPort });
  const s3 = await startS3({ port: s3Port, directory: `/tmp/bench-s3-${process.pid}` });
  try {
    const endpoints = { dynamodb: ddb.endpoint, s3: s3.endpoint };
    Object.assign(process.env, localAwsEnv(endpoints, resourceNames('bench')));
    const small = resourceNames('bench-1k');
    const large = resourceNames('bench-100k');
    await createResources(small, endpoints);
    await createResources(large, endpoints);
    const doc = DynamoDBDocumentClient.from(dynamoClient(ddb.endpoint), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const today = istDate(new Date());
    const t0 = performance.now();
    const books = {
      '1,000': await load(doc, small.EMIS_TABLE, 1_000, today),
      '100,000': await load(doc, large.EMIS_TABLE, 100_000, today),
    };
    console.log(
      `  loaded 101,000 EMIs with their counters and search entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    for (const names of [small, large]) {
      const report = await rebuildAggregates({
        emisTable: names.EMIS_TABLE,
        linksTable: names.LINKS_TABLE,
        db: doc,
      });
      if (!report.exact) throw new Error(`the loaded counters of ${names.EMIS_TABLE} are not exact`);
    }
    console.log('  rebuild-aggregates: both books exact');

    const deps = {
      '1,000': {
        emis: new EmiStore(small.EMIS_TABLE, doc),
        links: new LinkStore(small.LINKS_TABLE, small.EMIS_TABLE, doc),
        aggregates: new AggregateStore(small.EMIS_TABLE, doc),
        search: new SearchStore(small.EMIS_TABLE, doc),
        clock: systemClock,
      },
      '100,000': {
        emis: new EmiStore(large.EMIS_TABLE, doc),
        links: new LinkStore(large.LINKS_TABLE, large.EMIS_TABLE, doc),
        aggregates: new AggregateStore(large.EMIS_TABLE, doc),
        search: new SearchStore(large.EMIS_TABLE, doc),
        clock: systemClock,
      },
    };
    type Size = keyof typeof deps;
    const sizes: Size[] = ['1,000', '100,000'];
    const itemsRead: Record<Size, number> = { '1,000': 0, '100,000': 0 };
    for (const s of sizes) {
      const r = await deps[s].aggregates.readLender('Charlie', today);
      itemsRead[s] = r.itemsRead;
    }

    const cases: [string, (s: Size) => Promise<void>][] = [
      [
        'dashboard, one lender',
        async (s) => {
          const d = await dashboard(deps[s], { lender: 'Charlie' }, benchActor);
          if (d.dpd.length !== 5 || d.pending.count === 0) throw new Error('empty dashboard');
        },
      ],
      [
        'dashboard, all 5 lenders',
        async (s) => {
          await dashboard(deps[s], {}, benchActor);
        },
      ],
      [
        'search by phone (last 10 digits)',
        async (s) => {
          const loan = books[s].loans[7]!;
          const r = await search(deps[s], { q: loan.phone.slice(-10) }, benchActor);
          if (!r.items.some((i) => i.loanId === loan.loanId)) throw new Error('phone not found');
        },
      ],
      [
        'search by name prefix, 1 match',
        async (s) => {
          const r = await search(deps[s], { q: 'zoraw' }, benchActor);
          if (r.items.length !== 1) throw new Error('name not found');
        },
      ],
      [
        'search by name prefix, 8 vs 20 matches',
        async (s) => {
          const r = await search(deps[s], { q: 'kavy' }, benchActor);
          if (r.items.length === 0) throw new Error('name not found');
        },
      ],
    ];
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const [name, fn] of cases) {
      const times: Record<Size, number[]> = { '1,000': [], '100,000': [] };
      for (let i = 0; i < 20; i++) await fn(sizes[i % 2]!); // warm up
      for (let i = 0; i < 200; i++) {
        const s = sizes[i % 2]!;
        const start = performance.now();
        await fn(s);
        times[s].push(performance.now() - start);
      }
      const m1 = median(times['1,000']);
      const m2 = median(times['100,000']);
      rows.push([
        name,
        m1.toFixed(2),
        percentile(times['1,000'], 99).toFixed(2),
        m2.toFixed(2),
        percentile(times['100,000'], 99).toFixed(2),
        (m2 / m1).toFixed(2),
      ]);
      ratios.push(`${name} ${(m2 / m1).toFixed(2)}`);
    }
    table(
      ['at 1,000 EMIs vs 100,000', 'median ms 1k', 'p99 1k', 'median ms 100k', 'p99 100k', 'ratio'],
      rows,
    );
    console.log(
      `  aggregate items read for one lender: ${itemsRead['1,000']} at 1,000 EMIs, ${itemsRead['100,000']} at 100,000 (goal ratio ≤ 1.5 for each line above)`,
    );

    // ---- write cost: what the kept totals add to a credited payment ----
    const store = deps['100,000'].links;
    const captured: Record<string, unknown>[][] = [];
    doc.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: { TransactItems?: Record<string, unknown>[] } }).input;
        if (input.TransactItems) captured.push(input.TransactItems);
        return next(args);
      },
      { step: 'initialize', name: 'captureTransactions' },
    );
    const wcu = { base: [] as number[], added: [] as number[], items: [] as number[] };
    const target = books['100,000'].emis.filter((e) => e.amountPaidExternal === 0).slice(0, 60);
    for (const [i, e] of target.entries()) {
      const now = new Date().toISOString();
      const emi = (await deps['100,000'].emis.getEmi(e.loanId, e.emiNumber, true))!;
      const link: StoredLink = {
        id: `lnk_bench${i.toString().padStart(16, '0')}`,
        razorpayLinkId: `plink_bench${i.toString().padStart(9, '0')}`,
        referenceId: `lnk_bench${i}`,
        loanId: e.loanId,
        emiNumber: e.emiNumber,
        lender: e.lender,
        clientName: e.clientName,
        amount: e.amount,
        amountPaid: 0,
        currency: 'INR',
        shortUrl: 'http://localhost/rzp/x',
        status: 'created',
        expireBy: 0,
        acceptPartial: false,
        createdAt: now,
        updatedAt: now,
        payments: [],
        failedAttempts: 0,
        rev: 1,
      };
      if ((await store.commit({ link: { link, expectedRev: 0 } })) !== 'ok')
        throw new Error('link not stored');
      captured.length = 0;
      const paid: StoredLink = {
        ...link,
        rev: 2,
        amountPaid: e.amount,
        status: 'paid',
        payments: [
          { paymentId: `pay_b${i}`, amount: e.amount, method: 'upi', status: 'captured', capturedAt: now },
        ],
      };
      const outcome = await store.commit({
        credit: {
          paymentId: `pay_b${i}`,
          linkId: link.id,
          loanId: e.loanId,
          emiNumber: e.emiNumber,
          amount: e.amount,
          creditedAt: now,
        },
        link: { link: paid, expectedRev: 1 },
        emi: {
          emi: { ...emi, amountCredited: e.amount, version: emi.version + 1 },
          expectedVersion: emi.version,
        },
      });
      if (outcome !== 'ok') throw new Error(`credit ${outcome}`);
      const items = captured.flat();
      let base = 0;
      let added = 0;
      for (const t of items) {
        const op = (t.Put ?? t.Update) as {
          TableName: string;
          Key?: Record<string, unknown>;
          Item?: Record<string, unknown>;
        };
        const key = op.Key ?? { pk: op.Item!.pk, sk: op.Item!.sk };
        const stored = (await doc.send(new GetCommand({ TableName: op.TableName, Key: key }))).Item ?? {};
        const units = 2 * Math.max(1, Math.ceil(itemBytes(stored) / 1024));
        const pk = String(key.pk);
        if (pk.startsWith('AGG#') || key.sk === '#AGG') added += units;
        else base += units;
      }
      wcu.base.push(base);
      wcu.added.push(added);
      wcu.items.push(items.length);
    }
    table(
      ['per credited payment (100,000 EMIs, 60 credits)', 'median', 'max'],
      [
        ['items in the transaction', String(median(wcu.items)), String(Math.max(...wcu.items))],
        [
          'WCU without the kept totals (credit, link, EMI)',
          String(median(wcu.base)),
          String(Math.max(...wcu.base)),
        ],
        [
          'WCU added by the kept totals (counters, loan summary)',
          String(median(wcu.added)),
          String(Math.max(...wcu.added)),
        ],
      ],
    );
    console.log(`  added WCU per credited payment: median ${median(wcu.added)} (goal ≤ 4)`);
    const after = await rebuildAggregates({
      emisTable: large.EMIS_TABLE,
      linksTable: large.LINKS_TABLE,
      db: doc,
    });
    console.log(`  rebuild-aggregates after the credits: ${after.exact ? 'exact' : 'DIFFERENT'}`);
    if (!after.exact) process.exitCode = 1;
    doc.destroy();
  } finally {
    await ddb.stop();
    await s3.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDashboard();
}
