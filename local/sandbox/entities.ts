/**
 * Razorpay's JSON shapes for links, orders, payments and webhook events, built from the
 * sandbox's records. Key order matters for webhooks: `payment.*` and `order.*` bodies use
 * Razorpay's natural order, `payment_link.*` bodies have every object's keys sorted (both
 * confirmed byte for byte against real deliveries, reference §3.2 and samples.json).
 */
import type { Link, Notes, Order, Payment, Refund } from './model';

type Json = Record<string, unknown>;

/** How `payments` appears: `null` in a create answer, the captured payments when fetched, `[]` in lists. */
export type PaymentsView = 'null' | 'captured' | 'empty';

function customerEntity(link: Link): Json | [] {
  const { contact, email, name } = link.customer;
  if (contact === undefined && email === undefined && name === undefined) return []; // PHP's empty array
  const out: Json = {};
  if (contact !== undefined) out['contact'] = contact;
  if (email !== undefined) out['email'] = email;
  if (name !== undefined) out['name'] = name;
  return out;
}

/** An order's or payment's copy of the link notes: `[]` when there are none (PHP's empty array). */
function notesCopy(notes: Notes | null): Notes | [] {
  return notes === null ? [] : { ...notes };
}

/** The link as the /v1 API answers it (keys alphabetical, as in Razorpay's answers). */
export function linkEntity(link: Link, shortUrl: string, payments: PaymentsView): Json {
  const out: Json = {
    accept_partial: link.acceptPartial,
    amount: link.amount,
    amount_paid: link.amountPaid,
    callback_method: link.callbackMethod,
    callback_url: link.callbackUrl,
    cancelled_at: link.cancelledAt,
    created_at: link.createdAt,
    currency: link.currency,
    customer: customerEntity(link),
    description: link.description,
    expire_by: link.expireBy,
    expired_at: link.expiredAt,
    first_min_partial_amount: link.firstMinPartialAmount,
    id: link.id,
    notes: link.notes,
    notify: { ...link.notify },
  };
  // absent until an order exists (Razorpay creates it when checkout opens)
  if (link.orderId !== null) out['order_id'] = link.orderId;
  out['payments'] = payments === 'null' ? null : payments === 'empty' ? [] : capturedPayments(link);
  out['reference_id'] = link.referenceId;
  out['reminder_enable'] = link.reminderEnable;
  out['reminders'] = [];
  out['short_url'] = shortUrl;
  out['status'] = link.status;
  out['updated_at'] = link.updatedAt;
  out['upi_link'] = link.upiLink;
  out['user_id'] = '';
  out['whatsapp_link'] = false;
  return out;
}

function capturedPayments(link: Link): Json[] {
  const out: Json[] = [];
  for (const p of link.payments) {
    if (p.status === 'captured') {
      out.push({
        amount: p.amount,
        created_at: p.createdAt,
        method: p.method,
        payment_id: p.id,
        status: p.status,
      });
    }
  }
  return out;
}

/** The link inside a `payment_link.*` webhook: no `payments`, `reminders` `{}` (as in the real capture). */
function webhookLinkEntity(link: Link, shortUrl: string): Json {
  const out = linkEntity(link, shortUrl, 'empty');
  delete out['payments'];
  out['reminders'] = {};
  return out;
}

function orderEntity(order: Order, notes: Notes | null): Json {
  return {
    id: order.id,
    entity: 'order',
    amount: order.amount,
    amount_paid: order.amountPaid,
    amount_due: order.amount - order.amountPaid,
    currency: order.currency,
    receipt: order.receipt,
    offer_id: null,
    status: order.status,
    attempts: order.attempts,
    notes: notesCopy(notes),
    created_at: order.createdAt,
    description: null,
    checkout: null,
  };
}

/** Fee as on the real capture: 2% plus 18% GST on it (150000 → fee 3540, tax 540). */
function fees(p: Payment): { fee: number | null; tax: number | null } {
  if (p.status !== 'captured') return { fee: null, tax: null };
  const base = Math.round(p.amount * 0.02);
  const tax = Math.round(base * 0.18);
  return { fee: base + tax, tax };
}

