/**
 * The route table: the one source of truth for which Lambda serves which HTTP route.
 * The CDK API stack creates one function per entry and the local gateway (local/gateway.ts)
 * serves the very same table, so AWS and the local run can never route differently.
 *
 * `access` declares exactly what each function may touch; the CDK stack turns it into
 * IAM grants and environment variables, and infra tests assert the resulting actions.
 * Plain data only: no CDK or runtime imports here.
 */

export type Access = 'read' | 'write' | 'readWrite';

export interface FunctionAccess {
  /** loans, EMIs, lenders and the payment-credit ledger */
  emis?: Access;
  /** payment links */
  links?: Access;
  /** webhook event ids, idempotency keys, bulk jobs and their items */
  ops?: Access;
  /** bulk CSV exports (write = put objects, read = presign GETs) */
  exports?: Access;
  /** raw webhook landing zone (write only: the warehouse reads it) */
  /** `write`: under raw/razorpay/webhooks/; `write-eximpe`: under raw/eximpe/webhooks/ */
  rawWebhooks?: 'write' | 'write-eximpe';
  /** the webhook-event queue (send) */
  webhookQueue?: 'send';
  /** the bulk-work queue (send) */
  bulkQueue?: 'send';
  /** the imports bucket: `read` = get files under loans/ and put their reports; `presign` = sign PUTs to loans/ */
  imports?: 'read' | 'presign';
  /** the imports queue (send: a run's continuation) */
  importQueue?: 'send';
  /** the curated feed under curated/ in the raw landing bucket (write only) */
  curatedFeed?: 'write';
  /** Razorpay API credentials (key id + secret) */
  razorpayApi?: true;
  /** Razorpay webhook secret(s) */
  razorpayWebhook?: true;
  /**
   * The payment accounts' secrets (architecture §4b): Secrets Manager under the project's prefix
   * on AWS (`read` = GetSecretValue, `readWrite` adds create/put); the emis table locally.
   */
  accountSecrets?: 'read' | 'readWrite';
  /** the key that seals page cursors (list routes) */
  cursorKey?: true;
  /**
   * Scan these tables (never their indexes): only the off-request rebuild of the dashboard's
   * totals, which must read every record; every list a person asks for is a Query
   */
  scan?: readonly ('emis' | 'links')[];
}

/**
 * Who may call a route (architecture §4a): `public` routes take no token (the webhook checks its
 * signature, the page and health hold no data); every other route needs an access token whose
 * role or machine scope grants this permission. Required on every route, so a new route cannot
 * be added without deciding.
 */
export type Permission = 'read' | 'write' | 'loans' | 'admin' | 'public';

export interface RouteDef {
  /** stable id: also the folder under functions/ and the construct id */
  id: string;
  /** `ANY` only with the `$default` route */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'ANY';
  /** API Gateway path syntax: `{param}` for path parameters; `$default` catches every other request */
  path: string;
  permission: Permission;
  /** files bundled beside the handler: `web` = the built operator page (web/dist) */
  assets?: 'web';
  access: FunctionAccess;
  /** Lambda timeout in seconds (API Gateway caps the request at 30 s) */
  timeoutSeconds?: number;
  memoryMb?: number;
}

