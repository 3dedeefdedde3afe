/**
 * Where things live in the buckets, said once: CDK grants exactly these prefixes (lib/function.ts)
 * and the S3 adapters write under them.
 */

/** bulk CSV exports (the exports bucket; its lifecycle rule expires them) */
export const EXPORTS_PREFIX = 'exports/';
/** the raw webhook landing zone (the raw-webhooks bucket) */
export const RAW_WEBHOOKS_PREFIX = 'raw/razorpay/webhooks/';
/** EximPe's webhooks, in the same landing bucket */
export const RAW_EXIMPE_WEBHOOKS_PREFIX = 'raw/eximpe/webhooks/';
/** loans files and their reports (the imports bucket) */
export const IMPORTS_PREFIX = 'loans/';
/** the curated payments feed (the raw-webhooks landing bucket) */
export const CURATED_PREFIX = 'curated/payments/';

/** Presigned CSV URLs live this long; the job route signs a new one on every call. */
export const CSV_URL_TTL_SECONDS = 15 * 60;

export function exportKey(jobId: string): string {
  return `${EXPORTS_PREFIX}${jobId}.csv`;
}
