/** The domain's records, as use cases see them (storage keys live in shared/adapters/dynamo/schema.ts). */
import type { Provider } from './accounts';
import type { Currency } from './money';
import type { LinkEvent } from './timeline';

export interface Loan {
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  email?: string;
}

/** A link registered on its EMI (the consistency anchor): enough to answer "which links are open". */
export interface EmiLinkRef {
  linkId: string;
  razorpayLinkId?: string;
  shortUrl?: string;
  status: LinkStatus;
  amount: number;
  /** unix seconds */
  expireBy: number;
  createdAt: string;
  /** the payment account it lives in (absent: `default`, made before accounts existed) */
  accountId?: string;
  provider?: Provider;
  /** a UPI link (absent: standard) */
  upiLink?: boolean;
  /** a link for the loan's whole overdue amount, registered on every EMI it covers (absent: one EMI's) */
  scope?: 'loan';
}

export interface Emi {
  loanId: string;
  lender: string;
  clientName: string;
  phone: string;
  email?: string;
  emiNumber: number;
  dueDate: string;
  /** the instalment amount, paise */
  amount: number;
  /** paid through other channels, as reported by POST /api/loans */
  amountPaidExternal: number;
  /** credited from Razorpay payments by the one crediting path */
  amountCredited: number;
  currency: Currency;
  /** links not yet settled, keyed by link id (created, partially paid, or being created) */
  links: Record<string, EmiLinkRef>;
  /** set when a later schedule no longer contains this EMI */
  removed: boolean;
  /** optimistic-lock counter */
  version: number;
  updatedAt: string;
}

export function emiAmountPaid(emi: Pick<Emi, 'amountPaidExternal' | 'amountCredited'>): number {
  return emi.amountPaidExternal + emi.amountCredited;
}

export function emiOutstanding(emi: Pick<Emi, 'amount' | 'amountPaidExternal' | 'amountCredited'>): number {
  return Math.max(0, emi.amount - emiAmountPaid(emi));
}

export function emiIsPending(emi: Emi): boolean {
  return !emi.removed && emiOutstanding(emi) > 0;
}

/**
 * Razorpay's statuses plus `failed` (Razorpay refused, or never answered — the error is kept)
 * and `creating` (our record exists and the Razorpay call is in flight; an extension of the
 * contract that is visible only for the duration of one create call).
 */
export const LINK_STATUSES = [
  'creating',
  'created',
  'partially_paid',
  'paid',
  'expired',
  'cancelled',
  'failed',
] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];

/** Statuses in which a borrower can still pay the link. */
export const OPEN_STATUSES: readonly LinkStatus[] = ['created', 'partially_paid'];

/**
 * Forward-only status moves. Rank decides: a lower rank never overwrites a higher one, so a
 * paid link never becomes created/expired again whatever order events arrive in. `paid` is
 * final; `expired`/`cancelled` may still become `paid` only through a late payment (which is
 * credited and flagged), never the other way round.
 */
const RANK: Record<LinkStatus, number> = {
  creating: 0,
  failed: 1,
  created: 2,
  partially_paid: 3,
  expired: 4,
  cancelled: 4,
  paid: 5,
};

/** Our link ids (also the provider's reference ids): `lnk_` + 20 lower-case base32-ish characters. */
export const LINK_ID = /^lnk_[a-z0-9]{20}$/;

/**
 * Not settled: a borrower may still pay it (open at the provider), or our create is not yet
 * resolved. The EMI anchor keeps exactly these links, and reconciliation watches exactly these.
 */
export function isUnsettled(link: Pick<Link, 'status' | 'error'>): boolean {
  return (
    OPEN_STATUSES.includes(link.status) ||
    link.status === 'creating' ||
    (link.status === 'failed' && link.error?.unresolved === true)
  );
}

export function canMoveStatus(from: LinkStatus, to: LinkStatus): boolean {
  if (from === to) return false;
  if (from === 'paid') return false;
  // a late payment on a dead link: money wins over the link's death
  if ((from === 'expired' || from === 'cancelled') && (to === 'paid' || to === 'partially_paid')) return true;
  return RANK[to] > RANK[from];
}

export type CancelReason =
  | 'sibling_paid'
  | 'emi_settled'
  | 'emi_removed'
  | 'manual'
  | 'razorpay'
  /** a loan link whose covered EMI was paid through its own link: its amount no longer fits */
  | 'covered_emi_paid';
export type AttentionReason =
  | 'paid_after_cancel'
  | 'paid_after_expiry'
  | 'overpaid'
  | 'sibling_partially_paid'
  /** Razorpay reported a payment that makes no sense (amount, currency, status, ids): not applied */
  | 'invalid_event'
  /** a refund made outside this tool (Razorpay's Dashboard) took more than the link's surplus */
  | 'refund_beyond_surplus';

