/** The contract's Link shape, from a stored link. */
import { accountOfLink } from '../domain/accounts';
import type { Link as StoredLink } from '../domain/model';
import type { Link } from '../schemas/responses';

/** The shape is declared once, as a zod schema (shared/schemas/responses.ts). */
export type LinkView = Link;

export function toLinkView(link: StoredLink): LinkView {
  const account = accountOfLink(link);
  return {
    id: link.id,
    // the stored field is the provider's id; the contract's razorpayLinkId is Razorpay's only
    razorpayLinkId: account.provider === 'razorpay' ? (link.razorpayLinkId ?? null) : null,
    providerLinkId: link.razorpayLinkId ?? null,
    referenceId: link.referenceId,
    loanId: link.loanId,
    emiNumber: link.scope === 'loan' ? null : link.emiNumber,
    scope: link.scope ?? 'emi',
    covers:
      link.scope === 'loan'
        ? (link.covers ?? []).map((c) => ({ emiNumber: c.emiNumber, amount: c.amount }))
        : null,
    lender: link.lender,
    clientName: link.clientName,
    amount: link.amount,
    amountPaid: link.amountPaid,
    currency: link.currency,
    shortUrl: link.shortUrl ?? null,
    status: link.status,
    expireBy: link.expireBy > 0 ? new Date(link.expireBy * 1000).toISOString() : null,
    createdAt: link.createdAt,
    updatedAt: link.updatedAt,
    // the contract's five fields (a failed attempt's reason is in the link's detail)
    payments: link.payments.map((p) => ({
      paymentId: p.paymentId,
      amount: p.amount,
      method: p.method,
      status: p.status,
      capturedAt: p.capturedAt,
    })),
    cancelReason: link.cancelReason ?? null,
    attention: link.attention ?? null,
    acceptPartial: link.acceptPartial,
    upiLink: link.upiLink ?? false,
    minPartialAmount: link.minPartialAmount ?? null,
    error: link.error ? { code: link.error.code, message: link.error.message } : null,
    jobId: link.jobId ?? null,
    createdBy: link.createdBy ?? null,
    cancelledBy: link.cancelledBy ?? null,
    ...account,
  };
}
