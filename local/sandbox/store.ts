/**
 * The sandbox's state and its rules: links indexed by id, reference id, payment id and short
 * code (Maps, so every lookup is O(1) however many links a benchmark creates), the status
 * machine (created → partially_paid → paid, created → cancelled | expired), orders and
 * payments. Every change that Razorpay would announce is handed to `publish` as webhook events.
 */
import { linkStateEvent, paymentEvents, refundEvents, type WebhookEvent } from './entities';
import { ApiError, invalidId, invalidStrippedId, linkError, linkErrorBody, MSG } from './errors';
import type { Link, Order, Payment, PaymentMethod, Refund, RefundMode } from './model';
import { base62, digits, newId } from './random';
import { type Body, checkNotes, type RuleContext, validateCreate, validateUpdate } from './validation';

/** A control-API failure (our own routes, not Razorpay's): an HTTP status and a readable message. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface StoreOptions {
  accountId: string;
  testMode: boolean;
  maxAmount: number;
  /** milliseconds since the epoch */
  clock: () => number;
  shortUrl: (code: string) => string;
  publish: (events: WebhookEvent[]) => void;
  /** resends allowed per link and medium in any 60 s (0 = unlimited); read on every resend */
  notifyPerMinute?: () => number;
  /** what refund creates do (read on every refund; default processed) */
  refundMode?: () => RefundMode;
}

/** One resend the sandbox "sent" (nothing leaves the machine): for tests and demos. */
export interface Notification {
  linkId: string;
  medium: string;
  /** unix seconds */
  at: number;
}

export interface PayRequest {
  amount?: number;
  method?: PaymentMethod;
  outcome?: 'captured' | 'failed';
}

const ID_BODY = /^[0-9A-Za-z]{14}$/;

export class Store {
  readonly links = new Map<string, Link>();
  /** every reference id ever used (Razorpay: "creation with reference ID already attempted" in any state) */
  private readonly byReference = new Map<string, Link>();
  private readonly byPayment = new Map<string, Link>();
  private readonly byShortCode = new Map<string, Link>();
  private readonly orders = new Map<string, Order>();
  /** `created` links with an expire_by, checked by the expiry timer */
  private readonly expiring = new Set<Link>();
  creates = 0;
  /** refunds by id, oldest first */
  readonly refunds = new Map<string, Refund>();
  private readonly refundsByKey = new Map<string, Refund>();
  /** every resend accepted, oldest first */
  readonly notifications: Notification[] = [];

  constructor(private readonly options: StoreOptions) {}

  /** Razorpay's `account_id` of this merchant */
  get accountId(): string {
    return this.options.accountId;
  }

  now(): number {
    return Math.floor(this.options.clock() / 1000);
  }

  shortUrl(link: Link): string {
    return this.options.shortUrl(link.shortCode);
  }

  private rules(): RuleContext {
    return {
      now: this.now(),
      testMode: this.options.testMode,
      maxAmount: this.options.maxAmount,
      referenceTaken: (referenceId) => this.byReference.has(referenceId),
    };
  }

  create(body: Body): Link {
    const draft = validateCreate(body, this.rules());
    const now = this.now();
    let shortCode = base62(8);
    while (this.byShortCode.has(shortCode)) shortCode = base62(8);
    const link: Link = {
      ...draft,
      id: newId('plink'),
      amountPaid: 0,
      expiredAt: 0,
      cancelledAt: 0,
      createdAt: now,
      updatedAt: now,
      shortCode,
      status: 'created',
      orderId: null,
      payments: [],
    };
    this.links.set(link.id, link);
    this.byShortCode.set(shortCode, link);
    if (link.referenceId !== '') this.byReference.set(link.referenceId, link);
    if (link.expireBy > 0) this.expiring.add(link);
    this.creates++;
    return link;
  }

  /**
   * The link for an id taken from a /v1 path, or Razorpay's error: a malformed id gives
   * `invalid input [strippedId] = [...]`, an unknown one `The id provided does not exist` (400).
   */
  get(id: string): Link {
    const stripped = id.startsWith('plink_') ? id.slice('plink_'.length) : id;
    if (!ID_BODY.test(stripped)) throw linkError(invalidStrippedId(stripped));
    const link = this.links.get(`plink_${stripped}`);
    if (link === undefined) throw linkError(MSG.idNotFound);
    return link;
  }

