/**
 * The whole system on one machine: DynamoDB Local, the S3 emulator, the Razorpay sandbox,
 * in-process queues (webhooks, bulk work) with dead-letter queues, the reconciliation timer,
 * the local OpenID Connect provider (or another issuer named by AUTH_ISSUER), and the local API
 * gateway serving the route table and the web page. Used by `npm start`, the browser tests and
 * the benchmarks.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { resetConfigCache } from '../shared/config';
import { buildWeb } from '../web/build';
import { DEMO_CLIENT_IDS, WEB_CLIENT_ID } from './auth/identities';
import { startAuthProvider } from './auth/provider';
import { clientCredentialsToken, discover } from './auth/tokens';
import {
  createResources,
  LOCAL_DIR,
  type LocalService,
  localAwsEnv,
  ROOT,
  resourceNames,
  startDynamoDb,
  startS3,
} from './aws-local';
import { demoLoans } from './demo-data';
import { startGateway } from './gateway';
import { LocalQueue } from './queue';
import { SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET } from './sandbox/defaults';
import { type Sandbox, startSandbox } from './sandbox/server';
import { startStreamPoller } from './stream-poller';

export interface SystemOptions {
  port?: number;
  sandboxPort?: number;
  dynamodbPort?: number;
  s3Port?: number;
  /** the local OpenID Connect provider's port (AUTH_PORT, 4020); unused when AUTH_ISSUER is set */
  authPort?: number;
  demoData?: boolean;
  /** keep DynamoDB and S3 data under .local/data between runs */
  persist?: boolean;
  /** milliseconds between reconciliation runs (0 = never) */
  reconcileEveryMs?: number;
  log?: (line: string) => void;
}

export interface System {
  url: string;
  sandboxUrl?: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  sandbox?: Sandbox;
  queues: Record<string, LocalQueue>;
  auth: SystemAuth;
  stop(): Promise<void>;
}

export interface SystemAuth {
  issuer: string;
  jwksUri: string;
  clientIds: string[];
  /** the local provider runs (false: AUTH_ISSUER named another one) */
  local: boolean;
  tokenEndpoint: string;
}

const AUTH_ENV = [
  'AUTH_ISSUER',
  'AUTH_JWKS_URI',
  'AUTH_CLIENT_IDS',
  'AUTH_WEB_CLIENT_ID',
  'AUTH_WEB_REDIRECT_URI',
] as const;

/**
 * Identity: the local provider on AUTH_PORT, or, when AUTH_ISSUER is set, that issuer (its JWKS
 * from its discovery document unless AUTH_JWKS_URI says otherwise; AUTH_CLIENT_IDS the accepted
 * clients, by default the demo ones).
 */
async function startIdentity(
  authPort: number,
  pageOrigin: string,
  stops: (() => Promise<void>)[],
): Promise<SystemAuth> {
  const external = process.env.AUTH_ISSUER;
  if (external) {
    const d = await discover(external).catch((err: Error) => {
      throw new Error(`AUTH_ISSUER=${external}: cannot read its discovery document (${err.message})`);
    });
    return {
      issuer: external,
      jwksUri: process.env.AUTH_JWKS_URI ?? d.jwks_uri,
      clientIds: (process.env.AUTH_CLIENT_IDS ?? DEMO_CLIENT_IDS.join(','))
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      local: false,
      tokenEndpoint: d.token_endpoint,
    };
  }
  const provider = await startAuthProvider({ port: authPort, pageOrigin });
  stops.push(provider.stop);
  return {
    issuer: provider.issuer,
    jwksUri: provider.jwksUri,
    clientIds: provider.clientIds,
    local: true,
    tokenEndpoint: (await discover(provider.issuer)).token_endpoint,
  };
}

interface S3EventRecordLike {
  s3?: { bucket?: { name?: string }; object?: { key?: string; sequencer?: string } };
}

let sequence = 0;
function localSequencer(): string {
  sequence = (sequence + 1) % 0x10000;
  return Date.now().toString(16).toUpperCase() + sequence.toString(16).toUpperCase().padStart(4, '0');
}

