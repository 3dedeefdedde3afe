/**
 * Issue 2 benchmark: one page (limit 50) of pending EMIs for one lender, with 1,000 and with
 * 100,000 EMIs in the table, measured side by side (interleaved) against DynamoDB Local.
 * A sparse-index Query should cost the same whatever the table size: goal ratio ≤ 1.5.
 * Issue 17.4 adds the other orders: due date descending / days past due (the same index read
 * backwards), amount outstanding over all pending (the pendingByAmount index), amount within
 * the overdue bucket (the index plus a filter that keeps 2 in 3) and amount within "due today"
 * (a filter that keeps 1 in 60: the page stops at the read budget and comes back short).
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createResources,
  dynamoClient,
  freePort,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import { EmiStore, toEmiItem } from '../shared/adapters/dynamo/emi-store';
import { addDays, istDate, systemClock } from '../shared/domain/dates';
import type { Emi } from '../shared/domain/model';
import { listPendingEmis, type PendingEmisQuery } from '../shared/usecases/list-pending-emis';
import { benchActor } from './actor';
import { batchPut } from './dynamo';
import { median, percentile, table } from './stats';

const LENDERS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'];

function emi(i: number, lender: string, today: string): Emi {
  return {
    loanId: `B-${i.toString().padStart(7, '0')}`,
    lender,
    clientName: `Client ${i}`,
    phone: '+919000000000',
    email: `c${i}@example.com`,
    emiNumber: 1 + (i % 12),
    dueDate: addDays(today, (i % 60) - 40),
    amount: 100_000 + ((i * 7919) % 2_000_000),
    amountPaidExternal: i % 3 === 0 ? 100_000 + ((i * 7919) % 2_000_000) : 0, // a third are paid: not in the index
    amountCredited: 0,
    currency: 'INR',
    links: {},
    removed: false,
    version: 1,
    updatedAt: new Date().toISOString(),
  };
}

function fill(doc: DynamoDBDocumentClient, table: string, count: number, today: string) {
  const items = Array.from({ length: count }, (_, i) =>
    toEmiItem(emi(i, LENDERS[i % LENDERS.length]!, today)),
  );
  return batchPut(doc, table, items as unknown as Record<string, unknown>[]);
}

export async function benchPending(): Promise<void> {
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
    await fill(doc, small.EMIS_TABLE, 1_000, today);
    await fill(doc, large.EMIS_TABLE, 100_000, today);
    console.log(`  loaded 101,000 EMIs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const stores = {
      '1,000': new EmiStore(small.EMIS_TABLE, doc),
      '100,000': new EmiStore(large.EMIS_TABLE, doc),
    };
    const cases: { name: string; query: PendingEmisQuery; full: boolean; runs: number }[] = [
      { name: 'due date (default)', query: {}, full: true, runs: 300 },
      { name: 'days past due, most first', query: { sort: '-daysPastDue' }, full: true, runs: 100 },
      { name: 'due date, latest first', query: { sort: '-dueDate' }, full: true, runs: 100 },
      { name: 'amount, largest first', query: { sort: '-amount' }, full: true, runs: 100 },
      { name: 'amount, overdue only', query: { sort: '-amount', bucket: 'overdue' }, full: true, runs: 100 },
      {
        name: 'amount, due today only',
        query: { sort: '-amount', bucket: 'upcoming', withinDays: 0 },
        full: false,
        runs: 40,
      },
    ];
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const c of cases) {
      const times: Record<string, number[]> = { '1,000': [], '100,000': [] };
      const run = async (key: keyof typeof stores) => {
        const start = performance.now();
        const page = await listPendingEmis(
          { emis: stores[key], clock: systemClock },
          { lender: 'Charlie', limit: 50, ...c.query },
          benchActor,
        );
        times[key]!.push(performance.now() - start);
        if (c.full && page.items.length !== 50)
          throw new Error(`expected a full page, got ${page.items.length}`);
      };
      for (let i = 0; i < 10; i++) await run(i % 2 ? '1,000' : '100,000'); // warm up
      for (const k of Object.keys(times)) times[k] = [];
      for (let i = 0; i < c.runs; i++) await run(i % 2 ? '1,000' : '100,000');
      const m1 = median(times['1,000']!);
      const m2 = median(times['100,000']!);
      rows.push([
        c.name,
        m1.toFixed(2),
        percentile(times['1,000']!, 99).toFixed(2),
        m2.toFixed(2),
        percentile(times['100,000']!, 99).toFixed(2),
        (m2 / m1).toFixed(2),
      ]);
      ratios.push(`${c.name} ${(m2 / m1).toFixed(2)}`);
    }
    table(['order', '1k median ms', '1k p99 ms', '100k median ms', '100k p99 ms', 'ratio'], rows);
    console.log(`  ratio 100,000 / 1,000: ${ratios.join(' · ')} (goal ≤ 1.5)`);
    doc.destroy();
  } finally {
    await ddb.stop();
    await s3.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchPending();
}
