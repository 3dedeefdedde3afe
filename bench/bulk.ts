/**
 * Issue 6 benchmark: bulk generate & export under Razorpay's limits, on DynamoDB Local, s3rver,
 * an in-process Razorpay sandbox and the bulk worker fed by the in-process queue.
 *
 * (a) 2,000 EMIs, sandbox limited to 50 creates/s with 100 ms latency, BULK_RATE_PER_SECOND=50:
 *     throughput as a share of the limit (goal ≥ 90%), duplicate links at the sandbox (goal 0).
 * (b) the same with 10% of creates answered 429 (a fault proxy in front of the sandbox: the
 *     sandbox's own 429 is its rate limit), 2% 5xx and 1% hangs past the client timeout
 *     (sandbox knobs): goal ≥ 75% of the limit, 0 duplicates, 0 rows lost.
 * (c) 10,000 EMIs end to end with the sandbox unthrottled (at 50/s it would take 200 s):
 *     total time; and the CSV writer alone over pre-made finished work items (1,000, 10,000
 *     and 30,000 rows — the last one crosses the 5 MB part size, so it is a real multipart
 *     upload): peak RSS and heap growth while writing (goal flat, under 256 MB).
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createResources,
  freePort,
  localAwsEnv,
  ROOT,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import type { LocalQueue } from '../local/queue';
import { gatewayErrorBody, TOO_MANY_REQUESTS } from '../local/sandbox/errors';
import { type Sandbox, startSandbox } from '../local/sandbox/server';
import { type JobRecord, JobStore, type NewJobItem } from '../shared/adapters/dynamo/job-store';
import { queueSender } from '../shared/adapters/queue/sender';
import { s3Client } from '../shared/adapters/s3/client';
import { S3ExportStore } from '../shared/adapters/s3/exports';
import { addDays, systemClock } from '../shared/domain/dates';
import type { Emi } from '../shared/domain/model';
import { newJobId } from '../shared/usecases/bulk-job';
import { startBulkJob } from '../shared/usecases/bulk-start';
import { DEFAULT_BULK_WORKER_SETTINGS, finalizeIfComplete } from '../shared/usecases/bulk-worker';
import { stores } from '../shared/wiring';
import { benchActor } from './actor';
import { bulkWorkerQueue, seedPendingEmis } from './dynamo';
import { table } from './stats';

const emis = () => stores().emis;

const LIMIT = 50;
const execFileAsync = promisify(execFile);
const MB = 1024 * 1024;

export function emi(i: number, lender: string, today: string): Emi {
  return {
    loanId: `${lender}-${i.toString().padStart(6, '0')}`,
    lender,
    clientName: `Client ${i}`,
    phone: '+919000000000',
    email: `c${i}@example.com`,
    emiNumber: 1,
    dueDate: addDays(today, -1 - (i % 30)),
    amount: 100_000 + i,
    amountPaidExternal: 0,
    amountCredited: 0,
    currency: 'INR',
    links: {},
    removed: false,
    version: 1,
    updatedAt: new Date().toISOString(),
  };
}

/** Answers `share` of link creates with Razorpay's 429 (after the sandbox's latency), forwards the rest. */
async function faultProxy(target: string, share: number, latencyMs: number) {
  const stats = { creates: 0, refused: 0 };
  const server = http.createServer((req, res) => {
    const isCreate = req.method === 'POST' && req.url?.split('?')[0] === '/v1/payment_links';
    if (isCreate) stats.creates++;
    if (isCreate && Math.random() < share) {
      stats.refused++;
      req.resume();
      setTimeout(() => {
        res.writeHead(429, { 'content-type': 'application/json' });
        res.end(JSON.stringify(gatewayErrorBody(TOO_MANY_REQUESTS)));
      }, latencyMs);
      return;
    }
    const upstream = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, stats, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export interface RunResult {
  total: number;
  seconds: number;
  rows: number;
  created: number;
  failed: number;
  duplicates: number;
  lost: number;
}

async function linksPerEmi(sandbox: Sandbox, lender: string): Promise<Map<string, number>> {
  const res = await fetch(`${sandbox.url}/_sandbox/payment_links`);
  const body = (await res.json()) as { payment_links: { notes: Record<string, string> }[] };
  const counts = new Map<string, number>();
  for (const l of body.payment_links) {
    if (l.notes.lender !== lender) continue;
    const k = `${l.notes.loan_id}#${l.notes.emi_number}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

export async function runJob(sandbox: Sandbox, jobs: JobStore, lender: string): Promise<RunResult> {
  const exportsStore = new S3ExportStore(process.env.EXPORTS_BUCKET!);
  const started = performance.now();
  const view = await startBulkJob(
    {
      emis: emis(),
      accounts: stores().accounts,
      jobs,
      exports: exportsStore,
      queue: queueSender(process.env.BULK_QUEUE_URL!),
      clock: systemClock,
    },
    { lender, bucket: 'overdue' },
    benchActor,
    { waitMs: 0 },
  );
  let job: JobRecord | null = null;
  for (;;) {
    job = await jobs.getJob(view.jobId);
    if (job?.status === 'completed' || job?.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const csv = await (await fetch(await exportsStore.presignGet(job.csvKey!, 'x.csv'))).text();
  const rows = csv.split('\r\n').filter((l) => l !== '').length - 1;
  const perEmi = await linksPerEmi(sandbox, lender);
  let duplicates = 0;
  for (const n of perEmi.values()) duplicates += n - 1;
  return {
    total: job.total,
    seconds,
    rows,
    created: job.created + job.reused,
    failed: job.failed,
    duplicates,
    lost: job.total - rows,
  };
}

function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The CSV writer alone over `rows` pre-made finished items: peak RSS and heap growth while it writes. */
async function measureCsv(jobs: JobStore, rows: number): Promise<string[]> {
  const jobId = newJobId();
  const now = new Date().toISOString();
  const items: NewJobItem[] = Array.from({ length: rows }, (_, seq) => ({
    seq,
    loanId: `CSV-${seq.toString().padStart(7, '0')}`,
    emiNumber: 1 + (seq % 12),
    state: 'done',
    outcome: 'created',
    linkId: `lnk_${seq.toString(36).padStart(20, '0')}`,
    shortUrl: `http://localhost:4010/rzp/${seq.toString(36).padStart(10, '0')}`,
    linkStatus: 'created',
    expireBy: 1_800_000_000,
    amount: 123_450 + seq,
    clientName: `Borrower number ${seq} with a longer name`,
    phone: '+919876543210',
    email: `borrower${seq}@example.com`,
    lender: 'CsvBench',
    dueDate: '2026-11-01',
  }));
  const job: JobRecord = {
    jobId,
    status: 'running',
    total: rows,
    processed: rows,
    created: rows,
    reused: 0,
    failed: 0,
    skipped: 0,
    selection: {},
    options: {},
    createdAt: now,
    lastProgressAt: now,
    stalls: 0,
  };
  await jobs.createJob(job, items, Math.floor(Date.now() / 1000));
  // the writer runs in a fresh process, as in a Lambda: its RSS is the writer's, not the bench's
  // (asynchronously: the S3 emulator runs in this process and must keep serving the child)
  const { stdout } = await execFileAsync(
    join(ROOT, 'node_modules', '.bin', 'tsx'),
    [join(ROOT, 'bench', 'bulk.ts')],
    {
      env: { ...process.env, BENCH_BULK_CSV_JOB: jobId },
      encoding: 'utf8',
    },
  );
  const m = JSON.parse(stdout.trim().split('\n').pop()!) as CsvWriterStats;
  return [
    rows.toLocaleString('en-US'),
    `${(m.bytes / MB).toFixed(1)} MB`,
    m.seconds.toFixed(2),
    `${(m.rssBefore / MB).toFixed(0)} MB`,
    `${(m.rssPeak / MB).toFixed(0)} MB`,
    `+${((m.rssPeak - m.rssBefore) / MB).toFixed(1)} MB`,
    `+${((m.heapPeak - m.heapBefore) / MB).toFixed(1)} MB`,
  ];
}

interface CsvWriterStats {
  bytes: number;
  seconds: number;
  rssBefore: number;
  rssPeak: number;
  heapBefore: number;
  heapPeak: number;
}

/** Child process: writes one job's CSV (clients warmed up first) and prints its memory as JSON. */
async function csvWriterChild(jobId: string): Promise<void> {
  const jobs = new JobStore(process.env.OPS_TABLE!);
  const exportsStore = new S3ExportStore(process.env.EXPORTS_BUCKET!);
  // load the SDK paths the writer uses before the baseline, so the growth is the writing itself
  await jobs.getJob(jobId);
  await exportsStore.upload('exports/warm-up.csv', Readable.from(['warm-up']), 'warm-up.csv');
  forceGc();
  const before = process.memoryUsage();
  let rssPeak = before.rss;
  let heapPeak = before.heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    rssPeak = Math.max(rssPeak, now.rss);
    heapPeak = Math.max(heapPeak, now.heapUsed);
  }, 5);
  const started = performance.now();
  const done = await finalizeIfComplete(
    { jobs, exports: exportsStore, clock: systemClock, settings: DEFAULT_BULK_WORKER_SETTINGS },
    jobId,
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  if (!done) throw new Error('the CSV was not written');
  const res = await fetch(await exportsStore.presignGet(`exports/${jobId}.csv`, 'x.csv'));
  const bytes = (await res.arrayBuffer()).byteLength;
  const stats: CsvWriterStats = {
    bytes,
    seconds,
    rssBefore: before.rss,
    rssPeak,
    heapBefore: before.heapUsed,
    heapPeak,
  };
  console.log(JSON.stringify(stats));
}

