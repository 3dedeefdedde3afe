import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { WebhookEventStore } from '../../shared/adapters/dynamo/webhook-events';
import { env } from '../../shared/config';
import { log, withLogContext } from '../../shared/log';
import { correlate, observedHandler } from '../../shared/observe';
import type { LinkDeps } from '../../shared/usecases/link-deps';
import { applyWebhookMessage } from '../../shared/usecases/webhook-apply';
import { perContainer } from '../../shared/wiring';
import { type LinkConfig, linkConfig, makeLinkDeps } from '../../shared/wiring-links';

export interface WorkerDeps {
  link: LinkDeps;
  /** the receipts of the webhook receiver (webhook-events.ts) */
  events: WebhookEventStore;
}

export function config() {
  return { link: linkConfig(), opsTable: env('OPS_TABLE') };
}

export function makeDeps(c: { link: LinkConfig; opsTable: string }): WorkerDeps {
  return { link: makeLinkDeps(c.link), events: new WebhookEventStore(c.opsTable) };
}

/** The worker's dependencies in this container. */
export const workerDeps = perContainer(config, makeDeps);

/**
 * The webhook queue's consumer: applies each event on its own. A record that fails is reported
 * in `batchItemFailures`, so only it is retried (after the visibility timeout) and, once it has
 * failed maxReceiveCount times, moved to the dead-letter queue — the other records of the batch
 * are done. Records run one after another: events of one payment usually arrive together, and
 * applying them in parallel would only make them contend for the same link and EMI.
 */
/** `d`: the container's own unless a test hands in others. */
export async function main(event: SQSEvent, d: WorkerDeps = workerDeps()): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    await withLogContext({ messageId: record.messageId }, async () => {
      correlate(eventIdsOf(record.body));
      // the receiver answered 200 without a second write; taking the event is what makes later
      // deliveries of it duplicates for good — beside applying it, not in front of it
      const taken = markTaken(d.events, record.body);
      try {
        await applyWebhookMessage(d.link, record.body);
      } catch (err) {
        log.error('webhook event failed; it will be retried', {
          receiveCount: Number(record.attributes.ApproximateReceiveCount),
          err,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
      await taken;
    });
  }
  return { batchItemFailures };
}

/** Marks the event `queued` (webhook-events.ts); never fails the record: applying is idempotent. */
async function markTaken(events: WebhookEventStore, messageBody: string): Promise<void> {
  const { eventId } = eventIdsOf(messageBody);
  if (eventId === undefined) return;
  try {
    await events.markWebhookEventQueued(eventId);
  } catch (err) {
    // a redelivery from Razorpay after the receipt's lease would only be queued (and applied) again
    log.warn('could not mark webhook event queued', { eventId, err });
  }
}

/** Correlation ids for the log, never the body. */
function eventIdsOf(messageBody: string): { eventId?: string; event?: string } {
  try {
    const { eventId, event } = JSON.parse(messageBody) as { eventId?: unknown; event?: unknown };
    return {
      eventId: typeof eventId === 'string' ? eventId : undefined,
      event: typeof event === 'string' ? event : undefined,
    };
  } catch {
    return {};
  }
}

export const handler = observedHandler('webhook-worker', (event: SQSEvent) => main(event));
