import { httpRoute } from '../../shared/http/route';
import { accountIdPathSchema } from '../../shared/schemas/accounts';
import { main, receiverDeps } from '../webhook/handler';

/**
 * POST /webhooks/eximpe/{accountId} — an EximPe payment account's webhook URL: `X-Webhook-Signature`
 * checked with that account's secrets only (401 otherwise, nothing stored; unknown account 404),
 * recorded once per `sequence_number`, archived under raw/eximpe/webhooks/, queued, 200.
 */
// no body schema: the JSON body parser must never run in front of a signature check
export const handler = httpRoute(
  'webhook-eximpe',
  { anyContentType: true, path: accountIdPathSchema },
  (req) =>
    main(receiverDeps(), {
      accountId: req.path.accountId,
      provider: 'eximpe',
      body: req.rawBody(),
      headers: req.headers,
    }),
);
