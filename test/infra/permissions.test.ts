/**
 * Least privilege, visible: the exact IAM actions every function's role holds, per resource,
 * and the environment variables that go with them. A change to `access` in lib/routes.ts
 * must show up here as a reviewed diff.
 */
import { describe, expect, it } from 'vitest';
import { routes, workers } from '../../lib/routes';
import { TABLES } from '../../shared/adapters/dynamo/schema';
import { synthesize } from './support';

const app = synthesize();

const DDB_READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
const DDB_WRITES = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];
const DDB_READ_WRITE = [...DDB_READ, ...DDB_WRITES].sort();
const DDB_WRITE = ['dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', ...DDB_WRITES].sort();
// no function may Scan: every list is a Query on a key or an index
const SECRET_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
/** The payment accounts' secrets (architecture §4b): only those under the project's prefix. */
// `${AWS::AccountId}`: CloudFormation's Fn::Sub spelling, as the test support renders the template
const ACCOUNT_SECRETS = `arn:aws:secretsmanager:ap-south-1:${'$'}{AWS::AccountId}:secret:EmiLinks-dev-Stateful/payment-accounts/*`;
const ACCOUNT_SECRETS_WRITE = [
  'secretsmanager:CreateSecret',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
];
const ACCOUNT_PREFIX_ENV = { PAYMENT_ACCOUNT_SECRET_PREFIX: 'EmiLinks-dev-Stateful/payment-accounts/' };
/** the API's own URL (the HTTP API's endpoint), as the template renders it */
const PAY_RETURN = 'local:HttpApiF5A9A8A7.ApiEndpoint/pay/return';
const SQS_SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
const SQS_CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

/** A table grant covers the table and each of its GSIs by name (no `index/*`). */
function table(name: 'Emis' | 'Links' | 'Ops', actions: string[]): Record<string, string[]> {
  const indexes = TABLES[name.toLowerCase() as keyof typeof TABLES].indexes;
  return Object.fromEntries([
    [`${name}.Arn`, actions],
    ...indexes.map((index) => [`${name}.Arn/index/${index.name}`, actions]),
  ]);
}

/** Every role may write to its own log group and to no other (no AWSLambdaBasicExecutionRole). */
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
function ownLogGroup(id: string): string {
  const logGroup = (app.functionProps(id)['LoggingConfig'] as { LogGroup: unknown }).LogGroup;
  return `${app.render(logGroup)}.Arn`;
}

/** The token settings of the interface file, on every route function (the verifier's input). */
const AUTH_ENV = {
  AUTH_ISSUER: 'UserPool.ProviderURL',
  AUTH_JWKS_URI: 'UserPool.ProviderURL/.well-known/jwks.json',
  AUTH_CLIENT_IDS: 'WebClient,MachineClient',
};

