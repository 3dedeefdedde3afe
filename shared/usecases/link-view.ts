/** The contract's Link shape, from a stored link. */
import type { ActorRef, Link } from '../domain/model';

export interface LinkView {
  id: string;
  razorpayLinkId: string | null;
  referenceId: string;
  loanId: string;
  emiNumber: number;
  lender: string;
  clientName: string;
  amount: number;
  amountPaid: number;
  currency: string;
  shortUrl: string | null;
  status: Link['status'];
  expireBy: string | null;
  createdAt: string;
  updatedAt: string;
  payments: Link['payments'];
  cancelReason: string | null;
  attention: string | null;
  acceptPartial: boolean;
  minPartialAmount: number | null;
  error: { code: string; message: string } | null;
  jobId: string | null;
  createdBy: ActorRef | null;
  cancelledBy: ActorRef | null;
}

export function toLinkView(link: Link): LinkView {
  return {
    id: link.id,
    razorpayLinkId: link.razorpayLinkId ?? null,
    referenceId: link.referenceId,
    loanId: link.loanId,
    emiNumber: link.emiNumber,
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
    payments: link.payments,
    cancelReason: link.cancelReason ?? null,
    attention: link.attention ?? null,
    acceptPartial: link.acceptPartial,
    minPartialAmount: link.minPartialAmount ?? null,
    error: link.error ? { code: link.error.code, message: link.error.message } : null,
    jobId: link.jobId ?? null,
    createdBy: link.createdBy ?? null,
    cancelledBy: link.cancelledBy ?? null,
  };
}
