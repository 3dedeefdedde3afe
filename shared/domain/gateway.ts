/**
 * The PaymentGateway port: everything the use cases need from Razorpay. The only
 * implementation talking to Razorpay is shared/adapters/razorpay/gateway.ts (the only module
 * that imports the `razorpay` SDK); tests may pass fakes.
 */
import { type AccountRef, DEFAULT_ACCOUNT_ID } from './accounts';

/** Razorpay's payment-link statuses (reference.md §1.12). */
export const RAZORPAY_LINK_STATUSES = ['created', 'partially_paid', 'paid', 'expired', 'cancelled'] as const;
export type RazorpayLinkStatus = (typeof RAZORPAY_LINK_STATUSES)[number];

export interface CreateLinkRequest {
  /** paise, integer ≥ 100 */
  amount: number;
  currency: 'INR';
  description: string;
  /** unique per link, ≤ 40 chars, deterministic: retries reuse it */
  referenceId: string;
  customer: { name: string; contact?: string; email?: string };
  /** unix seconds */
  expireBy: number;
  acceptPartial: boolean;
  minPartialAmount?: number;
  notify: { sms: boolean; email: boolean };
  reminderEnable: boolean;
  /** ≤ 15 keys, each value ≤ 255 chars */
  notes: Record<string, string>;
  /** where the borrower's browser returns after paying (Razorpay `callback_url`, method get) */
  callbackUrl?: string;
  /** a UPI link (Razorpay `upi_link`): no partial payments */
  upiLink?: boolean;
}

/** What may change on an open link (Razorpay PATCH, reference.md §1.8); absent = unchanged. */
export interface LinkUpdate {
  /** unix seconds */
  expireBy?: number;
  reminderEnable?: boolean;
  acceptPartial?: boolean;
}

/** How a link is sent again to its borrower. */
export const NOTIFY_CHANNELS = ['sms', 'email'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

export interface GatewayPayment {
  paymentId: string;
  amount: number;
  /** as reported: the payment's own, or (a link's payment list has none) the link's */
  currency: string;
  method: string;
  status: string;
  /** unix seconds */
  createdAt: number;
}

/** A payment link as Razorpay reports it, reduced to what we use. */
export interface GatewayLink {
  id: string;
  referenceId: string;
  status: RazorpayLinkStatus;
  amount: number;
  amountPaid: number;
  currency: string;
  shortUrl: string;
  /** unix seconds, 0 when none */
  expireBy: number;
  /** unix seconds */
  createdAt: number;
  notes: Record<string, string>;
  /** captured payments (Razorpay lists only those) */
  payments: GatewayPayment[];
}

/** A refund to make (Razorpay `POST /v1/payments/:id/refund`). */
export interface RefundRequest {
  paymentId: string;
  /** paise */
  amount: number;
  /**
   * our refund id: Razorpay's `receipt` and its idempotency key (`X-Refund-Idempotency`), so
   * a repeat of this request never makes a second refund, and a lost answer can be looked up
   */
  refundId: string;
  /** ≤ 15 keys, each value ≤ 255 chars: our link id, so a refund webhook maps back */
  notes: Record<string, string>;
}

/** A refund as the provider reports it, reduced to what we use. */
export interface GatewayRefund {
  /** `rfnd_…` */
  id: string;
  paymentId: string;
  amount: number;
  currency: string;
  /** Razorpay: pending | processed | failed */
  status: string;
  /** what we sent as receipt (our refund id), or null */
  receipt: string | null;
  notes: Record<string, string>;
}

export interface PaymentGateway {
  /**
   * Creates the link, or returns the one Razorpay already has for this reference id (a
   * retry after a timeout, or a concurrent creator). Never creates a second link for the
   * same reference id. Throws GatewayError subclasses.
   */
  createLink(req: CreateLinkRequest): Promise<GatewayLink>;
  fetchLink(razorpayLinkId: string): Promise<GatewayLink>;
  /** null when Razorpay has no link with this reference id */
  findLinkByReferenceId(referenceId: string): Promise<GatewayLink | null>;
  /** Throws GatewayRejectedError with Razorpay's reason when the link cannot be cancelled. */
  cancelLink(razorpayLinkId: string): Promise<GatewayLink>;
  /**
   * Has the provider send the link again (Razorpay `notify_by`). Optional: a provider without it
   * answers 409 on resend. Throws GatewayRateLimitedError when the provider throttles resends.
   */
  notifyLink?(razorpayLinkId: string, via: NotifyChannel): Promise<void>;
  /** Changes an open link (Razorpay PATCH); optional like notifyLink. */
  updateLink?(razorpayLinkId: string, change: LinkUpdate): Promise<GatewayLink>;
  /**
   * Moves an open link's expiry to `expireBy` (unix seconds). Absent when the provider (or its
   * adapter) has no such call: the use case answers 422 FEATURE_NOT_SUPPORTED.
   */
  extendLink?(providerLinkId: string, expireBy: number): Promise<GatewayLink>;
  /**
   * One payment as the provider's payment API reports it, with the reference id of what it paid.
   * For providers whose webhooks name only a payment (EximPe): the event is mapped to our link
   * through this answer, never through the webhook body alone.
   */
  fetchPayment?(paymentId: string): Promise<ProviderPayment>;
  /**
   * Refunds part of a captured payment, bound to `req.refundId` (the provider's idempotency
   * key). When the answer is lost (timeout, 5xx, 429), the payment's refunds are looked up for
   * this refund id before anything else; found, it is returned; otherwise the error is thrown
   * and the caller keeps its reservation. Optional: a provider without refunds answers 422.
   */
  refundPayment?(req: RefundRequest): Promise<GatewayRefund>;
  /** The payment's refunds with this receipt (our refund id), or null when it has none. */
  findRefund?(paymentId: string, refundId: string): Promise<GatewayRefund | null>;
}

/** A payment read from the provider's API, with the reference id (our link id) it belongs to. */
export interface ProviderPayment extends GatewayPayment {
  /** the paid order's `reference_id`: our link id; '' when the provider gave none */
  referenceId: string;
  orderId?: string;
}

/**
 * Gateways by payment account (architecture §4b): a link is created, refreshed and cancelled
 * through its own account, for life. Provider-neutral: an account's `provider` picks the adapter.
 */
export interface PaymentGateways {
  /** The account new links of this lender are created on (`default` when it has none). */
  accountFor(lender: string): Promise<AccountRef>;
  /** The gateway of one account; throws NotFoundError for an account that does not exist. */
  forAccount(account: AccountRef): Promise<PaymentGateway>;
}

/** One gateway for every account: for tests and single-account tools. */
export function singleAccount(gateway: PaymentGateway): PaymentGateways {
  return {
    accountFor: async () => ({ accountId: DEFAULT_ACCOUNT_ID, provider: 'razorpay' }),
    forAccount: async () => gateway,
  };
}
