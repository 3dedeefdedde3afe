import { PAY_RETURN_HEADERS, renderPayReturn } from '../../shared/http/pay-return-page';
import { httpRoute } from '../../shared/http/route';
import { type PayReturnQuery, payReturn, payReturnQuerySchema } from '../../shared/usecases/pay-return';
import { links } from '../../shared/wiring';
import { accountDirectory, gateways } from '../../shared/wiring-links';

/** GET /pay/return — public: the borrower's receipt after paying, when Razorpay's signature verifies. */
export async function main(query: PayReturnQuery) {
  const view = await payReturn(
    {
      links: links(),
      keySecretOf: async (account) => (await accountDirectory().credentials(account)).keySecret,
      gateways: gateways(),
    },
    query,
  );
  return {
    statusCode: 200,
    headers: PAY_RETURN_HEADERS,
    content: { type: 'text/html; charset=utf-8', body: renderPayReturn(view) },
  };
}

export const handler = httpRoute('pay-return', { query: payReturnQuerySchema }, (req) => main(req.query));
