import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import {
  accountIdPathSchema,
  type RotateWebhookSecretInput,
  rotateWebhookSecretSchema,
} from '../../shared/schemas/accounts';
import { rotateWebhookSecret } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';

/**
 * POST /api/payment-accounts/{accountId}/webhook-secret — rotate: the new secret is current at
 * once, the previous one keeps verifying deliveries for 24 h; the same secret again is a 409.
 */
export async function main(
  actor: Actor,
  accountId: string,
  body: RotateWebhookSecretInput,
  headers: Record<string, string | undefined>,
) {
  return {
    statusCode: 200,
    body: await rotateWebhookSecret(accountDeps(headers), accountId, body, actor),
  };
}

export const handler = httpRoute(
  'rotate-webhook-secret',
  { path: accountIdPathSchema, body: rotateWebhookSecretSchema },
  (req) => main(req.actor, req.path.accountId, req.body, req.headers),
);