  /** notify_by validates ids with its own texts (reference §1.10). */
  getForNotify(id: string): Link {
    if (!id.startsWith('plink_')) throw linkError(invalidId(id));
    const stripped = id.slice('plink_'.length);
    if (stripped.length !== 14) throw linkError(MSG.notifyIdLength);
    const link = ID_BODY.test(stripped) ? this.links.get(id) : undefined;
    if (link === undefined) throw linkError(`${MSG.idNotFound}.`);
    return link;
  }

  /**
   * A resend of a link by `medium` (the caller checked the medium): recorded, or Razorpay's 429
   * when this link was sent by this medium `notifyPerMinute` times in the last 60 s.
   */
  notify(link: Link, medium: string): void {
    const limit = this.options.notifyPerMinute?.() ?? 0;
    const nowMs = this.options.clock();
    if (limit > 0) {
      const recent = this.notifications.filter(
        (n) => n.linkId === link.id && n.medium === medium && nowMs - n.at * 1000 < 60_000,
      );
      if (recent.length >= limit) throw new ApiError(429, linkErrorBody(MSG.notifyThrottled));
    }
    this.notifications.push({ linkId: link.id, medium, at: nowMs / 1000 });
  }

  byShortCodeOrUndefined(code: string): Link | undefined {
    return this.byShortCode.get(code);
  }

  /** Links newest first, filtered as `GET /v1/payment_links` does. */
  list(filter: { referenceId?: string; paymentId?: string; upiLink?: boolean }): Link[] {
    let candidates: Link[];
    if (filter.referenceId !== undefined) {
      const link = this.byReference.get(filter.referenceId);
      candidates = link !== undefined && link.referenceId === filter.referenceId ? [link] : [];
    } else if (filter.paymentId !== undefined) {
      const link = this.byPayment.get(filter.paymentId);
      candidates = link === undefined ? [] : [link];
    } else {
      candidates = [...this.links.values()].reverse();
    }
    return candidates.filter(
      (link) =>
        (filter.paymentId === undefined || this.byPayment.get(filter.paymentId) === link) &&
        (filter.upiLink === undefined || link.upiLink === filter.upiLink),
    );
  }

  update(link: Link, body: Body): Link {
    this.expireIfDue(link);
    const patch = validateUpdate(link, body, this.rules());
    if (
      patch.referenceId !== undefined &&
      patch.referenceId !== link.referenceId &&
      patch.referenceId !== ''
    ) {
      this.byReference.set(patch.referenceId, link);
    }
    Object.assign(link, patch);
    if (link.status === 'created' && link.expireBy > 0) this.expiring.add(link);
    else this.expiring.delete(link);
    link.updatedAt = this.now();
    return link;
  }

  cancel(link: Link): Link {
    this.expireIfDue(link);
    this.assertCancellable(link);
    const now = this.now();
    link.status = 'cancelled';
    link.cancelledAt = now;
    link.updatedAt = now;
    this.expiring.delete(link);
    this.options.publish([
      linkStateEvent(this.options.accountId, 'payment_link.cancelled', link, this.shortUrl(link)),
    ]);
    return link;
  }

  private assertCancellable(link: Link): void {
    if (link.status === 'paid' || link.status === 'partially_paid') throw linkError(MSG.cancelPaid);
    // Razorpay answers the same text for an already-cancelled link
    if (link.status === 'expired' || link.status === 'cancelled') throw linkError(MSG.cancelExpired);
  }

  /**
   * Expires a `created` link now, as Razorpay's expiry job does: `expired_at` set, `updated_at`
   * left as it was (as in Razorpay's samples), `payment_link.expired` sent. Throws Razorpay's
   * cancel/expire texts for any other state.
   */
  expire(link: Link): Link {
    this.assertCancellable(link);
    link.status = 'expired';
    link.expiredAt = this.now();
    this.expiring.delete(link);
    this.options.publish([
      linkStateEvent(this.options.accountId, 'payment_link.expired', link, this.shortUrl(link)),
    ]);
    return link;
  }

  /** A link whose expire_by has passed but the timer has not reached yet is expired first. */
  private expireIfDue(link: Link): void {
    if (link.status === 'created' && link.expireBy > 0 && link.expireBy <= this.now()) this.expire(link);
  }

