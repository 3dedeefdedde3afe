import { httpRoute } from '../../shared/http/route';
import { accountIdPathSchema } from '../../shared/schemas/accounts';
import { main, receiverDeps } from '../webhook/handler';

/**
 * POST /webhooks/razorpay/{accountId} — one payment account's webhook URL (architecture §4b):
 * checked with that account's secrets only; an unknown account is a 404 and nothing is stored.
 */
// no body schema: the JSON body parser must never run in front of a signature check
export const handler = httpRoute(
  'webhook-account',
  { anyContentType: true, path: accountIdPathSchema },
  (req) => main(receiverDeps(), { accountId: req.path.accountId, body: req.rawBody(), headers: req.headers }),
);
