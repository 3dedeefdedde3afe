/**
 * The one Lambda construct: every function in the app is an `AppFunction`, so runtime,
 * architecture, logging and bundling are decided here once. Access is granted only through
 * `grantDeclared`, which turns a function's declared `access` (lib/routes.ts) into IAM grants
 * and the environment variables naming the resources: a grant and its variable never drift apart.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { TABLES, type TableDef } from '../shared/adapters/dynamo/schema';
import {
  CURATED_PREFIX,
  EXPORTS_PREFIX,
  IMPORTS_PREFIX,
  RAW_EXIMPE_WEBHOOKS_PREFIX,
  RAW_WEBHOOKS_PREFIX,
} from '../shared/domain/objects';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../shared/observability/names';
import type { Access, FunctionAccess } from './routes';

/** Repository root: bundling resolves entries, tsconfig and the lockfile from here, whatever the cwd. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/** Object prefixes a function may touch; the S3 adapters write under exactly these. */
export { CURATED_PREFIX, EXPORTS_PREFIX, IMPORTS_PREFIX, RAW_EXIMPE_WEBHOOKS_PREFIX, RAW_WEBHOOKS_PREFIX };

/** The stateful resources a function can be granted, by the names `FunctionAccess` uses. */
export interface AppResources {
  readonly tables: Readonly<Record<keyof typeof TABLES, ITableV2>>;
  readonly exportsBucket: IBucket;
  readonly rawWebhooksBucket: IBucket;
  readonly webhookQueue: IQueue;
  readonly bulkQueue: IQueue;
  readonly importsBucket: IBucket;
  readonly importQueue: IQueue;
  readonly razorpayApiSecret: ISecret;
  readonly razorpayWebhookSecret: ISecret;
  readonly cursorSecret: ISecret;
  /**
   * The name prefix of the payment accounts' secrets (architecture §4b: one per account, created
   * by the admin API at runtime); functions get access to secrets under it only.
   */
  readonly accountSecretPrefix: string;
}

/** What a function needs to know about itself: the common part of `RouteDef` and `WorkerDef`. */
export interface FunctionDef {
  /** also the folder under functions/ */
  id: string;
  access: FunctionAccess;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** files bundled beside the handler (`web`: the built operator page, under ./web) */
  assets?: 'web';
}

export interface AppFunctionProps {
  def: FunctionDef;
  /** LOG_LEVEL (default info; shared/log.ts falls back to info for a value it does not know) */
  logLevel?: string;
  /** app settings every function gets */
  environment?: Record<string, string>;
}

export function handlerEntry(id: string): string {
  return path.join(PROJECT_ROOT, 'functions', id, 'handler.ts');
}

/** The defs whose `functions/<id>/handler.ts` does not exist (yet). */
export function missingHandlers(defs: readonly FunctionDef[]): string[] {
  return defs.filter((def) => !existsSync(handlerEntry(def.id))).map((def) => def.id);
}

/**
 * Fails a synth that must bundle when handlers are missing, naming all of them at once
 * (NodejsFunction alone would stop at the first, with a bare path).
 */
export function assertHandlersExist(scope: Construct, defs: readonly FunctionDef[]): void {
  if (!Stack.of(scope).bundlingRequired) return;
  const missing = missingHandlers(defs);
  if (missing.length === 0) return;
  const list = missing.map((id) => `functions/${id}/handler.ts`).join(', ');
  throw new Error(
    `Cannot bundle ${Stack.of(scope).stackName}: missing handler file(s) ${list}. ` +
      'Every route and worker in lib/routes.ts needs functions/<id>/handler.ts exporting `handler`.',
  );
}

/** Builds the operator page and puts it beside the web function's bundle (read from ./web). */
const webAssetHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (_inputDir: string, outputDir: string) => [
    `cd "${PROJECT_ROOT}" && node_modules/.bin/tsx web/build.ts > /dev/null`,
    `cp -r "${path.join(PROJECT_ROOT, 'web', 'dist')}" "${outputDir}/web"`,
  ],
};

