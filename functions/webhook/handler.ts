import { AccountDirectory } from '../../shared/adapters/account-directory';
import { WebhookEventStore } from '../../shared/adapters/dynamo/webhook-events';
import { queueSender } from '../../shared/adapters/queue/sender';
import { S3RawWebhookArchive } from '../../shared/adapters/s3/raw-archive';
import { accountSecrets } from '../../shared/adapters/secrets/account-secrets';
import { gatedWebhookSecrets } from '../../shared/adapters/webhook-secret-gate';
import { env } from '../../shared/config';
import { DEFAULT_ACCOUNT_ID } from '../../shared/domain/accounts';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  type ReceiveDeps,
  receiveWebhook,
  type WebhookDelivery,
} from '../../shared/usecases/webhook-receive';

let wired: { key: string; deps: ReceiveDeps } | undefined;

/** Wired once per cold start (again only if the environment names other resources, as in tests). */
function receiveDeps(): ReceiveDeps {
  const bucket = env('RAW_WEBHOOKS_BUCKET');
  const queueUrl = env('WEBHOOK_QUEUE_URL');
  const table = env('OPS_TABLE');
  const key = `${table}|${bucket}|${queueUrl}|${process.env.EMIS_TABLE ?? ''}|${process.env.PAYMENT_ACCOUNT_SECRET_PREFIX ?? ''}`;
  if (wired?.key !== key) {
    // only the secrets are read here (Secrets Manager on AWS; the emis table locally)
    const directory = new AccountDirectory({ accountOfLender: async () => null }, accountSecrets());
    // unauthenticated requests must not be able to drive the secret store (see the gate)
    const secrets = gatedWebhookSecrets((accountId, options) => directory.webhookSecrets(accountId, options));
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

/**
 * POST /webhooks/razorpay (the `default` account) and /webhooks/razorpay/{accountId} —
 * verify with that account's secrets, dedupe, archive, enqueue; 200 only once safely queued.
 */
export async function main(delivery: WebhookDelivery) {
  const result = await receiveWebhook(receiveDeps(), delivery);
  return { statusCode: 200, body: { received: true, outcome: result.outcome } };
}

// no body schema: the JSON body parser must never run in front of a signature check
export const handler = httpRoute('webhook', { anyContentType: true }, (req) =>
  main({ accountId: DEFAULT_ACCOUNT_ID, body: req.rawBody(), headers: req.headers }),
);
