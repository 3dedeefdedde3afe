/** The sandbox's in-memory records. They hold facts; entities.ts turns them into Razorpay's JSON shapes. */

export type LinkStatus = 'created' | 'partially_paid' | 'paid' | 'cancelled' | 'expired';
export const TERMINAL_STATUSES: ReadonlySet<LinkStatus> = new Set(['paid', 'cancelled', 'expired']);

export const PAYMENT_METHODS = ['upi', 'card', 'netbanking', 'wallet'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** Notes keep the key order they were sent in (Razorpay copies them to order and payment that way). */
export type Notes = Record<string, string | number | boolean>;

export interface Customer {
  name?: string;
  email?: string;
  contact?: string;
}

/** What a valid create request asks for; the store adds ids, timestamps and status. */
export interface LinkDraft {
  amount: number;
  currency: string;
  acceptPartial: boolean;
  firstMinPartialAmount: number;
  description: string;
  /** '' when none */
  referenceId: string;
  customer: Customer;
  /** unix seconds; 0 when none (as Razorpay shows it) */
  expireBy: number;
  notes: Notes | null;
  notify: { email: boolean; sms: boolean; whatsapp: boolean };
  reminderEnable: boolean;
  callbackUrl: string;
  callbackMethod: string;
  upiLink: boolean;
}

/** A link as the sandbox keeps it: what was asked for, plus what Razorpay adds. */
export interface Link extends LinkDraft {
  id: string;
  amountPaid: number;
  expiredAt: number;
  cancelledAt: number;
  createdAt: number;
  updatedAt: number;
  /** the `<code>` of `short_url` = `${publicBaseUrl}/rzp/<code>` */
  shortCode: string;
  status: LinkStatus;
  /** set once the first payment attempt creates the order (Razorpay creates it lazily at checkout) */
  orderId: string | null;
  /** every attempt, captured or failed, oldest first */
  payments: Payment[];
}

export interface Order {
  id: string;
  linkId: string;
  amount: number;
  amountPaid: number;
  currency: string;
  /** the link's reference_id, or null */
  receipt: string | null;
  status: 'created' | 'attempted' | 'paid';
  attempts: number;
  createdAt: number;
}

export interface Payment {
  id: string;
  linkId: string;
  orderId: string;
  amount: number;
  currency: string;
  method: PaymentMethod;
  status: 'captured' | 'failed';
  createdAt: number;
  email: string;
  contact: string;
  /** method details, generated once so every event about this payment says the same */
  cardId: string | null;
  bank: string | null;
  wallet: string | null;
  vpa: string | null;
  acquirerData: Record<string, string | null>;
}

/** What the next refund creates do (`refundMode`, a sandbox knob): Razorpay's outcomes, made on demand. */
export const REFUND_MODES = ['processed', 'failed', 'refused', 'hang'] as const;
export type RefundMode = (typeof REFUND_MODES)[number];

/** A refund of part of a captured payment (`POST /v1/payments/:id/refund`). */
export interface Refund {
  id: string;
  paymentId: string;
  amount: number;
  currency: string;
  status: 'pending' | 'processed' | 'failed';
  receipt: string | null;
  notes: Notes | null;
  speedRequested: string;
  createdAt: number;
  /** the `X-Refund-Idempotency` value it was made with, if any */
  idempotencyKey: string | null;
}
