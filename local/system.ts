/**
 * The whole system on one machine: DynamoDB Local, the S3 emulator, the Razorpay sandbox,
 * in-process queues (webhooks, bulk work, loans file imports fed by the imports bucket's S3 event
 * notifications) with dead-letter queues, the EMI table's stream feeding the curated payments feed,
 * the reconciliation timer, and the local API gateway serving the route table and the web page. Used by `npm start`,
 * the browser tests and the benchmarks.
 *
 * Identity: the local OpenID Connect provider (or another issuer named by AUTH_ISSUER).
 *
 * Start-up order (measured by `npm run bench -- startup`): the DynamoDB Local JVM is the
 * longest step, so it is spawned first, before anything heavy is even imported; the gateway
 * opens its port right after and answers 503 + Retry-After to everything until the end. While
 * the JVM starts, the rest happens side by side: the S3 emulator and its buckets, the sandbox,
 * the page's build, the handlers' imports. Then the tables, then the demo data (batch writes
 * into the fresh tables), and only then is the gateway marked ready.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { queueOf, workerOn } from '../lib/routes';
import type { Actor } from '../shared/auth/actor';
import { localSetting } from '../shared/config';
import { IMPORTS_PREFIX } from '../shared/domain/objects';
import { DEMO_CLIENT_IDS, WEB_CLIENT_ID } from './auth/identities';
import type { EximpeSandbox } from './eximpe-sandbox/server';
import { LOCAL_DIR, ROOT } from './paths';
import type { LocalQueue } from './queue';
import type { Sandbox } from './sandbox/server';

export interface SystemOptions {
  port?: number;
  sandboxPort?: number;
  /** the EximPe sandbox's port (EXIMPE_SANDBOX_PORT, 4030) */
  eximpeSandboxPort?: number;
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

/** One start-up step: when it started and ended, in ms since this process started. */
export interface StartupStep {
  step: string;
  startMs: number;
  endMs: number;
}

export interface System {
  url: string;
  sandboxUrl?: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  sandbox?: Sandbox;
  /** the EximPe sandbox (not started when EXIMPE_API_BASE_URL names another server) */
  eximpe?: EximpeSandbox;
  eximpeSandboxUrl?: string;
  queues: Record<string, LocalQueue>;
  auth: SystemAuth;
  /** what start-up spent its time on (steps overlap) */
  startup: StartupStep[];
  /** demo data loaded, or undefined when started without it */
  demo?: { loans: number; emis: number; lenders: number; accounts: number };
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
    const { discover } = await import('./auth/tokens');
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
  const [{ startAuthProvider }, { discover }] = await Promise.all([
    import('./auth/provider'),
    import('./auth/tokens'),
  ]);
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

/** Who loads the demo data into kept tables (recorded as the loans' `updatedBy`). */
const DEMO_LOADER: Actor = {
  sub: 'local-demo-data',
  name: 'demo data (npm start)',
  kind: 'machine',
  permissions: new Set(['loans']),
  lenders: '*',
};

type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

/** Loads a worker's handler (a cold start), or undefined if it isn't built yet. */
async function workerHandler(id: string): Promise<SqsHandler | undefined> {
  const file = join(ROOT, 'functions', id, 'handler.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as {
    handler: (e: SQSEvent, c: unknown) => Promise<SQSBatchResponse | undefined>;
  };
  return (event) => mod.handler(event, {});
}

/** Loads a stream consumer's handler, or undefined if it isn't built yet. */
async function streamHandler(
  id: string,
): Promise<((e: DynamoDBStreamEvent) => Promise<unknown>) | undefined> {
  const file = join(ROOT, 'functions', id, 'handler.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { handler: (e: DynamoDBStreamEvent) => Promise<unknown> };
  return mod.handler;
}

interface S3EventRecordLike {
  s3?: { bucket?: { name?: string }; object?: { key?: string; sequencer?: string } };
}

let sequence = 0;
function localSequencer(): string {
  sequence = (sequence + 1) % 0x10000;
  return Date.now().toString(16).toUpperCase() + sequence.toString(16).toUpperCase().padStart(4, '0');
}

export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  const log = opts.log ?? (() => {});
  const port = opts.port ?? localSetting('PORT');
  const sandboxPort = opts.sandboxPort ?? localSetting('RAZORPAY_SANDBOX_PORT');
  const eximpePort = opts.eximpeSandboxPort ?? localSetting('EXIMPE_SANDBOX_PORT');
  const dynamodbPort = opts.dynamodbPort ?? localSetting('DYNAMODB_PORT');
  const s3Port = opts.s3Port ?? localSetting('S3_PORT');
  const authPort = opts.authPort ?? localSetting('AUTH_PORT');
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
  const startup: StartupStep[] = [];
  // steps running side by side: on a failure, each is let finish (and registers its stop) first
  const inflight: Promise<unknown>[] = [];
  const step = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const startMs = performance.now();
    const done = work().then((out) => {
      startup.push({ step: name, startMs, endMs: performance.now() });
      return out;
    });
    // awaited later, maybe after it failed: not an unhandled rejection meanwhile
    done.catch(() => {});
    return done;
  };