function errorFields(p: Payment): Json {
  if (p.status === 'captured') {
    return {
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
    };
  }
  return {
    error_code: 'BAD_REQUEST_ERROR',
    error_description: 'Payment failed',
    error_source: p.method === 'netbanking' ? 'bank' : 'issuer',
    error_step: 'payment_authorization',
    error_reason: 'payment_failed',
  };
}

/**
 * Which event a payment entity is for: the field set differs. `payment.captured` ends with
 * `emi_plan`, `created_at`, `reward`, `upi`, `base_amount`; `order.paid` has the same without
 * `base_amount`; `payment.failed` has none of `emi_plan`, `reward`, `base_amount`;
 * `payment_link.*` has `base_amount` but no `emi_plan`/`reward` (real capture and docs samples).
 */
type PaymentVariant = 'payment.captured' | 'order.paid' | 'payment.failed' | 'payment_link';

/** The payment entity in Razorpay's natural key order. */
function paymentEntity(p: Payment, description: string, notes: Notes | null, variant: PaymentVariant): Json {
  const withEmiAndReward = variant === 'payment.captured' || variant === 'order.paid';
  const { fee, tax } = fees(p);
  const out: Json = {
    id: p.id,
    entity: 'payment',
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    order_id: p.orderId,
    invoice_id: null,
    international: false,
    method: p.method,
    amount_refunded: 0,
    refund_status: null,
    captured: p.status === 'captured',
    description,
    card_id: p.cardId,
    bank: p.bank,
    wallet: p.wallet,
    vpa: p.vpa,
    email: p.email,
    contact: p.contact,
    notes: notesCopy(notes),
    fee,
    tax,
    ...errorFields(p),
    acquirer_data: { ...p.acquirerData },
  };
  if (withEmiAndReward) out['emi_plan'] = null;
  out['created_at'] = p.createdAt;
  if (withEmiAndReward) out['reward'] = null;
  if (p.method === 'upi') out['upi'] = { vpa: p.vpa, flow: 'collect' };
  if (variant === 'payment.captured' || variant === 'payment_link') out['base_amount'] = p.amount;
  return out;
}

/** The payment inside `payment_link.*`: adds `fee_bearer`, `amount_transferred`, `card`; no `emi_plan`/`reward`. */
function linkEventPaymentEntity(p: Payment, link: Link): Json {
  const out = paymentEntity(p, paymentDescription(link), link.notes, 'payment_link');
  out['amount_transferred'] = 0;
  out['fee_bearer'] = 'platform';
  out['card'] =
    p.cardId === null
      ? null
      : {
          emi: false,
          entity: 'card',
          id: p.cardId,
          iin: '999999',
          international: false,
          issuer: null,
          last4: '1111',
          name: link.customer.name ?? '',
          network: 'Visa',
          sub_type: 'consumer',
          type: 'debit',
        };
  return out;
}

/** A link payment's description: `#` + the link id without `plink_`. */
function paymentDescription(link: Link): string {
  return `#${link.id.slice('plink_'.length)}`;
}

/** Every object's keys sorted, recursively (arrays keep their order). */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Json;
  const out: Json = {};
  for (const key of Object.keys(source).sort()) out[key] = sortKeysDeep(source[key]);
  return out;
}

/** A webhook about to be signed: the body object, already in the key order it must be sent in. */
export interface WebhookEvent {
  event: string;
  body: Json;
}

function envelope(
  accountId: string,
  event: string,
  contains: string[],
  payload: Json,
  createdAt: number,
): Json {
  return { entity: 'event', account_id: accountId, event, contains, payload, created_at: createdAt };
}

/**
 * The webhooks of one payment, in Razorpay's observed delivery order: `payment.captured`,
 * `order.paid` (only once the order is fully paid), then `payment_link.paid` or
 * `payment_link.partially_paid`; a failed attempt sends `payment.failed` only.
 */
