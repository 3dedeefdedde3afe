/**
 * Local stand-ins for AWS on one machine: Amazon's DynamoDB Local (Java) and the s3rver S3
 * emulator, plus table and bucket bootstrap from the same schema the CDK stack uses.
 * Used by `npm start`, the test setup and the benchmarks.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { TABLES, type TableDef } from '../shared/adapters/dynamo/schema';
import { type S3Cors, startS3Front } from './s3-verify';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_DIR = join(ROOT, '.local');
const SIMULATOR = 'amplify-dynamodb-simulator@2.9.30';
const JAR_DIR = join(LOCAL_DIR, 'dynamodb');
const DYNAMODB_LAUNCHER = join(ROOT, 'local', 'LoopbackDynamoDb.java');
/** every local service listens here only (README: Security) */
export const LOOPBACK = '127.0.0.1';

/** Local credentials: s3rver accepts only these; DynamoDB Local (-sharedDb) accepts any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class JavaMissingError extends Error {
  constructor() {
    super(
      'DynamoDB Local needs a Java runtime (17 or newer) and none was found on PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
        '  macOS:         brew install openjdk@17',
    );
  }
}

export function checkJava(): void {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    throw new JavaMissingError();
  }
}

/**
 * Amazon's DynamoDB Local jar, taken from the npm registry (it ships inside
 * amplify-dynamodb-simulator): `npm pack` + extract only `package/emulator`, no 283 deps.
 */
