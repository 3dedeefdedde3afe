import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import {
  accountIdPathSchema,
  type RotateWebhookSecretInput,
  rotateWebhookSecretSchema,
} from '../../shared/schemas/accounts';
import { type AccountDeps, rotateWebhookSecret } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';

/**
 * POST /api/payment-accounts/{accountId}/webhook-secret — rotate: the new secret is current at
 * once, the previous one keeps verifying deliveries for 24 h; the same secret again is a 409.
 */
export async function main(
  deps: AccountDeps,
  actor: Actor,
  accountId: string,
  body: RotateWebhookSecretInput,
) {
  return { statusCode: 200, body: await rotateWebhookSecret(deps, accountId, body, actor) };
}

export const handler = httpRoute(
  'rotate-webhook-secret',
  { path: accountIdPathSchema, body: rotateWebhookSecretSchema },
  (req) => main(accountDeps()(req.headers), req.actor, req.path.accountId, req.body),
);
