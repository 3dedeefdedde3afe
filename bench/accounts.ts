/**
 * Issue 15 benchmark: two payment accounts, two bulk jobs of 2,000 EMIs at once, each account a
 * sandbox merchant limited to 50 requests/s (100 ms latency), BULK_RATE_PER_SECOND=50 (per
 * account), on DynamoDB Local, s3rver and the bulk worker fed by the in-process queue.
 * Prints each job's throughput as a share of its own account's limit (goal ≥ 90 % each), links
 * created on the wrong account (goal 0) and duplicates (goal 0).
 */
import {
  createResources,
  freePort,
  localAwsEnv,
  resourceNames,
  startDynamoDb,
  startS3,
} from '../local/aws-local';
import type { LocalQueue } from '../local/queue';
import { startSandbox } from '../local/sandbox/server';
import { AccountStore } from '../shared/adapters/dynamo/account-store';
import { JobStore } from '../shared/adapters/dynamo/job-store';
import { s3Client } from '../shared/adapters/s3/client';
import { tableSecretStore } from '../shared/adapters/secrets/account-secrets';
import { type RunResult, runJob } from './bulk';
import { bulkWorkerQueue, seedPendingEmis } from './dynamo';
import { table } from './stats';

const LIMIT = 50;
const EMIS = 2_000;
const SECOND = {
  keyId: 'rzp_test_BenchSecond01',
  keySecret: 'bench-second-secret-01',
  webhookSecret: 'whsec-bench-2',
};

async function linksAt(
  url: string,
  keyId: string,
  keySecret: string,
): Promise<{ notes: Record<string, string> }[]> {
  const res = await fetch(`${url}/v1/payment_links`, {
    headers: { authorization: `Basic ${Buffer.from(`${keyId}:${keySecret}`).toString('base64')}` },
  });
  return ((await res.json()) as { payment_links: { notes: Record<string, string> }[] }).payment_links;
}

async function benchAccounts(): Promise<void> {
  process.env.LOG_LEVEL ??= 'silent';
  const [ddbPort, s3Port] = [await freePort(), await freePort()];
  const ddb = await startDynamoDb({ port: ddbPort });
  const s3 = await startS3({ port: s3Port, directory: `/tmp/bench-accounts-s3-${process.pid}` });
  const sandbox = await startSandbox({ port: 0, webhookUrl: '' });
  let queue: LocalQueue | undefined;
  try {
    const endpoints = { dynamodb: ddb.endpoint, s3: s3.endpoint };
    const names = resourceNames('bench-accounts');
    await createResources(names, endpoints);
    Object.assign(process.env, {
      ...localAwsEnv(endpoints, names),
      RAZORPAY_API_BASE_URL: sandbox.url,
      RAZORPAY_KEY_ID: sandbox.keyId,
      RAZORPAY_KEY_SECRET: sandbox.keySecret,
      RAZORPAY_TIMEOUT_MS: '2000',
      BULK_QUEUE_URL: 'local://bench-accounts',
      BULK_RATE_PER_SECOND: String(LIMIT),
      // per account: in flight needed ≈ rate × time per item (as bench bulk)
      BULK_CONCURRENCY: '32',
    });
    // two merchants, each limited on its own; two accounts, one lender each
    sandbox.config = { rateLimitPerSecond: LIMIT, latencyMs: 100, errorRate: 0, hangRate: 0 };
    sandbox.addAccount({ ...SECOND, webhookUrl: '', rateLimitPerSecond: LIMIT });
    const accounts = new AccountStore(names.EMIS_TABLE);
    const secrets = tableSecretStore(names.EMIS_TABLE);
    const now = new Date().toISOString();
    const account = (accountId: string, lender: string, keyId: string) => ({
      accountId,
      provider: 'razorpay' as const,
      name: lender,
      keyId,
      lenders: [lender],
      webhookSecretSetAt: now,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    await secrets.write('default', {
      keyId: sandbox.keyId,
      keySecret: sandbox.keySecret,
      webhookSecret: 'whsec-bench-1',
    });
    await accounts.saveAccount(account('default', 'AcctOne', sandbox.keyId), null);
    await secrets.write('second', SECOND);
    await accounts.saveAccount(account('second', 'AcctTwo', SECOND.keyId), null);

    queue = bulkWorkerQueue('bench-accounts', 8);
    await seedPendingEmis(ddb.endpoint, names.EMIS_TABLE, [
      ['AcctOne', EMIS],
      ['AcctTwo', EMIS],
    ]);
    const jobs = new JobStore(names.OPS_TABLE);
    const before = sandbox.stats;
    const [one, two] = await Promise.all([
      runJob(sandbox, jobs, 'AcctOne'),
      runJob(sandbox, jobs, 'AcctTwo'),
    ]);
    const refused = sandbox.stats.requests - before.requests - (sandbox.stats.creates - before.creates);

    // which merchant holds which lender's links (limits off, so the check is not refused)
    sandbox.config = { rateLimitPerSecond: 0, latencyMs: 0 };
    sandbox.addAccount({ ...SECOND, webhookUrl: '', rateLimitPerSecond: 0 });
    const atDefault = await linksAt(sandbox.url, sandbox.keyId, sandbox.keySecret);
    const atSecond = await linksAt(sandbox.url, SECOND.keyId, SECOND.keySecret);
    const wrong =
      atDefault.filter((l) => l.notes.lender !== 'AcctOne').length +
      atSecond.filter((l) => l.notes.lender !== 'AcctTwo').length;

    const row = (name: string, r: RunResult, links: number) => {
      const rate = r.total / r.seconds;
      return [
        name,
        r.total.toLocaleString('en-US'),
        r.seconds.toFixed(1),
        rate.toFixed(1),
        `${((rate / LIMIT) * 100).toFixed(0)}%`,
        String(links),
        String(r.duplicates),
        String(r.lost),
        `${r.created}/${r.failed}`,
      ];
    };
    table(
      [
        'job (account)',
        'EMIs',
        'seconds',
        'links/s',
        'of its 50/s',
        'links at its merchant',
        'dup',
        'lost',
        'ok/failed',
      ],
      [row('AcctOne (default)', one, atDefault.length), row('AcctTwo (second)', two, atSecond.length)],
    );
    console.log(
      `  links on the wrong account: ${wrong} (goal 0); requests refused by the sandbox's limiters: ${refused}`,
    );
    console.log("  goal: each job ≥ 90% of its own account's limit, 0 on the wrong account, 0 duplicates");
    s3Client().destroy();
  } finally {
    queue?.close();
    await sandbox.close();
    await ddb.stop();
    await s3.stop();
  }
}

await benchAccounts();
