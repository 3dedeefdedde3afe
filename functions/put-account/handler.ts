import { checkKeys, gatewaySettingsFromEnv } from '../../shared/adapters/payment-gateways';
import type { Actor } from '../../shared/auth/actor';
import { httpRoute } from '../../shared/http/route';
import { accountIdPathSchema, type PutAccountInput, putAccountSchema } from '../../shared/schemas/accounts';
import { type AccountDeps, putAccount } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';
import { accountDirectory } from '../../shared/wiring-links';

/**
 * PUT /api/payment-accounts/{accountId} — create (201) or replace (200) a payment account; its
 * keys are checked with the provider first (422 when refused). Secrets are write-only.
 */
export async function main(deps: AccountDeps, actor: Actor, accountId: string, body: PutAccountInput) {
  const result = await putAccount(deps, accountId, body, actor);
  return { statusCode: result.created ? 201 : 200, body: result.account };
}

export const handler = httpRoute(
  'put-account',
  { path: accountIdPathSchema, body: putAccountSchema },
  (req) =>
    main(
      accountDeps()(req.headers, {
        checkKeys: (creds) => checkKeys(gatewaySettingsFromEnv(), creds),
        // the account directory is the process's: its cached lender → account map starts afresh
        changed: () => accountDirectory().forget(),
      }),
      req.actor,
      req.path.accountId,
      req.body,
    ),
);