async function streamHandler(
  id: string,
): Promise<((e: DynamoDBStreamEvent) => Promise<unknown>) | undefined> {
  const file = join(ROOT, 'functions', id, 'handler.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { handler: (e: DynamoDBStreamEvent) => Promise<unknown> };
  return mod.handler;
}

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** Loads a worker's handler lazily (a cold start), or undefined if it isn't built yet. */
async function workerHandler(id: string): Promise<SqsHandler | undefined> {
  const file = join(ROOT, 'functions', id, 'handler.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as {
    handler: (e: SQSEvent, c: unknown) => Promise<SQSBatchResponse | undefined>;
  };
  return (event) => mod.handler(event, {});
}

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  const log = opts.log ?? (() => {});
  const port = opts.port ?? envInt('PORT', 3000);
  const sandboxPort = opts.sandboxPort ?? envInt('RAZORPAY_SANDBOX_PORT', 4010);
  const dynamodbPort = opts.dynamodbPort ?? envInt('DYNAMODB_PORT', 8000);
  const s3Port = opts.s3Port ?? envInt('S3_PORT', 4569);
  const authPort = opts.authPort ?? envInt('AUTH_PORT', 4020);
  const stops: (() => Promise<void>)[] = [];
  // the AUTH_* variables this run sets are put back on stop, so a second system in the same
  // process (tests) starts its own provider instead of trusting a stopped one
  const savedAuthEnv = Object.fromEntries(AUTH_ENV.map((k) => [k, process.env[k]]));
  stops.push(async () => {
    for (const [k, v] of Object.entries(savedAuthEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };

  try {
    const dataDir = opts.persist ? join(LOCAL_DIR, 'data') : mkdtempSync(join(tmpdir(), 'emi-local-'));
    if (!opts.persist) stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    log('starting DynamoDB Local and the S3 emulator…');
    const names = resourceNames('local');
    // S3 event notifications of the imports bucket's loans/ prefix → the imports queue, as on AWS
    const s3Events: unknown[] = [];
    let forwardS3Event = (event: { Records: unknown[] }) => {
      s3Events.push(event);
    };
    const [ddb, s3]: LocalService[] = await Promise.all([
      startDynamoDb({ port: dynamodbPort, dbPath: opts.persist ? join(dataDir, 'dynamodb') : undefined }),
      startS3({ port: s3Port, directory: join(dataDir, 's3'), onEvent: (e) => forwardS3Event(e) }),
    ]);
    stops.push(ddb!.stop, s3!.stop);
    const endpoints = { dynamodb: ddb!.endpoint, s3: s3!.endpoint };
    await createResources(names, endpoints);

    // Razorpay: the sandbox, unless RAZORPAY_API_BASE_URL points somewhere else
    const external = process.env.RAZORPAY_API_BASE_URL;
    let sandbox: Sandbox | undefined;
    const webhookSecret = process.env.RAZORPAY_WEBHOOK_SECRET ?? SANDBOX_WEBHOOK_SECRET;
    const keyId = process.env.RAZORPAY_KEY_ID ?? SANDBOX_KEY_ID;
    const keySecret = process.env.RAZORPAY_KEY_SECRET ?? SANDBOX_KEY_SECRET;
    if (!external) {
      sandbox = await startSandbox({
        port: sandboxPort,
        keyId,
        keySecret,
        webhookSecret,
        webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay`,
        publicBaseUrl: `http://localhost:${sandboxPort}`,
      });
      stops.push(() => sandbox!.close());
    }

    const pageUrl = `http://localhost:${port}`;
    const auth = await startIdentity(authPort, pageUrl, stops);

    const queues: Record<string, LocalQueue> = {};
    const webhookWorker = await workerHandler('webhook-worker');
    const bulkWorker = await workerHandler('bulk-worker');
    const importWorker = await workerHandler('import-worker');
    Object.assign(process.env, {
      ...localAwsEnv(endpoints, names),
      RAZORPAY_API_BASE_URL: external ?? sandbox!.url,
      RAZORPAY_KEY_ID: keyId,
      RAZORPAY_KEY_SECRET: keySecret,
      RAZORPAY_WEBHOOK_SECRET: webhookSecret,
      RAZORPAY_TIMEOUT_MS: process.env.RAZORPAY_TIMEOUT_MS ?? '5000',
      WEBHOOK_QUEUE_URL: 'local://webhooks',
      BULK_QUEUE_URL: 'local://bulk',
      IMPORT_QUEUE_URL: 'local://imports',
      BULK_RATE_PER_SECOND: process.env.BULK_RATE_PER_SECOND ?? '20',
      POWERTOOLS_SERVICE_NAME: 'emi-payment-links',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      AUTH_ISSUER: auth.issuer,
      AUTH_JWKS_URI: auth.jwksUri,
      AUTH_CLIENT_IDS: auth.clientIds.join(','),
      // the page's public login settings (served as /auth-config.json by the web function)
      AUTH_WEB_CLIENT_ID: process.env.AUTH_WEB_CLIENT_ID ?? WEB_CLIENT_ID,
      AUTH_WEB_REDIRECT_URI: `${pageUrl}/`,
    });
    resetConfigCache();
    // the page, built fresh (≈0.1 s) and served by the web function like on AWS
    const web = await buildWeb();
    process.env.WEB_ROOT = web.outdir;
    const onError = (err: unknown) => log(`worker error: ${(err as Error).message}`);
    if (webhookWorker) {
      queues.webhooks = new LocalQueue({
        name: 'webhooks',
        handler: webhookWorker,
        batchSize: 10,
        concurrency: 2,
        maxReceiveCount: 5,
        visibilityTimeoutMs: 2000,
        onError,
      });
    }
    if (bulkWorker) {
      queues.bulk = new LocalQueue({
        name: 'bulk',
        handler: bulkWorker,
        batchSize: 1,
        // like CDK's maxConcurrency; BULK_CONCURRENCY is the worker's own in-process item pool
        concurrency: 2,
        maxReceiveCount: 5,
        visibilityTimeoutMs: 5000,
        onError,
      });
    }
    if (importWorker) {
      queues.imports = new LocalQueue({
        name: 'imports',
        handler: importWorker,
        batchSize: 1,
        concurrency: 2,
        maxReceiveCount: 5,
        visibilityTimeoutMs: 30_000,
        onError,
      });
      const importsQueue = queues.imports;
      forwardS3Event = (event) => {
        const records = (event.Records as S3EventRecordLike[]).filter(
          (r) => r.s3?.bucket?.name === names.IMPORTS_BUCKET && r.s3.object?.key?.startsWith('loans/'),
        );
        if (records.length === 0) return;
        // s3rver's sequencer is the millisecond; two uploads within one would tie: add a counter
        for (const r of records) r.s3!.object!.sequencer = localSequencer();
        importsQueue.send(JSON.stringify({ Records: records }));
      };
      for (const e of s3Events.splice(0)) forwardS3Event(e as { Records: unknown[] });
    }
    stops.push(async () => {
      for (const q of Object.values(queues)) q.close();
    });
    // the curated feed: the EMI table's stream, read from DynamoDB Local like the event source on AWS
    const feedWorker = await streamHandler('feed-worker');
    if (feedWorker) {
      const poller = startStreamPoller({
        endpoint: endpoints.dynamodb,
        table: names.EMIS_TABLE,
        handler: feedWorker,
        everyMs: 1000,
        onError: (err) => log(`feed error: ${(err as Error).message}`),
      });
      stops.push(async () => poller.stop());
    }

    const gateway = await startGateway({
      port,
      onError: (err) => log(`gateway error: ${(err as Error).stack ?? String(err)}`),
      extra: async (req, res, url) => {
        const json = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
          return true;
        };
        if (req.method === 'GET' && url.pathname === '/_local/queues') {
          return json(
            200,
            Object.fromEntries(
              Object.entries(queues).map(([n, q]) => [n, { depth: q.depth, deadLetters: q.deadLetterCount }]),
            ),
          );
        }
        if (req.method === 'POST' && url.pathname === '/_local/dlq/replay') {
          const replayed = Object.fromEntries(
            Object.entries(queues).map(([n, q]) => [n, q.replayDeadLetters()]),
          );
          return json(200, { replayed });
        }
        return false;
      },
    });
    stops.push(gateway.close);

    const reconcileEvery = opts.reconcileEveryMs ?? 60_000;
    if (reconcileEvery > 0 && existsSync(join(ROOT, 'functions', 'reconcile', 'handler.ts'))) {
      const mod = (await import(join(ROOT, 'functions', 'reconcile', 'handler.ts'))) as {
        handler: (e: unknown, c: unknown) => Promise<unknown>;
      };
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        mod
          .handler({ source: 'local.schedule' }, {})
          .catch((err) => log(`reconcile failed: ${(err as Error).message}`))
          .finally(() => {
            running = false;
          });
      }, reconcileEvery);
      timer.unref();
      stops.push(async () => clearInterval(timer));
    }

    if ((opts.demoData ?? process.env.DEMO_DATA !== '0') && !auth.local) {
      log('demo data: skipped, it is loaded with a token of the local provider (AUTH_ISSUER is set)');
    } else if (opts.demoData ?? process.env.DEMO_DATA !== '0') {
      const loans = demoLoans();
      // loaded like any machine caller would: the warehouse client, loans.write only
      const token = await clientCredentialsToken(auth.issuer, 'demo-warehouse', 'demo-warehouse-secret');
      for (let i = 0; i < loans.length; i += 100) {
        const res = await fetch(`http://127.0.0.1:${port}/api/loans`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ loans: loans.slice(i, i + 100) }),
        });
        if (!res.ok) throw new Error(`loading demo data failed: ${res.status} ${await res.text()}`);
      }
      log(`demo data: ${loans.length} loans across 3 lenders`);
    }

    return {
      url: gateway.url,
      sandboxUrl: sandbox ? `http://localhost:${sandbox.port}` : undefined,
      dynamodbEndpoint: endpoints.dynamodb,
      s3Endpoint: endpoints.s3,
      sandbox,
      queues,
      auth,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
