/**
 * Issue 18 benchmark, against DynamoDB Local and the S3 emulator:
 * - import a 10,000-row and a 50,000-row loans CSV (the import use case reading the file from
 *   S3 as a stream, in a process of its own: bench/import-run.ts), rows per second and the
 *   per-row cost ratio 50k / 10k (goal ≤ 1.2);
 * - that process's RSS before and at its peak while importing, and its peak V8 heap in use (goal
 *   flat, < 256 MB). IMPORT_BENCH_HEAP_MB=<n> runs it with --max-old-space-size=<n>, the heap
 *   a small Lambda would have;
 * - the curated feed's lag after a burst of 1,000 credits: from the last credit's commit until
 *   its line is in S3, with the local stream poller reading every second (as Lambda polls).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handler as feedWorker } from '../functions/feed-worker/handler';
import {
  createResources,
  freePort,
  LOCAL_CREDENTIALS,
  localAwsEnv,
  ROOT,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import { startStreamPoller } from '../local/stream-poller';
import type { StoredLink } from '../shared/adapters/dynamo/link-store';
import { addDays, istDate } from '../shared/domain/dates';
import { stores } from '../shared/wiring';
import { table } from './stats';

const links = () => stores().links;

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

/** bench/import-run.ts in its own process; resolves with its exit code and output. */
function runChild(
  key: string,
  sequencer: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench', 'import-run.ts'), key, sequencer],
      {
        cwd: ROOT,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const [ddbPort, s3Port] = [await freePort(), await freePort()];
const ddb = await startDynamoDb({ port: ddbPort });
const s3srv = await startS3({ port: s3Port, directory: `/tmp/bench-import-s3-${process.pid}` });
try {
  const endpoints = { dynamodb: ddb.endpoint, s3: s3srv.endpoint };
  const names = resourceNames('bench-import');
  Object.assign(process.env, localAwsEnv(endpoints, names));
  await createResources(names, endpoints);
  const s3 = new S3Client({
    endpoint: s3srv.endpoint,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  const rows: string[][] = [];
  const perRow: Record<number, number> = {};
  let seq = 1;
  for (const n of [10_000, 50_000]) {
    const key = `loans/bench-${n}.csv`;
    await s3.send(new PutObjectCommand({ Bucket: names.IMPORTS_BUCKET, Key: key, Body: csv(n, `B${n}`) }));
    // spawned, not spawnSync: the S3 emulator serving the child lives in this process's event loop
    const run = await runChild(key, String(seq++).padStart(8, '0'));
    if (run.code !== 0) throw new Error(`import of ${n} rows failed: ${run.stderr.slice(-2000)}`);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      ms: number;
      created: number;
      status: string;
      baselineMb: number;
      peakMb: number;
      peakHeapMb: number;
    };
    if (out.status !== 'completed' || out.created !== n) {
      throw new Error(`import of ${n} rows ended ${out.status} with ${out.created} created`);
    }
    perRow[n] = out.ms / n;
    rows.push([
      n.toLocaleString('en-US'),
      (out.ms / 1000).toFixed(1),
      Math.round((n / out.ms) * 1000).toString(),
      (out.ms / n).toFixed(3),
      out.baselineMb.toFixed(0),
      out.peakMb.toFixed(0),
      out.peakHeapMb.toFixed(0),
    ]);
  }
  table(
    ['rows', 'seconds', 'rows/s', 'ms per row', 'RSS before MB', 'peak RSS MB', 'peak heap used MB'],
    rows,
  );
  if (process.env.IMPORT_BENCH_HEAP_MB)
    console.log(`  importer heap limit: ${process.env.IMPORT_BENCH_HEAP_MB} MB`);
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
