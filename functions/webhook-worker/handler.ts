import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { log, withLogContext } from '../../shared/log';
import { correlate, observedHandler } from '../../shared/observe';
import { applyWebhookMessage } from '../../shared/usecases/webhook-apply';
import { linkDeps } from '../../shared/wiring-links';

/**
 * The webhook queue's consumer: applies each event on its own. A record that fails is reported
 * in `batchItemFailures`, so only it is retried (after the visibility timeout) and, once it has
 * failed maxReceiveCount times, moved to the dead-letter queue — the other records of the batch
 * are done. Records run one after another: events of one payment usually arrive together, and
 * applying them in parallel would only make them contend for the same link and EMI.
 */
export async function main(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    await withLogContext({ messageId: record.messageId }, async () => {
      correlate(eventIdsOf(record.body));
      try {
        await applyWebhookMessage(linkDeps(), record.body);
      } catch (err) {
        log.error('webhook event failed; it will be retried', {
          receiveCount: Number(record.attributes.ApproximateReceiveCount),
          err,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    });
  }
  return { batchItemFailures };
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

export const handler = observedHandler('webhook-worker', main);
