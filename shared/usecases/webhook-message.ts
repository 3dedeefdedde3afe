/**
 * What the webhook receiver puts on the queue for the worker: the event id, its type, where the
 * raw delivery is archived, and the body itself — Razorpay bodies are a few KB, and the worker has
 * no read access to the archive (the warehouse reads it). A body that would push the message past
 * SQS's 256 KiB limit travels gzip-compressed (JSON shrinks ~10×); one too big even then is
 * refused by the receiver, which answers 5xx and keeps the archive copy.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod/mini';
import { MalformedBodyError } from '../domain/errors';

/** SQS's limit is 262,144 bytes for the whole message; keep a margin. */
export const MAX_QUEUE_MESSAGE_BYTES = 250 * 1024;

const messageSchema = z.object({
  v: z.literal(1),
  eventId: z.string(),
  /** the envelope's `event`, e.g. `payment.captured` */
  event: z.string(),
  archiveKey: z.string(),
  receivedAt: z.string(),
  /** the account whose webhook URL received it; absent in messages from before accounts: `default` */
  accountId: z.optional(z.string()),
  /** whose webhook format; absent: Razorpay */
  provider: z.optional(z.enum(['razorpay', 'eximpe'])),
  body: z.optional(z.string()),
  /** base64 of the gzip of the body bytes, when `body` would not fit */
  bodyGzip: z.optional(z.string()),
});

export type WebhookMessage = z.infer<typeof messageSchema>;

export class MessageTooLargeError extends Error {
  constructor(bytes: number) {
    super(`Webhook body does not fit a queue message even compressed (${bytes} bytes)`);
    this.name = 'MessageTooLargeError';
  }
}

export function encodeWebhookMessage(
  meta: Omit<WebhookMessage, 'v' | 'body' | 'bodyGzip'>,
  body: Buffer,
): string {
  const plain = JSON.stringify({ v: 1, ...meta, body: body.toString('utf8') });
  // the plain form only when the text is the exact bytes (valid UTF-8) and fits
  if (
    Buffer.byteLength(plain) <= MAX_QUEUE_MESSAGE_BYTES &&
    Buffer.from(body.toString('utf8'), 'utf8').equals(body)
  ) {
    return plain;
  }
  const packed = JSON.stringify({ v: 1, ...meta, bodyGzip: gzipSync(body).toString('base64') });
  if (Buffer.byteLength(packed) > MAX_QUEUE_MESSAGE_BYTES) throw new MessageTooLargeError(body.length);
  return packed;
}

export interface DecodedWebhookMessage {
  meta: Omit<WebhookMessage, 'body' | 'bodyGzip'>;
  body: Buffer;
}

/** Throws MalformedBodyError for anything the receiver did not write. */
export function decodeWebhookMessage(text: string): DecodedWebhookMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedBodyError('Queue message is not JSON');
  }
  const parsed = messageSchema.safeParse(value);
  if (!parsed.success) throw new MalformedBodyError('Queue message is not a webhook message');
  const { body, bodyGzip, ...meta } = parsed.data;
  if (body !== undefined) return { meta, body: Buffer.from(body, 'utf8') };
  if (bodyGzip !== undefined) return { meta, body: gunzipSync(Buffer.from(bodyGzip, 'base64')) };
  throw new MalformedBodyError('Queue message carries no body');
}
