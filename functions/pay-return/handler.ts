import { PAY_RETURN_HEADERS, renderPayReturn } from '../../shared/http/pay-return-page';
import { httpRoute } from '../../shared/http/route';
import {
  type PayReturnDeps,
  type PayReturnQuery,
  payReturn,
  payReturnQuerySchema,
} from '../../shared/usecases/pay-return';
import { perContainer } from '../../shared/wiring';
import { accountDirectory, type LinkConfig, linkConfig, makeLinkDeps } from '../../shared/wiring-links';

export function makeDeps(config: LinkConfig): PayReturnDeps {
  const { links, gateways } = makeLinkDeps(config);
  return {
    links,
    gateways,
    keySecretOf: async (account) => (await accountDirectory().credentials(account)).keySecret,
  };
}

const deps = perContainer(linkConfig, makeDeps);

/** GET /pay/return — public: the borrower's receipt after paying, when Razorpay's signature verifies. */
export async function main(deps: PayReturnDeps, query: PayReturnQuery) {
  const view = await payReturn(deps, query);
  return {
    statusCode: 200,
    headers: PAY_RETURN_HEADERS,
    content: { type: 'text/html; charset=utf-8', body: renderPayReturn(view) },
  };
}

export const handler = httpRoute('pay-return', { query: payReturnQuerySchema }, (req) =>
  main(deps(), req.query),
);
