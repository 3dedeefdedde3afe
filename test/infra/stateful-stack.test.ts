/**
 * The stateful stack: tables as schema.ts declares them, private retained buckets, queues with
 * dead-letter redrive, and secrets, all with CDK-generated physical names.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { workers } from '../../lib/routes';
import { TABLES } from '../../shared/adapters/dynamo/schema';
import { synthesize } from './support';

const app = synthesize();
const template = app.statefulTemplate;
const resources = template.toJSON()['Resources'] as Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;
const resourceOf = (construct: Parameters<typeof app.logicalIdOf>[0]) => {
  const resource = resources[app.logicalIdOf(construct)];
  if (!resource) throw new Error(`No resource for ${construct.node.path}`);
  return resource;
};
const timeoutOf = (trigger: string) => workers.find((w) => w.trigger === trigger)?.timeoutSeconds ?? 0;

describe('tables', () => {
  it('creates exactly the three tables of schema.ts', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', Object.keys(TABLES).length);
  });

  it.each(Object.entries(TABLES))('keys the %s table by pk/sk strings, on demand', (name) => {
    const props = resourceOf(app.stateful.tables[name as keyof typeof TABLES]).Properties;
    expect(props['KeySchema']).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(props['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(props['AttributeDefinitions']).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]),
    );
  });

  it.each(Object.entries(TABLES))(
    'gives the %s table every GSI of schema.ts, projecting all attributes',
    (name, def) => {
      const props = resourceOf(app.stateful.tables[name as keyof typeof TABLES]).Properties;
      const want = def.indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.pk, KeyType: 'HASH' },
          { AttributeName: index.sk, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }));
      expect(props['GlobalSecondaryIndexes'] ?? []).toEqual(want);
      for (const index of def.indexes) {
        expect(props['AttributeDefinitions']).toContainEqual({ AttributeName: index.pk, AttributeType: 'S' });
        expect(props['AttributeDefinitions']).toContainEqual({ AttributeName: index.sk, AttributeType: 'S' });
      }
    },
  );

  it.each(Object.keys(TABLES))(
    'protects the %s table: PITR, deletion protection, KMS encryption, retained',
    (name) => {
      const resource = resourceOf(app.stateful.tables[name as keyof typeof TABLES]);
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      expect(resource.Properties['SSESpecification']).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      const [replica] = resource.Properties['Replicas'] as Record<string, unknown>[];
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    },
  );

  it('expires ops items by their expiresAt attribute, and only ops', () => {
    expect(resourceOf(app.stateful.tables.ops).Properties['TimeToLiveSpecification']).toEqual({
      AttributeName: TABLES.ops.ttlAttribute,
      Enabled: true,
    });
    expect(resourceOf(app.stateful.tables.emis).Properties['TimeToLiveSpecification']).toBeUndefined();
    expect(resourceOf(app.stateful.tables.links).Properties['TimeToLiveSpecification']).toBeUndefined();
  });
});

describe('buckets', () => {
  const buckets = {
    exports: app.stateful.exportsBucket,
    rawWebhooks: app.stateful.rawWebhooksBucket,
    accessLogs: app.stateful.accessLogsBucket,
  };

  it.each(Object.keys(buckets))('keeps the %s bucket private, encrypted and retained', (name) => {
    const resource = resourceOf(buckets[name as keyof typeof buckets]);
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    expect(resource.Properties['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(resource.Properties['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it.each(Object.keys(buckets))('refuses plain-HTTP requests to the %s bucket', (name) => {
    const bucketId = app.logicalIdOf(buckets[name as keyof typeof buckets]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires exports after 7 days, aborts stale multipart uploads after 1 day, keeps no versions', () => {
    const props = resourceOf(app.stateful.exportsBucket).Properties;
    expect(props['VersioningConfiguration']).toBeUndefined();
    expect(props['LifecycleConfiguration']).toEqual({
      Rules: [
        { Id: 'expire-exports', Prefix: 'exports/', ExpirationInDays: 7, Status: 'Enabled' },
        {
          Id: 'abort-incomplete-uploads',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        },
      ],
    });
  });

  it('lets a browser GET an export through a presigned URL, and nothing else cross-origin', () => {
    const cors = resourceOf(app.stateful.exportsBucket).Properties['CorsConfiguration'] as {
      CorsRules: { AllowedMethods: string[] }[];
    };
    expect(cors.CorsRules.flatMap((rule) => rule.AllowedMethods).sort()).toEqual(['GET', 'HEAD']);
  });

  it.each([
    ['exports', app.stateful.exportsBucket, 'exports/'],
    ['raw webhooks', app.stateful.rawWebhooksBucket, 'raw-webhooks/'],
  ] as const)('logs every request to the %s bucket in the access-log bucket', (_name, bucket, prefix) => {
    expect(resourceOf(bucket).Properties['LoggingConfiguration']).toEqual({
      DestinationBucketName: { Ref: app.logicalIdOf(app.stateful.accessLogsBucket) },
      LogFilePrefix: prefix,
    });
  });

  it('lets only the S3 logging service write access logs, and keeps them a year', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: app.logicalIdOf(app.stateful.accessLogsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
          }),
        ]),
      },
    });
    expect(resourceOf(app.stateful.accessLogsBucket).Properties['LifecycleConfiguration']).toEqual({
      Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365, Status: 'Enabled' }],
    });
  });

  it('versions raw webhooks and moves them to Intelligent-Tiering after 30 days', () => {
    const props = resourceOf(app.stateful.rawWebhooksBucket).Properties;
    expect(props['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(props['LifecycleConfiguration']).toEqual({
      Rules: [
        {
          Id: 'intelligent-tiering',
          Status: 'Enabled',
          Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 30 }],
        },
      ],
    });
  });
});

describe('queues', () => {
  const pairs = {
    webhook: { queue: app.stateful.webhookQueue, dlq: app.stateful.webhookDlq, trigger: 'webhookQueue' },
    bulk: { queue: app.stateful.bulkQueue, dlq: app.stateful.bulkDlq, trigger: 'bulkQueue' },
    import: { queue: app.stateful.importQueue, dlq: app.stateful.importDlq, trigger: 'importQueue' },
  };

  it.each(Object.entries(pairs))('parks a %s message in its DLQ after 5 failed receives', (_name, pair) => {
    expect(resourceOf(pair.queue).Properties['RedrivePolicy']).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [app.logicalIdOf(pair.dlq), 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it.each(Object.entries(pairs))(
    'hides a %s message for 6x its worker timeout while it is processed',
    (_n, pair) => {
      const visibility = resourceOf(pair.queue).Properties['VisibilityTimeout'];
      expect(visibility).toBe(6 * timeoutOf(pair.trigger));
    },
  );

  it.each(Object.entries(pairs))('keeps %s dead letters 14 days', (_name, pair) => {
    expect(resourceOf(pair.dlq).Properties['MessageRetentionPeriod']).toBe(14 * 24 * 3600);
  });

  it('encrypts every queue, refuses plain HTTP and retains it', () => {
    const queues = Object.values(pairs).flatMap((pair) => [pair.queue, pair.dlq]);
    template.resourceCountIs('AWS::SQS::Queue', queues.length);
    for (const queue of queues) {
      const resource = resourceOf(queue);
      expect(resource.Properties['SqsManagedSseEnabled']).toBe(true);
      expect(resource.DeletionPolicy).toBe('Retain');
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: app.logicalIdOf(queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });
});

describe('secrets', () => {
  it('creates the Razorpay API secret as {keyId, keySecret} with a generated placeholder, retained', () => {
    const resource = resourceOf(app.stateful.razorpayApiSecret);
    expect(resource.DeletionPolicy).toBe('Retain');
    const generate = resource.Properties['GenerateSecretString'] as Record<string, string>;
    expect(Object.keys(JSON.parse(generate['SecretStringTemplate'] ?? '{}'))).toEqual(['keyId']);
    expect(generate['GenerateStringKey']).toBe('keySecret');
  });

  it('creates the webhook secret as {current} with a generated placeholder, retained', () => {
    const resource = resourceOf(app.stateful.razorpayWebhookSecret);
    expect(resource.DeletionPolicy).toBe('Retain');
    const generate = resource.Properties['GenerateSecretString'] as Record<string, string>;
    expect(JSON.parse(generate['SecretStringTemplate'] ?? '')).toEqual({});
    expect(generate['GenerateStringKey']).toBe('current');
  });
});

describe('names and outputs', () => {
  it('leaves every physical name to CloudFormation', () => {
    const nameProps: Record<string, string> = {
      'AWS::DynamoDB::GlobalTable': 'TableName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::Cognito::UserPool': 'UserPoolName',
      'AWS::Cognito::UserPoolClient': 'ClientName',
    };
    for (const resource of Object.values(resources)) {
      const prop = nameProps[resource.Type];
      if (prop) expect(resource.Properties[prop]).toBeUndefined();
    }
  });

  it('outputs table names, bucket names, queue URLs, secret ARNs and the identity settings', () => {
    // (the ExportsOutput* outputs are CDK's cross-stack exports to the API stack)
    const outputs = Object.keys(template.toJSON()['Outputs']).filter(
      (key) => !key.startsWith('ExportsOutput'),
    );
    expect(outputs.sort()).toEqual(
      [
        'EmisTableName',
        'LinksTableName',
        'OpsTableName',
        'ExportsBucketName',
        'RawWebhooksBucketName',
        'WebhookQueueUrl',
        'WebhookDlqUrl',
        'BulkQueueUrl',
        'BulkDlqUrl',
        'ImportsBucketName',
        'ImportQueueUrl',
        'ImportDlqUrl',
        'RazorpayApiSecretArn',
        'RazorpayWebhookSecretArn',
        'UserPoolId',
        'WebClientId',
        'MachineClientId',
        'AuthLoginUrl',
        'AuthIssuer',
      ].sort(),
    );
  });
});