  try {
    const dataDir = opts.persist ? join(LOCAL_DIR, 'data') : mkdtempSync(join(tmpdir(), 'emi-local-'));
    if (!opts.persist) stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // 1. the JVM first: nothing else takes as long
    const { startDynamoDb } = await import('./aws-local');
    const ddbStarted = step('DynamoDB Local (JVM start)', () =>
      startDynamoDb({ port: dynamodbPort, dbPath: opts.persist ? join(dataDir, 'dynamodb') : undefined }),
    );
    inflight.push(ddbStarted.then((d) => stops.push(d.stop)).catch(() => {}));

    // 2. the port, answering 503 until everything below is done
    const { startGateway } = await import('./gateway');
    const queues: Record<string, LocalQueue> = {};
    const gateway = await step('gateway listening (503 until ready)', () =>
      startGateway({
        port,
        starting: true,
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
                Object.entries(queues).map(([n, q]) => [
                  n,
                  { depth: q.depth, deadLetters: q.deadLetterCount },
                ]),
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
      }),
    );
    stops.push(gateway.close);

    // 3. the handlers' environment: every endpoint is known from its port already
    const dynamodbEndpoint = `http://127.0.0.1:${dynamodbPort}`;
    const s3Endpoint = `http://127.0.0.1:${s3Port}`;
    const aws = await step('load the AWS SDK and s3rver', () => import('./aws-local'));
    const names = aws.resourceNames('local');
    const external = process.env.RAZORPAY_API_BASE_URL;
    const eximpeExternal = process.env.EXIMPE_API_BASE_URL;
    const webhookSecret = process.env.RAZORPAY_WEBHOOK_SECRET;
    const keyId = process.env.RAZORPAY_KEY_ID;
    const keySecret = process.env.RAZORPAY_KEY_SECRET;
    const { SANDBOX_KEY_ID, SANDBOX_KEY_SECRET, SANDBOX_WEBHOOK_SECRET } = await import('./sandbox/defaults');
    Object.assign(process.env, {
      ...aws.localAwsEnv({ dynamodb: dynamodbEndpoint, s3: s3Endpoint }, names),
      RAZORPAY_API_BASE_URL: external ?? `http://127.0.0.1:${sandboxPort}`,
      RAZORPAY_KEY_ID: keyId ?? SANDBOX_KEY_ID,
      RAZORPAY_KEY_SECRET: keySecret ?? SANDBOX_KEY_SECRET,
      RAZORPAY_WEBHOOK_SECRET: webhookSecret ?? SANDBOX_WEBHOOK_SECRET,
      RAZORPAY_TIMEOUT_MS: process.env.RAZORPAY_TIMEOUT_MS ?? '5000',
      EXIMPE_API_BASE_URL: eximpeExternal ?? `http://127.0.0.1:${eximpePort}`,
      EXIMPE_TIMEOUT_MS: process.env.EXIMPE_TIMEOUT_MS ?? '5000',
      WEBHOOK_QUEUE_URL: 'local://webhooks',
      BULK_QUEUE_URL: 'local://bulk',
      IMPORT_QUEUE_URL: 'local://imports',
      // the page's Import tab PUTs files to the S3 emulator (its CSP's connect-src)
      IMPORTS_UPLOAD_ORIGIN: s3Endpoint,
      // the borrower's return page: links are created with it as callback_url (§4c)
      PAY_RETURN_URL: process.env.PAY_RETURN_URL ?? `http://localhost:${port}/pay/return`,
      BULK_RATE_PER_SECOND: process.env.BULK_RATE_PER_SECOND ?? '20',
      POWERTOOLS_SERVICE_NAME: 'emi-payment-links',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      // DynamoDB Local answers 500 on its own lock timeouts under load; DynamoDB never does
      DYNAMODB_MAX_ATTEMPTS: process.env.DYNAMODB_MAX_ATTEMPTS ?? '10',
    });

    // 4. side by side while the JVM starts
    // S3 event notifications of the imports bucket's loans/ prefix → the imports queue, as on AWS
    // (held until the queue exists)
    const s3Events: { Records: unknown[] }[] = [];
    let forwardS3Event = (event: { Records: unknown[] }) => {
      s3Events.push(event);
    };
    const s3Ready = step('S3 emulator and buckets', async () => {
      const s3 = await aws.startS3({
        port: s3Port,
        directory: join(dataDir, 's3'),
        onEvent: (e) => forwardS3Event(e),
        // the page uploads a loans file with a presigned PUT, as the imports bucket's CORS allows on AWS
        cors: {
          buckets: [names.IMPORTS_BUCKET],
          origins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
          methods: ['PUT'],
        },
      });
      stops.push(s3.stop);
      await aws.createBuckets(names, s3.endpoint);
      return s3;
    });
    const sandboxReady = external
      ? Promise.resolve(undefined)
      : step('Razorpay sandbox', async () => {
          const { startSandbox } = await import('./sandbox/server');
          const sandbox = await startSandbox({
            port: sandboxPort,
            keyId: process.env.RAZORPAY_KEY_ID,
            keySecret: process.env.RAZORPAY_KEY_SECRET,
            webhookSecret: process.env.RAZORPAY_WEBHOOK_SECRET,
            webhookUrl: `http://127.0.0.1:${port}/webhooks/razorpay`,
            publicBaseUrl: `http://localhost:${sandboxPort}`,
          });
          stops.push(() => sandbox.close());
          return sandbox;
        });
    const eximpeReady = eximpeExternal
      ? Promise.resolve(undefined)
      : step('EximPe sandbox', async () => {
          const { startEximpeSandbox } = await import('./eximpe-sandbox/server');
          const sandbox = await startEximpeSandbox({
            port: eximpePort,
            publicBaseUrl: `http://localhost:${eximpePort}`,
          });
          stops.push(() => sandbox.close());
          return sandbox;
        });
    // the page, built fresh (≈0.1 s) and served by the web function like on AWS
    const webReady = step('web page build', async () => {
      const { buildWeb } = await import('../web/build');
      process.env.WEB_ROOT = (await buildWeb()).outdir;
    });
    const workersReady = step('import the workers', async () => {
      const { LocalQueue } = await import('./queue');
      const [webhookWorker, bulkWorker, importWorker] = await Promise.all([
        workerHandler('webhook-worker'),
        workerHandler('bulk-worker'),
        workerHandler('import-worker'),
      ]);
      const onError = (err: unknown) => log(`worker error: ${(err as Error).message}`);
      if (webhookWorker) {
        queues.webhooks = new LocalQueue({
          name: 'webhooks',
          handler: webhookWorker,
          batchSize: queueOf(workerOn('webhookQueue')).batchSize,
          concurrency: queueOf(workerOn('webhookQueue')).maxConcurrency,
          maxReceiveCount: queueOf(workerOn('webhookQueue')).maxReceiveCount,
          visibilityTimeoutMs: 2000,
          onError,
        });
      }
      if (bulkWorker) {
        queues.bulk = new LocalQueue({
          name: 'bulk',
          handler: bulkWorker,
          batchSize: queueOf(workerOn('bulkQueue')).batchSize,
          // like CDK's maxConcurrency; BULK_CONCURRENCY is the worker's own in-process item pool
          concurrency: queueOf(workerOn('bulkQueue')).maxConcurrency,
          maxReceiveCount: queueOf(workerOn('bulkQueue')).maxReceiveCount,
          visibilityTimeoutMs: 5000,
          onError,
        });
      }
      if (importWorker) {
        const importsQueue = new LocalQueue({
          name: 'imports',
          handler: importWorker,
          batchSize: queueOf(workerOn('importQueue')).batchSize,
          concurrency: queueOf(workerOn('importQueue')).maxConcurrency,
          maxReceiveCount: queueOf(workerOn('importQueue')).maxReceiveCount,
          visibilityTimeoutMs: 30_000,
          onError,
        });
        queues.imports = importsQueue;
        forwardS3Event = (event) => {
          const records = (event.Records as S3EventRecordLike[]).filter(
            (r) =>
              r.s3?.bucket?.name === names.IMPORTS_BUCKET && r.s3.object?.key?.startsWith(IMPORTS_PREFIX),
          );
          if (records.length === 0) return;
          // s3rver's sequencer is the millisecond; two uploads within one would tie: add a counter
          for (const r of records) r.s3!.object!.sequencer = localSequencer();
          importsQueue.send(JSON.stringify({ Records: records }));
        };
        for (const e of s3Events.splice(0)) forwardS3Event(e);
      }
      stops.push(async () => {
        for (const q of Object.values(queues)) q.close();
      });
    });
    const pageUrl = `http://localhost:${port}`;
    const authReady = step('identity provider', () => startIdentity(authPort, pageUrl, stops));
    const wantDemo = opts.demoData ?? process.env.DEMO_DATA !== '0';
    const demoPrepared = wantDemo
      ? step('demo data: generate and validate', async () => {
          const [{ demoLoans }, upsert, { EmiStore }, { systemClock }] = await Promise.all([
            import('./demo-data'),
            import('../shared/usecases/upsert-loans'),
            import('../shared/adapters/dynamo/emi-store'),
            import('../shared/domain/dates'),
          ]);
          return { loans: demoLoans(), upsert, EmiStore, clock: systemClock };
        })
      : undefined;

    // 5. the tables, then the demo data
    inflight.push(
      authReady,
      s3Ready,
      sandboxReady,
      webReady,
      workersReady,
      ...(demoPrepared ? [demoPrepared] : []),
    );
    const ddb = await ddbStarted;
    const created = await step('DynamoDB tables', () => aws.createTables(names, dynamodbEndpoint));
    // the curated feed: the EMI table's stream, read from DynamoDB Local like the event source on AWS
    const feedReady = step('curated feed (EMI table stream)', async () => {
      const [feedWorker, { startStreamPoller }] = await Promise.all([
        streamHandler('feed-worker'),
        import('./stream-poller'),
      ]);
      if (!feedWorker) return;
      const poller = startStreamPoller({
        endpoint: dynamodbEndpoint,
        table: names.EMIS_TABLE,
        handler: feedWorker,
        everyMs: 1000,
        onError: (err) => log(`feed error: ${(err as Error).message}`),
      });
      stops.push(async () => poller.stop());
    });
    inflight.push(feedReady);
    let demo: System['demo'];
    if (demoPrepared) {
      const { loans, upsert, EmiStore, clock } = await demoPrepared;
      const store = new EmiStore(names.EMIS_TABLE);
      const input = { loans };
      // a fresh table takes batch writes; a persisted one (LOCAL_PERSIST=1) is merged like any
      // upsert, so the links and payments it holds are kept
      const fresh = created.includes(names.EMIS_TABLE);
      const result = await step(
        `demo data: write (${fresh ? 'batch, fresh tables' : 'upsert, kept data'})`,
        () =>
          fresh
            ? upsert.seedLoansIntoEmptyTable({ emis: store, clock }, input)
            : upsert.upsertLoans({ emis: store, clock }, upsert.upsertLoansSchema.parse(input), DEMO_LOADER),
      );
      const e = result.emis;
      demo = {
        loans: result.loans,
        emis: e.created + e.updated + e.unchanged,
        lenders: new Set(loans.map((l) => l.lender)).size,
        accounts: 0,
      };
    }
    const [s3, sandbox, eximpe] = await Promise.all([
      s3Ready,
      sandboxReady,
      eximpeReady,
      webReady,
      workersReady,
      feedReady,
    ]);
    // the demo's payment accounts need the sandbox (keys are checked) and the tables
    let accounts = 0;
    if (demoPrepared && sandbox) {
      const { seedDemoAccounts } = await import('./demo-accounts');
      accounts = await step('demo payment accounts', () => seedDemoAccounts(sandbox, gateway.url, eximpe));
    }
    const auth = await authReady;
    Object.assign(process.env, {
      AUTH_ISSUER: auth.issuer,
      AUTH_JWKS_URI: auth.jwksUri,
      AUTH_CLIENT_IDS: auth.clientIds.join(','),
      // the page's public login settings (served as /auth-config.json by the web function)
      AUTH_WEB_CLIENT_ID: process.env.AUTH_WEB_CLIENT_ID ?? WEB_CLIENT_ID,
      AUTH_WEB_REDIRECT_URI: `${pageUrl}/`,
    });

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

    if (demo) demo.accounts = accounts;
    gateway.markReady();
    return {
      url: gateway.url,
      sandboxUrl: sandbox ? `http://localhost:${sandbox.port}` : undefined,
      dynamodbEndpoint: ddb.endpoint,
      s3Endpoint: s3.endpoint,
      sandbox,
      eximpe,
      eximpeSandboxUrl: eximpe ? `http://localhost:${eximpe.port}` : undefined,
      queues,
      auth,
      startup,
      demo,
      stop: stopAll,
    };
  } catch (err) {
    await Promise.allSettled(inflight);
    await stopAll();
    throw err;
  }
}