export function paymentEvents(
  accountId: string,
  link: Link,
  order: Order,
  payment: Payment,
  shortUrl: string,
  now: number,
): WebhookEvent[] {
  const description = paymentDescription(link);
  if (payment.status === 'failed') {
    const entity = paymentEntity(payment, description, link.notes, 'payment.failed');
    return [
      {
        event: 'payment.failed',
        body: envelope(accountId, 'payment.failed', ['payment'], { payment: { entity } }, now),
      },
    ];
  }
  const events: WebhookEvent[] = [
    {
      event: 'payment.captured',
      body: envelope(
        accountId,
        'payment.captured',
        ['payment'],
        { payment: { entity: paymentEntity(payment, description, link.notes, 'payment.captured') } },
        now,
      ),
    },
  ];
  if (order.status === 'paid') {
    events.push({
      event: 'order.paid',
      body: envelope(
        accountId,
        'order.paid',
        ['payment', 'order'],
        {
          payment: { entity: paymentEntity(payment, description, link.notes, 'order.paid') },
          order: { entity: orderEntity(order, link.notes) },
        },
        now,
      ),
    });
  }
  const linkEvent = link.status === 'paid' ? 'payment_link.paid' : 'payment_link.partially_paid';
  events.push({
    event: linkEvent,
    body: sortKeysDeep(
      envelope(
        accountId,
        linkEvent,
        ['payment_link', 'order', 'payment'],
        {
          payment_link: { entity: webhookLinkEntity(link, shortUrl) },
          order: { entity: orderEntity(order, link.notes) },
          payment: { entity: linkEventPaymentEntity(payment, link) },
        },
        // Razorpay stamps payment_link.* envelopes with the link's created_at, not the event time
        link.createdAt,
      ),
    ) as Json,
  });
  return events;
}

/** `payment_link.cancelled` / `payment_link.expired`. */
export function linkStateEvent(
  accountId: string,
  event: 'payment_link.cancelled' | 'payment_link.expired',
  link: Link,
  shortUrl: string,
): WebhookEvent {
  const body = envelope(
    accountId,
    event,
    ['payment_link'],
    { payment_link: { entity: webhookLinkEntity(link, shortUrl) } },
    link.createdAt,
  );
  return { event, body: sortKeysDeep(body) as Json };
}

/** A refund as the refunds API answers it (the key order of Razorpay's `refund.*` samples). */
export function refundEntity(r: Refund, status: Refund['status'] = r.status): Json {
  return {
    id: r.id,
    entity: 'refund',
    amount: r.amount,
    currency: r.currency,
    payment_id: r.paymentId,
    notes: notesCopy(r.notes),
    receipt: r.receipt,
    acquirer_data: { arn: null },
    created_at: r.createdAt,
    batch_id: null,
    status,
    speed_processed: 'normal',
    speed_requested: r.speedRequested,
  };
}

/**
 * `refund.created`, then `refund.processed` or `refund.failed` (reference §3.1: contains
 * `["refund","payment"]`); the payment shows what has been refunded of it so far.
 */
export function refundEvents(
  accountId: string,
  link: Link,
  payment: Payment,
  refund: Refund,
  refundedBefore: number,
  outcome: 'processed' | 'failed',
  now: number,
): WebhookEvent[] {
  const paymentWith = (refunded: number): Json => {
    const entity = paymentEntity(payment, paymentDescription(link), link.notes, 'order.paid');
    entity['amount_refunded'] = refunded;
    entity['refund_status'] = refunded === 0 ? null : refunded >= payment.amount ? 'full' : 'partial';
    if (refunded >= payment.amount) entity['status'] = 'refunded';
    return entity;
  };
  const event = (name: string, status: Refund['status'], refunded: number): WebhookEvent => ({
    event: name,
    body: envelope(
      accountId,
      name,
      ['refund', 'payment'],
      { refund: { entity: refundEntity(refund, status) }, payment: { entity: paymentWith(refunded) } },
      now,
    ),
  });
  const after = outcome === 'processed' ? refundedBefore + refund.amount : refundedBefore;
  return [
    event('refund.created', 'pending', refundedBefore + refund.amount),
    event(`refund.${outcome}`, outcome, after),
  ];
}