  /** The expiry timer's tick: expires every `created` link whose expire_by has passed. */
  expireDue(): number {
    const now = this.now();
    let expired = 0;
    for (const link of this.expiring) {
      if (link.expireBy <= now) {
        this.expire(link);
        expired++;
      }
    }
    return expired;
  }

  /**
   * A borrower pays (or fails to pay) on the link's checkout. Validates like the hosted page
   * would: only open links, nothing beyond what is due, partial amounts only when the link
   * accepts them and not below the first minimum.
   */
  pay(link: Link, request: PayRequest): Payment {
    this.expireIfDue(link);
    if (link.status !== 'created' && link.status !== 'partially_paid') {
      throw new ControlError(400, `payment link ${link.id} is ${link.status} and cannot be paid`);
    }
    const due = link.amount - link.amountPaid;
    const amount = request.amount ?? due;
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new ControlError(400, 'amount must be a positive integer (paise)');
    }
    if (amount > due) throw new ControlError(400, `amount ${amount} exceeds the amount due (${due})`);
    if (amount < due) {
      if (!link.acceptPartial) {
        throw new ControlError(400, `payment link ${link.id} does not accept partial payments: pay ${due}`);
      }
      const minimum = link.amountPaid === 0 ? link.firstMinPartialAmount : 100;
      if (amount < minimum) {
        throw new ControlError(400, `a partial payment must be at least ${minimum} (or the full ${due} due)`);
      }
    }

    const now = this.now();
    const order = this.orderFor(link, now);
    order.attempts++;
    const payment = this.newPayment(
      link,
      order,
      amount,
      request.method ?? 'upi',
      request.outcome ?? 'captured',
      now,
    );
    link.payments.push(payment);
    this.byPayment.set(payment.id, link);