export async function benchBulk(): Promise<void> {
  process.env.LOG_LEVEL ??= 'silent';
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const ddb = await startDynamoDb({ port: ddbPort });
  const s3 = await startS3({ port: s3Port, directory: `/tmp/bench-bulk-s3-${process.pid}` });
  const sandbox = await startSandbox({ port: 0, webhookUrl: '' });
  let proxy: Awaited<ReturnType<typeof faultProxy>> | undefined;
  let queue: LocalQueue | undefined;
  try {
    const endpoints = { dynamodb: ddb.endpoint, s3: s3.endpoint };
    const names = resourceNames('bench-bulk');
    await createResources(names, endpoints);
    const setEnv = (vars: Record<string, string>) => {
      Object.assign(process.env, vars);
    };
    setEnv({
      ...localAwsEnv(endpoints, names),
      RAZORPAY_API_BASE_URL: sandbox.url,
      RAZORPAY_KEY_ID: sandbox.keyId,
      RAZORPAY_KEY_SECRET: sandbox.keySecret,
      RAZORPAY_TIMEOUT_MS: '2000',
      BULK_QUEUE_URL: 'local://bench-bulk',
      BULK_RATE_PER_SECOND: String(LIMIT),
      // in flight needed ≈ rate × time per item: 100 ms at the sandbox plus ~9 DynamoDB calls,
      // which take 20–60 ms each on DynamoDB Local on this 2-core machine (≈ 0.3–0.7 s per item)
      BULK_CONCURRENCY: '32',
    });
    queue = bulkWorkerQueue('bench-bulk', 4);
    const t0 = performance.now();
    await seedPendingEmis(ddb.endpoint, names.EMIS_TABLE, [
      ['BenchA', 2_000],
      ['BenchB', 2_000],
      ['BenchC', 10_000],
    ]);
    console.log(`  loaded 14,000 EMIs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const jobs = new JobStore(names.OPS_TABLE);
    console.log(
      '  CSV writer alone, in a fresh process (pre-made finished items; Query pages of 500 → csv-stringify → lib-storage Upload)',
    );
    const csvRows: string[][] = [];
    for (const n of [1_000, 10_000, 30_000]) csvRows.push(await measureCsv(jobs, n));
    table(['rows', 'CSV size', 'seconds', 'RSS before', 'peak RSS', 'RSS growth', 'heap growth'], csvRows);
    console.log('  goal: flat growth, under 256 MB\n');
    const results: string[][] = [];
    const row = (name: string, r: RunResult, limit: number | null, goal: string, extra = '') => {
      const rate = r.total / r.seconds;
      results.push([
        name,
        r.total.toLocaleString('en-US'),
        r.seconds.toFixed(1),
        rate.toFixed(1),
        limit ? `${((rate / limit) * 100).toFixed(0)}%` : 'n/a',
        String(r.duplicates),
        String(r.lost),
        `${r.created}/${r.failed}`,
        goal,
        extra,
      ]);
    };

    // (a) clean, at the limit
    sandbox.config = { rateLimitPerSecond: LIMIT, latencyMs: 100, errorRate: 0, hangRate: 0 };
    const before = sandbox.stats;
    const a = await runJob(sandbox, jobs, 'BenchA');
    const refusedA = sandbox.stats.requests - before.requests - (sandbox.stats.creates - before.creates);
    row('(a) 2,000 clean', a, LIMIT, '≥ 90%, 0 dup', `${refusedA} requests refused by the limiter`);

    // (b) 10% 429 (proxy), 2% 5xx, 1% hangs past the 2 s timeout (sandbox)
    const fault = await faultProxy(sandbox.url, 0.1, 100);
    proxy = fault;
    setEnv({ RAZORPAY_API_BASE_URL: fault.url });
    sandbox.config = {
      rateLimitPerSecond: LIMIT,
      latencyMs: 100,
      errorRate: 0.02,
      hangRate: 0.01,
      hangMs: 3000,
    };
    const b = await runJob(sandbox, jobs, 'BenchB');
    row(
      '(b) 2,000 faults',
      b,
      LIMIT,
      '≥ 75%, 0 dup, 0 lost',
      `${fault.stats.refused} of ${fault.stats.creates} creates answered 429`,
    );

    // (c) 10,000, sandbox unthrottled (still 100 ms per call), our rate set out of the way
    setEnv({ RAZORPAY_API_BASE_URL: sandbox.url, BULK_RATE_PER_SECOND: '10000', BULK_CONCURRENCY: '64' });
    sandbox.config = { rateLimitPerSecond: 0, latencyMs: 100, errorRate: 0, hangRate: 0 };
    const rssBefore = process.memoryUsage().rss;
    const c = await runJob(sandbox, jobs, 'BenchC');
    row(
      '(c) 10,000 unthrottled',
      c,
      null,
      'total time',
      `process RSS ${(rssBefore / MB).toFixed(0)} → ${(process.memoryUsage().rss / MB).toFixed(0)} MB`,
    );

    table(
      ['run', 'EMIs', 'seconds', 'links/s', 'of 50/s', 'dup', 'lost', 'ok/failed', 'goal', 'notes'],
      results,
    );

    s3Client().destroy();
  } finally {
    queue?.close();
    await proxy?.close();
    await sandbox.close();
    await ddb.stop();
    await s3.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.env.BENCH_BULK_CSV_JOB) await csvWriterChild(process.env.BENCH_BULK_CSV_JOB);
  else await benchBulk();
}
