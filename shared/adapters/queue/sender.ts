/**
 * Sending to a work queue. On AWS the URL is an SQS queue URL; under the one-machine runtime
 * it is `local://<name>`, served by an in-process queue (local/queue.ts) registered on a
 * process-wide registry — the seam that lets the same handler code run in both places.
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueSender } from '../../domain/ports';
import { traced } from '../../tracing';

export type { QueueSender };

/** What local/queue.ts registers under its `local://` URL. */
export interface LocalQueueEndpoint {
  send(body: string): Promise<void>;
}

const REGISTRY = Symbol.for('emi-payment-links.local-queues');

export function localQueueRegistry(): Map<string, LocalQueueEndpoint> {
  const g = globalThis as unknown as Record<symbol, Map<string, LocalQueueEndpoint> | undefined>;
  g[REGISTRY] ??= new Map();
  return g[REGISTRY];
}

let sqs: SQSClient | undefined;

export function queueSender(url: string): QueueSender {
  if (url.startsWith('local://')) {
    const resolve = () => {
      const q = localQueueRegistry().get(url);
      if (!q) throw new Error(`No in-process queue registered for ${url}`);
      return q;
    };
    return {
      send: (body) => resolve().send(body),
      sendMany: async (bodies) => {
        const q = resolve();
        for (const b of bodies) await q.send(b);
      },
    };
  }
  if (!sqs) {
    // one middleware resolution per command class, and no redaction walk for a logger we lack
    const client = new SQSClient({ cacheMiddleware: true });
    client.middlewareStack.remove('loggerMiddleware');
    sqs = traced(client);
  }
  const client = sqs;
  return {
    send: async (body) => {
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    },
    sendMany: async (bodies) => {
      for (let i = 0; i < bodies.length; i += 10) {
        const chunk = bodies.slice(i, i + 10);
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: chunk.map((b, j) => ({ Id: String(j), MessageBody: b })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          throw new Error(`SQS refused ${out.Failed.length} of ${chunk.length} messages`);
        }
      }
    },
  };
}
