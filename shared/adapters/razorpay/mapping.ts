/**
 * Our camelCase port types to and from Razorpay's snake_case payment-link JSON.
 */

import { GatewayUnavailableError } from '../../domain/errors';
import type {
  CreateLinkRequest,
  GatewayLink,
  GatewayPayment,
  GatewayRefund,
  LinkUpdate,
  RazorpayLinkStatus,
} from '../../domain/gateway';
import { RAZORPAY_LINK_STATUSES } from '../../domain/gateway';
import { isRecord } from '../../domain/records';
import { normaliseNotes } from './notes';

/** The body of POST /v1/payment_links, as Razorpay documents it (reference.md §1.3). */
export interface RazorpayCreateLinkBody {
  amount: number;
  currency: string;
  description: string;
  reference_id: string;
  customer: { name: string; contact?: string; email?: string };
  expire_by: number;
  accept_partial: boolean;
  first_min_partial_amount?: number;
  notify: { sms: boolean; email: boolean };
  reminder_enable: boolean;
  notes: Record<string, string>;
  callback_url?: string;
  callback_method?: 'get';
  upi_link?: boolean;
}

export function toCreateLinkBody(req: CreateLinkRequest): RazorpayCreateLinkBody {
  const customer: RazorpayCreateLinkBody['customer'] = { name: req.customer.name };
  if (req.customer.contact !== undefined) customer.contact = req.customer.contact;
  if (req.customer.email !== undefined) customer.email = req.customer.email;
  const body: RazorpayCreateLinkBody = {
    amount: req.amount,
    currency: req.currency,
    description: req.description,
    reference_id: req.referenceId,
    customer,
    expire_by: req.expireBy,
    accept_partial: req.acceptPartial,
    notify: { sms: req.notify.sms, email: req.notify.email },
    reminder_enable: req.reminderEnable,
    notes: { ...req.notes },
  };
  if (req.upiLink) body.upi_link = true;
  if (req.callbackUrl !== undefined) {
    body.callback_url = req.callbackUrl;
    body.callback_method = 'get';
  }
  // Razorpay rejects first_min_partial_amount when accept_partial is false (reference.md §1.3)
  if (req.acceptPartial && req.minPartialAmount !== undefined) {
    body.first_min_partial_amount = req.minPartialAmount;
  }
  return body;
}

/** The body of PATCH /v1/payment_links/:id (reference.md §1.8): only the fields that change. */
export function toUpdateLinkBody(change: LinkUpdate): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (change.expireBy !== undefined) body.expire_by = change.expireBy;
  if (change.reminderEnable !== undefined) body.reminder_enable = change.reminderEnable;
  if (change.acceptPartial !== undefined) body.accept_partial = change.acceptPartial;
  return body;
}

/** Razorpay's payment-link statuses, said once in the domain's gateway port. */
export const LINK_STATUSES = RAZORPAY_LINK_STATUSES;

function isLinkStatus(value: unknown): value is RazorpayLinkStatus {
  return typeof value === 'string' && (LINK_STATUSES as readonly string[]).includes(value);
}

function unexpectedBody(what: string): GatewayUnavailableError {
  return new GatewayUnavailableError(`Razorpay answered with an unexpected ${what}`);
}

/** Numbers (amounts, unix seconds); the SDK types say created_at is a string, real bodies carry numbers. */
function toNumber(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/**
 * One entry of a link's `payments`, as reported: no coercion (a string or fractional amount stays
 * what it is), so the crediting path's checks (domain/payment-checks.ts) see what Razorpay said.
 */
function toPayment(raw: unknown, linkCurrency: string): GatewayPayment | undefined {
  if (!isRecord(raw)) return undefined;
  return {
    paymentId: typeof raw.payment_id === 'string' ? raw.payment_id : '',
    amount: typeof raw.amount === 'number' ? raw.amount : Number.NaN,
    currency: typeof raw.currency === 'string' ? raw.currency : linkCurrency,
    method: typeof raw.method === 'string' ? raw.method : '',
    status: typeof raw.status === 'string' ? raw.status : '',
    createdAt: toNumber(raw.created_at),
  };
}

/**
 * A payment-link entity from the API. Validates what the port promises (id, status, amounts)
 * and normalises the rest: `payments` null/[]/array, notes object/[]/null, unset `expire_by` 0.
 */
export function toGatewayLink(raw: unknown): GatewayLink {
  if (!isRecord(raw)) throw unexpectedBody('payment link body');
  const { id, status, amount } = raw;
  if (typeof id !== 'string' || id === '') throw unexpectedBody('payment link id');
  if (!isLinkStatus(status)) throw unexpectedBody('payment link status');
  if (typeof amount !== 'number') throw unexpectedBody('payment link amount');
  const currency = typeof raw.currency === 'string' ? raw.currency : 'INR';
  const payments = Array.isArray(raw.payments)
    ? raw.payments.map((p) => toPayment(p, currency)).filter((p): p is GatewayPayment => p !== undefined)
    : [];
  return {
    id,
    referenceId: typeof raw.reference_id === 'string' ? raw.reference_id : '',
    status,
    amount,
    amountPaid: toNumber(raw.amount_paid),
    currency,
    shortUrl: typeof raw.short_url === 'string' ? raw.short_url : '',
    expireBy: toNumber(raw.expire_by),
    createdAt: toNumber(raw.created_at),
    notes: normaliseNotes(raw.notes),
    payments,
  };
}

/** The body of GET /v1/payment_links: `{payment_links: [...]}` without a collection wrapper. */
export function toGatewayLinks(raw: unknown): GatewayLink[] {
  if (!isRecord(raw) || !Array.isArray(raw.payment_links)) throw unexpectedBody('payment link list');
  return raw.payment_links.map(toGatewayLink);
}

/** A refund entity (reference.md §3.1 `refund.*` samples) as the port's GatewayRefund. */
export function toGatewayRefund(raw: unknown): GatewayRefund {
  if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.amount !== 'number') {
    throw new GatewayUnavailableError('Razorpay answered a refund without an id or amount');
  }
  return {
    id: raw.id,
    paymentId: typeof raw.payment_id === 'string' ? raw.payment_id : '',
    amount: raw.amount,
    currency: typeof raw.currency === 'string' ? raw.currency : '',
    status: typeof raw.status === 'string' ? raw.status : 'pending',
    receipt: typeof raw.receipt === 'string' ? raw.receipt : null,
    notes: normaliseNotes(raw.notes),
  };
}

/** `GET /v1/payments/:id/refunds` answers a collection `{ entity, count, items }`. */
export function toGatewayRefunds(raw: unknown): GatewayRefund[] {
  const items = isRecord(raw) && Array.isArray(raw.items) ? raw.items : [];
  return items.map(toGatewayRefund);
}
