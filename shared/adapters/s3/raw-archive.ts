/**
 * The raw webhook landing zone (architecture §1.5, §6): one JSON object per Razorpay event at
 * `raw/razorpay/webhooks/account=<accountId>/dt=YYYY-MM-DD/<eventId>.json`, partitioned by the
 * payment account whose URL received it and the UTC receive date, so a warehouse (dbt) can load
 * it like a `RAW_*_RAZORPAY_API` table.
 *
 * The object is an envelope around the body, never a re-serialisation of it: `body` is the
 * delivered bytes as a string (valid UTF-8, which Razorpay's JSON always is, round-trips
 * byte-for-byte through JSON) and `bodySha256` lets a loader prove it. Bytes that are not valid
 * UTF-8 are kept as `bodyBase64` instead. Only Razorpay's own headers are kept.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RAW_EXIMPE_WEBHOOKS_PREFIX, RAW_WEBHOOKS_PREFIX } from '../../domain/objects';
import type { RawWebhook, RawWebhookArchive } from '../../domain/ports';
import { s3Client } from './client';

export type { RawWebhook, RawWebhookArchive };

/** Must match the prefix the webhook function may write under (lib/function.ts). */
export const RAW_WEBHOOK_PREFIX = RAW_WEBHOOKS_PREFIX;

/** The delivery headers worth keeping (lower-cased); everything else is infrastructure noise. */
export const ARCHIVED_HEADERS = [
  'x-razorpay-signature',
  'x-razorpay-event-id',
  'request-id',
  'user-agent',
  'content-type',
  // EximPe's (reference §4)
  'x-webhook-signature',
  'x-webhook-event',
  'x-webhook-timestamp',
] as const;

export interface RawWebhookEnvelope {
  source: 'razorpay' | 'eximpe';
  eventId: string;
  accountId: string;
  event: string | null;
  receivedAt: string;
  headers: Record<string, string>;
  bodySha256: string;
  bodyBytes: number;
  /** the body exactly as delivered, when it is valid UTF-8 */
  body?: string;
  /** otherwise, its bytes in base64 */
  bodyBase64?: string;
}

export function rawWebhookKey(
  eventId: string,
  receivedAt: Date,
  accountId: string,
  provider: 'razorpay' | 'eximpe' = 'razorpay',
): string {
  const prefix = provider === 'eximpe' ? RAW_EXIMPE_WEBHOOKS_PREFIX : RAW_WEBHOOK_PREFIX;
  return `${prefix}account=${accountId}/dt=${receivedAt.toISOString().slice(0, 10)}/${eventId}.json`;
}

export function rawWebhookEnvelope(raw: RawWebhook): RawWebhookEnvelope {
  const headers: Record<string, string> = {};
  for (const name of ARCHIVED_HEADERS) {
    const value = raw.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const text = raw.body.toString('utf8');
  const utf8 = Buffer.from(text, 'utf8').equals(raw.body);
  return {
    source: raw.provider ?? 'razorpay',
    eventId: raw.eventId,
    accountId: raw.accountId,
    event: raw.event,
    receivedAt: raw.receivedAt.toISOString(),
    headers,
    bodySha256: createHash('sha256').update(raw.body).digest('hex'),
    bodyBytes: raw.body.length,
    ...(utf8 ? { body: text } : { bodyBase64: raw.body.toString('base64') }),
  };
}

export class S3RawWebhookArchive implements RawWebhookArchive {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client = s3Client(),
  ) {}

  keyOf(eventId: string, receivedAt: Date, accountId: string, provider?: 'razorpay' | 'eximpe'): string {
    return rawWebhookKey(eventId, receivedAt, accountId, provider);
  }

  async put(raw: RawWebhook): Promise<string> {
    const key = rawWebhookKey(raw.eventId, raw.receivedAt, raw.accountId, raw.provider);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(rawWebhookEnvelope(raw)),
        ContentType: 'application/json',
      }),
    );
    return key;
  }
}
