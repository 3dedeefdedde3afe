/**
 * Every custom metric, in one place: the functions emit them (shared/metrics.ts) and the CDK
 * alarms and dashboard read them (lib/observability.ts), so the two never drift apart.
 * Plain data only: imported by Lambda code and by CDK code alike.
 */

export const SERVICE_NAME = 'emi-payment-links';
export const METRICS_NAMESPACE = 'EmiPaymentLinks';

/** Dimension on the per-operation Razorpay metrics (besides Powertools' `service`). */
export const OPERATION_DIMENSION = 'operation';
export const RAZORPAY_OPERATIONS = [
  'create',
  'fetch',
  'list',
  'cancel',
  'notify',
  'update',
  'refund',
  'refunds',
] as const;
export type RazorpayOperation = (typeof RAZORPAY_OPERATIONS)[number];

export const METRIC = {
  linksCreated: 'LinksCreated',
  linksFailed: 'LinksFailed',
  paymentsCredited: 'PaymentsCredited',
  surplusesFlagged: 'SurplusesFlagged',
  /** refunds of surplus money Razorpay reported processed (ours and those made in its Dashboard) */
  refundsProcessed: 'RefundsProcessed',
  /** Razorpay's event `created_at` → the event applied here, ms */
  webhookLag: 'WebhookLag',
  /** deliveries refused with 401: a bad or stale signature */
  webhookSignatureRejected: 'WebhookSignatureRejected',
  /** each HTTP call to Razorpay (retries count), with and without the operation dimension */
  razorpayCalls: 'RazorpayCalls',
  razorpayErrors: 'RazorpayErrors',
  razorpayLatency: 'RazorpayLatency',
  bulkItemsProcessed: 'BulkItemsProcessed',
  /** a finished job's items over its wall time */
  bulkItemsPerSecond: 'BulkItemsPerSecond',
  /** jobs the stuck-job rescue found without progress (re-enqueued or given up) */
  bulkJobsStalled: 'BulkJobsStalled',
  /** links whose state reconciliation had to correct: a webhook never told us */
  reconcileMissedByWebhooks: 'ReconcileMissedByWebhooks',
} as const;
