import { checkKeys, gatewaySettingsFromEnv } from '../../shared/adapters/payment-gateways';
import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { accountIdPathSchema, type PutAccountInput, putAccountSchema } from '../../shared/schemas/accounts';
import { putAccount } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';
import { accountDirectory } from '../../shared/wiring-links';

/**
 * PUT /api/payment-accounts/{accountId} — create (201) or replace (200) a payment account; its
 * keys are checked with the provider first (422 when refused). Secrets are write-only.
 */
export async function main(
  actor: Actor,
  accountId: string,
  body: PutAccountInput,
  headers: Record<string, string | undefined>,
) {
  const settings = gatewaySettingsFromEnv();
  const result = await putAccount(
    accountDeps(headers, {
      checkKeys: (creds) => checkKeys(settings, creds),
      changed: () => accountDirectory().forget(),
    }),
    accountId,
    body,
    actor,
  );
  return { statusCode: result.created ? 201 : 200, body: result.account };
}

export const handler = httpRoute(
  'put-account',
  { path: accountIdPathSchema, body: putAccountSchema },
  (req) => main(req.actor, req.path.accountId, req.body, req.headers),
);
