/**
 * The webhook path's two numbers that matter:
 *
 * 1. Acknowledgement latency: what Razorpay waits for (its budget is 5 s). Rounds of 50
 *    concurrent deliveries of distinct signed `payment.captured` bodies (Razorpay's real capture,
 *    1.1 KB), each an in-process call of the webhook handler with an API Gateway event: verify,
 *    conditional write to DynamoDB Local, put to the S3 emulator, enqueue. The sandbox answers
 *    every API call 2 s late meanwhile, to show the receiver never waits for Razorpay.
 *    The same deliveries one at a time give the uncontended cost of a receipt.
 * 2. Payment → last sibling cancelled: three links on one EMI, the sandbox takes a payment on
 *    one, and its webhooks travel sandbox → local gateway → receiver → in-process queue → worker
 *    → Razorpay cancels → both siblings cancelled in DynamoDB (polled every 2 ms). Median of 5.
 *
 * The receiver, the sandbox and the queue run in this process; DynamoDB Local (a JVM) and the
 * S3 emulator each run in a child process of their own, as S3 and DynamoDB are not the
 * receiver's CPU on AWS. CPU per delivery is this process's (process.cpuUsage around the
 * rounds), with each emulator's beside it (from /proc). The latencies include the emulators'
 * share of the machine. Run alone: npx tsx bench/webhook.ts
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import { handler as webhook } from '../functions/webhook/handler';
import { main as worker } from '../functions/webhook-worker/handler';
import { DEMO_CLIENT_IDS, DEMO_CLIENTS } from '../local/auth/identities';
import { startAuthProvider } from '../local/auth/provider';
import { clientCredentialsToken } from '../local/auth/tokens';
import {
  createResources,
  freePort,
  type LocalService,
  localAwsEnv,
  ROOT,
  resourceNames,
  startDynamoDb,
} from '../local/aws-local';
import { startGateway } from '../local/gateway';
import { LocalQueue } from '../local/queue';
import { startSandbox } from '../local/sandbox/server';
import { signWebhookBody } from '../shared/adapters/razorpay/signature';
import { stores } from '../shared/wiring';

const links = () => stores().links;

const SECRET = 'bench-webhook-secret';
const CONCURRENT = 50;
const ROUNDS = 10;
/** deliveries one at a time: enough for a p99 that is not just the maximum */
const ALONE = 200;
const PAYMENT_RUNS = 5;

