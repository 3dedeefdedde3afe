/**
 * What a payment must look like before it may move money. A webhook's signature proves who
 * sent it, not that its content makes sense; a status refresh's body is Razorpay's word, read
 * by code that can be wrong. Every payment the crediting path is asked to credit passes here
 * first; one that fails is never applied and its link is flagged `invalid_event` for a person.
 */
import type { Provider } from './accounts';
import type { GatewayPayment } from './gateway';

export const PAYMENT_ID = /^pay_[A-Za-z0-9]{14}$/;
/**
 * EximPe's payment ids: `PR` + digits in v1 samples, UUIDs in v2 (reference §4: never validate
 * the format further). Letters, digits and `-` only, so they are safe as keys and in logs.
 */
export const EXIMPE_PAYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** The payment-id rule of a provider (absent: Razorpay, as links made before providers). */
function paymentIdOk(id: unknown, provider: Provider | undefined): boolean {
  if (typeof id !== 'string') return false;
  return provider === 'eximpe' ? EXIMPE_PAYMENT_ID.test(id) : PAYMENT_ID.test(id);
}
export const PLINK_ID = /^plink_[A-Za-z0-9]{14}$/;
/** Razorpay's method names are short lower-case words (card, upi, netbanking, emi, …) */
const METHOD = /^[a-z_]{1,32}$/;

/** The method as stored: Razorpay's word, or `unknown` for anything that is not one. */
export function safeMethod(method: string | null | undefined): string {
  return method && METHOD.test(method) ? method : 'unknown';
}

/** Why a payment may not be credited to a link of `linkAmount` paise, or null when it may. */
export function capturedPaymentProblem(
  p: GatewayPayment,
  linkAmount: number,
  provider?: Provider,
): string | null {
  if (!paymentIdOk(p.paymentId, provider)) return 'payment_id_malformed';
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0) return 'amount_not_positive_paise';
  if (p.amount > linkAmount) return 'amount_above_link_amount';
  if (p.currency !== 'INR') return 'currency_not_inr';
  if (p.status !== 'captured') return 'status_not_captured';
  if (!Number.isSafeInteger(p.createdAt) || p.createdAt <= 0) return 'created_at_malformed';
  return null;
}

/** A failed attempt carries no money but is stored: the same id and amount rules. */
export function failedAttemptProblem(
  p: {
    paymentId: string;
    amount: number;
    createdAt: number;
  },
  provider?: Provider,
): string | null {
  if (!paymentIdOk(p.paymentId, provider)) return 'payment_id_malformed';
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0) return 'amount_not_positive_paise';
  if (!Number.isSafeInteger(p.createdAt) || p.createdAt <= 0) return 'created_at_malformed';
  return null;
}
