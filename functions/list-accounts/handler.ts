import { httpRoute } from '../../shared/http/route';
import { listAccounts } from '../../shared/usecases/payment-accounts';
import { accountDeps } from '../../shared/wiring-accounts';

/** GET /api/payment-accounts — every payment account, its lenders and webhook URL; never a secret. */
export async function main(headers: Record<string, string | undefined>) {
  return { statusCode: 200, body: await listAccounts(accountDeps(headers)) };
}

export const handler = httpRoute('list-accounts', {}, (req) => main(req.headers));
