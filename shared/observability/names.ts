/**
 * Every custom metric, in one place: the functions emit them (shared/metrics.ts) and the CDK
 * alarms and dashboard read them (lib/observability.ts), so the two never drift apart.
 * Plain data only: imported by Lambda code and by CDK code alike.
 */

export const SERVICE_NAME = 'emi-payment-links';
export const METRICS_NAMESPACE = 'EmiPaymentLinks';

/** Dimension on the per-operation provider metrics (besides Powertools' `service`). */
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

/** The payment providers whose calls are measured, each under its own metric names. */
export const MEASURED_PROVIDERS = ['razorpay', 'eximpe'] as const;
export type MeasuredProvider = (typeof MEASURED_PROVIDERS)[number];

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
  /** the same for EximPe */
  eximpeCalls: 'EximpeCalls',
  eximpeErrors: 'EximpeErrors',
  eximpeLatency: 'EximpeLatency',
  bulkItemsProcessed: 'BulkItemsProcessed',
  /** a finished job's items over its wall time */
  bulkItemsPerSecond: 'BulkItemsPerSecond',
  /** jobs the stuck-job rescue found without progress (re-enqueued or given up) */
  bulkJobsStalled: 'BulkJobsStalled',
  /** links whose state reconciliation had to correct: a webhook never told us */
  reconcileMissedByWebhooks: 'ReconcileMissedByWebhooks',
} as const;

/** Each provider's three call metrics. */
export const PROVIDER_METRICS: Record<MeasuredProvider, { calls: string; errors: string; latency: string }> =
  {
    razorpay: { calls: METRIC.razorpayCalls, errors: METRIC.razorpayErrors, latency: METRIC.razorpayLatency },
    eximpe: { calls: METRIC.eximpeCalls, errors: METRIC.eximpeErrors, latency: METRIC.eximpeLatency },
  };