    if (payment.status === 'captured') {
      link.amountPaid += amount;
      order.amountPaid += amount;
      link.status = link.amountPaid === link.amount ? 'paid' : 'partially_paid';
      order.status = order.amountPaid === order.amount ? 'paid' : 'attempted';
      link.updatedAt = now;
      this.expiring.delete(link);
    } else if (order.status === 'created') {
      order.status = 'attempted';
    }
    this.options.publish(
      paymentEvents(this.options.accountId, link, order, payment, this.shortUrl(link), now),
    );
    return payment;
  }

  private orderFor(link: Link, now: number): Order {
    const existing = link.orderId === null ? undefined : this.orders.get(link.orderId);
    if (existing !== undefined) return existing;
    const order: Order = {
      id: newId('order'),
      linkId: link.id,
      amount: link.amount,
      amountPaid: 0,
      currency: link.currency,
      receipt: link.referenceId === '' ? null : link.referenceId,
      status: 'created',
      attempts: 0,
      createdAt: now,
    };
    this.orders.set(order.id, order);
    link.orderId = order.id;
    return order;
  }

  private newPayment(
    link: Link,
    order: Order,
    amount: number,
    method: PaymentMethod,
    outcome: 'captured' | 'failed',
    now: number,
  ): Payment {
    const ok = outcome === 'captured';
    const payment: Payment = {
      id: newId('pay'),
      linkId: link.id,
      orderId: order.id,
      amount,
      currency: link.currency,
      method,
      status: outcome,
      createdAt: now,
      // Razorpay does not collect these on a link's checkout unless given (real capture)
      email: link.customer.email ?? 'void@razorpay.com',
      contact: normaliseContact(link.customer.contact),
      cardId: null,
      bank: null,
      wallet: null,
      vpa: null,
      acquirerData: {},
    };
    switch (method) {
      case 'upi':
        payment.vpa = ok ? 'success@razorpay' : 'failure@razorpay';
        payment.acquirerData = ok
          ? { rrn: digits(12), upi_transaction_id: base62(32).toUpperCase() }
          : { rrn: null };
        break;
      case 'card':
        payment.cardId = newId('card');
        payment.acquirerData = ok
          ? { auth_code: digits(6), rrn: digits(12) }
          : { auth_code: null, rrn: null };
        break;
      case 'netbanking':
        payment.bank = 'HDFC';
        payment.acquirerData = { bank_transaction_id: ok ? digits(10) : null };
        break;
      case 'wallet':
        payment.wallet = 'payzapp';
        payment.acquirerData = { transaction_id: null };
        break;
    }
    return payment;
  }

  get refundMode(): RefundMode {
    return this.options.refundMode?.() ?? 'processed';
  }

  /** The captured payment for an id from a /v1 path, or Razorpay's error. */
  payment(id: string): { link: Link; payment: Payment } {
    if (!/^pay_[0-9A-Za-z]{14}$/.test(id)) throw linkError(invalidId(id));
    const link = this.byPayment.get(id);
    const payment = link?.payments.find((p) => p.id === id);
    if (link === undefined || payment === undefined) throw linkError(MSG.idNotFound);
    return { link, payment };
  }

  /** Paise refunded (or being refunded) of a payment: every refund that has not failed. */
  refunded(paymentId: string): number {
    let sum = 0;
    for (const r of this.refunds.values())
      if (r.paymentId === paymentId && r.status !== 'failed') sum += r.amount;
    return sum;
  }

  refundsOf(paymentId: string): Refund[] {
    return [...this.refunds.values()].filter((r) => r.paymentId === paymentId);
  }

  refund(id: string): Refund {
    const r = this.refunds.get(id);
    if (r === undefined) throw linkError(MSG.idNotFound);
    return r;
  }

  /**
   * `POST /v1/payments/:id/refund`: at most captured − refunded; the same `X-Refund-Idempotency`
   * value answers the first refund again and makes no second one. The refund starts `pending`;
   * `refund.created` and then `refund.processed` (or, in `refundMode: "failed"`, `refund.failed`)
   * are sent. `refundMode: "refused"` answers 400 and makes none.
   */
  createRefund(paymentId: string, body: Body, idempotencyKey: string | null): Refund {
    if (idempotencyKey !== null) {
      const known = this.refundsByKey.get(idempotencyKey);
      if (known !== undefined) return known;
    }
    const { link, payment } = this.payment(paymentId);
    if (payment.status !== 'captured') throw linkError(MSG.refundNotCaptured);
    const mode = this.refundMode;
    if (mode === 'refused') throw linkError(MSG.refundRefused);
    const refundedBefore = this.refunded(payment.id);
    const left = payment.amount - refundedBefore;
    if (left <= 0) throw linkError(MSG.refundFully);
    const amount = body['amount'] === undefined ? left : body['amount'];
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
      throw linkError(MSG.refundAmountInvalid);
    }
    if (amount > left) throw linkError(MSG.refundAmountTooLarge);
    const receipt = body['receipt'];
    if (receipt !== undefined && receipt !== null && (typeof receipt !== 'string' || receipt.length > 40)) {
      throw linkError(MSG.receiptLength);
    }
    const speed = body['speed'] === 'optimum' ? 'optimum' : 'normal';
    const refund: Refund = {
      id: newId('rfnd'),
      paymentId: payment.id,
      amount,
      currency: payment.currency,
      status: 'pending',
      receipt: typeof receipt === 'string' ? receipt : null,
      notes: checkNotes(body['notes']),
      speedRequested: speed,
      createdAt: this.now(),
      idempotencyKey,
    };
    this.refunds.set(refund.id, refund);
    if (idempotencyKey !== null) this.refundsByKey.set(idempotencyKey, refund);
    const outcome = mode === 'failed' ? 'failed' : 'processed';
    this.options.publish(
      refundEvents(this.options.accountId, link, payment, refund, refundedBefore, outcome, this.now()),
    );
    // the answer shows it as created (pending); the status moves on as the webhooks say
    const answered = { ...refund };
    refund.status = outcome;
    return answered;
  }

  reset(): void {
    this.refunds.clear();
    this.refundsByKey.clear();
    this.links.clear();
    this.byReference.clear();
    this.byPayment.clear();
    this.byShortCode.clear();
    this.orders.clear();
    this.expiring.clear();
    this.creates = 0;
    this.notifications.length = 0;
  }
}

/** `9000090000` → `+919000090000`, as Razorpay shows the payer's contact. */
function normaliseContact(contact: string | undefined): string {
  if (contact === undefined) return '+919000090000';
  if (contact.startsWith('+')) return contact.replace(/[^+0-9]/g, '');
  const digitsOnly = contact.replace(/\D/g, '');
  return digitsOnly.length === 10 ? `+91${digitsOnly}` : `+${digitsOnly}`;
}
