import { AccountDirectory } from '../../shared/adapters/account-directory';
import { WebhookEventStore } from '../../shared/adapters/dynamo/webhook-events';
import { queueSender } from '../../shared/adapters/queue/sender';
import { S3RawWebhookArchive } from '../../shared/adapters/s3/raw-archive';
import { accountSecrets } from '../../shared/adapters/secrets/account-secrets';
import { gatedWebhookSecrets } from '../../shared/adapters/webhook-secret-gate';
import { env, envOptional } from '../../shared/config';
import { DEFAULT_ACCOUNT_ID } from '../../shared/domain/accounts';
import { systemClock } from '../../shared/domain/dates';
import { httpRoute } from '../../shared/http/route';
import {
  type ReceiveDeps,
  receiveWebhook,
  type WebhookDelivery,
} from '../../shared/usecases/webhook-receive';
import { perContainer } from '../../shared/wiring';

export function config() {
  return {
    opsTable: env('OPS_TABLE'),
    bucket: env('RAW_WEBHOOKS_BUCKET'),
    queueUrl: env('WEBHOOK_QUEUE_URL'),
    // the secret store follows these (shared/adapters/secrets/account-secrets.ts)
    secretsIn: [envOptional('EMIS_TABLE'), envOptional('PAYMENT_ACCOUNT_SECRET_PREFIX')],
  };
}

export function makeDeps(c: ReturnType<typeof config>): ReceiveDeps {
  // only the secrets are read here (Secrets Manager on AWS; the emis table locally)
  const directory = new AccountDirectory({ accountOfLender: async () => null }, accountSecrets());
  return {
    events: new WebhookEventStore(c.opsTable),
    archive: new S3RawWebhookArchive(c.bucket),
    queue: queueSender(c.queueUrl),
    // unauthenticated requests must not be able to drive the secret store (see the gate)
    secrets: gatedWebhookSecrets((accountId, options) => directory.webhookSecrets(accountId, options)),
    clock: systemClock,
  };
}

export const receiverDeps = perContainer(config, makeDeps);

/**
 * POST /webhooks/razorpay (the `default` account) and /webhooks/razorpay/{accountId} —
 * verify with that account's secrets, dedupe, archive, enqueue; 200 only once safely queued.
 */
/** `d`: the container's (`receiverDeps()`), or a test's own. */
export async function main(d: ReceiveDeps, delivery: WebhookDelivery) {
  const result = await receiveWebhook(d, delivery);
  return { statusCode: 200, body: { received: true, outcome: result.outcome } };
}

// no body schema: the JSON body parser must never run in front of a signature check
export const handler = httpRoute('webhook', { anyContentType: true }, (req) =>
  main(receiverDeps(), { accountId: DEFAULT_ACCOUNT_ID, body: req.rawBody(), headers: req.headers }),
);
