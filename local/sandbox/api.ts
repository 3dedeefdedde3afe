/**
 * Razorpay's Payment Links API (`/v1/payment_links…`, reference §1.2). Pure request → answer:
 * authentication, fault injection and latency are the server's business.
 */
import { linkEntity, refundEntity } from './entities';
import { ApiError, gatewayErrorBody, linkError, MSG, URL_NOT_FOUND } from './errors';
import type { Link } from './model';
import type { Store } from './store';
import { isPlainObject } from './validation';

export interface ApiAnswer {
  status: number;
  body: unknown;
  /** answer only after the config's `hangMs` (a refund call in `refundMode: "hang"`) */
  late?: boolean;
}

/** Razorpay's idempotency header for refunds (lower-cased, as node:http gives headers). */
export const REFUND_IDEMPOTENCY_HEADER = 'x-refund-idempotency';

const notFound = (): ApiAnswer => ({ status: 400, body: gatewayErrorBody(URL_NOT_FOUND) });
const MEDIUMS = new Set(['sms', 'email']);

export function handleApi(
  store: Store,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  headers: Record<string, string | string[] | undefined> = {},
): ApiAnswer {
  try {
    if (path.startsWith('/v1/payments/') || path.startsWith('/v1/refunds/')) {
      return refunds(store, method, path, body, headers);
    }
    return route(store, method, path, query, body);
  } catch (error) {
    if (error instanceof ApiError) return { status: error.status, body: error.body };
    throw error;
  }
}

function route(store: Store, method: string, path: string, query: URLSearchParams, body: unknown): ApiAnswer {
  // ['', 'v1', 'payment_links', id?, action?, medium?]
  const parts = path.split('/');
  if (parts[2] !== 'payment_links' || parts.length > 6) return notFound();
  const id = parts[3];
  const action = parts[4];

  if (id === undefined || id === '') {
    if (parts.length > 4) return notFound();
    if (method === 'POST') return create(store, body);
    if (method === 'GET') return list(store, query);
    return notFound();
  }
  if (action === undefined) {
    if (method === 'GET') return entity(store, store.get(id));
    if (method === 'PATCH') return entity(store, store.update(store.get(id), requireObject(body)));
    return notFound();
  }
  if (method !== 'POST') return notFound();
  if (action === 'cancel' && parts.length === 5) return entity(store, store.cancel(store.get(id)));
  if (action === 'notify_by' && parts.length === 6) {
    const link = store.getForNotify(id);
    if (!MEDIUMS.has(parts[5] as string)) throw linkError(MSG.notifyMedium);
    // nothing leaves the machine: the sandbox records the resend and confirms, as Razorpay answers
    store.notify(link, parts[5] as string);
    return ok({ success: true });
  }
  return notFound();
}

function ok(body: unknown): ApiAnswer {
  return { status: 200, body };
}

/** A single link as fetch/update/cancel answer it: with its captured payments. */
function entity(store: Store, link: Link): ApiAnswer {
  return ok(linkEntity(link, store.shortUrl(link), 'captured'));
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!isPlainObject(body)) throw linkError(MSG.badJson);
  return body;
}

function create(store: Store, body: unknown): ApiAnswer {
  const link = store.create(requireObject(body));
  return ok(linkEntity(link, store.shortUrl(link), 'null'));
}

/**
 * Filters `reference_id`, `payment_id` and `upi_link` (1/0, as Razorpay's MCP server sends it).
 * `count`/`skip`/`from`/`to` (always sent by the SDK) are ignored: every match is returned.
 * Listed links show `payments: []`, as in Razorpay's documented list answer; fetch one link for them.
 */
function list(store: Store, query: URLSearchParams): ApiAnswer {
  const referenceId = query.get('reference_id') ?? undefined;
  if (referenceId !== undefined && referenceId.length > 40) throw linkError(MSG.receiptLength);
  const paymentId = query.get('payment_id') ?? undefined;
  const upi = query.get('upi_link');
  const upiLink = upi === null || upi === '' ? undefined : upi === '1' || upi === 'true';
  const links = store.list({ referenceId, paymentId, upiLink });
  return ok({ payment_links: links.map((link) => linkEntity(link, store.shortUrl(link), 'empty')) });
}

/**
 * Refunds (Razorpay's payments API, the part this tool uses): `POST /v1/payments/:id/refund`,
 * `GET /v1/payments/:id/refunds` (a collection), `GET /v1/refunds/:id`. In `refundMode: "hang"`
 * the refund is made at once and only the answers (create and look-ups) come late.
 */
function refunds(
  store: Store,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
): ApiAnswer {
  // ['', 'v1', 'payments' | 'refunds', id, action?]
  const parts = path.split('/');
  const late = store.refundMode === 'hang';
  if (parts[2] === 'refunds' && parts.length === 4 && method === 'GET') {
    return { ...ok(refundEntity(store.refund(parts[3] as string))), late };
  }
  if (parts[2] !== 'payments' || parts.length !== 5) return notFound();
  const paymentId = parts[3] as string;
  if (parts[4] === 'refund' && method === 'POST') {
    const key = headers[REFUND_IDEMPOTENCY_HEADER];
    const refund = store.createRefund(
      paymentId,
      body === undefined || body === null ? {} : requireObject(body),
      typeof key === 'string' && key !== '' ? key : null,
    );
    return { ...ok(refundEntity(refund)), late };
  }
  if (parts[4] === 'refunds' && method === 'GET') {
    store.payment(paymentId);
    const items = store.refundsOf(paymentId).map((r) => refundEntity(r));
    return { ...ok({ entity: 'collection', count: items.length, items }), late };
  }
  return notFound();
}