// every function writes its X-Ray trace (Tracing.ACTIVE); X-Ray takes no resource but `*`
const XRAY = { '*': ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'] };

const COMMON_ENV = {
  POWERTOOLS_SERVICE_NAME: 'emi-payment-links',
  POWERTOOLS_METRICS_NAMESPACE: 'EmiPaymentLinks',
  LOG_LEVEL: 'info',
  LINK_DEFAULT_EXPIRY_DAYS: '14',
};

const expected: Record<string, { permissions: Record<string, string[]>; env: Record<string, string> }> = {
  'loans-upsert': {
    permissions: table('Emis', DDB_READ_WRITE),
    env: { EMIS_TABLE: 'Emis' },
  },
  'pending-emis': {
    permissions: { ...table('Emis', DDB_READ), CursorSecret: SECRET_READ },
    env: { EMIS_TABLE: 'Emis', CURSOR_SECRET_ARN: 'CursorSecret' },
  },
  // reads nothing but the caller's token
  me: {
    permissions: {},
    env: {},
  },
  lenders: {
    permissions: table('Emis', DDB_READ),
    env: { EMIS_TABLE: 'Emis' },
  },
  'generate-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      ...table('Ops', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      OPS_TABLE: 'Ops',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
      // the borrower's return page, given to Razorpay as callback_url (§4c)
      PAY_RETURN_URL: PAY_RETURN,
    },
  },
  'list-links': {
    permissions: { ...table('Links', DDB_READ), CursorSecret: SECRET_READ },
    env: { LINKS_TABLE: 'Links', CURSOR_SECRET_ARN: 'CursorSecret' },
  },
  'refresh-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  'cancel-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // one link, in full (§4c): detail and QR read; resend and update go through Razorpay
  'link-detail': {
    permissions: { ...table('Emis', DDB_READ), ...table('Links', DDB_READ) },
    env: { EMIS_TABLE: 'Emis', LINKS_TABLE: 'Links' },
  },
  'link-qr-svg': { permissions: table('Links', DDB_READ), env: { LINKS_TABLE: 'Links' } },
  'link-qr-png': { permissions: table('Links', DDB_READ), env: { LINKS_TABLE: 'Links' } },
  'notify-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // admin: refunds of surplus money (idempotency keys in Ops, the ledger in Emis)
  'refund-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      ...table('Ops', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      OPS_TABLE: 'Ops',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  'update-link': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // public: the key secret of the link's account verifies Razorpay's callback signature
  'pay-return': {
    permissions: {
      ...table('Emis', DDB_READ),
      ...table('Links', DDB_READ),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  'bulk-start': {
    permissions: {
      ...table('Emis', DDB_READ),
      ...table('Ops', DDB_READ_WRITE),
      'BulkQueue.Arn': SQS_SEND,
      'ExportsBucket.Arn/exports/*': ['s3:GetObject'],
    },
    env: {
      EMIS_TABLE: 'Emis',
      OPS_TABLE: 'Ops',
      BULK_QUEUE_URL: 'BulkQueue',
      EXPORTS_BUCKET: 'ExportsBucket',
    },
  },
  'bulk-job': {
    permissions: {
      ...table('Ops', DDB_READ),
      'ExportsBucket.Arn/exports/*': ['s3:GetObject'],
    },
    env: { OPS_TABLE: 'Ops', EXPORTS_BUCKET: 'ExportsBucket' },
  },
  'list-bulk-jobs': {
    permissions: {
      ...table('Ops', DDB_READ),
      'ExportsBucket.Arn/exports/*': ['s3:GetObject'],
      CursorSecret: SECRET_READ,
    },
    env: { OPS_TABLE: 'Ops', EXPORTS_BUCKET: 'ExportsBucket', CURSOR_SECRET_ARN: 'CursorSecret' },
  },
  // the kept totals only: no Scan, like every route
  dashboard: {
    permissions: table('Emis', DDB_READ),
    env: { EMIS_TABLE: 'Emis' },
  },
  search: {
    permissions: { ...table('Emis', DDB_READ), ...table('Links', DDB_READ) },
    env: { EMIS_TABLE: 'Emis', LINKS_TABLE: 'Links' },
  },
  webhook: {
    permissions: {
      ...table('Ops', DDB_READ_WRITE),
      'RawWebhooksBucket.Arn/raw/razorpay/webhooks/*': ['s3:PutObject'],
      'WebhookQueue.Arn': SQS_SEND,
      RazorpayWebhookSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      OPS_TABLE: 'Ops',
      RAW_WEBHOOKS_BUCKET: 'RawWebhooksBucket',
      WEBHOOK_QUEUE_URL: 'WebhookQueue',
      RAZORPAY_WEBHOOK_SECRET_ARN: 'RazorpayWebhookSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // each payment account's own webhook URL: the same grants
  'webhook-account': {
    permissions: {
      ...table('Ops', DDB_READ_WRITE),
      'RawWebhooksBucket.Arn/raw/razorpay/webhooks/*': ['s3:PutObject'],
      'WebhookQueue.Arn': SQS_SEND,
      RazorpayWebhookSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      OPS_TABLE: 'Ops',
      RAW_WEBHOOKS_BUCKET: 'RawWebhooksBucket',
      WEBHOOK_QUEUE_URL: 'WebhookQueue',
      RAZORPAY_WEBHOOK_SECRET_ARN: 'RazorpayWebhookSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // an EximPe account's webhook URL: its own landing prefix, no deployment-wide Razorpay secret
  'webhook-eximpe': {
    permissions: {
      ...table('Ops', DDB_READ_WRITE),
      'RawWebhooksBucket.Arn/raw/eximpe/webhooks/*': ['s3:PutObject'],
      'WebhookQueue.Arn': SQS_SEND,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      OPS_TABLE: 'Ops',
      RAW_WEBHOOKS_BUCKET: 'RawWebhooksBucket',
      WEBHOOK_QUEUE_URL: 'WebhookQueue',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  // payment accounts (admin): the records in the emis table, the secrets under the prefix
  'list-accounts': {
    permissions: table('Emis', DDB_READ),
    env: { EMIS_TABLE: 'Emis' },
  },
  // checks the keys it is given with one Razorpay call: needs no stored Razorpay secret
  'put-account': {
    permissions: { ...table('Emis', DDB_READ_WRITE), [ACCOUNT_SECRETS]: ACCOUNT_SECRETS_WRITE },
    env: { EMIS_TABLE: 'Emis', ...ACCOUNT_PREFIX_ENV },
  },
  'rotate-webhook-secret': {
    permissions: { ...table('Emis', DDB_READ_WRITE), [ACCOUNT_SECRETS]: ACCOUNT_SECRETS_WRITE },
    env: { EMIS_TABLE: 'Emis', ...ACCOUNT_PREFIX_ENV },
  },
  'webhook-worker': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      // marks the webhook event record `queued` when it takes the event
      ...table('Ops', DDB_WRITE),
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
      // from the SQS event source: Lambda polls with the function's role
      'WebhookQueue.Arn': SQS_CONSUME,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      OPS_TABLE: 'Ops',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
  'bulk-worker': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      ...table('Ops', DDB_READ_WRITE),
      'ExportsBucket.Arn/exports/*': ['s3:AbortMultipartUpload', 's3:PutObject'],
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
      'BulkQueue.Arn': SQS_CONSUME,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      OPS_TABLE: 'Ops',
      EXPORTS_BUCKET: 'ExportsBucket',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      BULK_RATE_PER_SECOND: '10',
      ...ACCOUNT_PREFIX_ENV,
      PAY_RETURN_URL: PAY_RETURN,
    },
  },
  // presigns PUTs of loans files: PutObject under loans/ only, never a read
  'imports-start': {
    permissions: {
      ...table('Ops', DDB_READ_WRITE),
      'ImportsBucket.Arn/loans/*': ['s3:PutObject'],
    },
    env: { OPS_TABLE: 'Ops', IMPORTS_BUCKET: 'ImportsBucket' },
  },
  'import-status': {
    permissions: { ...table('Ops', DDB_READ) },
    env: { OPS_TABLE: 'Ops' },
  },
  'import-worker': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Ops', DDB_READ_WRITE),
      'ImportsBucket.Arn/loans/*': ['s3:GetObject', 's3:PutObject'],
      // consumes the queue (event source) and sends its own continuations to it
      'ImportQueue.Arn': [...new Set([...SQS_CONSUME, ...SQS_SEND])].sort(),
    },
    env: {
      EMIS_TABLE: 'Emis',
      OPS_TABLE: 'Ops',
      IMPORTS_BUCKET: 'ImportsBucket',
      IMPORT_QUEUE_URL: 'ImportQueue',
    },
  },
  // the curated feed: the EMI table's stream in, links read, PutObject under curated/payments/ out
  'feed-worker': {
    permissions: {
      ...table('Links', DDB_READ),
      'Emis.StreamArn': [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ],
      'RawWebhooksBucket.Arn/curated/payments/*': ['s3:PutObject'],
    },
    env: { LINKS_TABLE: 'Links', RAW_WEBHOOKS_BUCKET: 'RawWebhooksBucket' },
  },
  // the web page's function reads only its own bundled files
  web: {
    permissions: {},
    // where the page's login starts: its public client and the hosted login
    env: {
      AUTH_WEB_CLIENT_ID: 'WebClient',
      AUTH_LOGIN_URL: 'https://Domain.auth.ap-south-1.amazoncognito.com',
      // where the Import tab PUTs a loans file (its CSP's connect-src); a name, not a grant
      IMPORTS_UPLOAD_ORIGIN: 'https://ImportsBucket.RegionalDomainName',
    },
  },
  // readiness and the OpenAPI description (bundled JSON) touch nothing
  health: {
    permissions: {},
    env: {},
  },
  openapi: {
    permissions: {},
    env: {},
  },
  // the one function that may Scan (the two tables, not their indexes): it rebuilds from every record
  'rebuild-aggregates': {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ),
      'Emis.Arn': [...DDB_READ_WRITE, 'dynamodb:Scan'].sort(),
      'Links.Arn': [...DDB_READ, 'dynamodb:Scan'].sort(),
    },
    env: { EMIS_TABLE: 'Emis', LINKS_TABLE: 'Links' },
  },
  reconcile: {
    permissions: {
      ...table('Emis', DDB_READ_WRITE),
      ...table('Links', DDB_READ_WRITE),
      ...table('Ops', DDB_READ_WRITE),
      'BulkQueue.Arn': SQS_SEND,
      RazorpayApiSecret: SECRET_READ,
      [ACCOUNT_SECRETS]: SECRET_READ,
    },
    env: {
      EMIS_TABLE: 'Emis',
      LINKS_TABLE: 'Links',
      OPS_TABLE: 'Ops',
      BULK_QUEUE_URL: 'BulkQueue',
      RAZORPAY_API_SECRET_ARN: 'RazorpayApiSecret',
      ...ACCOUNT_PREFIX_ENV,
    },
  },
};

const sorted = (record: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

describe('function permissions', () => {
  it('has an expected grant list for every route and worker, and no other function', () => {
    expect([...app.api.functions.keys()].sort()).toEqual(Object.keys(expected).sort());
    expect([...routes, ...workers].map((def) => def.id).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('grants %s exactly its declared access, per resource', (id, want) => {
    expect(app.permissionsOf(id)).toEqual(sorted({ ...want.permissions, [ownLogGroup(id)]: LOGS, ...XRAY }));
  });

  it.each(Object.entries(expected))('names for %s exactly the resources it may touch', (id, want) => {
    const isRoute = routes.some((route) => route.id === id);
    expect(app.envOf(id)).toEqual({ ...COMMON_ENV, ...(isRoute ? AUTH_ENV : {}), ...want.env });
  });

  const dataActions = (id: string) =>
    app.actionsOf(id).filter((action) => !LOGS.includes(action) && !action.startsWith('xray:'));
  const dataResources = (id: string) =>
    Object.keys(app.permissionsOf(id)).filter((resource) => resource !== ownLogGroup(id) && resource !== '*');

  it('lets pending-emis only read, and only the emis table (and the cursor key)', () => {
    expect(dataActions('pending-emis')).toEqual([...DDB_READ, ...SECRET_READ]);
    expect(dataResources('pending-emis')).toEqual(
      [...Object.keys(table('Emis', DDB_READ)), 'CursorSecret'].sort(),
    );
    for (const write of DDB_WRITES) expect(app.actionsOf('pending-emis')).not.toContain(write);
  });

  // the rebuild of the dashboard's totals reads every record off the request path, and only it
  it.each([...routes, ...workers].map((f) => f.id).filter((id) => id !== 'rebuild-aggregates'))(
    'never lets %s Scan a table',
    (id) => {
      expect(app.actionsOf(id)).not.toContain('dynamodb:Scan');
    },
  );

  it('lets rebuild-aggregates Scan the emis and links tables only, none of their indexes', () => {
    const permissions = app.permissionsOf('rebuild-aggregates');
    const scanning = Object.entries(permissions)
      .filter(([, actions]) => actions.includes('dynamodb:Scan'))
      .map(([resource]) => resource);
    expect(scanning.sort()).toEqual(['Emis.Arn', 'Links.Arn']);
  });

  it('lets list-links only read, and only the links table (and the cursor key)', () => {
    expect(dataActions('list-links')).toEqual([...DDB_READ, ...SECRET_READ]);
    expect(dataResources('list-links')).toEqual(
      [...Object.keys(table('Links', DDB_READ)), 'CursorSecret'].sort(),
    );
  });

  it('lets the webhook put only under raw/razorpay/webhooks/, send to its queue, and never touch links', () => {
    const permissions = app.permissionsOf('webhook');
    const s3 = Object.entries(permissions).filter(([, actions]) => actions.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([['RawWebhooksBucket.Arn/raw/razorpay/webhooks/*', ['s3:PutObject']]]);
    expect(permissions['WebhookQueue.Arn']).toContain('sqs:SendMessage');
    expect(Object.keys(permissions).filter((r) => r.startsWith('Links') || r.startsWith('Emis'))).toEqual([]);
  });

  it("lets only the account routes create or change the payment accounts' secrets, never delete or list them", () => {
    for (const id of app.api.functions.keys()) {
      const actions = app.actionsOf(id);
      const writes = actions.filter(
        (a) => a === 'secretsmanager:CreateSecret' || a === 'secretsmanager:PutSecretValue',
      );
      if (id === 'put-account' || id === 'rotate-webhook-secret') expect(writes.length).toBe(2);
      else expect(writes).toEqual([]);
      expect(actions).not.toContain('secretsmanager:DeleteSecret');
      expect(actions).not.toContain('secretsmanager:ListSecrets');
    }
  });

  it('lets bulk-job only fetch exports (to presign), never list, put or delete them', () => {
    expect(app.actionsOf('bulk-job').filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject']);
    expect(app.permissionsOf('bulk-job')['ExportsBucket.Arn/exports/*']).toEqual(['s3:GetObject']);
  });

  it('gives no function a wildcard action or a whole-bucket S3 grant', () => {
    for (const id of app.api.functions.keys()) {
      expect(app.actionsOf(id).filter((a) => a.includes('*'))).toEqual([]);
      const s3Resources = Object.keys(app.permissionsOf(id)).filter((r) => r.includes('Bucket'));
      for (const resource of s3Resources) expect(resource).toMatch(/Bucket\.Arn\/[a-z/]+\/\*$/);
    }
  });

  it('attaches no managed policy to any role: each writes logs to its own log group only', () => {
    for (const id of app.api.functions.keys()) {
      const role = (app.functionProps(id)['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const props = app.apiTemplate.toJSON()['Resources'][role]['Properties'];
      expect(props['ManagedPolicyArns']).toBeUndefined();
      const logResources = Object.entries(app.permissionsOf(id)).filter(([, actions]) =>
        actions.some((action) => action.startsWith('logs:')),
      );
      expect(logResources).toEqual([[ownLogGroup(id), LOGS]]);
    }
  });

  it('grants no table index by wildcard: each index is named', () => {
    for (const id of app.api.functions.keys()) {
      const wildcards = Object.entries(app.permissionsOf(id)).filter(([resource]) => resource.includes('*'));
      for (const [resource, actions] of wildcards) {
        // only object keys under a bucket prefix, the payment accounts' secrets under the project's
        // prefix, and (with tracing on) X-Ray, which IAM scopes to `*` only
        if (resource === '*') expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
        else if (resource === ACCOUNT_SECRETS)
          expect(actions.every((a) => a.startsWith('secretsmanager:'))).toBe(true);
        else expect(resource).toMatch(/^\w+Bucket\.Arn\/[a-z/]+\/\*$/);
      }
    }
  });
});