function percentile(sorted: number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

/** user + system CPU of this process, in ms, from a process.cpuUsage() difference */
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

let clockTicks: number | undefined;

/** user + system CPU ms a process has used so far (Linux /proc), NaN elsewhere */
function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
    // the fields after the command name (which may hold spaces) start at field 3
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

/** DynamoDB Local's JVM: this process's child running java */
function javaChildPid(): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [comm, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.split(') ')[1]!];
      if (comm === 'java' && Number(rest.split(' ')[1]) === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** The S3 emulator in its own process (bench/s3-server.ts). */
async function startS3Child(port: number, directory: string): Promise<LocalService & { pid?: number }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'bench', 's3-server.ts'), String(port), directory],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  await new Promise<void>((ready, fail) => {
    child.once('exit', (code) => fail(new Error(`S3 emulator exited (${code})`)));
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) ready();
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: () =>
      new Promise<void>((done) => {
        process.removeListener('exit', reap);
        if (child.exitCode !== null) return done();
        child.removeAllListeners('exit');
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** CPU ms of this process and of each emulator's process, read together */
function cpuNow(pids: { s3?: number; dynamodb?: number }) {
  return { self: process.cpuUsage(), s3: procCpuMs(pids.s3), dynamodb: procCpuMs(pids.dynamodb) };
}

function cpuSince(start: ReturnType<typeof cpuNow>, pids: { s3?: number; dynamodb?: number }) {
  return {
    self: cpuMs(process.cpuUsage(start.self)),
    s3: procCpuMs(pids.s3) - start.s3,
    dynamodb: procCpuMs(pids.dynamodb) - start.dynamodb,
  };
}

type Cpu = ReturnType<typeof cpuSince>;
const addCpu = (a: Cpu, b: Cpu): Cpu => ({
  self: a.self + b.self,
  s3: a.s3 + b.s3,
  dynamodb: a.dynamodb + b.dynamodb,
});

function perDelivery(cpu: Cpu, n: number): string {
  const f = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(x / n).toFixed(1)} ms`);
  return `CPU per delivery: receiver ${f(cpu.self)}   (S3 emulator ${f(cpu.s3)}, DynamoDB Local ${f(cpu.dynamodb)}, in their own processes)`;
}

function apiEvent(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/razorpay',
    rawPath: '/webhooks/razorpay',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: '/webhooks/razorpay',
        protocol: 'HTTP/1.1',
        sourceIp: '52.66.75.174',
        userAgent: 'Razorpay-Webhook/v1',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/razorpay',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function signedDelivery(template: string) {
  const eventId = randomBytes(10)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 14);
  // distinct payments, same shape and size
  const body = template.replace('pay_Rp71WNLQjxbMsB', `pay_${eventId}`);
  return apiEvent(body, {
    'content-type': 'application/json',
    'user-agent': 'Razorpay-Webhook/v1',
    'request-id': eventId,
    'x-razorpay-event-id': eventId,
    'x-razorpay-signature': signWebhookBody(body, SECRET),
  });
}

/** the demo-ops machine token for the API's calls (the sandbox's control calls need none) */
let apiToken = '';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`POST ${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function benchWebhook(): Promise<void> {
  const services: LocalService[] = [];
  const s3Dir = mkdtempSync(join(tmpdir(), 'bench-webhook-s3-'));
  const closers: (() => Promise<void> | void)[] = [];
  const logLevel = process.env.LOG_LEVEL;
  try {
    const [ddbPort, s3Port] = [await freePort(), await freePort()];
    const [dynamodb, s3] = await Promise.all([startDynamoDb({ port: ddbPort }), startS3Child(s3Port, s3Dir)]);
    services.push(dynamodb, s3);
    const pids = { s3: s3.pid, dynamodb: javaChildPid() };
    const endpoints = { dynamodb: services[0]!.endpoint, s3: services[1]!.endpoint };
    const names = resourceNames(`bench-webhook-${randomBytes(2).toString('hex')}`);
    await createResources(names, endpoints);

    const gateway = await startGateway({ port: 0, host: '127.0.0.1' });
    closers.push(gateway.close);
    const apiUrl = gateway.url.replace('localhost', '127.0.0.1');
    // the real local OpenID Connect provider: the API's calls carry a demo-ops token
    const auth = await startAuthProvider({ port: await freePort(), pageOrigin: apiUrl });
    closers.push(() => auth.stop());
    Object.assign(process.env, {
      AUTH_ISSUER: auth.issuer,
      AUTH_JWKS_URI: auth.jwksUri,
      AUTH_CLIENT_IDS: DEMO_CLIENT_IDS.join(','),
    });
    const ops = DEMO_CLIENTS.find((c) => c.clientId === 'demo-ops')!;
    apiToken = await clientCredentialsToken(auth.issuer, ops.clientId, ops.secret!);
    const sandbox = await startSandbox({
      port: 0,
      webhookUrl: `${apiUrl}/webhooks/razorpay`,
      webhookSecret: SECRET,
    });
    closers.push(() => sandbox.close());

    // 1. acknowledgement: a queue that only takes the messages, so the worker does not compete
    const sink = new LocalQueue({ name: 'bench-sink', handler: async () => ({ batchItemFailures: [] }) });
    closers.push(() => sink.close());
    Object.assign(process.env, {
      ...localAwsEnv(endpoints, names),
      RAZORPAY_API_BASE_URL: sandbox.url,
      RAZORPAY_KEY_ID: sandbox.keyId,
      RAZORPAY_KEY_SECRET: sandbox.keySecret,
      RAZORPAY_WEBHOOK_SECRET: SECRET,
      WEBHOOK_QUEUE_URL: sink.url,
      LOG_LEVEL: 'silent',
    });
    sandbox.config = { latencyMs: 2000 };

    const samples = JSON.parse(
      readFileSync(join(ROOT, 'test/unit/razorpay/fixtures/razorpay-samples.json'), 'utf8'),
    ) as Record<string, { payload: unknown }>;
    const template = JSON.stringify(
      samples['webhook:payment.captured:payment_link_payment:real_capture']!.payload,
    );
    const ack: number[] = [];
    let ackCpu: Cpu = { self: 0, s3: 0, dynamodb: 0 };
    for (let round = 0; round <= ROUNDS; round++) {
      const cpu = cpuNow(pids);
      const times = await Promise.all(
        Array.from({ length: CONCURRENT }, async () => {
          const event = signedDelivery(template);
          const start = performance.now();
          const res = await webhook(event, context);
          if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}: ${res.body}`);
          return performance.now() - start;
        }),
      );
      if (round > 0) {
        // round 0 warms up clients, connections and the JIT
        ack.push(...times);
        ackCpu = addCpu(ackCpu, cpuSince(cpu, pids));
      }
    }
    ack.sort((a, b) => a - b);
    // the same deliveries one at a time: the cost of one receipt without contention
    const alone: number[] = [];
    const aloneStart = cpuNow(pids);
    for (let i = 0; i < ALONE; i++) {
      const event = signedDelivery(template);
      const start = performance.now();
      await webhook(event, context);
      alone.push(performance.now() - start);
    }
    const aloneCpu = cpuSince(aloneStart, pids);
    alone.sort((a, b) => a - b);
    await sink.idle();
    sandbox.config = { latencyMs: 0 };

    // 2. payment → last sibling cancelled, through the real worker
    const queue = new LocalQueue({
      name: 'bench-webhooks',
      handler: (e: SQSEvent) => worker(e),
      batchSize: 10,
      concurrency: 2,
      maxReceiveCount: 5,
      visibilityTimeoutMs: 2000,
    });
    closers.push(() => queue.close());
    process.env.WEBHOOK_QUEUE_URL = queue.url;
    const settle: number[] = [];
    for (let run = 0; run <= PAYMENT_RUNS; run++) {
      const loanId = `BENCH-${run}`;
      await post(`${apiUrl}/api/loans`, {
        loans: [
          {
            loanId,
            lender: 'Bench',
            clientName: 'Bench Client',
            phone: '+919876543210',
            emis: [{ emiNumber: 1, dueDate: new Date().toISOString().slice(0, 10), amount: 250_000 }],
          },
        ],
      });
      const made = [];
      for (let i = 0; i < 3; i++) {
        made.push(
          await post(`${apiUrl}/api/payment-links/generate`, { loanId, emiNumber: 1, forceNew: i > 0 }),
        );
      }
      const [paid, ...siblings] = made as { id: string; razorpayLinkId: string }[];
      const start = performance.now();
      await post(`${sandbox.url}/_sandbox/payment_links/${paid!.razorpayLinkId}/pay`, {});
      for (;;) {
        const states = await Promise.all(siblings.map(async (s) => (await links().getLink(s.id))?.status));
        if (states.every((s) => s === 'cancelled')) break;
        if (performance.now() - start > 30_000)
          throw new Error(`siblings not cancelled: ${states.join(', ')}`);
        await new Promise((r) => setTimeout(r, 2));
      }
      if (run > 0) settle.push(performance.now() - start);
      await sandbox.webhooksIdle();
      await queue.idle();
    }
    settle.sort((a, b) => a - b);

    console.log('\nwebhook path (in-process; DynamoDB Local + s3rver + sandbox)');
    console.log(
      `  acknowledgement, ${CONCURRENT} concurrent × ${ROUNDS} rounds (Razorpay API 2 s slow meanwhile)`,
    );
    console.log(
      `    median ${ms(percentile(ack, 50))}   p99 ${ms(percentile(ack, 99))}   max ${ms(ack.at(-1)!)}   (goal: p99 < 200 ms)`,
    );
    console.log(`    ${perDelivery(ackCpu, ack.length)}`);
    console.log(`  acknowledgement, one at a time (${ALONE} deliveries)`);
    console.log(
      `    median ${ms(percentile(alone, 50))}   p99 ${ms(percentile(alone, 99))}   (goal: p99 ≤ 25 ms)`,
    );
    console.log(`    ${perDelivery(aloneCpu, alone.length)}`);
    console.log(`  payment → last of 2 siblings cancelled, median of ${PAYMENT_RUNS}`);
    console.log(
      `    median ${ms(percentile(settle, 50))}   min ${ms(settle[0]!)}   max ${ms(settle.at(-1)!)}`,
    );
  } finally {
    for (const close of closers.reverse()) await close();
    await Promise.all(services.map((s) => s.stop()));
    rmSync(s3Dir, { recursive: true, force: true });
    if (logLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = logLevel;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchWebhook().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
