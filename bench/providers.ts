/**
 * Issue 19 benchmark: the same bulk job through each provider's sandbox, side by side. 2,000 EMIs
 * per provider, each sandbox merchant limited to 50 requests/s with 100 ms latency,
 * BULK_RATE_PER_SECOND=50, on DynamoDB Local, s3rver and the bulk worker fed by the in-process
 * queue; the two jobs run one after the other (same machine, same load). Prints each job's
 * throughput as a share of the limit (goal ≥ 90 % each), duplicate links at the provider (goal 0)
 * and rows lost (goal 0).
 */
import {
  createResources,
  freePort,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import {
  EXIMPE_SANDBOX_CLIENT_ID,
  EXIMPE_SANDBOX_CLIENT_SECRET,
  startEximpeSandbox,
} from '../local/eximpe-sandbox/server';
import type { LocalQueue } from '../local/queue';
import { startSandbox } from '../local/sandbox/server';
import { AccountStore } from '../shared/adapters/dynamo/account-store';
import { type JobRecord, JobStore } from '../shared/adapters/dynamo/job-store';
import { queueSender } from '../shared/adapters/queue/sender';
import { s3Client } from '../shared/adapters/s3/client';
import { S3ExportStore } from '../shared/adapters/s3/exports';
import { tableSecretStore } from '../shared/adapters/secrets/account-secrets';
import { systemClock } from '../shared/domain/dates';
import { startBulkJob } from '../shared/usecases/bulk-start';
import { stores } from '../shared/wiring';
import { benchActor } from './actor';
import { bulkWorkerQueue, seedPendingEmis } from './dynamo';
import { table } from './stats';

const emis = () => stores().emis;

const LIMIT = 50;
const EMIS = Number(process.env.PROVIDERS_EMIS ?? 2_000);

interface Result {
  total: number;
  seconds: number;
  rows: number;
  created: number;
  failed: number;
}

async function runJob(jobs: JobStore, lender: string): Promise<Result> {
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
  return { total: job.total, seconds, rows, created: job.created + job.reused, failed: job.failed };
}

/** links per EMI at a sandbox, from its control route: more than one is a duplicate */
async function duplicates(url: string, keyOf: (link: Record<string, unknown>) => string | undefined) {
  const body = (await (await fetch(`${url}/_sandbox/payment_links`)).json()) as {
    payment_links: Record<string, unknown>[];
  };
  const counts = new Map<string, number>();
  for (const l of body.payment_links) {
    const key = keyOf(l);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let dup = 0;
  for (const n of counts.values()) dup += n - 1;
  return { links: body.payment_links.length, dup };
}

async function benchProviders(): Promise<void> {
  process.env.LOG_LEVEL ??= 'silent';
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const ddb = await startDynamoDb({ port: ddbPort });
  const s3 = await startS3({ port: s3Port, directory: `/tmp/bench-providers-s3-${process.pid}` });
  const razorpay = await startSandbox({ port: 0, webhookUrl: '' });
  const eximpe = await startEximpeSandbox({ port: 0, webhookUrl: '' });
  let queue: LocalQueue | undefined;
  try {
    const endpoints = { dynamodb: ddb.endpoint, s3: s3.endpoint };
    const names = resourceNames('bench-providers');
    await createResources(names, endpoints);
    Object.assign(process.env, {
      ...localAwsEnv(endpoints, names),
      RAZORPAY_API_BASE_URL: razorpay.url,
      RAZORPAY_KEY_ID: razorpay.keyId,
      RAZORPAY_KEY_SECRET: razorpay.keySecret,
      RAZORPAY_TIMEOUT_MS: '2000',
      EXIMPE_API_BASE_URL: eximpe.url,
      EXIMPE_TIMEOUT_MS: '2000',
      BULK_QUEUE_URL: 'local://bench-providers',
      BULK_RATE_PER_SECOND: String(LIMIT),
      BULK_CONCURRENCY: '32',
    });
    razorpay.config = { rateLimitPerSecond: LIMIT, latencyMs: 100, errorRate: 0, hangRate: 0 };
    eximpe.configure({ rateLimitPerSecond: LIMIT, latencyMs: 100, errorRate: 0, hangRate: 0 });

    const accounts = new AccountStore(names.EMIS_TABLE);
    const secrets = tableSecretStore(names.EMIS_TABLE);
    const now = new Date().toISOString();
    const record = (accountId: string, provider: 'razorpay' | 'eximpe', lender: string, keyId: string) => ({
      accountId,
      provider,
      name: lender,
      keyId,
      lenders: [lender],
      webhookSecretSetAt: now,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    await secrets.write('default', {
      keyId: razorpay.keyId,
      keySecret: razorpay.keySecret,
      webhookSecret: 'whsec-1',
    });
    await accounts.saveAccount(record('default', 'razorpay', 'ViaRazorpay', razorpay.keyId), null);
    await secrets.write('ex', {
      keyId: EXIMPE_SANDBOX_CLIENT_ID,
      keySecret: EXIMPE_SANDBOX_CLIENT_SECRET,
      apiVersion: '1.0.0',
      webhookSecret: 'whsec-2',
    });
    await accounts.saveAccount(record('ex', 'eximpe', 'ViaEximpe', EXIMPE_SANDBOX_CLIENT_ID), null);

    queue = bulkWorkerQueue('bench-providers', 8);
    await seedPendingEmis(ddb.endpoint, names.EMIS_TABLE, [
      ['ViaRazorpay', EMIS],
      ['ViaEximpe', EMIS],
    ]);
    const jobs = new JobStore(names.OPS_TABLE);
    const rzpRun = await runJob(jobs, 'ViaRazorpay');
    const exRun = await runJob(jobs, 'ViaEximpe');
    razorpay.config = { rateLimitPerSecond: 0, latencyMs: 0 };
    const rzp = await duplicates(razorpay.url, (l) => {
      const notes = l.notes as Record<string, string> | undefined;
      return notes ? `${notes.loan_id}#${notes.emi_number}` : undefined;
    });
    const ex = await duplicates(eximpe.url, (l) =>
      typeof l.description === 'string' ? l.description.replace(/ \(due .*\)$/, '') : undefined,
    );
    const row = (name: string, r: Result, at: { links: number; dup: number }, calls: number) => {
      const rate = r.total / r.seconds;
      return [
        name,
        r.total.toLocaleString('en-US'),
        r.seconds.toFixed(1),
        rate.toFixed(1),
        `${((rate / LIMIT) * 100).toFixed(0)}%`,
        String(at.links),
        String(at.dup),
        String(r.total - r.rows),
        `${r.created}/${r.failed}`,
        String(calls),
      ];
    };
    table(
      [
        'provider',
        'EMIs',
        'seconds',
        'links/s',
        'of 50/s',
        'links at sandbox',
        'dup',
        'lost',
        'ok/failed',
        'API requests',
      ],
      [
        row('Razorpay', rzpRun, rzp, razorpay.stats.requests),
        row('EximPe', exRun, ex, eximpe.stats.requests),
      ],
    );
    console.log(`  EximPe requests refused by its limiter (429): ${eximpe.stats.rateLimited}`);
    console.log('  goal: each provider ≥ 90% of the limit, 0 duplicates, 0 lost');
    s3Client().destroy();
  } finally {
    queue?.close();
    await razorpay.close();
    await eximpe.close();
    await ddb.stop();
    await s3.stop();
  }
}

await benchProviders();
