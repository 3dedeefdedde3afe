/**
 * Everything that holds data or identity: tables, buckets, queues, secrets and the Cognito user
 * pool (lib/identity.ts). It changes rarely and is retained on delete; the API stack (functions,
 * routes, schedules, alarms) can be torn down and redeployed freely on top of it. Physical names
 * are left to CDK and reach the functions through environment variables (lib/function.ts).
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AttributeType,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketProps,
  type CfnBucket,
  HttpMethods,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLES, type TableDef } from '../shared/adapters/dynamo/schema';
import { type AppResources, EXPORTS_PREFIX, IMPORTS_PREFIX } from './function';
import { Identity, type IdentityConfig } from './identity';
import { queueOf, type WorkerDef, workers } from './routes';

export interface StatefulStackProps extends StackProps {
  /** origins allowed to fetch exports through presigned URLs from browser script */
  exportsCorsOrigins: string[];
  /** the Cognito user pool's settings (lib/identity.ts) */
  identity: IdentityConfig;
  /** variables every function gets (the pre-token-generation trigger lives here) */
  functionEnvironment: Record<string, string>;
}

export class StatefulStack extends Stack implements AppResources {
  readonly tables: Readonly<Record<keyof typeof TABLES, TableV2>>;
  readonly exportsBucket: Bucket;
  readonly rawWebhooksBucket: Bucket;
  readonly webhookQueue: Queue;
  readonly webhookDlq: Queue;
  readonly bulkQueue: Queue;
  readonly bulkDlq: Queue;
  /** loans files from the warehouse (architecture §4e): `loans/…` in, reports beside them */
  readonly importsBucket: Bucket;
  /** S3 notifications of new files under loans/, and the import runs' continuations */
  readonly importQueue: Queue;
  readonly importDlq: Queue;
  /** JSON `{ keyId, keySecret }`: Razorpay API credentials, filled in by an operator */
  readonly razorpayApiSecret: Secret;
  /** JSON `{ current, previous? }`: webhook HMAC secrets; `previous` is kept during a rotation */
  readonly razorpayWebhookSecret: Secret;
  /** S3 server access logs of the data buckets: who read or wrote which object */
  readonly accessLogsBucket: Bucket;
  /** operators and machine clients (Cognito) */
  readonly identity: Identity;
  /** JSON `{ key }`: seals page cursors (shared/http/cursor.ts); generated, never typed in */
  readonly cursorSecret: Secret;
  /**
   * Name prefix of the payment accounts' secrets (architecture §4b): one Secrets Manager secret
   * per account, created and updated by the admin API (never by CDK, so a deploy never touches
   * them); tied to this stack's name, like the data they belong with.
   */
  readonly accountSecretPrefix: string;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    this.tables = {
      emis: this.table(TABLES.emis),
      links: this.table(TABLES.links),
      ops: this.table(TABLES.ops),
    };

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      ...privateBucket,
      // S3 delivers server access logs only to SSE-S3 buckets; CDK grants the logging service
      // through the bucket policy (@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy)
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    });

    this.exportsBucket = new Bucket(this, 'ExportsBucket', {
      ...privateBucket,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'exports/',
      versioned: false,
      lifecycleRules: [
        // a CSV is fetched within minutes through a short-lived presigned URL; a new one can be made
        { id: 'expire-exports', prefix: EXPORTS_PREFIX, expiration: Duration.days(7) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // Lets the page fetch() a CSV cross-origin. GET-only and the presigned URL is itself the
      // credential, so a wide origin list grants nothing the URL does not already grant.
      cors: [
        {
          allowedMethods: [HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: props.exportsCorsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['Content-Disposition', 'Content-Length', 'Content-Type', 'ETag'],
          maxAge: 3600,
        },
      ],
    });

    this.rawWebhooksBucket = new Bucket(this, 'RawWebhooksBucket', {
      ...privateBucket,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'raw-webhooks/',
      // the byte-for-byte landing zone: an overwrite must never lose what Razorpay sent
      versioned: true,
      lifecycleRules: [
        {
          id: 'intelligent-tiering',
          transitions: [
            { storageClass: StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(30) },
          ],
        },
      ],
    });

    [this.webhookQueue, this.webhookDlq] = this.queueWithDlq('Webhook', workerFor('webhookQueue'));
    [this.bulkQueue, this.bulkDlq] = this.queueWithDlq('Bulk', workerFor('bulkQueue'));

    [this.importQueue, this.importDlq] = this.queueWithDlq('Import', workerFor('importQueue'));
    this.importsBucket = this.importsBucketNotifying(this.importQueue, props.exportsCorsOrigins);

    this.razorpayApiSecret = new Secret(this, 'RazorpayApiSecret', {
      description: 'Razorpay API credentials {"keyId","keySecret"}; the generated values are placeholders',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ keyId: 'rzp_placeholder' }),
        generateStringKey: 'keySecret',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.razorpayWebhookSecret = new Secret(this, 'RazorpayWebhookSecret', {
      description:
        'Razorpay webhook secrets {"current","previous"?}; set "current" to the dashboard value, ' +
        'keep the old one in "previous" while rotating',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'current',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.identity = new Identity(this, 'Identity', props.identity, props.functionEnvironment);
    this.accountSecretPrefix = `${this.stackName}/payment-accounts/`;
    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'Key that seals API page cursors {"key"}; replacing it only invalidates open cursors',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const [name, table] of Object.entries(this.tables)) {
      new CfnOutput(this, `${TABLES[name as keyof typeof TABLES].id}TableName`, { value: table.tableName });
    }
    new CfnOutput(this, 'ExportsBucketName', { value: this.exportsBucket.bucketName });
    new CfnOutput(this, 'RawWebhooksBucketName', { value: this.rawWebhooksBucket.bucketName });
    new CfnOutput(this, 'WebhookQueueUrl', { value: this.webhookQueue.queueUrl });
    new CfnOutput(this, 'WebhookDlqUrl', { value: this.webhookDlq.queueUrl });
    new CfnOutput(this, 'BulkQueueUrl', { value: this.bulkQueue.queueUrl });
    new CfnOutput(this, 'BulkDlqUrl', { value: this.bulkDlq.queueUrl });
    new CfnOutput(this, 'ImportsBucketName', { value: this.importsBucket.bucketName });
    new CfnOutput(this, 'ImportQueueUrl', { value: this.importQueue.queueUrl });
    new CfnOutput(this, 'ImportDlqUrl', { value: this.importDlq.queueUrl });
    new CfnOutput(this, 'RazorpayApiSecretArn', { value: this.razorpayApiSecret.secretArn });
    new CfnOutput(this, 'RazorpayWebhookSecretArn', { value: this.razorpayWebhookSecret.secretArn });
  }

  private table(def: TableDef): TableV2 {
    return new TableV2(this, def.id, {
      partitionKey: { name: def.pk, type: AttributeType.STRING },
      sortKey: { name: def.sk, type: AttributeType.STRING },
      globalSecondaryIndexes: def.indexes.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.pk, type: AttributeType.STRING },
        sortKey: { name: index.sk, type: AttributeType.STRING },
        // the stores read whole items from every index; no second fetch from the base table
        projectionType: ProjectionType.ALL,
      })),
      ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
      ...(def.stream ? { dynamoStream: StreamViewType.NEW_IMAGE } : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * The imports bucket; its new objects under loans/ reach the import queue as S3 events through
   * EventBridge. The bucket's own notification setting turns EventBridge on (no custom-resource
   * Lambda, no physical name); a rule matching this bucket and the loans/ prefix targets the queue,
   * whose policy lets only that rule send.
   */
  private importsBucketNotifying(queue: Queue, corsOrigins: string[]): Bucket {
    const bucket = new Bucket(this, 'ImportsBucket', {
      ...privateBucket,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'imports/',
      versioned: true,
      lifecycleRules: [
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      // the page uploads a file with a presigned PUT (the URL is the credential)
      cors: [
        {
          allowedMethods: [HttpMethods.PUT],
          allowedOrigins: corsOrigins,
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3600,
        },
      ],
    });
    (bucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    new Rule(this, 'ImportUploads', {
      description: 'New loans files in the imports bucket → the import queue',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: IMPORTS_PREFIX }] } },
      },
      targets: [new SqsQueue(queue)],
    });
    return bucket;
  }

  private queueWithDlq(name: string, worker: WorkerDef): [Queue, Queue] {
    const dlq = new Queue(this, `${name}Dlq`, {
      // long enough for an operator to notice the alarm, fix the cause and replay
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // parked events wait here for a replay: deleting the stack must not drop them
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const queue = new Queue(this, `${name}Queue`, {
      // AWS's guidance for Lambda consumers: 6x the function timeout, so a message is not
      // redelivered to a second worker while the first one (with its retries) still holds it
      visibilityTimeout: Duration.seconds(worker.timeoutSeconds * 6),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: dlq, maxReceiveCount: queueOf(worker).maxReceiveCount },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return [queue, dlq];
  }
}

const privateBucket = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  removalPolicy: RemovalPolicy.RETAIN,
} satisfies BucketProps;

function workerFor(trigger: WorkerDef['trigger']): WorkerDef {
  const worker = workers.find((w) => w.trigger === trigger);
  if (!worker) throw new Error(`lib/routes.ts declares no worker for ${trigger}`);
  return worker;
}