export const routes: readonly RouteDef[] = [
  {
    id: 'loans-upsert',
    method: 'POST',
    path: '/api/loans',
    permission: 'loans',
    access: { emis: 'readWrite' },
    timeoutSeconds: 29,
    memoryMb: 1024,
  },
  {
    id: 'pending-emis',
    method: 'GET',
    path: '/api/payment-links/pending-emis',
    permission: 'read',
    access: { emis: 'read', cursorKey: true },
  },
  {
    // who the token says is calling: reads nothing but the token
    id: 'me',
    method: 'GET',
    path: '/api/me',
    permission: 'read',
    access: {},
  },
  {
    id: 'lenders',
    method: 'GET',
    path: '/api/lenders',
    permission: 'read',
    access: { emis: 'read' },
  },
  {
    id: 'generate-link',
    method: 'POST',
    path: '/api/payment-links/generate',
    permission: 'write',
    access: {
      emis: 'readWrite',
      links: 'readWrite',
      ops: 'readWrite',
      razorpayApi: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 29,
  },
  {
    id: 'list-links',
    method: 'GET',
    path: '/api/payment-links/list',
    permission: 'read',
    access: { links: 'read', cursorKey: true },
  },
  {
    id: 'refresh-link',
    method: 'POST',
    path: '/api/payment-links/{id}/refresh-status',
    permission: 'write',
    access: { emis: 'readWrite', links: 'readWrite', razorpayApi: true, accountSecrets: 'read' },
    timeoutSeconds: 29,
  },
  {
    id: 'cancel-link',
    method: 'POST',
    path: '/api/payment-links/{id}/cancel',
    permission: 'write',
    access: { emis: 'readWrite', links: 'readWrite', razorpayApi: true, accountSecrets: 'read' },
    timeoutSeconds: 29,
  },
  {
    id: 'bulk-start',
    method: 'POST',
    path: '/api/payment-links/bulk-generate-export',
    permission: 'write',
    access: { emis: 'read', ops: 'readWrite', bulkQueue: 'send', exports: 'read' },
    timeoutSeconds: 29,
  },
  {
    id: 'bulk-job',
    method: 'GET',
    path: '/api/payment-links/bulk-jobs/{jobId}',
    permission: 'read',
    access: { ops: 'read', exports: 'read' },
  },
  {
    id: 'list-bulk-jobs',
    method: 'GET',
    path: '/api/payment-links/bulk-jobs',
    permission: 'read',
    access: { ops: 'read', exports: 'read', cursorKey: true },
  },
  {
    // the book at a glance (§4d): reads the kept totals only
    id: 'dashboard',
    method: 'GET',
    path: '/api/dashboard',
    permission: 'read',
    access: { emis: 'read' },
  },
  {
    // loans by id, phone or name (search entries in the emis table), links by id
    id: 'search',
    method: 'GET',
    path: '/api/search',
    permission: 'read',
    access: { emis: 'read', links: 'read' },
  },
  {
    id: 'imports-start',
    method: 'POST',
    path: '/api/imports',
    permission: 'loans',
    access: { ops: 'readWrite', imports: 'presign' },
  },
  {
    id: 'import-status',
    method: 'GET',
    path: '/api/imports/{importId}',
    permission: 'loans',
    access: { ops: 'read' },
  },
  {
    // readiness: public, no data, touches nothing
    id: 'health',
    method: 'GET',
    path: '/api/health',
    permission: 'public',
    access: {},
    memoryMb: 128,
  },
  {
    // the API's OpenAPI 3.1 description (docs/openapi.json, generated from the zod schemas)
    id: 'openapi',
    method: 'GET',
    path: '/api/openapi.json',
    permission: 'public',
    access: {},
    memoryMb: 128,
  },
  {
    // the `default` account's webhook URL
    id: 'webhook',
    method: 'POST',
    path: '/webhooks/razorpay',
    permission: 'public',
    access: {
      ops: 'readWrite',
      rawWebhooks: 'write',
      webhookQueue: 'send',
      razorpayWebhook: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 10,
  },
  {
    // each payment account's own webhook URL (architecture §4b), checked with its secrets only
    id: 'webhook-account',
    method: 'POST',
    path: '/webhooks/razorpay/{accountId}',
    permission: 'public',
    access: {
      ops: 'readWrite',
      rawWebhooks: 'write',
      webhookQueue: 'send',
      razorpayWebhook: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 10,
  },
  {
    // an EximPe payment account's webhook URL (X-Webhook-Signature, checked with its secrets only)
    id: 'webhook-eximpe',
    method: 'POST',
    path: '/webhooks/eximpe/{accountId}',
    permission: 'public',
    access: {
      ops: 'readWrite',
      rawWebhooks: 'write-eximpe',
      webhookQueue: 'send',
      accountSecrets: 'read',
    },
    timeoutSeconds: 10,
  },
  {
    id: 'list-accounts',
    method: 'GET',
    path: '/api/payment-accounts',
    permission: 'admin',
    access: { emis: 'read' },
  },
  {
    // checks the keys with the provider before saving them
    id: 'put-account',
    method: 'PUT',
    path: '/api/payment-accounts/{accountId}',
    permission: 'admin',
    access: { emis: 'readWrite', accountSecrets: 'readWrite' },
    timeoutSeconds: 29,
  },
  {
    id: 'rotate-webhook-secret',
    method: 'POST',
    path: '/api/payment-accounts/{accountId}/webhook-secret',
    permission: 'admin',
    access: { emis: 'readWrite', accountSecrets: 'readWrite' },
  },
  // ── one link, in full (architecture §4c). After the literal /api/payment-links/… routes: the
  // local gateway takes the first match, API Gateway the most specific — the same here.
  {
    // the link with its attempts, siblings and timeline
    id: 'link-detail',
    method: 'GET',
    path: '/api/payment-links/{id}',
    permission: 'read',
    access: { links: 'read', emis: 'read' },
  },
  {
    // Razorpay sends the link again (notify_by); recorded on the timeline
    id: 'notify-link',
    method: 'POST',
    path: '/api/payment-links/{id}/notify',
    permission: 'write',
    access: { emis: 'readWrite', links: 'readWrite', razorpayApi: true, accountSecrets: 'read' },
    timeoutSeconds: 29,
  },
  {
    // expiry, reminders, partial payments (Razorpay PATCH, by the link's state)
    id: 'update-link',
    method: 'PATCH',
    path: '/api/payment-links/{id}',
    permission: 'write',
    access: { emis: 'readWrite', links: 'readWrite', razorpayApi: true, accountSecrets: 'read' },
    timeoutSeconds: 29,
  },
  {
    // an admin refunds surplus money (§4c): reserved on the link, then Razorpay's refunds API
    id: 'refund-link',
    method: 'POST',
    path: '/api/payment-links/{id}/refunds',
    permission: 'admin',
    access: {
      emis: 'readWrite',
      links: 'readWrite',
      ops: 'readWrite',
      razorpayApi: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 29,
  },
  {
    id: 'link-qr-svg',
    method: 'GET',
    path: '/api/payment-links/{id}/qr.svg',
    permission: 'read',
    access: { links: 'read' },
  },
  {
    id: 'link-qr-png',
    method: 'GET',
    path: '/api/payment-links/{id}/qr.png',
    permission: 'read',
    access: { links: 'read' },
  },
  {
    // the borrower's landing page after paying (callback_url): public, verifies Razorpay's
    // signature with the link's account key secret, shows amount, loan and status only
    id: 'pay-return',
    method: 'GET',
    path: '/pay/return',
    permission: 'public',
    // emis: the account directory (locally the accounts' keys live in the emis table)
    access: { links: 'read', emis: 'read', razorpayApi: true, accountSecrets: 'read' },
    memoryMb: 256,
  },
  {
    // the operator page, served by the API itself: same origin as /api (no CORS), one deploy
    id: 'web',
    method: 'ANY',
    path: '$default',
    permission: 'public',
    access: {},
    assets: 'web',
    memoryMb: 256,
  },
] as const;

/** API Gateway's route key: `METHOD /path`, or `$default`. */
export function routeKeyOf(route: Pick<RouteDef, 'method' | 'path'>): string {
  return route.path === '$default' ? '$default' : `${route.method} ${route.path}`;
}

/** Functions not behind a route: queue consumers and schedules. */
export interface WorkerDef {
  id: string;
  trigger: 'webhookQueue' | 'bulkQueue' | 'importQueue' | 'emisStream' | 'schedule';
  /** for schedule triggers: minutes between runs */
  everyMinutes?: number;
  access: FunctionAccess;
  timeoutSeconds: number;
  memoryMb?: number;
  /**
   * for queue triggers: how the queue feeds the worker — read by CDK (the event source and the
   * dead-letter redrive) and by the local runtime's in-process queue alike
   */
  queue?: {
    /** records per invocation */
    batchSize: number;
    /** invocations at once (CDK: the event source's maxConcurrency; bulk: the `bulkMaxConcurrency` context overrides it) */
    maxConcurrency: number;
    /** receives before a message moves to the dead-letter queue */
    maxReceiveCount: number;
  };
}

export const workers: readonly WorkerDef[] = [
  {
    id: 'webhook-worker',
    trigger: 'webhookQueue',
    // ops: marks each webhook event `queued` when it takes it (the receiver's dedupe record)
    access: {
      emis: 'readWrite',
      links: 'readWrite',
      ops: 'write',
      razorpayApi: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 60,
    // a failed event is retried alone (batch item failures), not with the nine good ones of its batch
    queue: { batchSize: 10, maxConcurrency: 5, maxReceiveCount: 5 },
  },
  {
    id: 'bulk-worker',
    trigger: 'bulkQueue',
    access: {
      emis: 'readWrite',
      links: 'readWrite',
      ops: 'readWrite',
      exports: 'write',
      razorpayApi: true,
      accountSecrets: 'read',
    },
    // a chunk of 25 items at the paced rate takes seconds; the queue's visibility timeout is
    // 6× this, and a chunk handed back for a retry waits that long before it comes again
    timeoutSeconds: 120,
    // one work item per invocation, and few invocations at once: the limiter toward Razorpay
    queue: { batchSize: 1, maxConcurrency: 2, maxReceiveCount: 5 },
  },
  {
    // loans files from the imports bucket (S3 notifications through the imports queue)
    id: 'import-worker',
    trigger: 'importQueue',
    access: { emis: 'readWrite', ops: 'readWrite', imports: 'read', importQueue: 'send' },
    timeoutSeconds: 900,
    memoryMb: 1024,
    // one file (or one continuation) per invocation: a run may use the whole 15 minutes
    queue: { batchSize: 1, maxConcurrency: 5, maxReceiveCount: 5 },
  },
  {
    // the curated feed: the EMI table's stream (credit-ledger items) to curated/payments/
    id: 'feed-worker',
    trigger: 'emisStream',
    access: { links: 'read', curatedFeed: 'write' },
    timeoutSeconds: 60,
  },
  {
    id: 'reconcile',
    trigger: 'schedule',
    everyMinutes: 15,
    // bulkQueue: stuck bulk jobs get their unfinished items re-enqueued (or their CSV requested)
    access: {
      emis: 'readWrite',
      links: 'readWrite',
      ops: 'readWrite',
      bulkQueue: 'send',
      razorpayApi: true,
      accountSecrets: 'read',
    },
    timeoutSeconds: 300,
  },
  {
    // the dashboard's kept totals checked against the records once a day (a report and a metric);
    // invoked by hand with {"fix": true} it also repairs them — `npm run rebuild-aggregates` locally
    id: 'rebuild-aggregates',
    trigger: 'schedule',
    everyMinutes: 24 * 60,
    access: { emis: 'readWrite', links: 'read', scan: ['emis', 'links'] },
    timeoutSeconds: 900,
    memoryMb: 1024,
  },
] as const;

/** A queue worker's queue settings (a worker on a queue trigger without them is a table error). */
export function queueOf(worker: WorkerDef): NonNullable<WorkerDef['queue']> {
  if (!worker.queue) throw new Error(`Worker ${worker.id} is fed by a queue but declares no queue settings`);
  return worker.queue;
}

/** The worker a queue feeds. */
export function workerOn(trigger: 'webhookQueue' | 'bulkQueue' | 'importQueue'): WorkerDef {
  const worker = workers.find((w) => w.trigger === trigger);
  if (!worker) throw new Error(`No worker on ${trigger}`);
  return worker;
}
