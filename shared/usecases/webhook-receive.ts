/**
 * Receive one Razorpay webhook delivery (architecture §6). Never calls Razorpay, so it answers
 * well inside Razorpay's 5-second budget whatever Razorpay's API is doing.
 *
 * Steps:
 *   1. a body over MAX_WEBHOOK_BODY_BYTES → 413, before anything else; an account the URL
 *      names that does not exist → 404, nothing stored;
 *   2. the signature (`x-razorpay-signature`, hex HMAC-SHA256 of the raw bytes) must match that
 *      account's current or, during a rotation, previous secret → else 401 (another account's
 *      secret included); nothing stored or applied;
 *   3. the event id (`x-razorpay-event-id`) is required → else 400;
 *   4. claim the event id with one conditional write that both dedupes and records it: a
 *      duplicate is acknowledged and ends here;
 *   5. at once, archive the raw delivery to the landing zone and enqueue it for the worker (not
 *      when the body is not JSON: nothing to apply, warn) — two independent writes;
 *   6. acknowledge. The worker marks the event `queued` when it takes it (webhook-events.ts).
 * That is one DynamoDB write, then S3 and SQS side by side, per acknowledged delivery.
 * If 5 fails in part, the claim is released with what did finish, and the error propagates
 * (5xx): Razorpay's retry is claimed at once, archives to the same object and does only what is
 * left, so the event ends archived and queued once. An event is acknowledged only once it is both.
 */

import { createHash } from 'node:crypto';
import type { Provider } from '../domain/accounts';
import type { Clock } from '../domain/dates';
import { NotFoundError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../domain/errors';
import type { QueueSender, RawWebhookArchive, WebhookEventStore } from '../domain/ports';
import { verifyWebhookSignature } from '../domain/webhook-signature';
import { log } from '../log';
import { metrics } from '../metrics';
import { correlate } from '../observe';
import { encodeWebhookMessage } from './webhook-message';

/** Razorpay bodies are a few KB; anything near this is not Razorpay. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** Razorpay's event ids are 14 base62 characters; this also keeps S3 keys and table keys sane. */
const EVENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** How long a receipt may take between recording the event and queueing it (Lambda timeout 10 s). */
const RECEIPT_LEASE_SECONDS = 60;

export interface ReceiveDeps {
  events: Pick<WebhookEventStore, 'claimWebhookEvent' | 'releaseWebhookEvent' | 'completeWebhookEvent'>;
  archive: RawWebhookArchive;
  queue: Pick<QueueSender, 'send'>;
  /**
   * The secrets of one payment account to accept, current first, or null when there is no such
   * account; `refresh` re-reads them (after a rotation).
   */
  secrets: (accountId: string, options?: { refresh?: boolean }) => Promise<string[] | null>;
  clock: Clock;
}

export interface WebhookDelivery {
  /** the account whose URL it came to: `/webhooks/razorpay/{accountId}` (`default` without one) */
  accountId: string;
  /**
   * whose webhook format: Razorpay (the default) or EximPe (`/webhooks/eximpe/{accountId}`:
   * `X-Webhook-Signature`, the event id is the signed body's `sequence_number`)
   */
  provider?: Provider;
  body: Buffer;
  /** lower-cased header names */
  headers: Record<string, string | undefined>;
}

export type ReceiveOutcome = 'queued' | 'duplicate' | 'archived';

export interface ReceiveResult {
  outcome: ReceiveOutcome;
  eventId: string;
  event: string | null;
}

/** The envelope's `event` (EximPe: `event_type`), or null when the body is not a JSON object with one. */
function eventTypeOf(body: Buffer, provider: Provider = 'razorpay'): { json: boolean; event: string | null } {
  const field = provider === 'eximpe' ? 'event_type' : 'event';
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    const event =
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)[field] === 'string'
        ? ((value as Record<string, unknown>)[field] as string)
        : null;
    return { json: true, event };
  } catch {
    return { json: false, event: null };
  }
}

/** Each provider's signature header. */
function signatureHeader(provider: Provider | undefined): string {
  return provider === 'eximpe' ? 'x-webhook-signature' : 'x-razorpay-signature';
}

/**
 * EximPe's event id: `eximpe-` + the signed body's `sequence_number` (a per-event UUID "useful
 * for idempotency"; reference §4), or, when it has none we can use, + a hash of the body — the
 * same bytes are the same event. Never a header: EximPe sends no event-id header.
 */
export function eximpeEventId(body: Buffer): string {
  try {
    const value = JSON.parse(body.toString('utf8')) as { sequence_number?: unknown };
    const seq = value?.sequence_number;
    if (typeof seq === 'string' && /^[A-Za-z0-9-]{1,56}$/.test(seq)) return `eximpe-${seq}`;
  } catch {
    // not JSON: the hash below
  }
  return `eximpe-h${createHash('sha256').update(body).digest('hex').slice(0, 48)}`;
}