export function ensureDynamoJar(log: (m: string) => void = () => {}): string {
  const jar = join(JAR_DIR, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return JAR_DIR;
  log(`fetching DynamoDB Local (${SIMULATOR}) from the npm registry…`);
  const tmp = join(LOCAL_DIR, `tmp-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const file = execFileSync('npm', ['pack', SIMULATOR, '--silent', '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .trim()
      .split('\n')
      .pop();
    if (!file) throw new Error('npm pack printed no file name');
    execFileSync('tar', ['xzf', join(tmp, file), '-C', tmp, 'package/emulator']);
    rmSync(JAR_DIR, { recursive: true, force: true });
    mkdirSync(dirname(JAR_DIR), { recursive: true });
    execFileSync('mv', [join(tmp, 'package', 'emulator'), JAR_DIR]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!existsSync(jar)) throw new Error(`DynamoDB Local jar not found at ${jar} after extraction`);
  return JAR_DIR;
}

/**
 * local/LoopbackDynamoDb.java, compiled once (per version of its source) under the jar's folder
 * by the compiler module every Java runtime ships (`java -m jdk.compiler/…`, no JDK needed):
 * compiling on each start costs seconds on a busy machine. Returns the classes folder.
 */
export function ensureDynamoLauncher(dir: string): string {
  const source = readFileSync(DYNAMODB_LAUNCHER);
  const out = join(dir, `launcher-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  if (existsSync(join(out, 'LoopbackDynamoDb.class'))) return out;
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  const classpath = [join(dir, 'DynamoDBLocal.jar'), join(dir, 'DynamoDBLocal_lib', '*')].join(delimiter);
  try {
    const javac = ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-nowarn', '-d', tmp, '-cp', classpath];
    try {
      execFileSync('java', [...javac, DYNAMODB_LAUNCHER], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const detail = String((err as { stderr?: unknown }).stderr ?? '').slice(-500);
      throw new Error(
        `Could not compile local/LoopbackDynamoDb.java with the Java runtime's compiler module (jdk.compiler): ${detail}`,
      );
    }
    try {
      renameSync(tmp, out);
    } catch (err) {
      // another process compiled it meanwhile: either copy is the same
      if (!existsSync(join(out, 'LoopbackDynamoDb.class'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface LocalService {
  endpoint: string;
  stop(): Promise<void>;
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'ap-south-1', credentials: LOCAL_CREDENTIALS });
}

export async function startDynamoDb(opts: { port: number; dbPath?: string }): Promise<LocalService> {
  checkJava();
  const dir = ensureDynamoJar((m) => process.stderr.write(`${m}\n`));
  const args = [
    // faster start on a small machine (measured: 2.4–2.9 s instead of 3.2–3.5 s)
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    `-Ddynamodb.host=${LOOPBACK}`,
    // DynamoDB Local has no bind option and listens on every interface; this launcher binds
    // its server to loopback before it starts
    '-cp',
    [ensureDynamoLauncher(dir), 'DynamoDBLocal.jar', join('DynamoDBLocal_lib', '*')].join(delimiter),
    'LoopbackDynamoDb',
    // one database for every access key and region (otherwise each key gets its own)
    '-sharedDb',
    '-disableTelemetry',
    // its CORS default is `*`: any web page could call it from the browser; allow no real origin
    '-cors',
    `http://${LOOPBACK}:${opts.port}`,
    '-port',
    String(opts.port),
  ];
  if (opts.dbPath) {
    mkdirSync(opts.dbPath, { recursive: true });
    args.push('-dbPath', opts.dbPath);
  } else {
    args.push('-inMemory');
  }
  const child: ChildProcess = spawn('java', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // never leave a JVM behind, however this process ends (a crash, process.exit, a second signal)
  const reap = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const endpoint = `http://${LOOPBACK}:${opts.port}`;
  const client = dynamoClient(endpoint);
  // a JVM on a busy two-core machine can take this long
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr.slice(-500)}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not start on port ${opts.port}: ${stderr.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/**
 * s3rver on an internal loopback port behind a front that verifies every request's SigV4
 * (local/s3-verify.ts): s3rver itself checks no signature and no presigned URL's expiry.
 */
export async function startS3(opts: {
  port: number;
  directory: string;
  /** S3 event notifications (s3rver emits one per PUT/POST/COPY/DELETE, in AWS's shape) */
  onEvent?: (event: { Records: unknown[] }) => void;
  /** buckets' CORS rules, as on AWS (the page's presigned PUT of a loans file) */
  cors?: S3Cors;
}): Promise<LocalService> {
  mkdirSync(opts.directory, { recursive: true });
  const upstreamPort = await freePort();
  const server = new S3rver({
    port: upstreamPort,
    address: LOOPBACK,
    directory: opts.directory,
    silent: true,
  });
  if (opts.onEvent) {
    const onEvent = opts.onEvent;
    (server as unknown as { on(e: string, f: (ev: { Records: unknown[] }) => void): void }).on(
      'event',
      (ev) => onEvent(ev),
    );
  }
  await server.run();
  try {
    const front = await startS3Front({
      host: LOOPBACK,
      port: opts.port,
      upstreamPort,
      credentials: LOCAL_CREDENTIALS,
      cors: opts.cors,
    });
    return {
      endpoint: `http://${LOOPBACK}:${front.port}`,
      stop: async () => {
        await front.close();
        await server.close();
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}

export function createTableInput(def: TableDef, name: string): CreateTableCommandInput {
  const attrs = new Set<string>([def.pk, def.sk]);
  for (const idx of def.indexes) {
    attrs.add(idx.pk);
    attrs.add(idx.sk);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    ...(def.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } } : {}),
    AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: def.pk, KeyType: 'HASH' },
      { AttributeName: def.sk, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes:
      def.indexes.length === 0
        ? undefined
        : def.indexes.map((idx) => ({
            IndexName: idx.name,
            KeySchema: [
              { AttributeName: idx.pk, KeyType: 'HASH' },
              { AttributeName: idx.sk, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
  };
}

export interface LocalResourceNames {
  EMIS_TABLE: string;
  LINKS_TABLE: string;
  OPS_TABLE: string;
  EXPORTS_BUCKET: string;
  RAW_WEBHOOKS_BUCKET: string;
  IMPORTS_BUCKET: string;
}

export function resourceNames(prefix: string): LocalResourceNames {
  const p = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return {
    EMIS_TABLE: `${p}-emis`,
    LINKS_TABLE: `${p}-links`,
    OPS_TABLE: `${p}-ops`,
    EXPORTS_BUCKET: `${p}-exports`,
    RAW_WEBHOOKS_BUCKET: `${p}-raw-webhooks`,
    IMPORTS_BUCKET: `${p}-imports`,
  };
}

/** Creates the tables when missing; answers the names it created (a persisted run keeps its data). */
export async function createTables(names: LocalResourceNames, endpoint: string): Promise<string[]> {
  const ddb = dynamoClient(endpoint);
  try {
    const existing = new Set((await ddb.send(new ListTablesCommand({}))).TableNames ?? []);
    const wanted: [TableDef, string][] = [
      [TABLES.emis, names.EMIS_TABLE],
      [TABLES.links, names.LINKS_TABLE],
      [TABLES.ops, names.OPS_TABLE],
    ];
    const missing = wanted.filter(([, n]) => !existing.has(n));
    await Promise.all(missing.map(([def, n]) => ddb.send(new CreateTableCommand(createTableInput(def, n)))));
    return missing.map(([, n]) => n);
  } finally {
    ddb.destroy();
  }
}

/** Creates the buckets when missing. */
export async function createBuckets(names: LocalResourceNames, endpoint: string): Promise<void> {
  const s3 = new S3Client({
    endpoint,
    region: 'ap-south-1',
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await Promise.all(
      [names.EXPORTS_BUCKET, names.RAW_WEBHOOKS_BUCKET, names.IMPORTS_BUCKET].map(async (bucket) => {
        try {
          await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        } catch (err) {
          const name = (err as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
        }
      }),
    );
  } finally {
    s3.destroy();
  }
}

/** Creates the tables and buckets when missing (idempotent: a persisted run keeps its data). */
export async function createResources(
  names: LocalResourceNames,
  endpoints: { dynamodb: string; s3: string },
): Promise<void> {
  await Promise.all([createTables(names, endpoints.dynamodb), createBuckets(names, endpoints.s3)]);
}

/** Environment the handlers need to find the local services. */
export function localAwsEnv(endpoints: { dynamodb: string; s3: string }, names: LocalResourceNames) {
  return {
    AWS_REGION: 'ap-south-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    ...names,
  };
}
