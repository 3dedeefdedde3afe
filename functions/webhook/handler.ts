import { WebhookEventStore } from '../../shared/adapters/dynamo/webhook-events';
import { queueSender } from '../../shared/adapters/queue/sender';
import { loadWebhookSecrets } from '../../shared/adapters/razorpay/signature';
import { S3RawWebhookArchive } from '../../shared/adapters/s3/raw-archive';
import { env } from '../../shared/config';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  type ReceiveDeps,
  receiveWebhook,
  type WebhookDelivery,
} from '../../shared/usecases/webhook-receive';

/** A signature mismatch may mean the secret was rotated; re-read it at most this often. */
const SECRET_REFRESH_INTERVAL_MS = 60_000;
let lastSecretRefresh = 0;

async function secrets(options: { refresh?: boolean } = {}): Promise<string[]> {
  // unauthenticated requests must not be able to hammer Secrets Manager
  if (options.refresh && Date.now() - lastSecretRefresh < SECRET_REFRESH_INTERVAL_MS)
    return loadWebhookSecrets();
  if (options.refresh) lastSecretRefresh = Date.now();
  return loadWebhookSecrets(options);
}

let wired: { key: string; deps: ReceiveDeps } | undefined;

/** Wired once per cold start (again only if the environment names other resources, as in tests). */
function receiveDeps(): ReceiveDeps {
  const bucket = env('RAW_WEBHOOKS_BUCKET');
  const queueUrl = env('WEBHOOK_QUEUE_URL');
  const table = env('OPS_TABLE');
  const key = `${table}|${bucket}|${queueUrl}`;
  if (wired?.key !== key) {
    wired = {
      key,
      deps: {
        events: new WebhookEventStore(table),
        archive: new S3RawWebhookArchive(bucket),
        queue: queueSender(queueUrl),
        secrets,
        clock: systemClock,
      },
    };
  }
  return wired.deps;
}

/** POST /webhooks/razorpay — verify, dedupe, archive, enqueue; 200 only once safely queued. */
export async function main(delivery: WebhookDelivery) {
  const result = await receiveWebhook(receiveDeps(), delivery);
  return { statusCode: 200, body: { received: true, outcome: result.outcome } };
}

// no body schema: the JSON body parser must never run in front of a signature check
export const handler = httpRoute('webhook', { anyContentType: true }, (req) =>
  main({ body: req.rawBody(), headers: req.headers }),
);