async function verify(deps: ReceiveDeps, delivery: WebhookDelivery): Promise<boolean> {
  const secrets = await deps.secrets(delivery.accountId);
  if (secrets === null) {
    throw new NotFoundError(`No payment account ${delivery.accountId} receives webhooks here`);
  }
  const signature = delivery.headers[signatureHeader(delivery.provider)];
  if (signature === undefined) return false;
  if (verifyWebhookSignature(delivery.body, signature, secrets)) return true;
  // the secret may have been rotated since it was cached; the loader rate-limits re-reads
  const fresh = await deps.secrets(delivery.accountId, { refresh: true });
  return fresh !== null && verifyWebhookSignature(delivery.body, signature, fresh);
}

export async function receiveWebhook(deps: ReceiveDeps, delivery: WebhookDelivery): Promise<ReceiveResult> {
  if (delivery.body.length > MAX_WEBHOOK_BODY_BYTES) {
    throw new PayloadTooLargeError(`Webhook body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
  }
  if (!(await verify(deps, delivery))) {
    log.warn('webhook signature rejected', {
      accountId: delivery.accountId,
      provider: delivery.provider ?? 'razorpay',
      hasSignature: delivery.headers[signatureHeader(delivery.provider)] !== undefined,
      bytes: delivery.body.length,
    });
    metrics.webhookSignatureRejected();
    throw new UnauthorizedError('Webhook signature is missing or does not match');
  }
  const eximpe = delivery.provider === 'eximpe';
  const eventId = eximpe ? eximpeEventId(delivery.body) : delivery.headers['x-razorpay-event-id']?.trim();
  if (eventId && EVENT_ID.test(eventId)) correlate({ eventId });
  if (!eventId || !EVENT_ID.test(eventId)) {
    throw new ValidationError('x-razorpay-event-id header is missing or malformed', [
      { field: 'header.x-razorpay-event-id', message: eventId ? 'must be an event id' : 'is required' },
    ]);
  }

  const receivedAt = deps.clock.now();
  const { json, event } = eventTypeOf(delivery.body, delivery.provider);
  const claim = await deps.events.claimWebhookEvent(
    eventId,
    {
      event: event ?? (json ? 'unknown' : 'unparseable'),
      receivedAt: receivedAt.toISOString(),
      archiveKey: deps.archive.keyOf(eventId, receivedAt, delivery.accountId, delivery.provider),
    },
    Math.floor(receivedAt.getTime() / 1000),
    RECEIPT_LEASE_SECONDS,
  );
  if (claim === 'duplicate') {
    log.info('webhook duplicate', { eventId, event });
    return { outcome: 'duplicate', eventId, event };
  }

  // a retry archives to the object its first attempt chose, and redoes only what is left
  const queueable = json && event !== null;
  const [archived, enqueued] = await Promise.allSettled([
    claim.archived
      ? undefined
      : deps.archive.put({
          eventId,
          accountId: delivery.accountId,
          ...(eximpe ? { provider: 'eximpe' as const } : {}),
          event,
          receivedAt: new Date(claim.receivedAt),
          headers: delivery.headers,
          body: delivery.body,
        }),
    (async () => {
      if (!queueable || claim.enqueued) return;
      await deps.queue.send(
        encodeWebhookMessage(
          {
            eventId,
            event,
            archiveKey: claim.archiveKey,
            receivedAt: claim.receivedAt,
            accountId: delivery.accountId,
            ...(eximpe ? { provider: 'eximpe' as const } : {}),
          },
          delivery.body,
        ),
      );
    })(),
  ]);
  if (archived.status === 'rejected' || enqueued.status === 'rejected') {
    const err = archived.status === 'rejected' ? archived.reason : (enqueued as PromiseRejectedResult).reason;
    log.error('webhook not safely archived and queued: asking Razorpay to retry', {
      eventId,
      event,
      archived: archived.status === 'fulfilled',
      enqueued: enqueued.status === 'fulfilled' && queueable,
      err,
    });
    try {
      await deps.events.releaseWebhookEvent(eventId, {
        archived: archived.status === 'fulfilled',
        enqueued: enqueued.status === 'fulfilled' && queueable,
      });
    } catch (releaseErr) {
      // its lease runs out instead, and then a retry is claimed (and redoes both parts)
      log.error('could not release webhook event id', { eventId, err: releaseErr });
    }
    throw err;
  }

  const outcome: ReceiveOutcome = queueable ? 'queued' : 'archived';
  if (!queueable) {
    log.warn('webhook body is not a JSON event: archived, nothing to apply', {
      eventId,
      archiveKey: claim.archiveKey,
      json,
    });
  }
  // the worker marks a queued event when it takes it; these two cases have no worker to do it
  if (!queueable || claim.archived || claim.enqueued) {
    try {
      await deps.events.completeWebhookEvent(eventId, queueable ? undefined : 'archived');
    } catch (err) {
      // a redelivery after the lease would only archive (same object) and queue it again
      log.warn('could not complete webhook event record', { eventId, err });
    }
  }
  log.info('webhook received', { eventId, event, outcome });
  return { outcome, eventId, event };
}