export interface LinkPayment {
  paymentId: string;
  amount: number;
  method: string;
  status: 'captured' | 'failed';
  capturedAt: string;
  /** a failed attempt's reason, as Razorpay words it (its `error_description`, bounded) */
  errorReason?: string;
  /** a loan link's payment: what each covered EMI was credited, oldest first (./allocation.ts) */
  allocations?: Allocation[];
}

/** One EMI's share of a payment on a loan link, paise. */
export interface Allocation {
  emiNumber: number;
  amount: number;
}

/** What a loan link covers: each EMI and its outstanding when the link was made. */
export interface Cover {
  emiNumber: number;
  amount: number;
}

/**
 * A loan link (`scope: 'loan'`) is stored with this EMI number: no EMI has it (numbers start at
 * 1), so the loan+EMI index lists a loan's loan links under their own key and the contract's
 * `emiNumber` is null for them (link-view.ts).
 */
export const LOAN_SCOPE_EMI_NUMBER = 0;

/** The EMIs whose anchors hold a link: its own EMI, or every EMI a loan link covers. */
export function anchorEmiNumbers(link: Pick<Link, 'emiNumber' | 'scope' | 'covers'>): number[] {
  return link.scope === 'loan' ? (link.covers ?? []).map((c) => c.emiNumber) : [link.emiNumber];
}

export interface LinkError {
  code: string;
  message: string;
  /** true when Razorpay never answered: the link may still exist there (resolved by reference id) */
  unresolved: boolean;
}

/** A refund's state: `pending` holds its amount against the surplus until Razorpay settles it. */
export type RefundStatus = 'pending' | 'processed' | 'failed';

/**
 * A refund of surplus money on one of the link's payments (architecture §4c), kept on the link
 * itself: the reservation, the link's money and its timeline move in one guarded write.
 */
export interface LinkRefund {
  /** ours, deterministic (`rfd_…`, see domain/refunds.ts): Razorpay's `receipt` and idempotency key */
  refundId: string;
  /** Razorpay's (`rfnd_…`), once it answered or a webhook named it */
  providerRefundId?: string;
  paymentId: string;
  /** paise */
  amount: number;
  status: RefundStatus;
  /** the admin's words (bounded); absent on refunds made outside this tool */
  reason?: string;
  requestedAt: string;
  requestedBy?: ActorRef;
  updatedAt: string;
  /** Razorpay's reason, when it refused or failed the refund */
  failureReason?: string;
  /** made outside this tool (Razorpay's Dashboard) and learnt from a webhook */
  external?: boolean;
}

/** Who did something (architecture §4a): a person or a machine client, as `{ sub, name }`. */
export interface ActorRef {
  sub: string;
  name: string;
}

export interface Link {
  id: string;
  /**
   * The provider's own id of the link, whichever the provider (Razorpay `plink_…`, EximPe
   * `payment_id`): one stored field and index, named for the first provider. The contract shows
   * it as `providerLinkId`, and as `razorpayLinkId` for Razorpay links only (link-view.ts).
   */
  razorpayLinkId?: string;
  referenceId: string;
  loanId: string;
  emiNumber: number;
  lender: string;
  clientName: string;
  amount: number;
  amountPaid: number;
  currency: Currency;
  shortUrl?: string;
  status: LinkStatus;
  /** unix seconds */
  expireBy: number;
  acceptPartial: boolean;
  minPartialAmount?: number;
  createdAt: string;
  updatedAt: string;
  payments: LinkPayment[];
  failedAttempts: number;
  cancelReason?: CancelReason;
  attention?: AttentionReason;
  error?: LinkError;
  /** bulk job that created it, if any */
  jobId?: string;
  /** who asked for it (for a bulk link: who started the job) */
  createdBy?: ActorRef;
  /** who cancelled it by hand (`cancelReason: manual`) */
  cancelledBy?: ActorRef;
  /** last time Razorpay told us about it (webhook or refresh) */
  lastSyncedAt?: string;
  /**
   * The payment account it was created on, kept for life (architecture §4b); absent on links
   * made before accounts existed, which belong to `default`.
   */
  accountId?: string;
  provider?: Provider;
  /** its timeline (architecture §4c), written with each change: see ./timeline.ts */
  events?: LinkEvent[];
  /** Razorpay sends reminders for it (`reminder_enable`); absent on older links: as configured then */
  reminders?: boolean;
  /** a Razorpay UPI link: UPI only, never partial payments (absent: a standard link) */
  upiLink?: boolean;
  /** `loan`: one link for the loan's overdue EMIs (`covers`); absent: one EMI's (`emiNumber`) */
  scope?: 'loan';
  /** a loan link's EMIs, oldest first, with their outstanding when it was made (sum = amount) */
  covers?: Cover[];
  /** refunds of its surplus money, oldest first (absent: none) */
  refunds?: LinkRefund[];
}