/**
 * How every function is bundled (esbuild, through NodejsFunction); `npm run bench -- bundles`
 * builds with these very settings.
 *
 * Stack traces: no `--enable-source-maps` in production. It costs every cold start reading the
 * map (~10 ms on the Razorpay functions' 480 KB maps) and the first stack trace formatted
 * parsing it (8–16 ms measured on the webhook's), for file:line in TypeScript instead of in the
 * bundle. Instead `keepNames` keeps every function and class name in the minified bundle
 * (+4–5 % size, no measurable import cost), so a logged stack still says which functions it
 * went through, and error names stay true — minified, `new.target.name` made
 * `UnauthorizedError` log as `T`. The maps still ship beside each bundle (index.mjs.map in the
 * function's code asset) to map a logged `index.mjs:1:<column>` to the source offline.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  // prefer packages' ESM builds, so esbuild can tree-shake them
  mainFields: ['module', 'main'],
  // CJS dependencies (the razorpay SDK, axios) call `require`, which ESM lacks
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  minify: true,
  keepNames: true,
  sourceMap: true,
  // mappings are enough to map a trace; embedding the sources would double the bundle
  sourcesContent: false,
  // the runtime ships SDK v3 (bundling it instead measured 0–30 % less import CPU but
  // +335–500 KB per function, read routes far over 300 KB)
  externalModules: ['@aws-sdk/*'],
} as const;

/** The esbuild options NodejsFunction derives from BUNDLING, to build a bundle the same way outside CDK. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: BUNDLING.format,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    minify: BUNDLING.minify,
    keepNames: BUNDLING.keepNames,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    external: [...BUNDLING.externalModules],
    logLevel: 'silent',
  };
}

export class AppFunction extends NodejsFunction {
  readonly def: FunctionDef;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const { def } = props;
    // NodejsFunction checks that the entry exists even when bundling is skipped (tests, and
    // `cdk deploy <stateful stack>` which skips bundling the other stacks). The file is not read
    // then, so a handler still being written must not block synthesising the rest of the app:
    // stand in with this file. When bundling is required, a missing handler is an error.
    let entry = handlerEntry(def.id);
    if (!existsSync(entry)) {
      if (Stack.of(scope).bundlingRequired) assertHandlersExist(scope, [def]);
      entry = import.meta.filename;
    }
    // An explicit log group instead of the implicit /aws/lambda/<name> one, so retention is set
    // and the logs go when the function goes (the data that matters lives in the tables).
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, without AWSLambdaBasicExecutionRole (CreateLogGroup and PutLogEvents on every
    // log group in the account): this function may write to its own log group and nowhere else.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${def.id} function`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    super(scope, id, {
      role,
      entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(def.timeoutSeconds ?? 10),
      memorySize: def.memoryMb ?? 512,
      logGroup,
      // X-Ray: a segment per invocation; shared/tracing.ts adds the SDK calls, Razorpay calls
      // and the ids we search by (event, link, job)
      tracing: Tracing.ACTIVE,
      // no NODE_OPTIONS=--enable-source-maps: see BUNDLING
      environment: {
        // Powertools (shared/log.ts, shared/metrics.ts): EMF metrics are on where the namespace is set
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel ?? 'info',
        ...props.environment,
      },
      bundling: {
        ...BUNDLING,
        externalModules: [...BUNDLING.externalModules],
        mainFields: [...BUNDLING.mainFields],
        commandHooks: def.assets === 'web' ? webAssetHooks : undefined,
      },
    });
    this.def = def;
  }

  /** Grants everything `access` declares, each together with the variable naming the resource. */
  grantDeclared(access: FunctionAccess, resources: AppResources): void {
    for (const name of Object.keys(TABLES) as (keyof typeof TABLES)[]) {
      const level = access[name];
      if (level) this.grantTable(resources.tables[name], TABLES[name], level);
    }
    if (access.exports) this.grantExports(resources.exportsBucket, access.exports);
    if (access.rawWebhooks)
      this.grantRawWebhooksWrite(
        resources.rawWebhooksBucket,
        access.rawWebhooks === 'write-eximpe' ? RAW_EXIMPE_WEBHOOKS_PREFIX : RAW_WEBHOOKS_PREFIX,
      );
    if (access.webhookQueue) this.grantQueueSend(resources.webhookQueue, 'WEBHOOK_QUEUE_URL');
    if (access.bulkQueue) this.grantQueueSend(resources.bulkQueue, 'BULK_QUEUE_URL');
    if (access.importQueue) this.grantQueueSend(resources.importQueue, 'IMPORT_QUEUE_URL');
    if (access.imports) this.grantImports(resources.importsBucket, access.imports);
    if (access.curatedFeed) this.grantCuratedWrite(resources.rawWebhooksBucket);
    if (access.razorpayApi) this.grantSecretRead(resources.razorpayApiSecret, 'RAZORPAY_API_SECRET_ARN');
    if (access.razorpayWebhook) {
      this.grantSecretRead(resources.razorpayWebhookSecret, 'RAZORPAY_WEBHOOK_SECRET_ARN');
    }
    if (access.cursorKey) this.grantSecretRead(resources.cursorSecret, 'CURSOR_SECRET_ARN');
    if (access.scan && access.scan.length > 0) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Scan'],
          resources: access.scan.map((name) => resources.tables[name].tableArn),
        }),
      );
    }
    if (access.accountSecrets) this.grantAccountSecrets(resources.accountSecretPrefix, access.accountSecrets);
  }

  /**
   * The payment accounts' secrets: only those under the project's prefix. `read` gets and
   * describes them; `readWrite` may also create one (a new account) and put a new value.
   * Never delete, never list, never another project's secret.
   */
  grantAccountSecrets(prefix: string, access: 'read' | 'readWrite'): void {
    const actions = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
    if (access === 'readWrite') actions.push('secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue');
    this.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: [accountSecretArnPattern(this, prefix)],
      }),
    );
    this.addEnvironment('PAYMENT_ACCOUNT_SECRET_PREFIX', prefix);
  }

  /**
   * Read, write or both on a table and its indexes. A cross-table transaction needs each
   * table's grant. Narrower than `grantReadData`: no Scan (lists are always Query) and no
   * stream reads (the tables have no stream). The indexes are named one by one from
   * schema.ts, not `index/*`: a new index is granted by declaring it.
   */
  grantTable(table: ITableV2, def: TableDef, access: Access): void {
    const actions = new Set<string>(['dynamodb:DescribeTable', 'dynamodb:ConditionCheckItem']);
    if (access === 'read' || access === 'readWrite') {
      for (const a of ['GetItem', 'BatchGetItem', 'Query']) actions.add(`dynamodb:${a}`);
    }
    if (access === 'write' || access === 'readWrite') {
      for (const a of ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']) actions.add(`dynamodb:${a}`);
    }
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn, ...def.indexes.map((index) => `${table.tableArn}/index/${index.name}`)],
      }),
    );
    this.addEnvironment(def.envVar, table.tableName);
  }

  /**
   * Exports: `read` may only fetch objects (that is what a presigned GET needs: the URL carries
   * the signer's rights); `write` may put them, including multipart uploads (lib-storage's
   * Upload switches to multipart above 5 MB; Create/UploadPart/Complete are covered by
   * s3:PutObject, abort is its own action). Neither may list or delete.
   */
  grantExports(bucket: IBucket, access: Access): void {
    const actions: string[] = [];
    if (access !== 'write') actions.push('s3:GetObject');
    if (access !== 'read') actions.push('s3:PutObject', 's3:AbortMultipartUpload');
    this.addToRolePolicy(
      new PolicyStatement({ actions, resources: [bucket.arnForObjects(`${EXPORTS_PREFIX}*`)] }),
    );
    this.addEnvironment('EXPORTS_BUCKET', bucket.bucketName);
  }

  /** The raw landing zone is write-only from the app: the warehouse is its only reader. */
  grantRawWebhooksWrite(bucket: IBucket, prefix: string = RAW_WEBHOOKS_PREFIX): void {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    this.addEnvironment('RAW_WEBHOOKS_BUCKET', bucket.bucketName);
  }

  /**
   * Imports: the worker reads files and writes their reports under loans/ (GetObject, PutObject);
   * the API presigns PUTs there, which needs PutObject only (the URL carries the signer's rights).
   * Neither may list or delete.
   */
  grantImports(bucket: IBucket, access: 'read' | 'presign'): void {
    const actions = access === 'read' ? ['s3:GetObject', 's3:PutObject'] : ['s3:PutObject'];
    this.addToRolePolicy(
      new PolicyStatement({ actions, resources: [bucket.arnForObjects(`${IMPORTS_PREFIX}*`)] }),
    );
    this.addEnvironment('IMPORTS_BUCKET', bucket.bucketName);
  }

  /** The curated feed: PutObject under curated/payments/ in the landing bucket, nothing else. */
  grantCuratedWrite(bucket: IBucket): void {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${CURATED_PREFIX}*`)],
      }),
    );
    this.addEnvironment('RAW_WEBHOOKS_BUCKET', bucket.bucketName);
  }

  grantQueueSend(queue: IQueue, envVar: 'WEBHOOK_QUEUE_URL' | 'BULK_QUEUE_URL' | 'IMPORT_QUEUE_URL'): void {
    queue.grantSendMessages(this);
    this.addEnvironment(envVar, queue.queueUrl);
  }

  /** The secret's value is fetched (and cached) at runtime, never baked into the environment. */
  grantSecretRead(
    secret: ISecret,
    envVar: 'RAZORPAY_API_SECRET_ARN' | 'RAZORPAY_WEBHOOK_SECRET_ARN' | 'CURSOR_SECRET_ARN',
  ): void {
    secret.grantRead(this);
    this.addEnvironment(envVar, secret.secretArn);
  }
}

/** The ARN pattern of the payment accounts' secrets (Secrets Manager appends `-` and 6 characters). */
export function accountSecretArnPattern(scope: Construct, prefix: string): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${prefix}*`;
}
