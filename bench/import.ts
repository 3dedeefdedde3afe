/**
 * Issue 18 benchmark, against DynamoDB Local and the S3 emulator:
 * - import a 10,000-row and a 50,000-row loans CSV (the import use case reading the file from
 *   S3 as a stream), rows per second and the per-row cost ratio 50k / 10k (goal ≤ 1.2);
 * - peak RSS of this process while importing (goal flat, < 256 MB);
 * - the curated feed's lag after a burst of 1,000 credits: from the last credit's commit until
 *   its line is in S3, with the local stream poller reading every second (as Lambda polls).
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handler as feedWorker } from '../functions/feed-worker/handler';
import {
  createResources,
  freePort,
  LOCAL_CREDENTIALS,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import { startStreamPoller } from '../local/stream-poller';
import { EmiStore } from '../shared/adapters/dynamo/emi-store';
import { ImportStore } from '../shared/adapters/dynamo/import-store';
import type { StoredLink } from '../shared/adapters/dynamo/link-store';
import { S3ImportFiles } from '../shared/adapters/s3/imports';
import { resetConfigCache } from '../shared/config';
import { addDays, istDate, systemClock } from '../shared/domain/dates';
import { importIdFor, startImport } from '../shared/usecases/import-loans';
import { links, resetStores } from '../shared/wiring';
import { benchActor } from './actor';
import { table } from './stats';

const HEADER = 'loan_id,lender,client_name,phone,email,emi_number,due_date,amount_due_inr,amount_paid_inr';

function csv(rows: number, prefix: string): string {
  const today = istDate(new Date());
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const loan = Math.floor(i / 12);
    const emi = (i % 12) + 1;
    lines.push(
      `${prefix}-${loan},Lender${loan % 5},"Client, ${loan}",+9198${String(loan).padStart(8, '0')},,${emi},${addDays(today, emi * 30 - 60)},2500.50,`,
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
sampler.unref();

const [ddbPort, s3Port] = [await freePort(), await freePort()];
const ddb = await startDynamoDb({ port: ddbPort });
const s3srv = await startS3({ port: s3Port, directory: `/tmp/bench-import-s3-${process.pid}` });
try {
  const endpoints = { dynamodb: ddb.endpoint, s3: s3srv.endpoint };
  const names = resourceNames('bench-import');
  Object.assign(process.env, localAwsEnv(endpoints, names));
  resetConfigCache();
  resetStores();
  await createResources(names, endpoints);
  const s3 = new S3Client({
    endpoint: s3srv.endpoint,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  const imports = new ImportStore(names.OPS_TABLE);
  const files = new S3ImportFiles(names.IMPORTS_BUCKET, s3);

  const rows: string[][] = [];
  const perRow: Record<number, number> = {};
  let seq = 1;
  for (const n of [10_000, 50_000]) {
    const key = `loans/bench-${n}.csv`;
    const put = await s3.send(
      new PutObjectCommand({ Bucket: names.IMPORTS_BUCKET, Key: key, Body: csv(n, `B${n}`) }),
    );
    peakRss = process.memoryUsage().rss;
    const t0 = performance.now();
    await startImport(
      {
        emis: new EmiStore(names.EMIS_TABLE),
        imports,
        files,
        clock: systemClock,
        continueLater: async () => {
          throw new Error('no continuation expected without a time budget');
        },
        owner: 'bench',
      },
      { key, etag: put.ETag ?? '', sequencer: String(seq++).padStart(8, '0') },
      benchActor,
    );
    const ms = performance.now() - t0;
    const rec = await imports.get(importIdFor(key));
    if (rec?.status !== 'completed' || rec.created !== n) {
      throw new Error(`import of ${n} rows ended ${rec?.status} with ${rec?.created} created`);
    }
    perRow[n] = ms / n;
    rows.push([
      n.toLocaleString('en-US'),
      (ms / 1000).toFixed(1),
      Math.round((n / ms) * 1000).toString(),
      (ms / n).toFixed(3),
      (peakRss / 2 ** 20).toFixed(0),
    ]);
  }
  table(['rows', 'seconds', 'rows/s', 'ms per row', 'peak RSS MB'], rows);
  console.log(`  per-row cost 50k / 10k = ${(perRow[50_000]! / perRow[10_000]!).toFixed(2)} (goal ≤ 1.2)`);

  // the feed's lag after a burst of 1,000 credits
  const poller = startStreamPoller({
    endpoint: ddb.endpoint,
    table: names.EMIS_TABLE,
    handler: feedWorker,
    everyMs: 1000,
  });
  await poller.drain();
  const burst = 1000;
  const commitAt = new Map<string, number>();
  const now = new Date().toISOString();
  for (let i = 0; i < burst; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const k = i + j;
        const paymentId = `pay_bench${k}`;
        const link: StoredLink = {
          id: `lnk_bench_${k}`,
          razorpayLinkId: `plink_bench${k}`,
          referenceId: `ref-bench-${k}`,
          loanId: `F-${k}`,
          emiNumber: 1,
          lender: 'Lender0',
          clientName: 'Bench',
          amount: 100_00,
          amountPaid: 100_00,
          currency: 'INR',
          status: 'paid',
          expireBy: 2_000_000_000,
          acceptPartial: false,
          createdAt: now,
          updatedAt: now,
          failedAttempts: 0,
          rev: 0,
          payments: [{ paymentId, amount: 100_00, method: 'upi', status: 'captured', capturedAt: now }],
        };
        await links().commit({
          link: { link, expectedRev: 0 },
          credit: {
            paymentId,
            linkId: link.id,
            loanId: link.loanId,
            emiNumber: 1,
            amount: 100_00,
            creditedAt: now,
          },
        });
        commitAt.set(paymentId, performance.now());
      }),
    );
  }
  const burstDone = performance.now();
  // wait until every line is in S3 (the poller runs on its own timer)
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  let count = 0;
  while (count < burst) {
    await new Promise((r) => setTimeout(r, 200));
    count = 0;
    let token: string | undefined;
    do {
      const out = await s3.send(
        new ListObjectsV2Command({
          Bucket: names.RAW_WEBHOOKS_BUCKET,
          Prefix: 'curated/payments/',
          ContinuationToken: token,
        }),
      );
      count += out.KeyCount ?? 0;
      token = out.NextContinuationToken;
    } while (token);
    if (performance.now() - burstDone > 120_000) throw new Error(`feed stalled at ${count} lines`);
  }
  const lag = performance.now() - burstDone;
  poller.stop();
  table(
    ['credits in burst', 'feed lines', 'lag after last commit (s)'],
    [[String(burst), String(count), (lag / 1000).toFixed(1)]],
  );
} finally {
  await ddb.stop();
  await s3srv.stop();
}
