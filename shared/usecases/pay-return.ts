/**
 * The borrower's return page (architecture §4c): where Razorpay sends the browser after a
 * payment (`callback_url`, method get). Public and holding no data: it confirms a payment only
 * when `razorpay_signature` verifies under the key secret of the link's own payment account, and
 * then shows the amount, the loan id and the status — nothing else (no name, phone or e-mail).
 * Every other case — no signature, a forged or tampered one, a link we do not know — reads the
 * same "could not confirm". It never credits anything: webhooks do.
 */
import * as z from 'zod/mini';
import { type AccountRef, accountOfLink } from '../domain/accounts';
import type { PaymentGateways } from '../domain/gateway';
import { PAYMENT_ID, PLINK_ID } from '../domain/payment-checks';
import type { LinkStore } from '../domain/ports';
import { verifyCallbackSignature } from '../domain/webhook-signature';
import { log } from '../log';

/** never a 400: whatever arrives, the page answers (a malformed value reads "could not confirm") */
const param = z.optional(z.string());

/** Razorpay's redirect parameters; anything else in the query is ignored. */
export const payReturnQuerySchema = z.looseObject({
  razorpay_payment_id: param,
  razorpay_payment_link_id: param,
  razorpay_payment_link_reference_id: param,
  razorpay_payment_link_status: param,
  razorpay_signature: param,
});
export type PayReturnQuery = z.infer<typeof payReturnQuerySchema>;

export type PayReturnView =
  | { confirmed: true; amount: number | null; loanId: string; status: 'paid' | 'partially_paid' }
  | { confirmed: false };

export interface PayReturnDeps {
  links: Pick<LinkStore, 'findByRazorpayId'>;
  /** the API key secret of a payment account (Razorpay signs callbacks with it) */
  keySecretOf: (account: AccountRef) => Promise<string>;
  gateways: Pick<PaymentGateways, 'forAccount'>;
}

const UNCONFIRMED: PayReturnView = { confirmed: false };
const STATUSES = new Set(['paid', 'partially_paid']);

export async function payReturn(deps: PayReturnDeps, q: PayReturnQuery): Promise<PayReturnView> {
  const paymentId = q.razorpay_payment_id ?? '';
  const plinkId = q.razorpay_payment_link_id ?? '';
  const referenceId = q.razorpay_payment_link_reference_id ?? '';
  const status = q.razorpay_payment_link_status ?? '';
  if (!PAYMENT_ID.test(paymentId) || !PLINK_ID.test(plinkId) || !STATUSES.has(status)) return UNCONFIRMED;
  const link = await deps.links.findByRazorpayId(plinkId);
  if (!link || link.referenceId !== referenceId) return UNCONFIRMED;
  const account = accountOfLink(link);
  const keySecret = await deps.keySecretOf(account);
  const fields = { linkId: plinkId, referenceId, status, paymentId };
  if (!verifyCallbackSignature(fields, q.razorpay_signature, keySecret)) {
    log.warn('return page: callback signature did not verify', { linkId: link.id });
    return UNCONFIRMED;
  }
  // the amount: ours when the webhook got here first, else Razorpay's word for this payment
  let amount = link.payments.find((p) => p.paymentId === paymentId && p.status === 'captured')?.amount;
  if (amount === undefined) {
    try {
      const g = await (await deps.gateways.forAccount(account)).fetchLink(plinkId);
      amount = g.payments.find((p) => p.paymentId === paymentId && p.status === 'captured')?.amount;
    } catch (err) {
      // the signature is Razorpay's word that it was paid: say so, without an amount
      log.warn('return page: Razorpay could not be asked for the amount', { linkId: link.id, err });
    }
  }
  return {
    confirmed: true,
    amount: amount ?? null,
    loanId: link.loanId,
    status: status as 'paid' | 'partially_paid',
  };
}
