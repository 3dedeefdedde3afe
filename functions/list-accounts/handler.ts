import { httpRoute } from '../../shared/http/route';
import { type AccountDeps, listAccounts } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';

/** GET /api/payment-accounts — every payment account, its lenders and webhook URL; never a secret. */
export async function main(deps: AccountDeps) {
  return { statusCode: 200, body: await listAccounts(deps) };
}

export const handler = httpRoute('list-accounts', {}, (req) => main(accountDeps()(req.headers)));
